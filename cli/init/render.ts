/**
 * The text of a starter product/truth.yaml: what {@link detectRepository} found, as YAML a
 * person reads top to bottom, each guess commented with where it came from. Pure: the command
 * validates the result against the schema and does the writing.
 */
import type { Detection } from './detect.js';

export interface RenderOptions {
  /** Where editors find the schema, relative to the truth file (first line of the file). */
  schemaPath: string;
  /** The rules of `trt verify`, listed under verify.rules at their default severity. */
  rules: readonly { id: string; description: string; defaultSeverity: string }[];
}

/** Column where trailing comments start, so that they line up. */
const COMMENT_COLUMN = 36;

export function renderTruth(detection: Detection, options: RenderOptions): string {
  const out: string[] = [
    `# yaml-language-server: $schema=${options.schemaPath}`,
    `# The contract of ${oneLine(detection.product.name)}: what \`trt verify\` checks this repository against.`,
    '# Written by `trt init` from what it found in the code. Review every line: the gates hold the',
    '# code to this file, so a wrong guess here becomes a finding there. Then run `npx trt verify`.',
    'version: 1',
    '',
    'product:',
    `  name: ${scalar(detection.product.name)}`,
    ...(detection.product.version ? [`  version: ${scalar(detection.product.version)}`] : []),
    '',
    ...entrypointSection(detection),
    ...routesSection(detection),
    ...envSection(detection),
    ...databaseSection(detection),
    ...legacySection(detection),
    ...requiredFilesSection(detection),
    ...verifySection(detection, options.rules),
  ];
  while (out[out.length - 1] === '') out.pop();
  return `${out.join('\n')}\n`;
}

function entrypointSection({ entrypoint }: Detection): string[] {
  if (!entrypoint) {
    return [
      '# entrypoint: not found (no start script, Procfile, main guard or server that listens).',
      '# Name the one file that starts the service, e.g.:',
      '# entrypoint:',
      '#   blessed: src/main.ts',
      '',
    ];
  }
  const lines = ['entrypoint:', commented(`  blessed: ${scalar(entrypoint.blessed)}`, entrypoint.reason)];
  if (entrypoint.command) lines.push(commented(`  command: ${scalar(entrypoint.command)}`, 'what package.json / Procfile / Dockerfile must run'));
  if (entrypoint.others.length > 0) {
    lines.push('  # Other files start the process too; single-entrypoint reports them until they go:');
    for (const other of entrypoint.others) lines.push(`  #   ${oneLine(other.file)} (${oneLine(other.reason)})`);
  }
  lines.push('');
  return lines;
}

function routesSection({ routes, routesSkipped }: Detection): string[] {
  const skipped = routesSkipped.map(({ what, place }) => `#   ${oneLine(what)} at ${placeText(place)}`);
  if (routes.length === 0) {
    return [
      '# routes: no Fastify route registration found. List the HTTP routes the service answers, e.g.:',
      '#   - { method: GET, path: /health, auth: none, sla_ms: 200 }',
      ...(skipped.length > 0 ? ['# Registrations trt could not read:', ...skipped] : []),
      '',
    ];
  }
  const entries = routes.map((route) => `  - { method: ${route.method}, path: ${scalar(route.path)} }`);
  const width = Math.max(...entries.map((entry) => entry.length)) + 2;
  return [
    commented('routes:', 'registered with Fastify; add auth (none | webhook_secret | admin) and sla_ms'),
    ...routes.map((route, index) => `${entries[index]!.padEnd(width)}# ${placeText(route.place)}`),
    ...(skipped.length > 0 ? ['  # Not listed (a truth route is one of GET POST PUT PATCH DELETE HEAD OPTIONS on a static path):', ...skipped.map((line) => `  ${line}`)] : []),
    '',
  ];
}

function envSection({ env, envSkipped }: Detection): string[] {
  const skipped = envSkipped.map(({ what, place }) => `#   ${oneLine(what)} at ${placeText(place)}`);
  if (env.length === 0) {
    return [
      '# env: the code reads no environment variable by name. Declare the ones a deploy must set, e.g.:',
      '#   required: [DATABASE_URL]',
      ...(skipped.length > 0 ? ['# Reads trt could not name:', ...skipped] : []),
      '',
    ];
  }
  const required = env.filter((variable) => variable.kind === 'required');
  const optional = env.filter((variable) => variable.kind === 'optional');
  const secret = env.filter((variable) => variable.secret);
  const lines = ['env:'];
  if (required.length > 0) {
    lines.push(commented('  required:', 'read without a fallback: every deploy must set them'));
    for (const variable of required) lines.push(commented(`    - ${scalar(variable.name)}`, placeText(variable.firstRead)));
  }
  if (optional.length > 0) {
    lines.push(commented('  optional:', 'name: default ("" = unset)'));
    for (const variable of optional) {
      const where = variable.note ? `${variable.note}; ${placeText(variable.firstRead)}` : placeText(variable.firstRead);
      lines.push(commented(`    ${scalar(variable.name)}: ${JSON.stringify(variable.defaultValue)}`, where));
    }
  }
  if (secret.length > 0) {
    lines.push(commented('  secret:', 'never printed in logs or reports'));
    for (const variable of secret) lines.push(`    - ${scalar(variable.name)}`);
  }
  if (skipped.length > 0) lines.push('  # Reads trt could not name (declare them by hand):', ...skipped.map((line) => `  ${line}`));
  lines.push('');
  return lines;
}

function databaseSection({ migrations }: Detection): string[] {
  if (!migrations) return [];
  const lines = ['database:', commented(`  migrations: ${scalar(migrations.folder)}`, `${migrations.sqlFiles} .sql file${migrations.sqlFiles === 1 ? '' : 's'}`)];
  if (migrations.others.length > 0) lines.push(`  # other migrations folders: ${migrations.others.map(oneLine).join(', ')}`);
  lines.push('');
  return lines;
}

function legacySection({ quarantine }: Detection): string[] {
  if (!quarantine) return [];
  return ['legacy:', commented(`  quarantine: ${scalar(quarantine)}`, 'kept for reference: nothing outside may import it'), ''];
}

function requiredFilesSection({ requiredFiles }: Detection): string[] {
  if (requiredFiles.length === 0) return [];
  return [commented('required_files:', 'must exist and not be empty'), ...requiredFiles.map((file) => `  - ${scalar(file)}`), ''];
}

function verifySection({ exclude }: Detection, rules: RenderOptions['rules']): string[] {
  const lines = ['verify:'];
  if (exclude.length > 0) {
    lines.push(commented('  exclude:', 'not the product: fixtures keep their violations on purpose'));
    for (const glob of exclude) lines.push(`    - ${scalar(glob)}`);
  }
  if (rules.length > 0) {
    lines.push(commented('  rules:', 'each rule at its default severity: error, warn or off'));
    for (const rule of rules) lines.push(commented(`    ${rule.id}: ${rule.defaultSeverity}`, rule.description));
  }
  return lines.length > 1 ? [...lines, ''] : [];
}

/**
 * A YAML scalar for a string: plain when that cannot be misread (by a YAML reader or in a flow
 * mapping), otherwise double-quoted. JSON string syntax is valid YAML double-quoted syntax.
 */
export function scalar(value: string): string {
  const plain =
    /^[A-Za-z_./][A-Za-z0-9_./:@+ -]*$/.test(value) &&
    !/[: ]$/.test(value) &&
    !value.includes(': ') &&
    !/^(?:true|false|yes|no|on|off|y|n|null|~)$/i.test(value) &&
    !/^[-+.]?\d/.test(value) &&
    !/^\.(?:inf|nan)$/i.test(value);
  return plain ? value : JSON.stringify(value);
}

function commented(text: string, comment: string): string {
  return `${text.padEnd(COMMENT_COLUMN - 1)} # ${oneLine(comment)}`;
}

function placeText(place: { file: string; line: number }): string {
  return `${oneLine(place.file)}:${place.line}`;
}

/** Text from the repository inside a comment: one line, always. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ');
}

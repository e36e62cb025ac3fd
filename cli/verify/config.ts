/**
 * Which rules run, at which severity, with which options: truth.yaml's `verify.rules` over each
 * rule's defaults, narrowed by `--rule`. Validated before any file is read.
 */
import { createRequire } from 'node:module';
import type { Ajv2020 as Ajv2020Class } from 'ajv/dist/2020.js';
import picomatch from 'picomatch';
import { TrtError } from '../core/errors.js';
import type { LoadedTruth, RuleSetting, SeveritySetting } from '../core/truth.js';
import type { ActiveRule, AnyRule } from './rule.js';

export function resolveActiveRules(registry: readonly AnyRule[], loaded: LoadedTruth, only: readonly string[] = []): ActiveRule[] {
  const known = new Set(registry.map((rule) => rule.id));
  const unknown = only.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new TrtError(
      'UNKNOWN_RULE',
      `unknown rule ${unknown.map((id) => `"${id}"`).join(', ')}${suggestion(unknown[0]!, [...known])}`,
      `the rules are: ${[...known].join(', ')}`,
    );
  }
  const settings = loaded.truth.verify?.rules ?? {};
  // Created only when truth.yaml sets options: the defaults are checked by the registry test, and
  // compiling ajv's meta-schema costs a tenth of a warm run.
  let ajv: Ajv2020Class | undefined;
  const active: ActiveRule[] = [];
  for (const rule of registry) {
    const setting: RuleSetting | undefined = settings[rule.id];
    const severity: SeveritySetting = (typeof setting === 'string' ? setting : setting?.severity) ?? rule.defaultSeverity;
    if (severity === 'off') {
      if (only.includes(rule.id)) {
        throw new TrtError(
          'UNKNOWN_RULE',
          `rule ${rule.id} is switched off in ${loaded.path} (verify.rules.${rule.id}: off), so --rule ${rule.id} would check nothing`,
          `set a severity for it in truth.yaml, or leave it out of --rule`,
        );
      }
      continue;
    }
    const options = { ...(rule.defaultOptions as object), ...(typeof setting === 'object' ? setting.options : {}) };
    const configured = typeof setting === 'object' && setting.options !== undefined;
    const validate = configured ? (ajv ??= newAjv()).compile(rule.optionsSchema) : undefined;
    if (validate && !validate(options)) {
      const where = `${loaded.path}:${loaded.lineOf(['verify', 'rules', rule.id, 'options'])}`;
      throw new TrtError(
        'RULE_OPTIONS',
        `invalid options for rule ${rule.id} at ${where}`,
        `see the options of ${rule.id} in README.md ("Rules")`,
        (validate?.errors ?? []).map((error) => `options${error.instancePath.replace(/\//g, '.')} ${error.message ?? 'is invalid'}`),
      );
    }
    if (only.length === 0 || only.includes(rule.id)) active.push({ rule, severity, options, excluded: excludeMatcher(typeof setting === 'object' ? setting.exclude : undefined) });
  }
  return active;
}

/** ajv's module is loaded only then too: a warm run of a truth file without rule options never needs it. */
function newAjv(): Ajv2020Class {
  const { Ajv2020 } = createRequire(import.meta.url)('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020Class };
  return new Ajv2020({ allErrors: true, strict: false });
}

function suggestion(input: string, candidates: string[]): string {
  const best = candidates
    .map((candidate) => ({ candidate, distance: editDistance(input, candidate) }))
    .sort((a, b) => a.distance - b.distance)[0];
  return best && best.distance <= Math.max(2, Math.floor(input.length / 3)) ? ` (did you mean "${best.candidate}"?)` : '';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function excludeMatcher(globs: readonly string[] | undefined): (file: string) => boolean {
  return globs?.length ? picomatch(globs as string[], { dot: true }) : () => false;
}

/**
 * A forbidden variable (truth `env.forbidden`) is a retired switch: `USE_POLLING` or
 * `LOCAL_LOCK_FILE` once selected a second way to run the bot, and as long as any code reads it,
 * or any deployment file sets it, that second way can come back by setting one variable. The
 * rule finds every read in code (see {@link findEnvReads} for the forms; writes count too, since
 * something downstream would read them) and every place a deployment file sets it: dotenv
 * templates, the Render blueprint and Dockerfiles.
 */
import { deploymentFileKind, dockerfileNames, dotenvNames, renderBlueprint, type DeploymentFileKind, type NamedPosition } from '../scan/env-files.js';
import { ENV_READ_PREFILTER, findEnvReads } from '../scan/env-reads.js';
import { defineRule, type RepoCheckContext } from '../rule.js';

interface Options {
  /** More deployment files to check, relative to the root; the kind is told by the name (see `deploymentFileKind`). */
  files: string[];
}

/** Checked at the root when they exist; `render.yaml` also names Dockerfiles through `dockerfilePath`. */
const DEFAULT_FILES = ['.env.example', '.env.sample', '.env.template', 'render.yaml', 'Dockerfile', 'Containerfile'];

export default defineRule<Options>({
  id: 'forbidden-env',
  description: 'Variables listed in env.forbidden must not be read in code nor set in .env templates, render.yaml or Dockerfiles.',
  defaultSeverity: 'error',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { files: { type: 'array', items: { type: 'string', minLength: 1 } } },
  },
  defaultOptions: { files: [] },
  prefilter: ENV_READ_PREFILTER,
  scanFile(ctx) {
    const forbidden = new Set(ctx.truth.env?.forbidden ?? []);
    if (forbidden.size === 0) return;
    for (const read of findEnvReads(ctx.ts, ctx.sourceFile)) {
      if (read.name === undefined || !forbidden.has(read.name)) continue;
      ctx.report({
        pos: read.pos,
        message:
          read.access === 'write'
            ? `${read.name} is forbidden by truth.yaml (env.forbidden): setting it here keeps a retired switch alive for whatever reads it.`
            : `${read.name} is forbidden by truth.yaml (env.forbidden): reading it keeps a retired mode of running reachable by setting one variable.`,
        fix: `Remove the use of ${read.name} and the behaviour behind it; the variable must not exist in any environment.`,
      });
    }
  },
  check(ctx) {
    const forbidden = new Set(ctx.truth.env?.forbidden ?? []);
    if (forbidden.size === 0) return;
    const checked = new Set<string>();
    const checkFile = (file: string, kind: DeploymentFileKind) => {
      const path = normalize(file);
      if (checked.has(path) || ctx.isQuarantined(path)) return;
      checked.add(path);
      const text = ctx.readText(path);
      if (text === undefined) return;
      if (kind === 'render') {
        const blueprint = renderBlueprint(text);
        reportNames(ctx, path, blueprint.names, forbidden, 'sets');
        for (const { path: dockerfile, rootDir } of blueprint.dockerfiles) {
          const candidates = [normalize(dockerfile), ...(rootDir ? [normalize(`${rootDir}/${dockerfile}`)] : [])];
          const found = candidates.find((candidate) => ctx.exists(candidate));
          if (found) checkFile(found, 'dockerfile');
        }
      } else if (kind === 'dockerfile') {
        reportNames(ctx, path, dockerfileNames(text), forbidden, 'sets');
      } else {
        reportNames(ctx, path, dotenvNames(text), forbidden, 'lists');
      }
    };
    for (const file of [...DEFAULT_FILES, ...ctx.options.files]) checkFile(file, deploymentFileKind(file));
  },
});

function reportNames(
  ctx: RepoCheckContext<Options, never>,
  file: string,
  names: readonly NamedPosition[],
  forbidden: ReadonlySet<string>,
  verb: 'sets' | 'lists',
): void {
  for (const { name, line, column } of names) {
    if (!forbidden.has(name)) continue;
    ctx.report({
      file,
      line,
      column,
      message: `${file} ${verb} ${name}, which truth.yaml forbids (env.forbidden): a deploy built from it would switch on a retired mode.`,
      fix: `Delete ${name} from ${file}.`,
    });
  }
}

function normalize(file: string): string {
  return file.replace(/\\/g, '/').replace(/\/(?:\.\/)+/g, '/').replace(/^(?:\.\/)+/, '').replace(/\/{2,}/g, '/');
}

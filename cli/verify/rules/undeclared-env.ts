/**
 * truth.yaml's `env` section is the list of variables a deploy must think about. A variable the
 * code reads but the truth does not declare is one nobody will set on the next server: the code
 * falls back to a default or `undefined`, silently. The rule finds every read (the forms of
 * {@link findEnvReads}) of a name that is not in `env.required`, `env.optional`, `env.secret` or
 * `env.forbidden` (forbidden reads are `forbidden-env`'s findings, not reported twice).
 *
 * A repository whose truth has no `env` section has not declared its environment yet: the rule
 * stays silent rather than warn on every read. Writes (`process.env.X = …`) are not reads and are
 * not reported. Well-known runtime variables are ignored through the `ignore` option.
 */
import picomatch from 'picomatch';
import { ENV_READ_PREFILTER, findEnvReads, type EnvRead } from '../scan/env-reads.js';
import { defineRule } from '../rule.js';

interface Options {
  /** Names or globs (`npm_*`) of variables that need no declaration. Setting it replaces the default list. */
  ignore: string[];
  /** Report a file's reads with a computed key (`process.env[name]`), which cannot be checked, once per file. */
  reportDynamic: boolean;
}

/**
 * Set by Node, npm, the shell, CI or the test runner rather than by the deploy; the code that
 * reads them (colour, test detection) is not configuration.
 */
const RUNTIME_VARIABLES = [
  'NODE_ENV',
  'NODE_OPTIONS',
  'NODE_DEBUG',
  'CI',
  'GITHUB_ACTIONS',
  'HOME',
  'USER',
  'PATH',
  'PWD',
  'SHELL',
  'TERM',
  'TMPDIR',
  'LANG',
  'TZ',
  'FORCE_COLOR',
  'NO_COLOR',
  'npm_*',
  'VITEST*',
  'JEST_WORKER_ID',
];

/** Constants Vite defines on `import.meta.env`: not environment variables at all. */
const VITE_BUILT_INS = new Set(['MODE', 'BASE_URL', 'PROD', 'DEV', 'SSR']);

/** Compiled once per options object: the scan runs for every file that reads the environment. */
const ignoreMatchers = new WeakMap<Options, (name: string) => boolean>();

function ignoreMatcher(options: Options): (name: string) => boolean {
  let matcher = ignoreMatchers.get(options);
  if (!matcher) {
    matcher = options.ignore.length > 0 ? picomatch(options.ignore) : () => false;
    ignoreMatchers.set(options, matcher);
  }
  return matcher;
}

export default defineRule<Options>({
  id: 'undeclared-env',
  description: 'Environment variables read in code must be declared in truth.yaml env, so that every deploy knows to set them.',
  defaultSeverity: 'warn',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ignore: { type: 'array', items: { type: 'string', minLength: 1 } },
      reportDynamic: { type: 'boolean' },
    },
  },
  defaultOptions: { ignore: RUNTIME_VARIABLES, reportDynamic: false },
  prefilter: ENV_READ_PREFILTER,
  scanFile(ctx) {
    const env = ctx.truth.env;
    if (!env) return;
    const declared = new Set([...(env.required ?? []), ...Object.keys(env.optional ?? {}), ...(env.secret ?? []), ...(env.forbidden ?? [])]);
    const ignored = ignoreMatcher(ctx.options);
    const dynamic: EnvRead[] = [];
    for (const read of findEnvReads(ctx.ts, ctx.sourceFile)) {
      if (read.access === 'write') continue;
      if (read.name === undefined) {
        dynamic.push(read);
        continue;
      }
      if (declared.has(read.name) || ignored(read.name)) continue;
      if (read.source === 'import.meta.env' && VITE_BUILT_INS.has(read.name)) continue;
      ctx.report({
        pos: read.pos,
        message: `${read.name} is read here but truth.yaml does not declare it under env: a deploy will not know to set it and the code will run on its fallback.`,
        fix: `Declare ${read.name} in truth.yaml under env.required, or under env.optional with its default; or add it to verify.rules.undeclared-env.options.ignore if the runtime sets it.`,
      });
    }
    const first = dynamic[0];
    if (ctx.options.reportDynamic && first) {
      ctx.report({
        pos: first.pos,
        message: `This file reads the environment by a computed name ${dynamic.length === 1 ? 'here' : `here and at ${dynamic.length - 1} more place${dynamic.length === 2 ? '' : 's'}`}: those variables cannot be checked against truth.yaml.`,
        fix: 'Read each variable by its literal name (process.env.NAME), or accept the gap and leave reportDynamic off.',
      });
    }
  },
});

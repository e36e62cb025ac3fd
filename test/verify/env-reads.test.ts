/**
 * The environment reads `forbidden-env` and `undeclared-env` share: every form that names a
 * variable, where the name starts, whether it is a write, and nothing from look-alikes.
 */
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ENV_READ_PREFILTER, findEnvReads } from '../../cli/verify/scan/env-reads.js';

/** `NAME@line:column`, `?@line:column` for a computed key, with ` write` / ` meta` when they apply. */
function readsOf(code: string, file = 'a.ts'): string[] {
  const sourceFile = ts.createSourceFile(file, code, ts.ScriptTarget.Latest, true, file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS);
  return findEnvReads(ts, sourceFile).map((read) => {
    const { line, character } = sourceFile.getLineAndCharacterOfPosition(read.pos);
    const flags = `${read.access === 'write' ? ' write' : ''}${read.source === 'import.meta.env' ? ' meta' : ''}`;
    return `${read.name ?? '?'}@${line + 1}:${character + 1}${flags}`;
  });
}

describe('findEnvReads', () => {
  it.each<[string, string, string[]]>([
    ['member', 'process.env.A;', ['A@1:13']],
    ['string key', "process.env['A'];", ['A@1:14']],
    ['template key', 'process.env[`A`];', ['A@1:14']],
    ['optional chaining', 'process?.env?.A;', ['A@1:15']],
    ['globalThis and global', 'globalThis.process.env.A; global.process.env.B;', ['A@1:24', 'B@1:46']],
    ['process.env spelled with brackets', "process['env'].A;", ['A@1:16']],
    ['casts and non-null', '(process.env as any).A; process.env!.B;', ['A@1:22', 'B@1:38']],
    ['destructuring with rename and default', "const { A, B: b = 'x', ['C']: c } = process.env;", ['A@1:9', 'B@1:12', 'C@1:26']],
    ['destructuring assignment', '({ A, B: b } = process.env);', ['A@1:4', 'B@1:7']],
    ['destructuring in a parameter default', 'function f({ A } = process.env) {}', ['A@1:14']],
    ['env out of process', 'const { env: { A } } = process;', ['A@1:16']],
    ['in', "'A' in process.env;", ['A@1:2']],
    ['Object.hasOwn and hasOwnProperty', "Object.hasOwn(process.env, 'A'); process.env.hasOwnProperty('B');", ['A@1:29', 'B@1:62']],
    ['prototype call and Reflect', "Object.prototype.hasOwnProperty.call(process.env, 'A'); Reflect.get(process.env, 'B');", ['A@1:52', 'B@1:83']],
    ['import.meta.env', "import.meta.env.A; import.meta.env['B'];", ['A@1:17 meta', 'B@1:37 meta']],
    ['import.meta destructured', 'const { env } = import.meta; env.A;', ['A@1:34 meta']],
    ['writes and compound assignment', "process.env.A = '1'; delete process.env.B; process.env.C ??= '2';", ['A@1:13 write', 'B@1:41 write', 'C@1:56']],
    ['alias', 'const env = process.env;\nenv.A;', ['A@2:5']],
    ['alias of an alias and rest', 'const e = process.env;\nconst f = e;\nconst { A, ...rest } = f;\nrest.B;', ['A@3:9', 'B@4:6']],
    ['parameter defaulting to process.env', 'function f(env = process.env) { return env.A; }', ['A@1:44']],
    ['parameter typed NodeJS.ProcessEnv', 'function f(env: NodeJS.ProcessEnv) { return env.A; }', ['A@1:49']],
    ['computed keys are reads without a name', "process.env[name]; name in process.env; const { [key]: v } = process.env; process.env['A' + b];", ['?@1:13', '?@1:20', '?@1:50', '?@1:87']],
    ['template interpolation', '`${process.env.A}`;', ['A@1:16']],
    ['the process module', "import { env } from 'node:process';\nimport { env as e } from 'process';\nenv.A; e.B; require('node:process').env.C;", ['A@3:5', 'B@3:10', 'C@3:41']],
  ])('%s', (_, code, expected) => {
    expect(readsOf(code)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['a comment', '// process.env.A\n/* process.env.B */'],
    ['a string', "const s = 'process.env.A'; const t = `process.env.B`;"],
    ['another object named env', 'const env = load(); env.A;'],
    ['another process', 'myProcess.env.A; child.process.env.B; ({ process: p }).process.env.C;'],
    ['a shadowing parameter', 'const env = process.env;\nfunction f(env) { return env.A; }'],
    ['a shadowing block variable', 'const env = process.env;\n{ const env = {}; env.A; }'],
    ['a type query', 'type T = typeof process.env.A;'],
    ['whole-object uses', 'spawn(cmd, { env: process.env }); Object.keys(process.env); ({ ...process.env });'],
    ['method calls', 'process.env.toString();'],
    ['array destructuring', 'const [a] = process.env;'],
    ['env imported from another module', "import { env } from './config.js';\nenv.A;"],
  ])('ignores %s', (_, code) => {
    expect(readsOf(code)).toEqual([]);
  });

  it('reads JavaScript files', () => {
    expect(readsOf("const { env } = require('process');\nmodule.exports = env.A;", 'a.cjs')).toEqual(['A@2:22']);
  });
});

describe('ENV_READ_PREFILTER', () => {
  it.each([
    'process.env.A',
    'process?.env',
    "process['env']",
    'import.meta.env.A',
    'function f(env: NodeJS.ProcessEnv) {}',
    'const { env } = process',
    'const {\n  argv,\n  env,\n} = globalThis.process',
    'const { env } = import.meta',
    "import { env } from 'node:process'",
  ])('passes %j', (text) => {
    expect(ENV_READ_PREFILTER.test(text)).toBe(true);
  });

  it.each(['process.exit(1)', 'const env = load();', 'environment.A', 'import.meta.url'])('skips %j', (text) => {
    expect(ENV_READ_PREFILTER.test(text)).toBe(false);
  });
});

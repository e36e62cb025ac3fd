import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseTruth } from '../../cli/core/truth.js';
import { detectRepository, starterEvidence, type Detection, type RepoSnapshot } from '../../cli/init/detect.js';
import { renderTruth, scalar } from '../../cli/init/render.js';
import { snapshotOf } from '../../cli/init/snapshot.js';
import { FIXTURES } from '../cli/run.js';

const detectFixture = (name: string) => detectRepository(ts, snapshotOf(ts, join(FIXTURES, 'init', name)));
const RULES = [{ id: 'no-wildcard-imports', description: 'No wildcards: name what you import.', defaultSeverity: 'error' }];

/** An in-memory repository: detection is pure, so it needs no folder. */
function memoryRepo(files: Record<string, string>): RepoSnapshot {
  return {
    folderName: 'memory',
    files: Object.keys(files).sort(),
    read: (file) => files[file],
    resolveImports: (_file, imports) => imports.map(() => ({ kind: 'external' as const })),
  };
}

describe('the entrypoint, from what starts the service', () => {
  const server = "import Fastify from 'fastify';\nawait Fastify().listen({ port: 1 });\n";
  const library = 'export const lib = 1;\n';
  it.each([
    [
      'package.json start through a build script and tsconfig outDir/rootDir',
      {
        'package.json': JSON.stringify({ scripts: { build: 'tsc', serve: 'node --enable-source-maps out/main.js', start: 'npm run build && npm run serve' } }),
        'tsconfig.json': '{ "compilerOptions": { "outDir": "out", "rootDir": "app", }, // trailing comma and comment\n}',
        'app/main.ts': server,
      },
      { blessed: 'app/main.ts', command: 'npm start', reason: 'package.json scripts.start runs out/main.js' },
    ],
    [
      'a Procfile web process (not the release phase)',
      { Procfile: 'release: node scripts/migrate.js\nweb: node -r dotenv/config server.js\n', 'server.js': server, 'scripts/migrate.js': library },
      { blessed: 'server.js', command: 'node -r dotenv/config server.js', reason: 'Procfile process "web" runs server.js' },
    ],
    [
      'a render.yaml service with a rootDir',
      { 'render.yaml': 'services:\n  - type: web\n    name: api\n    rootDir: api\n    startCommand: node index.mjs\n', 'api/index.mjs': server, 'index.mjs': server },
      { blessed: 'api/index.mjs', command: 'node index.mjs', reason: 'render.yaml service "api" startCommand runs api/index.mjs', others: [{ file: 'index.mjs', reason: 'calls Fastify().listen() at the top level' }] },
    ],
    [
      'a Dockerfile CMD',
      { Dockerfile: 'FROM node:20\nWORKDIR /app\nCOPY . .\nCMD ["node", "dist/server.js"]\n', 'src/server.ts': server },
      { blessed: 'src/server.ts', reason: 'Dockerfile runs dist/server.js' },
    ],
    [
      'package.json main, when the code agrees it starts there',
      { 'package.json': JSON.stringify({ main: 'dist/index.js' }), 'src/index.ts': server, 'src/other.ts': library },
      { blessed: 'src/index.ts', reason: 'package.json main points at dist/index.js' },
    ],
    [
      'not package.json main when the code starts elsewhere (a library entry)',
      { 'package.json': JSON.stringify({ main: 'lib/index.js' }), 'lib/index.js': library, 'bin/serve.mjs': server },
      { blessed: 'bin/serve.mjs', reason: 'bin/serve.mjs calls Fastify().listen() at the top level' },
    ],
    [
      'the strongest sign in the code: a main guard beats a listen inside a function',
      {
        'src/a.ts': 'export async function main(app) { await app.listen({ port: 1 }); }\n',
        'src/z.ts': "if (import.meta.url === `file://${process.argv[1]}`) console.log('run');\n",
        'test/server.test.ts': server,
      },
      { blessed: 'src/z.ts', reason: 'src/z.ts has a main-module guard', others: [{ file: 'src/a.ts', reason: 'calls app.listen()' }] },
    ],
  ])('%s', (_situation, files, expected) => {
    const entrypoint = detectRepository(ts, memoryRepo(files)).entrypoint;
    expect(entrypoint).toEqual({ others: [], ...expected });
  });

  it('none when nothing starts a process', () => {
    expect(detectRepository(ts, memoryRepo({ 'src/lib.ts': 'export const x = 1;\n', 'package.json': '{"scripts":{"start":"next start"}}' })).entrypoint).toBeUndefined();
  });
});

describe('starterEvidence: files that start the process', () => {
  const evidence = (text: string) => starterEvidence(ts, ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, true))?.strength;
  it.each([
    ['if (import.meta.url === pathToFileURL(process.argv[1]).href) main();', 4],
    ['if (process.argv[1] === fileURLToPath(import.meta.url)) main();', 4],
    ['if (require.main === module) main();', 4],
    ['if (import.meta.main) main();', 4],
    ['app.listen({ port: 3000 });', 3],
    ['http.createServer(handler).listen(8080);', 3],
    ['bot.start();', 3],
    ['run(bot);', 3],
    ['async function main() { await app.listen({ port }); }', 1],
    ['export function buildApp() { return Fastify(); }', undefined],
    ['emitter.start(); run(task); const listen = 1;', undefined],
  ])('%s → %s', (text, strength) => {
    expect(evidence(text)).toBe(strength);
  });
});

describe('detectRepository on fixture repositories', () => {
  it('a TypeScript Fastify service in src/', () => {
    const detection = detectFixture('fastify-ts');
    expect(detection.product).toEqual({ name: 'acme-api', version: '2.3.0' });
    expect(detection.entrypoint).toEqual({
      blessed: 'src/server.ts',
      command: 'npm start',
      reason: 'package.json scripts.start runs dist/server.js',
      others: [{ file: 'src/worker.ts', reason: 'calls createServer().listen() at the top level' }],
    });
    expect(detection.routes.map(({ method, path, place }) => `${method} ${path} ${place.file}:${place.line}`)).toEqual([
      'GET /admin/events src/routes/admin.ts:5',
      'DELETE /admin/events/:id src/routes/admin.ts:6',
      'GET /health src/app.ts:9',
      'POST /webhook src/app.ts:10',
    ]);
    expect(detection.env.map(({ name, kind, defaultValue, secret }) => [name, kind, defaultValue, secret])).toEqual([
      ['ADMIN_TOKEN', 'required', '', true],
      ['DATABASE_URL', 'required', '', true],
      ['HOST', 'optional', '0.0.0.0', false],
      ['LOG_LEVEL', 'optional', '', false],
      ['PORT', 'optional', '3000', false],
      ['TEST_API_URL', 'optional', '', false],
      ['WEBHOOK_SECRET', 'required', '', true],
      ['WORKER_PORT', 'optional', '9000', false],
    ]);
    expect(detection.env.find((variable) => variable.name === 'DATABASE_URL')?.firstRead).toEqual({ file: 'src/app.ts', line: 6 });
    expect(detection.quarantine).toBe('legacy');
    expect(detection.migrations).toEqual({ folder: 'db/migrations', sqlFiles: 2, others: [] });
    expect(detection.requiredFiles).toEqual(['README.md']);
    expect(detection.exclude).toEqual(['**/fixtures/**']);
  });

  it('a JavaScript-only service started by a Procfile', () => {
    const detection = detectFixture('js-only');
    expect(detection.product).toEqual({ name: 'js-bot' });
    expect(detection.entrypoint).toMatchObject({ blessed: 'server.mjs', command: 'node server.mjs', others: [] });
    expect(detection.routes.map(({ method, path }) => `${method} ${path}`)).toEqual(['GET /ping', 'GET /status', 'HEAD /status']);
    expect(detection.routesSkipped).toEqual([{ what: '/echo registered with all()', place: { file: 'server.mjs', line: 13 } }]);
    expect(detection.env.map(({ name, kind, defaultValue }) => [name, kind, defaultValue])).toEqual([
      ['API_KEY', 'required', ''],
      ['BOT_TOKEN', 'required', ''],
      ['LOG_LEVEL', 'optional', 'info'],
    ]);
    expect(detection.envSkipped).toEqual([{ what: 'a variable with a computed name (process.env[…])', place: { file: 'server.mjs', line: 9 } }]);
    expect(detection.quarantine).toBe('quarantine');
    expect(detection.migrations?.folder).toBe('migrations');
    expect(detection.requiredFiles).toEqual(['quarantine/README.md']);
    expect(detection.exclude).toEqual([]);
  });

  it('a folder with no code at all', () => {
    const detection = detectFixture('bare');
    expect(detection).toEqual({
      product: { name: 'bare' },
      env: [],
      envSkipped: [],
      routes: [],
      routesSkipped: [],
      requiredFiles: [],
      exclude: [],
    });
  });
});

describe('renderTruth', () => {
  it.each(['fastify-ts', 'js-only', 'bare'])('writes a file the truth schema accepts (%s)', (name) => {
    const text = renderTruth(detectFixture(name), { schemaPath: '../schemas/truth.schema.json', rules: RULES });
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/truth.schema.json');
    expect(() => parseTruth(text, `${name}/product/truth.yaml`)).not.toThrow();
  });

  it('keeps what it found, value for value', () => {
    const detection = detectFixture('fastify-ts');
    const { truth } = parseTruth(renderTruth(detection, { schemaPath: 'x.json', rules: RULES }), 'truth.yaml');
    expect(truth.entrypoint).toEqual({ blessed: 'src/server.ts', command: 'npm start' });
    expect(truth.routes).toEqual(detection.routes.map(({ method, path }) => ({ method, path })));
    expect(truth.env).toEqual({
      required: ['ADMIN_TOKEN', 'DATABASE_URL', 'WEBHOOK_SECRET'],
      optional: { HOST: '0.0.0.0', LOG_LEVEL: '', PORT: '3000', TEST_API_URL: '', WORKER_PORT: '9000' },
      secret: ['ADMIN_TOKEN', 'DATABASE_URL', 'WEBHOOK_SECRET'],
    });
    expect(truth.database).toEqual({ migrations: 'db/migrations' });
    expect(truth.legacy).toEqual({ quarantine: 'legacy' });
    expect(truth.verify).toEqual({ exclude: ['**/fixtures/**'], rules: { 'no-wildcard-imports': 'error' } });
  });

  it('quotes whatever YAML would misread, and keeps comments on one line', () => {
    const place = { file: 'src/we#ird\nname.ts', line: 3 };
    const detection: Detection = {
      product: { name: 'acme: "api" # v2', version: '1.10' },
      entrypoint: { blessed: 'src/main file.ts', command: 'node -r x: y', reason: 'because\nof: this', others: [{ file: 'a\nb.ts', reason: 'x' }] },
      env: [
        { name: 'NO', kind: 'optional', defaultValue: 'yes', secret: false, firstRead: place },
        { name: 'QUOTE', kind: 'optional', defaultValue: 'say "hi"\n\ttab \\ back ✓', secret: false, firstRead: place },
        { name: 'TOKEN', kind: 'required', defaultValue: '', secret: true, firstRead: place },
      ],
      envSkipped: [{ what: 'a\nb', place }],
      routes: [
        { method: 'GET', path: '/a,b/{c}', place },
        { method: 'GET', path: '/*', place },
        { method: 'GET', path: '/users/:id', place },
      ],
      routesSkipped: [{ what: 'x\ny', place }],
      migrations: { folder: 'db/migrations: old', sqlFiles: 1, others: ['x\ny'] },
      quarantine: 'true',
      requiredFiles: ['#README.md'],
      exclude: ['**/fixtures/**'],
    };
    const text = renderTruth(detection, { schemaPath: '../s.json', rules: RULES });
    const { truth } = parseTruth(text, 'truth.yaml');
    expect(truth.product).toEqual({ name: 'acme: "api" # v2', version: '1.10' });
    expect(truth.entrypoint).toEqual({ blessed: 'src/main file.ts', command: 'node -r x: y' });
    expect(truth.env?.optional).toEqual({ NO: 'yes', QUOTE: 'say "hi"\n\ttab \\ back ✓' });
    expect(truth.routes?.map((route) => route.path)).toEqual(['/a,b/{c}', '/*', '/users/:id']);
    expect(truth.database?.migrations).toBe('db/migrations: old');
    expect(truth.legacy?.quarantine).toBe('true');
    expect(truth.required_files).toEqual(['#README.md']);
    expect(text).not.toMatch(/\nname\.ts|\nof: this|\nb\.ts/);
  });

  it.each([
    ['npm start', 'npm start'],
    ['src/server.ts', 'src/server.ts'],
    ['/users/:id', '/users/:id'],
    ['0.1.0', '"0.1.0"'],
    ['true', '"true"'],
    ['off', '"off"'],
    ['.inf', '".inf"'],
    ['key: value', '"key: value"'],
    ['ends:', '"ends:"'],
    ['**/fixtures/**', '"**/fixtures/**"'],
    ['-flag', '"-flag"'],
    ['', '""'],
  ])('scalar(%j) is %s and reads back the same', (value, expected) => {
    expect(scalar(value)).toBe(expected);
    expect(parse(`key: ${scalar(value)}`)).toEqual({ key: value });
    expect(parse(`[{ key: ${scalar(value)} }]`)).toEqual([{ key: value }]);
  });
});

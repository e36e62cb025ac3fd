import { describe, expect, it } from 'vitest';
import { verify } from '../../../cli/verify/engine.js';
import { covers, serves } from '../../../cli/verify/rules/truth-routes.js';
import { joinPrefix, joinRoutePath } from '../../../cli/verify/scan/fastify-routes.js';
import { ruleFindings, writeRepo } from '../harness.js';

const RULE = 'truth-routes';

describe(RULE, () => {
  it.each([
    ['good/prefixed-plugins', []],
    ['good/all-forms', []],
    ['good/no-app-yet', []],
    ['good/ignore-without-entrypoint', []],
    [
      'bad/all-forms',
      [
        { file: 'src/app.ts', line: 14, column: 45 },
        { file: 'src/app.ts', line: 19, column: 11 },
        { file: 'src/app.ts', line: 19, column: 44 },
        { file: 'src/app.ts', line: 20, column: 11 },
        { file: 'src/routes/admin.ts', line: 6, column: 10 },
        { file: 'src/routes/admin.ts', line: 15, column: 13 },
        { file: 'src/routes/metrics.ts', line: 7, column: 11 },
        { file: 'src/routes/webhook.ts', line: 6, column: 11 },
      ],
    ],
    [
      'bad/missing-and-undeclared',
      [
        { file: 'product/truth.yaml', line: 8, column: 5 },
        { file: 'product/truth.yaml', line: 9, column: 5 },
        { file: 'src/main.ts', line: 9, column: 9 },
      ],
    ],
    [
      'bad/empty-app',
      [
        { file: 'product/truth.yaml', line: 5, column: 5 },
        { file: 'product/truth.yaml', line: 6, column: 5 },
      ],
    ],
  ])('%s', async (fixture, expected) => {
    expect(await ruleFindings(RULE, `${RULE}/${fixture}`)).toEqual(expected);
  });

  describe('in-memory repositories', () => {
    const TRUTH = 'version: 1\nentrypoint: { blessed: src/main.ts }\nroutes:\n  - { method: GET, path: /health }\n';
    const findings = async (files: Record<string, string>) => {
      const root = writeRepo({ 'product/truth.yaml': TRUTH, ...files });
      const result = await verify({ root, truth: `${root}/product/truth.yaml`, cache: false, workers: 0, rules: [RULE] });
      return result.findings.map(({ file, line, column }) => ({ file, line, column }));
    };

    it.each([
      [
        'a typed plugin nobody registers counts at the root',
        {
          'src/main.ts': "import { routes } from './routes.js';\nvoid routes;\n",
          'src/routes.ts': "import type { FastifyInstance } from 'fastify';\nexport async function routes(app: FastifyInstance) {\n  app.get('/health', async () => 'ok');\n  app.get('/extra', async () => 'no');\n}\n",
        },
        [{ file: 'src/routes.ts', line: 4, column: 11 }],
      ],
      [
        'nested register prefixes compose, and prefix + "/" is the bare prefix',
        {
          'src/main.ts':
            "import Fastify from 'fastify';\nconst app = Fastify();\napp.register(async (v1) => {\n  v1.register(async (admin) => {\n    admin.get('/', async () => 'x');\n  }, { prefix: '/admin' });\n}, { prefix: '/v1' });\napp.get('/health', async () => 'ok');\n",
        },
        [{ file: 'src/main.ts', line: 5, column: 15 }],
      ],
      [
        'a file the entrypoint does not reach is not the application',
        {
          'src/main.ts': "import Fastify from 'fastify';\nconst app = Fastify();\napp.get('/health', async () => 'ok');\n",
          'tools/mock-server.ts': "import Fastify from 'fastify';\nconst mock = Fastify();\nmock.get('/mock', async () => 'ok');\n",
        },
        [],
      ],
      [
        'a blessed entrypoint that does not exist yet means no application',
        {
          'app/server.ts': "import Fastify from 'fastify';\nconst app = Fastify();\napp.get('/other', async () => 'ok');\n",
        },
        [],
      ],
    ])('%s', async (_name, files, expected) => {
      expect(await findings(files)).toEqual(expected);
    });
  });
});

describe('route paths and methods', () => {
  it.each([
    ['', '/admin', '/admin'],
    ['/v1', '/admin', '/v1/admin'],
    ['/v1/', '/admin', '/v1/admin'],
    ['/v1', 'admin', '/v1/admin'],
    ['/v1', '', '/v1'],
  ])('joinPrefix(%j, %j) is %j', (instance, plugin, expected) => {
    expect(joinPrefix(instance, plugin)).toBe(expected);
  });

  it.each([
    ['', '/health', '/health'],
    ['/admin', '/', '/admin'],
    ['/admin', '', '/admin'],
    ['/admin', '/events', '/admin/events'],
    ['/admin/', '/events', '/admin/events'],
    ['/admin', '/users/:id', '/admin/users/:id'],
  ])('joinRoutePath(%j, %j) is %j', (prefix, path, expected) => {
    expect(joinRoutePath(prefix, path)).toBe(expected);
  });

  it.each([
    ['GET', 'GET', true],
    ['GET', 'HEAD', true],
    ['HEAD', 'GET', false],
    ['*', 'DELETE', true],
    ['POST', 'GET', false],
  ])('a registered %s serves a declared %s: %s', (registered, declared, expected) => {
    expect(serves(registered, declared)).toBe(expected);
  });

  it.each([
    ['GET', 'GET', true],
    ['GET', 'HEAD', true],
    ['POST', '*', true],
    ['HEAD', 'GET', false],
    ['GET', 'POST', false],
  ])('a declared %s covers a registered %s: %s', (declared, registered, expected) => {
    expect(covers(declared, registered)).toBe(expected);
  });
});

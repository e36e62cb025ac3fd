import { describe, expect, it } from 'vitest';
import {
  blessedRunPaths,
  dockerfileStart,
  packageScripts,
  parseJsonc,
  procfileProcesses,
  readBuildRoots,
  renderBlueprint,
  runsOneOf,
  shellSegments,
  traceCommand,
  type RepositoryReader,
} from '../../cli/verify/start-commands.js';

/** An in-memory repository. */
function repo(files: Record<string, string>): RepositoryReader {
  return { exists: (file) => file in files, readText: (file) => files[file] };
}

describe('shellSegments', () => {
  it.each([
    ['node dist/main.js', [['node', 'dist/main.js']]],
    ['npm run build && node dist/main.js', [['npm', 'run', 'build'], ['node', 'dist/main.js']]],
    ['a; b || c | d & e', [['a'], ['b'], ['c'], ['d'], ['e']]],
    [`sh -c "node 'dist/a b.js' && echo \\"ok\\""`, [['sh', '-c', `node 'dist/a b.js' && echo "ok"`]]],
    ['node main.js > out.log 2>&1', [['node', 'main.js']]],
    ['node main.js 2> err.log', [['node', 'main.js']]],
    ['node \\\n  main.js # the bot', [['node', 'main.js']]],
    ['# only a comment\nexec node main.js "$@"', [['exec', 'node', 'main.js', '$@']]],
    ['node $(dirname $0)/main.js', [['node', '$(dirname $0)/main.js']]],
    ['(cd app && node main.js)', [['cd', 'app'], ['node', 'main.js']]],
  ])('%j', (command, expected) => {
    expect(shellSegments(command)).toEqual(expected);
  });
});

describe('traceCommand', () => {
  const files = repo({
    'package.json': JSON.stringify({
      main: 'dist/main.js',
      scripts: {
        start: 'node dist/main.js',
        serve: 'npm start',
        loop: 'npm run loop',
        both: 'npm run migrate && npm start',
        migrate: 'node dist/migrate.js',
      },
    }),
    'app/package.json': JSON.stringify({ scripts: { start: 'tsx index.ts' } }),
    'scripts/start.sh': '#!/bin/sh\nset -e\nexec node dist/main.js\n',
    'legacy/server.js': '',
  });
  const files_ = (command: string | string[], options = {}) => traceCommand(command, files, options).files;

  it.each([
    ['node dist/main.js', ['dist/main.js']],
    ['node ./dist/../dist/main.js', ['dist/main.js']],
    ['node --enable-source-maps --import tsx src/main.ts', ['src/main.ts']],
    ['node -r dotenv/config --env-file .env dist/main.js', ['dist/main.js']],
    ['node --import=tsx src/main.ts', ['src/main.ts']],
    ['node -e "require(\'./x\')"', []],
    ['node', []],
    ['node .', ['dist/main.js']],
    ['tsx watch src/main.ts', ['src/main.ts']],
    ['tsx --tsconfig tsconfig.json src/main.ts', ['src/main.ts']],
    ['ts-node --project tsconfig.json src/main.ts', ['src/main.ts']],
    ['ts-node-dev --respawn src/main.ts', ['src/main.ts']],
    ['nodemon --watch src --exec tsx src/main.ts', ['src/main.ts']],
    ['bun run src/main.ts', ['src/main.ts']],
    ['bun src/main.ts', ['src/main.ts']],
    ['bun run start', ['dist/main.js']],
    ['deno run --allow-net src/main.ts', ['src/main.ts']],
    ['pm2-runtime start dist/main.js -i 2', ['dist/main.js']],
    ['pm2-runtime ecosystem.config.cjs', []],
    ['npx tsx src/main.ts', ['src/main.ts']],
    ['npx --yes tsx src/main.ts', ['src/main.ts']],
    ['npm exec -- tsx src/main.ts', ['src/main.ts']],
    ['npm start', ['dist/main.js']],
    ['npm run start', ['dist/main.js']],
    ['npm run-script start -- --port 3000', ['dist/main.js']],
    ['npm --silent start', ['dist/main.js']],
    ['yarn start', ['dist/main.js']],
    ['yarn serve', ['dist/main.js']],
    ['yarn tsx src/main.ts', ['src/main.ts']],
    ['pnpm start', ['dist/main.js']],
    ['pnpm run both', ['dist/migrate.js', 'dist/main.js']],
    ['node --run start', ['dist/main.js']],
    ['npm run loop', []],
    ['npm --prefix app start', ['app/index.ts']],
    ['cd app && npm start', ['app/index.ts']],
    ['cd app && node ../dist/main.js', ['dist/main.js']],
    ['NODE_ENV=production node dist/main.js', ['dist/main.js']],
    ['cross-env NODE_ENV=production node dist/main.js', ['dist/main.js']],
    ['env -u DEBUG NODE_ENV=production node dist/main.js', ['dist/main.js']],
    ['dotenv -e .env.production -- node dist/main.js', ['dist/main.js']],
    ['exec node dist/main.js', ['dist/main.js']],
    ['tini -- node dist/main.js', ['dist/main.js']],
    ['dumb-init node dist/main.js', ['dist/main.js']],
    ['gosu node node dist/main.js', ['dist/main.js']],
    ['/usr/local/bin/node dist/main.js', ['dist/main.js']],
    ['sh -c "node dist/migrate.js && exec node dist/main.js"', ['dist/migrate.js', 'dist/main.js']],
    ['bash -lc "npm start"', ['dist/main.js']],
    ['./scripts/start.sh', ['dist/main.js']],
    ['sh scripts/start.sh', ['dist/main.js']],
    ['./scripts/missing.sh', []],
    ['next start', []],
    ['python app.py', []],
  ])('%s', (command, expected) => {
    expect(files_(command)).toEqual(expected);
  });

  it('takes the words of a Dockerfile exec form as they are', () => {
    expect(files_(['node', 'dist/my main.js'])).toEqual(['dist/my main.js']);
  });

  it('maps absolute paths inside the container root back to the repository', () => {
    expect(files_(['node', '/app/dist/main.js'], { absoluteRoot: '/app' })).toEqual(['dist/main.js']);
    expect(files_(['node', '/opt/other/main.js'], { absoluteRoot: '/app' })).toEqual(['/opt/other/main.js']);
  });

  it('runs a render rootDir command in that folder', () => {
    expect(files_('npm start', { cwd: 'app' })).toEqual(['app/index.ts']);
  });

  it('falls back to server.js for a missing npm start script', () => {
    const trace = traceCommand('npm start', repo({ 'package.json': '{"scripts":{}}', 'server.js': '' }));
    expect(trace.files).toEqual(['server.js']);
    expect(traceCommand('yarn start', repo({ 'package.json': '{"scripts":{}}', 'server.js': '' })).missingScripts).toEqual([{ dir: '', name: 'start' }]);
  });

  it('records the scripts a command runs itself and the ones that are missing', () => {
    const trace = traceCommand('npm run serve && npm run nope', files);
    expect(trace.scripts).toEqual([
      { dir: '', name: 'serve' },
      { dir: '', name: 'nope' },
    ]);
    expect(trace.missingScripts).toEqual([{ dir: '', name: 'nope' }]);
  });
});

describe('build output', () => {
  it('reads outDir and rootDir through extends, comments and trailing commas', () => {
    const reader = repo({
      'tsconfig.json': '{ "extends": "./config/base", "compilerOptions": { "rootDir": "src" } }',
      'config/base.json': '{\n  // shared\n  "compilerOptions": { "outDir": "../out", /* js */ },\n}\n',
      'tsconfig.build.json': '{ "compilerOptions": { "outDir": "dist" } }',
    });
    expect(readBuildRoots(reader)).toEqual([{ outDir: 'out', rootDir: 'src' }, { outDir: 'dist' }]);
  });

  it('parses JSON with comments but keeps comment-like text inside strings', () => {
    expect(parseJsonc('{ "url": "http://x//y", /* c */ "a": [1, 2,], }')).toEqual({ url: 'http://x//y', a: [1, 2] });
    expect(parseJsonc('{ nope')).toBeUndefined();
  });

  it.each([
    ['src/main.ts', [{ outDir: 'dist', rootDir: 'src' }], ['src/main.ts', 'dist/main.js', 'build/src/main.js', 'build/main.js']],
    ['bot/main.ts', [{ outDir: 'dist', rootDir: '' }], ['bot/main.ts', 'dist/bot/main.js', 'build/bot/main.js', 'build/main.js']],
    ['src/main.mts', [], ['src/main.mts', 'dist/src/main.mjs', 'dist/main.mjs', 'build/src/main.mjs', 'build/main.mjs']],
    ['main.cts', [], ['main.cts', 'dist/main.cjs', 'build/main.cjs']],
    ['src/main.ts', [{ outDir: 'dist', rootDir: 'lib' }], ['src/main.ts', 'build/src/main.js', 'build/main.js']],
    ['src/main.py', [], ['src/main.py']],
  ])('%s with %j runs as %j', (blessed, roots, expected) => {
    expect(blessedRunPaths(blessed, roots)).toEqual(expected);
  });

  it('matches extensionless paths to a file or a folder index', () => {
    const paths = ['src/main.ts', 'dist/main.js', 'dist/bot/index.js'];
    expect(runsOneOf('dist/main.js', paths)).toBe(true);
    expect(runsOneOf('dist/main', paths)).toBe(true);
    expect(runsOneOf('dist/bot', paths)).toBe(true);
    expect(runsOneOf('dist/main.mjs', paths)).toBe(false);
    expect(runsOneOf('dist/other', paths)).toBe(false);
  });
});

describe('deploy files', () => {
  it('reads package.json scripts at their keys', () => {
    const text = '{\n\t"name": "x",\n\t"scripts": {\n\t\t"start": "node a.js",\n\t\t"serve": "node b.js"\n\t}\n}\n';
    expect(packageScripts(text)).toEqual([
      { name: 'start', label: 'script "start"', command: 'node a.js', line: 4, column: 3 },
      { name: 'serve', label: 'script "serve"', command: 'node b.js', line: 5, column: 3 },
    ]);
    expect(packageScripts('not json')).toEqual([]);
    expect(packageScripts('{"scripts": "start"}')).toEqual([]);
  });

  it('combines the final stage ENTRYPOINT and CMD the way Docker does', () => {
    const start = dockerfileStart(
      [
        'FROM node:20 AS base',
        'WORKDIR /srv',
        'ENTRYPOINT ["tini", "--"]',
        'CMD ["node", "old.js"]',
        '',
        'FROM base',
        'WORKDIR app',
        '  CMD node \\',
        '  # a comment inside the continuation',
        '    dist/main.js',
      ].join('\n'),
    );
    // The shell tokenizes the joined continuation lines, so runs of blanks do not matter.
    const singleSpaced = JSON.parse(JSON.stringify(start).replace(/ {2,}/g, ' ')) as unknown;
    expect(singleSpaced).toEqual({
      command: ['tini', '--', '/bin/sh', '-c', 'node dist/main.js'],
      entrypoint: { label: 'ENTRYPOINT', line: 3, column: 1, command: ['tini', '--'], written: '["tini", "--"]' },
      cmd: { label: 'CMD', line: 8, column: 3, command: ['/bin/sh', '-c', 'node dist/main.js'], written: 'node dist/main.js' },
      workdir: '/srv/app',
    });
  });

  it('drops an inherited CMD when a stage sets ENTRYPOINT, keeps one set in the same stage', () => {
    expect(dockerfileStart('FROM a AS base\nCMD ["x"]\nFROM base\nENTRYPOINT ["node", "main.js"]')?.command).toEqual(['node', 'main.js']);
    expect(dockerfileStart('FROM a\nCMD ["--port", "80"]\nENTRYPOINT ["node", "main.js"]')?.command).toEqual(['node', 'main.js', '--port', '80']);
    expect(dockerfileStart('FROM a\nENTRYPOINT node main.js\nCMD ["--port", "80"]')?.command).toEqual(['/bin/sh', '-c', 'node main.js']);
  });

  it('has no start when the final stage sets neither', () => {
    expect(dockerfileStart('FROM a AS build\nCMD ["node", "x.js"]\nFROM b\nRUN true')).toBeUndefined();
  });

  it('reads Procfile processes', () => {
    expect(procfileProcesses('web: node a.js\n# worker: node b.js\n\nrelease:   npm run migrate  \nbroken line\n')).toEqual([
      { type: 'web', label: 'process "web"', command: 'node a.js', line: 1, column: 1 },
      { type: 'release', label: 'process "release"', command: 'npm run migrate', line: 4, column: 1 },
    ]);
  });

  it('reads render.yaml start commands and Dockerfiles at their keys', () => {
    const blueprint = renderBlueprint(
      [
        'services:',
        '  - type: web',
        '    name: api',
        '    rootDir: app',
        '    startCommand: npm start',
        '  - name: box',
        '    type: web',
        '    runtime: docker',
        '    dockerfilePath: ./docker/Dockerfile',
        '    dockerCommand: node dist/main.js',
        'databases:',
        '  - name: db',
      ].join('\n'),
    );
    expect(blueprint).toEqual({
      commands: [
        { service: 'api', type: 'web', key: 'startCommand', label: 'service "api" startCommand', command: 'npm start', rootDir: 'app', line: 5, column: 5 },
        { service: 'box', type: 'web', key: 'dockerCommand', label: 'service "box" dockerCommand', command: 'node dist/main.js', rootDir: '', line: 10, column: 5 },
      ],
      dockerfiles: ['docker/Dockerfile'],
    });
    expect(renderBlueprint('services: [').commands).toEqual([]);
  });
});

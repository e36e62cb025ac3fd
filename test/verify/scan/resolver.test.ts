/**
 * Import resolution on real files: every specifier form the graph rules rely on, with and without
 * a tsconfig, and how specifiers that lead nowhere are classified.
 */
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { Resolution } from '../../../cli/verify/graph.js';
import { createResolver } from '../../../cli/verify/scan/resolver.js';
import { walkFiles } from '../../../cli/verify/source-files.js';
import { writeRepo } from '../harness.js';

function resolverFor(files: Record<string, string>): (from: string, specifier: string) => Resolution {
  const root = writeRepo(files);
  const config = ['tsconfig.json', 'jsconfig.json'].find((name) => name in files);
  const resolve = createResolver(ts, { root, allFiles: walkFiles(root), ...(config ? { tsconfigPath: `${root}/${config}` } : {}) });
  return (from, specifier) => resolve(from, [{ specifier, line: 1, column: 1, typeOnly: false, dynamic: false }])[0]!;
}

const local = (target: string): Resolution => ({ kind: 'local', target });
const unresolved = (target?: string): Resolution => (target === undefined ? { kind: 'unresolved' } : { kind: 'unresolved', target });
const EXTERNAL: Resolution = { kind: 'external' };

describe('resolver without a tsconfig (JS or TS repository)', () => {
  const resolve = resolverFor({
    'src/a.ts': '',
    'src/b.ts': '',
    'src/m.mts': '',
    'src/c.cts': '',
    'src/dir/index.ts': '',
    'src/View.tsx': '',
    'src/Widget.jsx': '',
    'src/data.json': '{}',
    'src/styles.css': '',
    'lib/plain.js': '',
    'lib/helper.cjs': '',
    'lib/tool.mjs': '',
    'lib/sub/index.js': '',
  });
  it.each([
    ['src/a.ts', './b', local('src/b.ts')],
    ['src/a.ts', './b.js', local('src/b.ts')],
    ['src/a.ts', './b.ts', local('src/b.ts')],
    ['src/a.ts', './m.mjs', local('src/m.mts')],
    ['src/a.ts', './c.cjs', local('src/c.cts')],
    ['src/a.ts', './dir', local('src/dir/index.ts')],
    ['src/a.ts', './dir/index.js', local('src/dir/index.ts')],
    ['src/a.ts', './View.js', local('src/View.tsx')],
    ['src/a.ts', './Widget', local('src/Widget.jsx')],
    ['src/a.ts', '../lib/plain.js', local('lib/plain.js')],
    ['lib/plain.js', './helper.cjs', local('lib/helper.cjs')],
    ['lib/plain.js', './tool.mjs', local('lib/tool.mjs')],
    ['lib/plain.js', './sub', local('lib/sub/index.js')],
    ['lib/plain.js', './plain', local('lib/plain.js')],
    ['src/a.ts', './data.json', { kind: 'asset', target: 'src/data.json' }],
    ['src/a.ts', './styles.css', { kind: 'asset', target: 'src/styles.css' }],
    ['src/a.ts', './missing.js', unresolved('src/missing.js')],
    ['src/a.ts', '../gone/thing', unresolved('gone/thing')],
    ['lib/plain.js', './helper', unresolved('lib/helper')],
    ['src/a.ts', 'node:fs', EXTERNAL],
    ['src/a.ts', 'some-package-not-installed', EXTERNAL],
    ['src/a.ts', '../../outside-the-root.js', EXTERNAL],
  ])('%s imports %s', (from, specifier, expected) => {
    expect(resolve(from, specifier)).toEqual(expected);
  });
});

describe('resolver with tsconfig paths and baseUrl', () => {
  const resolve = resolverFor({
    'tsconfig.json': JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', baseUrl: '.', paths: { '@app/*': ['src/*'], '@app/config': ['src/settings/index.ts'] } },
    }),
    'package.json': '{ "type": "module" }',
    'src/a.ts': '',
    'src/b.ts': '',
    'src/dir/index.ts': '',
    'src/settings/index.ts': '',
  });
  it.each([
    ['src/a.ts', '@app/b.js', local('src/b.ts')],
    ['src/a.ts', '@app/b', local('src/b.ts')],
    ['src/a.ts', '@app/config', local('src/settings/index.ts')],
    ['src/a.ts', './dir', local('src/dir/index.ts')],
    ['src/a.ts', 'src/b.js', local('src/b.ts')],
    ['src/a.ts', '@app/missing.js', unresolved('src/missing.js')],
    ['src/a.ts', 'src/missing.js', unresolved('src/missing.js')],
    ['src/a.ts', '@other/thing', EXTERNAL],
  ])('%s imports %s', (from, specifier, expected) => {
    expect(resolve(from, specifier)).toEqual(expected);
  });
});

describe('resolver with a baseUrl below the root', () => {
  const resolve = resolverFor({
    'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: 'src' } }),
    'src/main.ts': '',
    'src/lib/b.ts': '',
  });
  it.each([
    ['src/main.ts', 'lib/b', local('src/lib/b.ts')],
    ['src/main.ts', 'lib/missing', unresolved('src/lib/missing')],
    ['src/main.ts', 'left-pad', EXTERNAL],
  ])('%s imports %s', (from, specifier, expected) => {
    expect(resolve(from, specifier)).toEqual(expected);
  });
});

describe('resolver with a tsconfig that extends another (paths relative to the extended file)', () => {
  const resolve = resolverFor({
    'tsconfig.json': '{\n  // comments are allowed in tsconfig\n  "extends": "./config/tsconfig.base.json"\n}\n',
    'config/tsconfig.base.json': JSON.stringify({ compilerOptions: { paths: { '@app/*': ['../src/*'], '~/*': ['../lib/*'] } } }),
    'src/a.ts': '',
    'src/b.ts': '',
    'lib/util.ts': '',
  });
  it.each([
    ['src/a.ts', '@app/b', local('src/b.ts')],
    ['src/a.ts', '~/util.js', local('lib/util.ts')],
    ['src/a.ts', '~/missing.js', unresolved('lib/missing.js')],
  ])('%s imports %s', (from, specifier, expected) => {
    expect(resolve(from, specifier)).toEqual(expected);
  });
});

describe('resolver with a jsconfig.json', () => {
  const resolve = resolverFor({
    'jsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '#lib/*': ['lib/*'] } } }),
    'app/main.js': '',
    'lib/tool.js': '',
  });
  it.each([
    ['app/main.js', '#lib/tool.js', local('lib/tool.js')],
    ['app/main.js', '#lib/gone.js', unresolved('lib/gone.js')],
  ])('%s imports %s', (from, specifier, expected) => {
    expect(resolve(from, specifier)).toEqual(expected);
  });
});

describe('resolver answering a bare specifier once per package scope', () => {
  // The same `#util` means a different file in each package: resolutions are shared within a
  // scope only, whichever file asks first.
  const resolve = resolverFor({
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true } }),
    'packages/a/package.json': JSON.stringify({ name: 'a', type: 'module', imports: { '#util': './src/util-a.ts' } }),
    'packages/a/src/x.ts': '',
    'packages/a/src/deep/y.ts': '',
    'packages/a/src/util-a.ts': '',
    'packages/b/package.json': JSON.stringify({ name: 'b', type: 'module', imports: { '#util': './src/util-b.ts' } }),
    'packages/b/src/z.ts': '',
    'packages/b/src/util-b.ts': '',
    'tools/run.ts': '',
  });
  it.each([
    ['packages/a/src/x.ts', '#util', local('packages/a/src/util-a.ts')],
    ['packages/b/src/z.ts', '#util', local('packages/b/src/util-b.ts')],
    ['packages/a/src/deep/y.ts', '#util', local('packages/a/src/util-a.ts')],
    ['tools/run.ts', '#util', EXTERNAL],
  ])('%s imports %s', (from, specifier, expected) => {
    expect(resolve(from, specifier)).toEqual(expected);
  });
});

describe('resolver with moduleSuffixes (tried before the plain TypeScript file)', () => {
  const resolve = resolverFor({
    'tsconfig.json': JSON.stringify({ compilerOptions: { moduleResolution: 'Bundler', module: 'ESNext', moduleSuffixes: ['.ios', ''] } }),
    'src/a.ts': '',
    'src/view.ts': '',
    'src/view.ios.ts': '',
    'src/plain.ts': '',
  });
  it.each([
    ['src/a.ts', './view.js', local('src/view.ios.ts')],
    ['src/a.ts', './plain.js', local('src/plain.ts')],
  ])('%s imports %s', (from, specifier, expected) => {
    expect(resolve(from, specifier)).toEqual(expected);
  });
});

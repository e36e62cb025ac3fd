/**
 * The pure cycle algorithms behind no-circular-imports: Tarjan's components, the shortest cycle
 * through a node, and their use on an import graph; plus the size and speed the bench needs.
 */
import { describe, expect, it } from 'vitest';
import { findImportCycles, isCyclic, shortestCycleThrough, stronglyConnectedComponents, type Adjacency } from '../../cli/verify/cycles.js';
import { buildImportGraph, type ImportRef, type Resolution } from '../../cli/verify/graph.js';

const sortedGroups = (components: number[][]) => components.map((component) => [...component].sort((a, b) => a - b)).sort((a, b) => a[0]! - b[0]!);

describe('stronglyConnectedComponents', () => {
  it.each<[string, Adjacency, number[][]]>([
    ['empty graph', [], []],
    ['no edges', [[], []], [[0], [1]]],
    ['a chain', [[1], [2], []], [[0], [1], [2]]],
    ['a triangle', [[1], [2], [0]], [[0, 1, 2]]],
    ['a self-loop', [[0], []], [[0], [1]]],
    ['two groups joined one way', [[1], [0, 2], [3], [2]], [[0, 1], [2, 3]]],
    ['a figure eight', [[1, 3], [2], [0], [4], [0]], [[0, 1, 2, 3, 4]]],
    ['duplicate edges', [[1, 1], [0, 0]], [[0, 1]]],
  ])('%s', (_name, successors, expected) => {
    expect(sortedGroups(stronglyConnectedComponents(successors))).toEqual(expected);
  });

  it('lists a component before the components that point at it', () => {
    expect(stronglyConnectedComponents([[1], [2], []])).toEqual([[2], [1], [0]]);
  });

  it('handles a 10,000-node cycle without overflowing the stack', () => {
    const size = 10_000;
    const successors = Array.from({ length: size }, (_, node) => [(node + 1) % size]);
    const components = stronglyConnectedComponents(successors);
    expect(components).toHaveLength(1);
    expect(components[0]).toHaveLength(size);
    expect(shortestCycleThrough(successors, 0)).toHaveLength(size + 1);
  });
});

describe('isCyclic', () => {
  it.each<[string, number[], Adjacency, boolean]>([
    ['a lone node', [0], [[]], false],
    ['a self-loop', [0], [[0]], true],
    ['two nodes', [0, 1], [[1], [0]], true],
  ])('%s', (_name, component, successors, expected) => {
    expect(isCyclic(component, successors)).toBe(expected);
  });
});

describe('shortestCycleThrough', () => {
  it.each<[string, Adjacency, number, number[] | undefined]>([
    ['no cycle', [[1], []], 0, undefined],
    ['a self-loop', [[0]], 0, [0, 0]],
    ['a triangle', [[1], [2], [0]], 0, [0, 1, 2, 0]],
    // 0 → 1 → 2 → 3 → 0 is found first in edge order, but 0 → 4 → 0 is shorter.
    ['the short cycle, not the first one', [[1, 4], [2], [3], [0], [0]], 0, [0, 4, 0]],
    ['ties go to the earlier edge', [[2, 1], [0], [0]], 0, [0, 2, 0]],
    ['a cycle that does not pass through the start is not one', [[1], [2], [1]], 0, undefined],
    ['from a node in the middle', [[1], [2], [0, 1]], 2, [2, 1, 2]],
  ])('%s', (_name, successors, start, expected) => {
    expect(shortestCycleThrough(successors, start)).toEqual(expected);
  });

  it('stays inside the scope it is given', () => {
    const successors = [[1, 2], [0], [0]];
    expect(shortestCycleThrough(successors, 0, (node) => node !== 1)).toEqual([0, 2, 0]);
  });
});

function graphOf(edges: Record<string, (string | { to: string; typeOnly?: boolean; kind?: Resolution['kind'] })[]>) {
  const files = Object.keys(edges).sort();
  const refs = new Map<string, { ref: ImportRef; resolution: Resolution }[]>();
  for (const file of files) {
    refs.set(
      file,
      edges[file]!.map((edge, index) => {
        const { to, typeOnly = false, kind = 'local' } = typeof edge === 'string' ? { to: edge } : edge;
        const resolution: Resolution = kind === 'local' || kind === 'asset' ? { kind, target: to } : { kind };
        return { ref: { specifier: `./${to}`, line: index + 1, column: 1, typeOnly, dynamic: false }, resolution };
      }),
    );
  }
  return buildImportGraph(
    files,
    (file) => refs.get(file)!.map(({ ref }) => ref),
    (file) => refs.get(file)!.map(({ resolution }) => resolution),
  );
}

describe('findImportCycles', () => {
  it('reports each group once, from its first path, through the import that starts the shortest cycle', () => {
    const graph = graphOf({
      'src/d.ts': ['src/b.ts'],
      'src/b.ts': ['src/c.ts', 'src/a.ts'],
      'src/c.ts': ['src/d.ts'],
      'src/a.ts': ['src/b.ts', 'src/e.ts', 'src/b.ts'],
      'src/e.ts': [],
      'src/x.ts': ['src/y.ts'],
      'src/y.ts': ['src/x.ts', 'src/self.ts'],
      'src/self.ts': ['src/self.ts'],
    });
    expect(findImportCycles(graph).map(({ group, cycle, edge }) => ({ group, cycle, line: edge.line }))).toEqual([
      { group: ['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/d.ts'], cycle: ['src/a.ts', 'src/b.ts', 'src/a.ts'], line: 1 },
      { group: ['src/self.ts'], cycle: ['src/self.ts', 'src/self.ts'], line: 1 },
      { group: ['src/x.ts', 'src/y.ts'], cycle: ['src/x.ts', 'src/y.ts', 'src/x.ts'], line: 1 },
    ]);
  });

  it('ignores edges that do not count, that are not local, or that leave the graph', () => {
    const graph = graphOf({
      'a.ts': [{ to: 'b.ts', typeOnly: true }, { to: 'c.ts', kind: 'asset' }, 'legacy/x.ts'],
      'b.ts': ['a.ts'],
      'c.ts': ['a.ts'],
    });
    expect(findImportCycles(graph)).toHaveLength(1);
    expect(findImportCycles(graph, (edge) => !edge.typeOnly)).toEqual([]);
  });

  it('reports through the earliest import that counts', () => {
    const graph = graphOf({ 'a.ts': [{ to: 'b.ts', typeOnly: true }, 'b.ts'], 'b.ts': ['a.ts'] });
    expect(findImportCycles(graph)[0]!.edge.line).toBe(1);
    expect(findImportCycles(graph, (edge) => !edge.typeOnly)[0]!.edge.line).toBe(2);
  });

  it('handles 10,000 modules with 5 imports each without overflowing the stack', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const size = 10_000;
    const files = Array.from({ length: size }, (_, index) => `src/m${String(index).padStart(5, '0')}.ts`);
    const edges: Record<string, string[]> = {};
    for (const [index, file] of files.entries()) {
      // Mostly imports of later modules, with some back edges so that there are cycles of every size.
      edges[file] = Array.from({ length: 5 }, () => files[random() < 0.9 ? index + 1 + Math.floor(random() * (size - index - 1)) : Math.floor(random() * size)] ?? files[0]!);
    }
    const cycles = findImportCycles(graphOf(edges));
    expect(cycles.length).toBeGreaterThan(0);
  });
});

/**
 * Cycle finding on the import graph: strongly connected components (Tarjan, iterative so that a
 * 10,000-module chain cannot overflow the call stack) and the shortest cycle through one module
 * (breadth-first search). Pure functions over integer adjacency lists, so the rule, the bench and
 * anything else can share them; {@link findImportCycles} applies them to an {@link ImportGraph}.
 *
 * @example
 * ```ts
 * const successors = [[1], [2], [0], []]; // 0 → 1 → 2 → 0, and 3 alone
 * stronglyConnectedComponents(successors); // [[2, 1, 0], [3]] (order within a group is Tarjan's)
 * shortestCycleThrough(successors, 0); // [0, 1, 2, 0]
 * ```
 */
import type { ImportEdge, ImportGraph } from './graph.js';

/** `successors[node]` lists the nodes `node` points at, in edge order; duplicates are allowed. */
export type Adjacency = readonly (readonly number[])[];

/**
 * Every strongly connected component of the graph, each node in exactly one, in Tarjan's order
 * (a component comes before every component that points at it).
 */
export function stronglyConnectedComponents(successors: Adjacency): number[][] {
  const count = successors.length;
  const order = new Int32Array(count).fill(-1);
  const lowLink = new Int32Array(count);
  const nextSuccessor = new Int32Array(count);
  const onStack = new Uint8Array(count);
  const stack: number[] = [];
  const path: number[] = [];
  const components: number[][] = [];
  let visited = 0;

  const enter = (node: number) => {
    order[node] = visited;
    lowLink[node] = visited;
    visited++;
    stack.push(node);
    onStack[node] = 1;
    path.push(node);
  };

  for (let root = 0; root < count; root++) {
    if (order[root] !== -1) continue;
    enter(root);
    while (path.length > 0) {
      const node = path[path.length - 1]!;
      const next = successors[node]!;
      if (nextSuccessor[node]! < next.length) {
        const successor = next[nextSuccessor[node]!++]!;
        if (order[successor] === -1) enter(successor);
        else if (onStack[successor] && order[successor]! < lowLink[node]!) lowLink[node] = order[successor]!;
        continue;
      }
      path.pop();
      if (lowLink[node] === order[node]) {
        const component: number[] = [];
        let member: number;
        do {
          member = stack.pop()!;
          onStack[member] = 0;
          component.push(member);
        } while (member !== node);
        components.push(component);
      }
      const caller = path[path.length - 1];
      if (caller !== undefined && lowLink[node]! < lowLink[caller]!) lowLink[caller] = lowLink[node]!;
    }
  }
  return components;
}

/** Whether a component holds a cycle: two or more nodes, or one node that points at itself. */
export function isCyclic(component: readonly number[], successors: Adjacency): boolean {
  return component.length > 1 || (component.length === 1 && successors[component[0]!]!.includes(component[0]!));
}

/**
 * The shortest cycle through `start` as the node path `[start, …, start]`, or undefined when none
 * exists. Among cycles of equal length, the one whose first step comes earliest in `start`'s edge
 * order wins, so the result is stable. `inScope` prunes the search (a cycle through `start` never
 * leaves its strongly connected component, so passing the component only saves work).
 */
export function shortestCycleThrough(successors: Adjacency, start: number, inScope: (node: number) => boolean = () => true): number[] | undefined {
  const cameFrom = new Map<number, number>([[start, start]]);
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    for (const successor of successors[node]!) {
      if (successor === start) {
        const steps: number[] = [];
        for (let at = node; at !== start; at = cameFrom.get(at)!) steps.push(at);
        return [start, ...steps.reverse(), start];
      }
      if (cameFrom.has(successor) || !inScope(successor)) continue;
      cameFrom.set(successor, node);
      queue.push(successor);
    }
  }
  return undefined;
}

/** One strongly connected group of modules, reported through its shortest cycle. */
export interface ImportCycle {
  /** Every module of the group, sorted by path (plain string order). */
  group: string[];
  /** The shortest cycle through `group[0]`, as paths: `[group[0], …, group[0]]`. */
  cycle: string[];
  /** The import in `group[0]` that takes the first step of `cycle` (the earliest one in the file). */
  edge: ImportEdge;
}

/**
 * The import cycles of a graph: one entry per strongly connected group (two or more modules, or
 * a module importing itself), ordered by the group's first path. Only edges to local files of the
 * graph for which `counts` is true take part.
 */
export function findImportCycles(graph: ImportGraph, counts: (edge: ImportEdge) => boolean = () => true): ImportCycle[] {
  const files = graph.files;
  const indexOf = new Map<string, number>();
  for (let index = 0; index < files.length; index++) indexOf.set(files[index]!, index);
  const successors: number[][] = files.map(() => []);
  // One indexed pass over the flat edge list: this loop is most of the rule's time on a big repository.
  const edges = graph.edges;
  let from: string | undefined;
  let fromSuccessors: number[] | undefined;
  for (let index = 0; index < edges.length; index++) {
    const edge = edges[index]!;
    const resolution = edge.resolution;
    if (resolution.kind !== 'local' || !counts(edge)) continue;
    const target = indexOf.get(resolution.target);
    if (target === undefined) continue;
    if (edge.from !== from) {
      from = edge.from;
      const fromIndex = indexOf.get(from);
      fromSuccessors = fromIndex === undefined ? undefined : successors[fromIndex];
    }
    fromSuccessors?.push(target);
  }

  const componentOf = new Int32Array(files.length).fill(-1);
  const cycles: ImportCycle[] = [];
  stronglyConnectedComponents(successors).forEach((component, componentIndex) => {
    if (!isCyclic(component, successors)) return;
    for (const node of component) componentOf[node] = componentIndex;
    const group = component.map((node) => files[node]!).sort(byPath);
    const first = indexOf.get(group[0]!)!;
    const path = shortestCycleThrough(successors, first, (node) => componentOf[node] === componentIndex)!;
    const cycle = path.map((node) => files[node]!);
    const edge = graph
      .edgesFrom(cycle[0]!)
      .find((candidate) => candidate.resolution.kind === 'local' && candidate.resolution.target === cycle[1] && counts(candidate))!;
    cycles.push({ group, cycle, edge });
  });
  return cycles.sort((a, b) => byPath(a.group[0]!, b.group[0]!));
}

function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

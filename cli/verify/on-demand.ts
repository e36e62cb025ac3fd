/**
 * The facts of a rule with `onDemand` (rule.ts): what `scanFile` recorded, plus the facts of the
 * files those lead to through the import graph, described only when reached. A cold run of a
 * large repository then describes the handful of builder modules its sends and routes use, not
 * every exported function of every file.
 */
import type { ImportGraph } from './graph.js';
import { specifiersIn, type AnyRule } from './rule.js';

export interface DemandInput {
  rule: AnyRule;
  /** The files the code rules see, in order. */
  files: readonly string[];
  graph: ImportGraph;
  /** The facts `scanFile` recorded for a file. */
  scanned(file: string): readonly unknown[];
  /** A reached file's described fact (from the cache or by parsing it); undefined when it has none. */
  describe(file: string): unknown;
}

export function factsWithDemand({ rule, files, graph, scanned, describe }: DemandInput): { file: string; fact: unknown }[] {
  const onDemand = rule.onDemand;
  const factsOf = new Map<string, readonly unknown[]>();
  for (const file of files) {
    const facts = scanned(file);
    if (facts.length > 0) factsOf.set(file, facts);
  }
  if (!onDemand) return files.flatMap((file) => (factsOf.get(file) ?? []).map((fact) => ({ file, fact })));

  const inScope = new Set(files);
  const reached = new Set<string>();
  const queue: string[] = [];
  const follow = (file: string, specifiers: Iterable<string>) => {
    const wanted = new Set(specifiers);
    if (wanted.size === 0) return;
    for (const edge of graph.edgesFrom(file)) {
      if (edge.resolution.kind !== 'local' || !wanted.has(edge.specifier)) continue;
      const target = edge.resolution.target;
      if (reached.has(target) || !inScope.has(target)) continue;
      reached.add(target);
      queue.push(target);
    }
  };

  for (const [file, facts] of factsOf) for (const fact of facts) follow(file, onDemand.seeds(fact));
  for (let index = 0; index < queue.length; index++) {
    const next = queue[index]!;
    let facts = factsOf.get(next);
    if (!facts) {
      const fact = describe(next);
      if (fact === undefined) continue;
      facts = [fact];
      factsOf.set(next, facts);
    }
    for (const fact of facts) follow(next, specifiersIn(fact));
  }
  return files.flatMap((file) => (factsOf.get(file) ?? []).map((fact) => ({ file, fact })));
}

/**
 * Facts described on demand: which files the engine describes, from which seeds, and that a
 * file no chain reaches is never described.
 */
import { describe, expect, it } from 'vitest';
import { buildImportGraph, type Resolution } from '../../cli/verify/graph.js';
import { factsWithDemand } from '../../cli/verify/on-demand.js';
import { defineRule, specifiersIn } from '../../cli/verify/rule.js';

interface Fact {
  starts?: string[];
  uses?: { specifier: string }[];
}

/** Files, each with the specifiers it imports (every one resolving to `<specifier>.ts`). */
function graphOf(imports: Record<string, string[]>) {
  const files = Object.keys(imports).sort();
  const local = (specifier: string): Resolution => ({ kind: 'local', target: `${specifier}.ts` });
  return buildImportGraph(
    files,
    (file) => imports[file]!.map((specifier) => ({ specifier, line: 1, column: 1, typeOnly: false, dynamic: false })),
    (file) => imports[file]!.map(local),
  );
}

const rule = defineRule<Record<string, never>, Fact>({
  id: 'demo',
  description: 'demo',
  defaultSeverity: 'error',
  optionsSchema: {},
  defaultOptions: {},
  onDemand: { seeds: (fact) => fact.starts ?? [], describe: () => undefined },
});

describe('factsWithDemand', () => {
  const graph = graphOf({
    'send.ts': ['texts', 'db'],
    'texts.ts': ['format', 'unused'],
    'format.ts': [],
    'unused.ts': [],
    'db.ts': ['pool'],
    'pool.ts': [],
    'lonely.ts': ['format'],
  });
  const described: Record<string, Fact | undefined> = {
    'texts.ts': { uses: [{ specifier: 'format' }] },
    'format.ts': {},
    'db.ts': { uses: [{ specifier: 'pool' }] },
    'pool.ts': {},
    'lonely.ts': { uses: [{ specifier: 'format' }] },
  };

  /** Runs the demand over `files` and returns the facts and the files it asked to describe, in order. */
  const demand = (scanned: (file: string) => Fact[], files: readonly string[] = graph.files) => {
    const asked: string[] = [];
    const facts = factsWithDemand({
      rule,
      files,
      graph,
      scanned,
      describe: (file) => {
        asked.push(file);
        return described[file];
      },
    });
    return { asked, facts };
  };

  it('describes the files the seeds lead to, and those their facts lead to, once each', () => {
    const { asked, facts } = demand((file) => (file === 'send.ts' ? [{ starts: ['texts'] }] : []));
    expect(asked).toEqual(['texts.ts', 'format.ts']);
    expect(facts.map(({ file }) => file)).toEqual(['format.ts', 'send.ts', 'texts.ts']);
  });

  it('describes nothing when no scanned fact starts a chain', () => {
    const { asked, facts } = demand((file) => (file === 'send.ts' ? [{ uses: [{ specifier: 'db' }] }] : []));
    expect(asked).toEqual([]);
    expect(facts).toEqual([{ file: 'send.ts', fact: { uses: [{ specifier: 'db' }] } }]);
  });

  it('follows a reached file that has scanned facts of its own without describing it', () => {
    const { asked } = demand((file) => (file === 'send.ts' ? [{ starts: ['db'] }] : file === 'db.ts' ? [{ uses: [{ specifier: 'pool' }] }] : []));
    expect(asked).toEqual(['pool.ts']);
  });

  it('leaves files outside the rule’s files alone', () => {
    const { asked } = demand(() => [{ starts: ['texts'] }], ['send.ts']);
    expect(asked).toEqual([]);
  });
});

describe('specifiersIn', () => {
  it('finds every specifier string, however deep', () => {
    const fact = { calls: [{ ref: { kind: 'import', specifier: './a.js' } }], reExports: [{ specifier: './b.js' }], nested: { list: [[{ specifier: './a.js' }]] }, specifier: 3 };
    expect([...specifiersIn(fact)].sort()).toEqual(['./a.js', './b.js']);
  });
});

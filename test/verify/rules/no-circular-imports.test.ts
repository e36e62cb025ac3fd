import { describe, expect, it } from 'vitest';
import { ruleFindings, verifyFixture } from '../harness.js';

const RULE = 'no-circular-imports';

describe(RULE, () => {
  it.each([
    ['good/acyclic', []],
    ['good/type-only-excluded', []],
    ['good/dynamic-excluded', []],
    ['good/unresolved-off', []],
    ['bad/relative-specifiers', [{ file: 'src/a.ts', line: 2, column: 1 }]],
    ['bad/esm-js-specifiers', [{ file: 'src/clock.ts', line: 1, column: 1 }]],
    ['bad/mts-specifiers', [{ file: 'lib/format.mts', line: 2, column: 1 }]],
    ['bad/index-files', [{ file: 'src/app.ts', line: 1, column: 1 }]],
    ['bad/tsconfig-paths', [{ file: 'src/audit/log.ts', line: 1, column: 1 }]],
    ['bad/tsconfig-baseurl', [{ file: 'src/billing/invoice.ts', line: 1, column: 1 }]],
    ['bad/tsconfig-extends', [{ file: 'app/cart.ts', line: 1, column: 1 }]],
    ['bad/export-from', [{ file: 'src/index.ts', line: 1, column: 1 }]],
    ['bad/type-only-imports', [{ file: 'src/team.ts', line: 1, column: 1 }]],
    [
      'bad/dynamic-import-and-require',
      [
        { file: 'lib/one.cjs', line: 2, column: 13 },
        { file: 'src/lazy/panel.ts', line: 2, column: 28 },
      ],
    ],
    [
      'bad/js-only-no-tsconfig',
      [
        { file: 'lib/config.js', line: 1, column: 59 },
        { file: 'lib/routes/index.js', line: 1, column: 1 },
        { file: 'scripts/task.mjs', line: 1, column: 1 },
      ],
    ],
    // a → b → c → d → a comes first in the file, a → e → a is shorter: the finding is on line 2.
    ['bad/shortest-cycle', [{ file: 'src/a.ts', line: 2, column: 1 }]],
    [
      'bad/two-groups',
      [
        { file: 'src/orders/line.ts', line: 1, column: 1 },
        { file: 'src/users/profile.ts', line: 3, column: 1 },
      ],
    ],
    ['bad/self-import', [{ file: 'src/helper.ts', line: 3, column: 3 }]],
    [
      'bad/unresolved-local',
      [
        { file: 'src/main.ts', line: 1, column: 1 },
        { file: 'src/main.ts', line: 3, column: 1 },
      ],
    ],
  ])('%s', async (fixture, expected) => {
    expect(await ruleFindings(RULE, `${RULE}/${fixture}`)).toEqual(expected);
  });

  it('gives the shortest cycle as a chain and the size of the whole group', async () => {
    const { findings } = await verifyFixture(`${RULE}/bad/shortest-cycle`, { rules: [RULE] });
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain('src/a.ts → src/e.ts → src/a.ts');
    expect(findings[0]!.message).toContain('5 modules in this cycle group');
  });

  it('reports cycles at the rule severity and unresolved imports as warnings', async () => {
    const { findings: cycles } = await verifyFixture(`${RULE}/bad/relative-specifiers`, { rules: [RULE] });
    expect(cycles.map(({ severity }) => severity)).toEqual(['error']);
    const { findings: unresolved, summary } = await verifyFixture(`${RULE}/bad/unresolved-local`, { rules: [RULE] });
    expect(unresolved.map(({ severity }) => severity)).toEqual(['warn', 'warn']);
    expect(summary.errors).toBe(0);
  });

  it('never raises a finding above the severity truth.yaml configures', async () => {
    const { findings } = await verifyFixture(`${RULE}/bad/configured-warn`, { rules: [RULE] });
    expect(findings.map(({ file, line, severity }) => ({ file, line, severity }))).toEqual([
      { file: 'src/a.ts', line: 1, severity: 'warn' },
      { file: 'src/a.ts', line: 2, severity: 'warn' },
    ]);
  });
});

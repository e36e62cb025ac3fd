import { describe, expect, it } from 'vitest';
import { ruleFindings, verifyFixture } from '../harness.js';

const RULE = 'quarantine-boundary';

describe(RULE, () => {
  it.each([
    ['good/inside-quarantine-and-near-misses', []],
    ['good/no-quarantine-configured', []],
    ['good/type-only-allowed', []],
    [
      'bad/all-import-forms',
      [
        { file: 'src/app.ts', line: 1, column: 1 },
        { file: 'src/app.ts', line: 2, column: 1 },
        { file: 'src/app.ts', line: 3, column: 1 },
        { file: 'src/app.ts', line: 4, column: 1 },
        { file: 'src/app.ts', line: 7, column: 24 },
        { file: 'src/rates.ts', line: 1, column: 1 },
        { file: 'src/tool.cjs', line: 2, column: 16 },
        { file: 'src/types.ts', line: 1, column: 19 },
      ],
    ],
    ['bad/folder-index', [{ file: 'src/main.ts', line: 2, column: 1 }]],
    [
      'bad/deleted-target',
      [
        { file: 'src/app.ts', line: 1, column: 1 },
        { file: 'src/app.ts', line: 2, column: 1 },
        { file: 'src/lazy.js', line: 1, column: 28 },
      ],
    ],
    [
      'bad/path-alias-into-old',
      [
        { file: 'app/server.ts', line: 1, column: 1 },
        { file: 'app/server.ts', line: 2, column: 1 },
        { file: 'app/server.ts', line: 4, column: 1 },
      ],
    ],
    ['bad/allow-type-only-still-blocks-values', [{ file: 'src/user.ts', line: 2, column: 1 }]],
  ])('%s', async (fixture, expected) => {
    expect(await ruleFindings(RULE, `${RULE}/${fixture}`)).toEqual(expected);
  });

  it('names the quarantined file, and says when it no longer exists', async () => {
    const { findings } = await verifyFixture(`${RULE}/bad/deleted-target`, { rules: [RULE] });
    expect(findings[0]!.message).toContain('legacy/gone.js, which no longer exists');
    expect(findings.every(({ severity }) => severity === 'error')).toBe(true);
  });
});

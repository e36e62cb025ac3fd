import { describe, expect, it } from 'vitest';
import { ruleFindings } from '../harness.js';

const RULE = 'no-wildcard-imports';

describe(RULE, () => {
  it.each([
    ['good/named-only', []],
    ['good/allowed-namespace', []],
    [
      'bad/all-three-forms',
      [
        { file: 'src/index.ts', line: 1, column: 1 },
        { file: 'src/index.ts', line: 2, column: 1 },
        { file: 'src/index.ts', line: 3, column: 1 },
      ],
    ],
  ])('%s', async (fixture, expected) => {
    expect(await ruleFindings(RULE, `${RULE}/${fixture}`)).toEqual(expected);
  });
});

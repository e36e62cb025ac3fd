import { describe, expect, it } from 'vitest';
import undeclaredEnv from '../../../cli/verify/rules/undeclared-env.js';
import { ruleFindings } from '../harness.js';

const RULE = 'undeclared-env';

describe(RULE, () => {
  it.each([
    ['good/declared-and-runtime', []],
    ['good/no-env-section', []],
    [
      'bad/undeclared-reads',
      [
        { file: 'app/flags.cjs', line: 5, column: 12 },
        { file: 'app/flags.cjs', line: 6, column: 34 },
        { file: 'app/flags.cjs', line: 8, column: 18 },
        { file: 'app/modern.mjs', line: 3, column: 27 },
        { file: 'app/server.js', line: 2, column: 30 },
        { file: 'app/server.js', line: 3, column: 21 },
        { file: 'app/server.js', line: 4, column: 33 },
        { file: 'app/server.js', line: 10, column: 13 },
        { file: 'app/worker.mts', line: 2, column: 11 },
      ],
    ],
    [
      'bad/dynamic-reads-reported',
      [
        { file: 'src/config.ts', line: 3, column: 55 },
        { file: 'src/config.ts', line: 7, column: 36 },
      ],
    ],
    ['bad/custom-ignore', [{ file: 'src/index.ts', line: 3, column: 40 }]],
  ])('%s', async (fixture, expected) => {
    expect(await ruleFindings(RULE, `${RULE}/${fixture}`)).toEqual(expected);
  });

  it('ignores the runtime variables trt itself reads, and leaves dynamic reads alone, by default', () => {
    expect(undeclaredEnv.defaultOptions.ignore).toEqual(expect.arrayContaining(['NODE_ENV', 'CI', 'NO_COLOR', 'FORCE_COLOR', 'npm_*', 'VITEST*']));
    expect(undeclaredEnv.defaultOptions.reportDynamic).toBe(false);
  });
});

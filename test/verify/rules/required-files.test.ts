import { describe, expect, it } from 'vitest';
import { verify } from '../../../cli/verify/engine.js';
import { ruleFindings, writeRepo } from '../harness.js';

const RULE = 'required-files';

describe(RULE, () => {
  it.each([
    ['good/all-present', []],
    ['good/no-required-files', []],
    [
      'bad/missing-and-empty',
      [
        { file: 'NOTES.md', line: 1, column: 1 },
        { file: 'README.md', line: 1, column: 1 },
        { file: 'docs/adr', line: 1, column: 1 },
        { file: 'docs/guide.md', line: 1, column: 1 },
        { file: 'handbook', line: 1, column: 1 },
      ],
    ],
  ])('%s', async (fixture, expected) => {
    expect(await ruleFindings(RULE, `${RULE}/${fixture}`)).toEqual(expected);
  });

  it('accepts a listed folder with one non-empty file, and reports blank files at error severity', async () => {
    const root = writeRepo({
      'product/truth.yaml': 'version: 1\nrequired_files:\n  - kb/a.md\n  - kb/b.md\n  - kb/c.md\n  - kb\n',
      'kb/b.md': '\n \n',
      'kb/c.md': '# C\n',
    });
    const result = await verify({ root, rules: [RULE], cache: false, workers: 0 });
    expect(result.findings.map(({ rule, severity, file, line, column }) => ({ rule, severity, file, line, column }))).toEqual([
      { rule: RULE, severity: 'error', file: 'kb/a.md', line: 1, column: 1 },
      { rule: RULE, severity: 'error', file: 'kb/b.md', line: 1, column: 1 },
    ]);
  });
});

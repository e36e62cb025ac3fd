import { describe, expect, it } from 'vitest';
import { deploymentFileKind, dockerfileNames, dotenvNames, renderBlueprint } from '../../../cli/verify/scan/env-files.js';
import { ruleFindings } from '../harness.js';

const RULE = 'forbidden-env';

describe(RULE, () => {
  it.each([
    ['good/near-misses', []],
    ['good/no-forbidden-list', []],
    [
      'bad/code-reads-every-form',
      [
        { file: 'src/config.ts', line: 2, column: 29 },
        { file: 'src/config.ts', line: 3, column: 27 },
        { file: 'src/config.ts', line: 4, column: 31 },
        { file: 'src/config.ts', line: 5, column: 34 },
        { file: 'src/config.ts', line: 6, column: 32 },
        { file: 'src/config.ts', line: 7, column: 42 },
        { file: 'src/config.ts', line: 8, column: 9 },
        { file: 'src/config.ts', line: 9, column: 9 },
        { file: 'src/config.ts', line: 11, column: 4 },
        { file: 'src/config.ts', line: 12, column: 34 },
        { file: 'src/config.ts', line: 13, column: 35 },
        { file: 'src/config.ts', line: 14, column: 21 },
        { file: 'src/config.ts', line: 15, column: 45 },
        { file: 'src/config.ts', line: 16, column: 45 },
        { file: 'src/config.ts', line: 17, column: 41 },
      ],
    ],
    [
      'bad/aliases-and-writes',
      [
        { file: 'app/legacy.cjs', line: 4, column: 13 },
        { file: 'app/legacy.cjs', line: 5, column: 20 },
        { file: 'app/legacy.cjs', line: 7, column: 33 },
        { file: 'app/settings.mjs', line: 3, column: 28 },
        { file: 'app/settings.mjs', line: 6, column: 22 },
        { file: 'app/settings.mjs', line: 10, column: 10 },
        { file: 'app/typed.ts', line: 2, column: 14 },
        { file: 'app/typed.ts', line: 5, column: 73 },
        { file: 'app/typed.ts', line: 6, column: 34 },
      ],
    ],
    [
      'bad/deployment-files',
      [
        { file: '.env.example', line: 3, column: 1 },
        { file: '.env.example', line: 4, column: 8 },
        { file: '.env.example', line: 5, column: 3 },
        { file: '.env.template', line: 2, column: 3 },
        { file: 'Dockerfile', line: 2, column: 14 },
        { file: 'deploy/Dockerfile', line: 2, column: 5 },
        { file: 'deploy/Dockerfile', line: 4, column: 5 },
        { file: 'deploy/Dockerfile', line: 5, column: 5 },
        { file: 'render.yaml', line: 9, column: 14 },
        { file: 'render.yaml', line: 14, column: 17 },
      ],
    ],
    [
      'bad/extra-files-option',
      [
        { file: 'config/staging.env', line: 2, column: 1 },
        { file: 'docker/bot.Dockerfile', line: 2, column: 15 },
      ],
    ],
  ])('%s', async (fixture, expected) => {
    expect(await ruleFindings(RULE, `${RULE}/${fixture}`)).toEqual(expected);
  });
});

describe('dotenvNames', () => {
  it.each([
    ['X=1', [{ name: 'X', line: 1, column: 1 }]],
    ['  export X=1', [{ name: 'X', line: 1, column: 10 }]],
    ['X: 1', [{ name: 'X', line: 1, column: 1 }]],
    ['#X=1\n#  Y=2', [{ name: 'X', line: 1, column: 2 }, { name: 'Y', line: 2, column: 4 }]],
    ['# X is gone\n# Note: nothing', []],
    ['A="one\nB=2\n"\nC=3', [{ name: 'A', line: 1, column: 1 }, { name: 'C', line: 4, column: 1 }]],
    ["A='it\\'s'\nB=2", [{ name: 'A', line: 1, column: 1 }, { name: 'B', line: 2, column: 1 }]],
    ['A="x\\"\nB=2\n"\r\nC=1', [{ name: 'A', line: 1, column: 1 }, { name: 'C', line: 4, column: 1 }]],
  ])('%j', (text, expected) => {
    expect(dotenvNames(text)).toEqual(expected);
  });
});

describe('dockerfileNames', () => {
  it.each([
    ['ENV A=1 B="two words" C=3', ['A:1:5', 'B:1:9', 'C:1:23']],
    ['ENV A one two', ['A:1:5']],
    ['env A=1 \\\n  # a comment\n\n  B=2', ['A:1:5', 'B:4:3']],
    ['ARG A\nARG B=default C', ['A:1:5', 'B:2:5', 'C:2:15']],
    ['RUN echo \\\n  ENV A=1\nENV B=2', ['B:3:5']],
    ['LABEL x="ENV A=1"\n# ENV B=1\nCMD ["env", "C=1"]', []],
    ['ENV A=a\\ b B=2', ['A:1:5', 'B:1:12']],
    ['# a note \\\nENV A=1', ['A:2:5']],
  ])('%j', (text, expected) => {
    expect(dockerfileNames(text).map(({ name, line, column }) => `${name}:${line}:${column}`)).toEqual(expected);
  });
});

describe('renderBlueprint', () => {
  it('finds envVars keys everywhere and the Dockerfile paths', () => {
    const text = [
      'services:',
      '  - type: web',
      '    rootDir: bot',
      '    dockerfilePath: ./Dockerfile',
      '    envVars:',
      "      - key: 'A'",
      '      - fromGroup: shared',
      '  - type: worker',
      '    dockerfilePath: worker/Dockerfile',
      'envVarGroups:',
      '  - name: shared',
      '    envVars: [{ key: B, value: x }, { value: key }]',
      'notes: { key: C }',
    ].join('\n');
    expect(renderBlueprint(text)).toEqual({
      names: [
        { name: 'A', line: 6, column: 15 },
        { name: 'B', line: 12, column: 22 },
      ],
      dockerfiles: [{ path: './Dockerfile', rootDir: 'bot' }, { path: 'worker/Dockerfile' }],
    });
  });
});

describe('deploymentFileKind', () => {
  it.each([
    ['Dockerfile', 'dockerfile'],
    ['deploy/Dockerfile.prod', 'dockerfile'],
    ['docker/bot.Dockerfile', 'dockerfile'],
    ['Containerfile', 'dockerfile'],
    ['render.yaml', 'render'],
    ['deploy/render.yml', 'render'],
    ['.env.example', 'dotenv'],
    ['config/staging.env', 'dotenv'],
  ])('%s is %s', (file, kind) => {
    expect(deploymentFileKind(file)).toBe(kind);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { valuesOf, type ValueFact } from '../../../cli/verify/scan/returned-objects.js';
import { ruleFindings } from '../harness.js';

const RULE = 'health-contract';
const ROOT = join(import.meta.dirname, '..', '..', '..');

describe(RULE, () => {
  it.each([
    ['good/inline-handler', []],
    ['good/imported-builder', []],
    ['good/spread-body', []],
    ['good/no-health-route', []],
    [
      'bad/string-numbers',
      [
        { file: 'src/main.ts', line: 10, column: 5 },
        { file: 'src/main.ts', line: 11, column: 5 },
        { file: 'src/main.ts', line: 12, column: 5 },
        { file: 'src/main.ts', line: 13, column: 5 },
        { file: 'src/main.ts', line: 14, column: 5 },
        { file: 'src/main.ts', line: 15, column: 5 },
        { file: 'src/main.ts', line: 16, column: 5 },
        { file: 'src/main.ts', line: 17, column: 5 },
        { file: 'src/main.ts', line: 19, column: 5 },
        { file: 'src/main.ts', line: 21, column: 7 },
        { file: 'src/main.ts', line: 23, column: 7 },
        { file: 'src/main.ts', line: 28, column: 7 },
      ],
    ],
    [
      'bad/missing-and-extra',
      [
        { file: 'src/health.ts', line: 8, column: 26 },
        { file: 'src/health.ts', line: 8, column: 45 },
        { file: 'src/snapshot.ts', line: 6, column: 10 },
        { file: 'src/snapshot.ts', line: 16, column: 5 },
        { file: 'src/snapshot.ts', line: 17, column: 12 },
      ],
    ],
    [
      'bad/imported-builder',
      [
        { file: 'src/health/build.ts', line: 17, column: 5 },
        { file: 'src/health/build.ts', line: 22, column: 5 },
      ],
    ],
    ['bad/spread-body', [{ file: 'src/main.ts', line: 10, column: 34 }]],
    ['bad/unseen-body', [{ file: 'src/main.ts', line: 5, column: 9 }]],
    [
      'bad/custom-schema',
      [
        { file: 'src/main.ts', line: 7, column: 3 },
        { file: 'src/main.ts', line: 8, column: 3 },
      ],
    ],
    ['bad/missing-configured-schema', [{ file: 'product/truth.yaml', line: 8, column: 9 }]],
  ])('%s', async (fixture, expected) => {
    expect(await ruleFindings(RULE, `${RULE}/${fixture}`)).toEqual(expected);
  });
});

describe('schemas/health.schema.json', () => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/health.schema.json'), 'utf8')) as object;
  const validate = new Ajv2020({ strict: true, allowUnionTypes: true }).compile(schema);
  const body = {
    status: 'ok',
    version: '0.1.0',
    uptime_s: 12.5,
    active: true,
    lock_state: 'ACTIVE',
    lock_holder_pid: 4242,
    lock_idle_s: null,
    lock_heartbeat_age_s: 3,
    db_schema_ready: true,
    migrations_applied: 4,
    queue: {
      depth: 0,
      capacity: 10000,
      utilization_pct: 0,
      total_received: 10,
      total_processed: 10,
      total_duplicates: 1,
      total_rejected: 0,
      backpressure_active: false,
    },
  };

  it('accepts the body SPEC §8 describes', () => {
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ['a number sent as a string', { ...body, lock_idle_s: '54.09' }],
    ['an unknown status', { ...body, status: 'fine' }],
    ['a missing field', { ...body, uptime_s: undefined }],
    ['an unknown field', { ...body, hostname: 'x' }],
    ['a queue counter sent as a string', { ...body, queue: { ...body.queue, depth: '0' } }],
    ['a queue without backpressure_active', { ...body, queue: { ...body.queue, backpressure_active: undefined } }],
  ])('rejects %s', (_name, candidate) => {
    expect(validate(JSON.parse(JSON.stringify(candidate)))).toBe(false);
  });
});

describe('valuesOf', () => {
  const valuesIn = (source: string): ValueFact[] => {
    const file = ts.createSourceFile('probe.ts', `const limit = 3;\nconst probe = ${source};`, ts.ScriptTarget.Latest, true);
    const statement = file.statements[1] as ts.VariableStatement;
    return valuesOf(ts, statement.declarationList.declarations[0]!.initializer!, 0);
  };

  it.each<[string, ValueFact[]]>([
    ["'54.09'", [{ type: 'string', literal: '54.09', via: 'a string literal' }]],
    ['`${limit}`', [{ type: 'string', via: 'a template literal' }]],
    ['idle.toFixed(2)', [{ type: 'string', via: '`.toFixed()`' }]],
    ['String(idle)', [{ type: 'string', via: '`String()`' }]],
    ["'n' + idle", [{ type: 'string', via: 'string concatenation' }]],
    ['10n', [{ type: 'bigint', via: 'the BigInt literal 10n' }]],
    ['BigInt(idle)', [{ type: 'bigint', via: '`BigInt()`' }]],
    ['-1', [{ type: 'number', literal: -1 }]],
    ['Math.round(idle * 100) / 100', [{ type: 'number' }]],
    ['Number(row.n)', [{ type: 'number' }]],
    ['limit', [{ type: 'number', literal: 3 }]],
    ['idle ?? null', [{}, { type: 'null' }]],
    ["ok ? 'ACTIVE' : 'PASSIVE'", [{ type: 'string', literal: 'ACTIVE', via: 'a string literal' }, { type: 'string', literal: 'PASSIVE', via: 'a string literal' }]],
    ['depth >= capacity', [{ type: 'boolean' }]],
    ['undefined', [{ type: 'undefined' }]],
    ['(row.n as unknown as number)', [{}]],
    ['row.idle', [{}]],
  ])('%s', (source, expected) => {
    expect(valuesIn(source)).toEqual(expected);
  });
});

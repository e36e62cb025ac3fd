import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { healthProblems } from '../../cli/smoke/health-problems.js';
import { REPO } from '../cli/run.js';

interface HealthSchema {
  required: string[];
  properties: { status: { enum: string[] }; queue: { required: string[] } };
}

const schema = JSON.parse(readFileSync(join(REPO, 'schemas', 'health.schema.json'), 'utf8')) as HealthSchema;
const validate = new Ajv2020({ allErrors: true, strict: false, validateFormats: false }).compile(schema);

/** A body the bot could answer, with exactly the fields the schema requires. */
function validBody(): Record<string, unknown> {
  const queue = {
    depth: 0,
    capacity: 10_000,
    utilization_pct: 0,
    total_received: 12,
    total_processed: 12,
    total_duplicates: 1,
    total_rejected: 0,
    backpressure_active: false,
  };
  return {
    status: 'ok',
    version: '0.1.0',
    uptime_s: 42.5,
    active: true,
    lock_state: 'ACTIVE',
    lock_holder_pid: 4242,
    lock_idle_s: 0.4,
    lock_heartbeat_age_s: 3.2,
    db_schema_ready: true,
    migrations_applied: 5,
    queue,
  };
}

function withField(path: string[], value: unknown): Record<string, unknown> {
  const body = validBody();
  let parent = body;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  parent[path.at(-1)!] = value;
  return body;
}

function without(field: string): Record<string, unknown> {
  const body = validBody();
  delete body[field];
  return body;
}

describe('healthProblems', () => {
  it('the valid body carries every field the schema requires', () => {
    expect(Object.keys(validBody()).sort()).toEqual([...schema.required].sort());
    expect(Object.keys(validBody().queue as object).sort()).toEqual([...schema.properties.queue.required].sort());
  });

  it('finds nothing wrong with a valid body, nulls included', () => {
    expect(healthProblems(validate, validBody())).toEqual([]);
    const unknownLock = { ...validBody(), lock_holder_pid: null, lock_idle_s: null, lock_heartbeat_age_s: null };
    expect(healthProblems(validate, unknownLock)).toEqual([]);
  });

  it('names a number sent as a string, with its value and the types expected', () => {
    expect(healthProblems(validate, withField(['lock_idle_s'], '54.09'))).toEqual(['lock_idle_s is the string "54.09", expected a number or null']);
  });

  it('names a nested field by its dotted path', () => {
    expect(healthProblems(validate, withField(['queue', 'depth'], '3'))).toEqual(['queue.depth is the string "3", expected a number']);
  });

  it('says a required field is missing', () => {
    expect(healthProblems(validate, without('migrations_applied'))).toEqual(['migrations_applied is missing']);
    const body = validBody();
    delete (body.queue as Record<string, unknown>).capacity;
    expect(healthProblems(validate, body)).toEqual(['queue.capacity is missing']);
  });

  it('says a field the schema does not know is not in it', () => {
    expect(healthProblems(validate, { ...validBody(), lock_age: 3 })).toEqual(['lock_age is not in the health schema']);
  });

  it('lists the allowed values of an enum', () => {
    const allowed = schema.properties.status.enum.map((value) => JSON.stringify(value)).join(', ');
    expect(healthProblems(validate, withField(['status'], 'fine'))).toEqual([`status is the string "fine", expected one of ${allowed}`]);
  });

  it('reports every problem of a body at once', () => {
    const body = withField(['uptime_s'], '12');
    body.lock_age = 3;
    delete body.version;
    const problems = healthProblems(validate, body);
    expect(problems).toHaveLength(3);
    expect(problems).toEqual(expect.arrayContaining(['version is missing', 'uptime_s is the string "12", expected a number', 'lock_age is not in the health schema']));
  });

  it('names the value a bound rejects', () => {
    const problems = healthProblems(validate, withField(['uptime_s'], -1));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('uptime_s');
    expect(problems[0]).toContain('-1');
  });

  it('describes a body that is not an object', () => {
    expect(healthProblems(validate, 'OK')).toEqual(['the body is the string "OK", expected an object']);
  });
});

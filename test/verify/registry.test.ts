import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../cli/verify/rules/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ruleFiles = readdirSync(join(ROOT, 'cli/verify/rules'))
  .filter((name) => name.endsWith('.ts') && name !== 'index.ts')
  .map((name) => name.slice(0, -3))
  .sort();

const SPEC_RULE_IDS = [
  'advisory-lock-int32',
  'forbidden-env',
  'health-contract',
  'no-blocking-in-async',
  'no-circular-imports',
  'no-wildcard-imports',
  'quarantine-boundary',
  'required-files',
  'single-entrypoint',
  'sql-migrations',
  'telegram-html-safety',
  'truth-routes',
  'undeclared-env',
];

describe('rule registry', () => {
  it('holds exactly the rule ids of SPEC §4, sorted, one per file', () => {
    expect(RULES.map((rule) => rule.id)).toEqual(SPEC_RULE_IDS);
    expect(ruleFiles).toEqual(SPEC_RULE_IDS);
  });

  it('accepts every rule id in the truth schema', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/truth.schema.json'), 'utf8'));
    expect(Object.keys(schema.properties.verify.properties.rules.properties).sort()).toEqual(SPEC_RULE_IDS);
  });

  describe.each(RULES.map((rule) => [rule.id, rule] as const))('%s', (id, rule) => {
    it('has a description, a severity and valid default options', () => {
      expect(rule.description.length).toBeGreaterThan(20);
      expect(['error', 'warn']).toContain(rule.defaultSeverity);
      expect(rule.scanFile ?? rule.check).toBeTypeOf('function');
      const validate = new Ajv2020({ strict: false }).compile(rule.optionsSchema);
      expect(validate(rule.defaultOptions), JSON.stringify(validate.errors)).toBe(true);
    });

    it('has a test, good and bad fixtures and a documentation page', () => {
      expect(existsSync(join(ROOT, 'test/verify/rules', `${id}.test.ts`))).toBe(true);
      const fixtures = join(ROOT, 'test/fixtures/verify', id);
      for (const kind of ['good', 'bad']) {
        expect(existsSync(join(fixtures, kind)) && readdirSync(join(fixtures, kind)).length > 0, `${kind} fixtures`).toBe(true);
      }
      const doc = readFileSync(join(ROOT, 'docs/rules', `${id}.md`), 'utf8');
      expect(doc).toMatch(new RegExp(`^# ${id}\\b`));
      for (const section of ['## What it finds', '## Why', '## How to fix', '## Options']) expect(doc).toContain(section);
    });
  });
});

/**
 * Validators for what `trt verify` prints: the report schema trt publishes, and the official
 * SARIF 2.1.0 schema kept in test/schemas (see its README for the source and the two in-memory
 * corrections applied here).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { REPO } from './run.js';

export function verifyReportValidator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(join(REPO, 'schemas', 'verify-report.schema.json'), 'utf8')) as object;
  return new Ajv2020({ allErrors: true, strict: true }).compile(schema);
}

/** `(?i)` at the start of a pattern is an inline flag JavaScript lacks: compile it as the `i` flag. */
const regExp = Object.assign(
  (pattern: string, flags: string) => (pattern.startsWith('^(?i)') ? new RegExp(`^${pattern.slice(5)}`, `${flags}i`) : new RegExp(pattern, flags)),
  { code: 'inlineCaseInsensitive' },
);

export function sarifValidator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(join(REPO, 'test', 'schemas', 'sarif-schema-2.1.0.json'), 'utf8')) as {
    definitions: { region: { properties: Record<string, unknown>; anyOf?: unknown } };
  };
  const region = schema.definitions.region;
  region.anyOf = region.properties.anyOf;
  delete region.properties.anyOf;

  const ajv = new Ajv2020({ allErrors: true, strict: false, code: { regExp } });
  ajv.addFormat('uri', (value: string) => /^[A-Za-z][A-Za-z0-9+.-]*:/.test(value) && URL.canParse(value));
  ajv.addFormat('uri-reference', (value: string) => !/[\s\\]/.test(value) && URL.canParse(value, 'file:///base/'));
  ajv.addFormat('date-time', (value: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i.test(value) && !Number.isNaN(Date.parse(value)));
  return ajv.compile(schema);
}

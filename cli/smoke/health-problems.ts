/**
 * /health checked against its schema, with each problem said the way a person fixes it: the
 * field, the value it had and what was expected (`lock_idle_s is the string "54.09", expected a
 * number`), not ajv's `/lock_idle_s must be number,null`.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { pointerToPath, valueAt } from '../core/yaml-schema.js';

export function healthProblems(validate: ValidateFunction, body: unknown): string[] {
  if (validate(body)) return [];
  return (validate.errors ?? []).map((error) => describe(error, body));
}

function describe(error: ErrorObject, body: unknown): string {
  const field = fieldName(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${join(field, String(params.missingProperty))} is missing`;
    case 'additionalProperties':
      return `${join(field, String(params.additionalProperty))} is not in the health schema`;
    case 'type':
      return `${field || 'the body'} is ${shown(valueAt(body, error.instancePath))}, expected ${expected(params.type)}`;
    case 'enum':
      return `${field} is ${shown(valueAt(body, error.instancePath))}, expected one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
    default:
      return `${field || 'the body'} ${error.message ?? 'does not match the schema'} (it is ${shown(valueAt(body, error.instancePath))})`;
  }
}

function fieldName(instancePath: string): string {
  return pointerToPath(instancePath).join('.');
}

function join(parent: string, child: string): string {
  return parent ? `${parent}.${child}` : child;
}

function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`;
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return `the boolean ${value}`;
    case 'object':
      return 'an object';
    default:
      return 'missing';
  }
}

function expected(type: unknown): string {
  const types = (Array.isArray(type) ? type : [type]).map(String);
  const named = types.map((name) => (name === 'null' ? 'null' : `a${/^[aeiou]/.test(name) ? 'n' : ''} ${name}`));
  return named.length <= 1 ? (named[0] ?? 'another type') : `${named.slice(0, -1).join(', ')} or ${named.at(-1)}`;
}

import { describe, expect, it } from 'vitest';
import { effectiveSeverity } from '../../cli/verify/finding.js';
import type { Severity } from '../../cli/core/truth.js';

describe('effectiveSeverity', () => {
  it.each<[Severity, Severity | undefined, Severity]>([
    ['error', undefined, 'error'],
    ['warn', undefined, 'warn'],
    ['error', 'warn', 'warn'],
    ['warn', 'warn', 'warn'],
    // A rule may lower its findings, never raise them above what truth.yaml configures.
    ['warn', 'error', 'warn'],
    ['error', 'error', 'error'],
  ])('configured %s, requested %s: %s', (configured, requested, expected) => {
    expect(effectiveSeverity(configured, requested)).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { durationMs } from '../../cli/core/duration.js';

describe('durationMs', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['2m', 120_000],
    ['1.5h', 5_400_000],
    [' 1d ', 86_400_000],
    ['1W', 604_800_000],
  ])('%j is %i ms', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  it.each(['', '10', 'm', '2 minutes', '-1s', '1e3s'])('%j is not a duration', (text) => {
    expect(durationMs(text)).toBeUndefined();
  });
});

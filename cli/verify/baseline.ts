/**
 * Baselines let a repository adopt the gates with its existing findings recorded, so that only
 * new violations fail. A finding is matched by rule, file and a fingerprint of the source line's
 * text (not its number), so inserting or deleting lines above it does not bring it back.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { TrtError } from '../core/errors.js';
import { contentHash } from '../core/digest.js';
import type { Finding } from './finding.js';

const BASELINE_VERSION = 1;

export interface BaselineEntry {
  rule: string;
  file: string;
  fingerprint: string;
  /** For the people reviewing the file; not used for matching. */
  message: string;
}

/**
 * Fingerprints: the rule, the file, the trimmed text of the finding's line and the message with
 * its numbers blanked, plus a counter for identical findings in the same file.
 */
export function fingerprintFindings(findings: readonly Finding[], lineText: (file: string, line: number) => string): string[] {
  const seen = new Map<string, number>();
  return findings.map((finding) => {
    const base = contentHash(finding.rule, finding.file, lineText(finding.file, finding.line).trim(), finding.message.replace(/\d+/g, '#')).slice(0, 20);
    const occurrence = seen.get(base) ?? 0;
    seen.set(base, occurrence + 1);
    return `${base}:${occurrence}`;
  });
}

export function readBaseline(path: string): BaselineEntry[] {
  let parsed: { version?: unknown; findings?: unknown };
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new TrtError(
      'BASELINE_INVALID',
      missing ? `baseline file ${path} does not exist` : `baseline file ${path} is not valid JSON`,
      missing ? 'create it with `trt verify --update-baseline --baseline ' + path + '`' : 'regenerate it with --update-baseline',
    );
  }
  if (parsed.version !== BASELINE_VERSION || !Array.isArray(parsed.findings)) {
    throw new TrtError('BASELINE_INVALID', `baseline file ${path} is not a trt baseline (version ${BASELINE_VERSION})`, 'regenerate it with --update-baseline');
  }
  return parsed.findings as BaselineEntry[];
}

export function writeBaseline(path: string, entries: readonly BaselineEntry[]): void {
  const sorted = [...entries].sort((a, b) => (a.file + a.rule + a.fingerprint < b.file + b.rule + b.fingerprint ? -1 : 1));
  writeFileSync(path, `${JSON.stringify({ version: BASELINE_VERSION, tool: 'trt', findings: sorted }, null, 2)}\n`);
}

/** Splits findings into those the baseline knows (each entry absorbs one finding) and new ones. */
export function applyBaseline(findings: readonly Finding[], fingerprints: readonly string[], baseline: readonly BaselineEntry[]) {
  const known = new Map<string, number>();
  for (const entry of baseline) {
    const key = `${entry.rule}\0${entry.file}\0${entry.fingerprint}`;
    known.set(key, (known.get(key) ?? 0) + 1);
  }
  const fresh: Finding[] = [];
  let matched = 0;
  findings.forEach((finding, index) => {
    const key = `${finding.rule}\0${finding.file}\0${fingerprints[index]}`;
    const left = known.get(key) ?? 0;
    if (left > 0) {
      known.set(key, left - 1);
      matched++;
    } else {
      fresh.push(finding);
    }
  });
  return { fresh, matched };
}

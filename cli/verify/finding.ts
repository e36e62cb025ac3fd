import type { Severity } from '../core/truth.js';

/**
 * One problem found by `trt verify`. This is the shape of `findings[]` in `--format json`
 * (SPEC §4, schemas/verify-report.schema.json): every reporter renders exactly these fields.
 */
export interface Finding {
  rule: string;
  severity: Severity;
  /** Relative to the root, forward slashes. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
  message: string;
  fix?: string;
}

/** A finding before the engine has applied the configured severity. */
export interface RawFinding {
  rule: string;
  file: string;
  line: number;
  column: number;
  message: string;
  fix?: string;
  /** Set by a rule that reports this finding below its configured severity (see {@link effectiveSeverity}). */
  severity?: Severity;
}

/** Findings the engine itself produces; they are not rules and cannot be switched off. */
export const ENGINE_RULES = {
  parseError: 'parse-error',
} as const;

/** The result of one `trt verify` run: the input of every reporter. */
export interface VerifyResult {
  root: string;
  findings: Finding[];
  summary: { files: number; errors: number; warnings: number; durationMs: number };
  /** Findings matched by the baseline: they do not fail the run and are not listed. */
  baselined: number;
  /** Rules that ran, in registry order, for reporters that describe them (SARIF). */
  rules: { id: string; description: string; severity: Severity }[];
}

/** Stable order for output and tests: file, line, column, rule. */
export function compareFindings(a: RawFinding, b: RawFinding): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0);
}

/**
 * The severity a finding gets: the rule's configured one, lowered to what the rule asked for.
 * A rule can lower (a `warn` beside its `error`s), never raise: `severity: warn` in truth.yaml
 * must keep a rule from failing the run.
 */
export function effectiveSeverity(configured: Severity, requested: Severity | undefined): Severity {
  return requested === 'warn' ? 'warn' : configured;
}

/** What a rule that threw on one file says there: that file goes unchecked by it, the run goes on. */
export function ruleFailedOnFile(rule: string, error: unknown): string {
  return `Rule ${rule} failed on this file (${error instanceof Error ? error.message : String(error)}); it is a trt bug, please report it.`;
}

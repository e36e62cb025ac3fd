/**
 * Errors as values with a code a user (and a script) can act on.
 *
 * Every failure the CLI can explain is a {@link TrtError}: one line that says what is wrong and
 * where, plus a hint saying what to do. The CLI turns the code into an exit code through
 * {@link exitCodeFor}; anything that is not a TrtError is a bug and keeps its stack.
 */

/** The process exit codes of every trt command, documented in README.md ("Exit codes"). */
export const ExitCode = {
  /** Nothing failed. */
  ok: 0,
  /** The gate ran and found at least one error-severity problem. */
  findings: 1,
  /** Usage or configuration error: nothing was checked. */
  usage: 2,
  /** trt itself failed (a bug): the stack trace is printed. */
  internal: 3,
} as const;

export type ErrorCode =
  | 'TRUTH_NOT_FOUND'
  | 'TRUTH_INVALID_YAML'
  | 'TRUTH_SCHEMA'
  | 'MODELS_NOT_FOUND'
  | 'MODELS_INVALID_YAML'
  | 'MODELS_SCHEMA'
  | 'UNKNOWN_RULE'
  | 'RULE_OPTIONS'
  | 'BAD_FLAG'
  | 'RENDER_CONFIG'
  | 'RENDER_AUTH'
  | 'RENDER_API'
  | 'LOG_SOURCE'
  | 'OPS_LOG_PATTERN'
  | 'OPS_NO_SOURCE'
  | 'BASELINE_INVALID'
  | 'ROOT_NOT_FOUND'
  | 'FILE_EXISTS'
  | 'DATABASE_URL_MISSING'
  | 'DATABASE_UNREACHABLE'
  | 'RELEASE_PRECONDITION'
  | 'RELEASE_LEDGER';

export class TrtError extends Error {
  override readonly name = 'TrtError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** What the user should do about it. */
    readonly hint?: string,
    /** Further lines, e.g. one per schema problem. */
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}

export function exitCodeFor(error: unknown): number {
  return error instanceof TrtError ? ExitCode.usage : ExitCode.internal;
}

/** An error in one line, for a report's reason: a TrtError's message with its hint in brackets. */
export function describeError(error: unknown): string {
  if (error instanceof TrtError) return error.hint ? `${error.message} (${error.hint})` : error.message;
  return error instanceof Error ? error.message : String(error);
}

/** Renders an error for a terminal: the message, each detail indented, then the hint. */
export function formatError(error: unknown): string {
  if (!(error instanceof TrtError)) {
    const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return `trt: internal error (please report it)\n${stack}`;
  }
  const lines = [`trt: ${error.message}`, ...error.details.map((detail) => `  ${detail}`)];
  if (error.hint) lines.push(`hint: ${error.hint}`);
  return lines.join('\n');
}

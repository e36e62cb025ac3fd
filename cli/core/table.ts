/**
 * Plain-text tables for the terminal: columns as wide as their widest cell (cut at `maxWidth`),
 * numbers right-aligned, no colour (the caller paints whole lines if it wants to).
 */

export interface TableOptions {
  /** Widest a cell may be before it is cut with "…"; default 60. */
  maxWidth?: number;
  /** Columns aligned right; default: every column whose cells are all numbers. */
  alignRight?: readonly number[];
}

export function renderTable(header: readonly string[], rows: readonly (readonly (string | number | boolean | null | undefined)[])[], options: TableOptions = {}): string {
  const maxWidth = options.maxWidth ?? 60;
  const cells = rows.map((row) => header.map((_, index) => cut(show(row[index]), maxWidth)));
  const numeric = header.map((_, index) => options.alignRight?.includes(index) ?? (rows.length > 0 && rows.every((row) => typeof row[index] === 'number')));
  const widths = header.map((title, index) => Math.max(title.length, ...cells.map((row) => row[index]!.length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, index) => (numeric[index] ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '─'.repeat(width))), ...cells.map(line)].join('\n');
}

function show(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return String(value).replace(/\s+/g, ' ');
}

function cut(text: string, maxWidth: number): string {
  return text.length <= maxWidth ? text : `${text.slice(0, maxWidth - 1)}…`;
}

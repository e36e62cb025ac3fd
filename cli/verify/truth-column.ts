/**
 * Where on a truth.yaml line a key's value starts, so that a finding about a truth value points
 * at the value itself (`ctx.truthLine` gives only the line).
 *
 * @example
 * ```ts
 * truthValueColumn('  lock_key: 74110001000   # int32', 'lock_key'); // 13
 * ```
 */
export function truthValueColumn(lineText: string | undefined, key: string): number {
  if (lineText === undefined) return 1;
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`(^|[\\s{,])(["']?)${escaped}\\2\\s*:[ \\t]*`).exec(lineText);
  if (!match) return 1;
  const valueStart = match.index + match[0].length;
  const keyStart = match.index + match[1]!.length;
  const hasValue = valueStart < lineText.length && lineText[valueStart] !== '#';
  return (hasValue ? valueStart : keyStart) + 1;
}

/** The text of a 1-based line, or undefined when the text is missing or shorter. */
export function lineOfText(text: string | undefined, line: number): string | undefined {
  return text?.split(/\r?\n/)[line - 1];
}

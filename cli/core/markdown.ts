/**
 * The Markdown every report writes (smoke, ops, release, the demo's certification): text that
 * must stay inside one table cell or one paragraph line, inline code, and the evidence block.
 */

/** Evidence longer than this is cut in a report: the JSON report keeps all of it. */
const EVIDENCE_LIMIT = 8 * 1024;

/**
 * `|` would end a cell, a line break the row or the paragraph, and `<` could open raw HTML, so
 * they are escaped; backslashes first, so an escape in the text stays text. Line breaks become
 * `lineBreak`: a space, or `<br>` where the lines should stay visible inside a cell.
 */
export function markdownText(text: string, lineBreak = ' '): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\r\n|\r|\n/g, lineBreak);
}

/** A code span fenced by more backticks than the text holds, so a URL or time is shown as it is. */
export function inlineCode(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ');
  const fence = '`'.repeat(longestBacktickRun(flat) + 1);
  const padding = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${padding}${flat}${padding}${fence}`;
}

/** A result's evidence as a fenced JSON block, cut at a line end past {@link EVIDENCE_LIMIT}. */
export function evidenceBlock(evidence: Record<string, unknown>): string[] {
  if (Object.keys(evidence).length === 0) return ['_No evidence recorded._'];
  const json = JSON.stringify(evidence, null, 2);
  let body = json;
  if (json.length > EVIDENCE_LIMIT) {
    // Cut at a line end so the part shown is whole lines of the JSON.
    const lineEnd = json.lastIndexOf('\n', EVIDENCE_LIMIT);
    const kept = json.slice(0, lineEnd > 0 ? lineEnd : EVIDENCE_LIMIT);
    body = `${kept}\n… cut: ${json.length - kept.length} more characters; the JSON report has the whole evidence`;
  }
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(body) + 1));
  return [`${fence}json`, body, fence];
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...Array.from(text.matchAll(/`+/g), (match) => match[0].length));
}

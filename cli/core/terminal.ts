/**
 * Colour only on a terminal, never when NO_COLOR is set (https://no-color.org). FORCE_COLOR
 * overrides the terminal test both ways, as in Node and chalk: `FORCE_COLOR=0` (or `false`)
 * turns colour off, any other value turns it on.
 */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stream.isTTY === true;
}

/** Carriage return, then erase the whole line: a "running" line is replaced in place. */
export const CLEAR_LINE = '\r\x1b[2K';

/**
 * Text quoted on one terminal line (a reason, a response body): line breaks would split the line
 * (and break the overwrite on a TTY), and escape sequences would drive the terminal, so both are
 * neutralised.
 */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

/** Cuts to `width` characters by code point, so an emoji at the edge is not split into a lone surrogate. */
export function cutToWidth(text: string, width: number): string {
  const points = Array.from(text);
  return points.length > width ? `${points.slice(0, width - 1).join('')}…` : text;
}

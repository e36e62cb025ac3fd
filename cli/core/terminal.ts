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

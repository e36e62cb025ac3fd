/**
 * The variable names that deployment files set: dotenv templates (`.env.example`), Dockerfiles
 * (`ENV`, `ARG`) and Render blueprints (`envVars[].key`), each with the 1-based line and column
 * of the name itself, so a finding points at the exact token to delete.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';

export type DeploymentFileKind = 'dotenv' | 'dockerfile' | 'render';

/** How a deployment file is read, told by its name: Dockerfiles, YAML blueprints, else dotenv. */
export function deploymentFileKind(file: string): DeploymentFileKind {
  const name = file.slice(file.lastIndexOf('/') + 1);
  if (/^(?:Dockerfile|Containerfile)(?:\..+)?$|\.(?:Dockerfile|dockerfile|Containerfile)$/.test(name)) return 'dockerfile';
  if (/\.ya?ml$/.test(name)) return 'render';
  return 'dotenv';
}

export interface NamedPosition {
  name: string;
  line: number;
  column: number;
}

const DOTENV_ASSIGNMENT = /^(\s*)(export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)(?:\s*=|:\s)/;
/** A commented-out assignment (`# X=1`) is an invitation to set X; prose after `#` is not. */
const DOTENV_COMMENTED_ASSIGNMENT = /^(\s*#\s*)(export\s+)?([A-Za-z_][A-Za-z0-9_]*)=/;

/**
 * Names assigned in a dotenv file: `X=1`, `export X=1`, `X: 1`, and commented-out `# X=1`.
 * Multi-line quoted values are skipped, so a line inside one is never taken for an assignment.
 */
export function dotenvNames(text: string): NamedPosition[] {
  const names: NamedPosition[] = [];
  const lines = text.split(/\r?\n/);
  let openQuote: string | undefined;
  lines.forEach((line, index) => {
    if (openQuote) {
      if (closingQuoteIndex(line, 0, openQuote) >= 0) openQuote = undefined;
      return;
    }
    const commented = DOTENV_COMMENTED_ASSIGNMENT.exec(line);
    if (commented) {
      names.push({ name: commented[3]!, line: index + 1, column: commented[1]!.length + (commented[2]?.length ?? 0) + 1 });
      return;
    }
    const assignment = DOTENV_ASSIGNMENT.exec(line);
    if (!assignment) return;
    names.push({ name: assignment[3]!, line: index + 1, column: assignment[1]!.length + (assignment[2]?.length ?? 0) + 1 });
    const valueStart = line.slice(assignment[0].length).search(/\S/);
    if (valueStart < 0) return;
    const at = assignment[0].length + valueStart;
    const quote = line[at]!;
    if (`"'\``.includes(quote) && closingQuoteIndex(line, at + 1, quote) < 0) openQuote = quote;
  });
  return names;
}

function closingQuoteIndex(line: string, from: number, quote: string): number {
  for (let index = from; index < line.length; index++) {
    if (line[index] === '\\' && quote === '"') index++;
    else if (line[index] === quote) return index;
  }
  return -1;
}

interface PositionedChar {
  char: string;
  line: number;
  column: number;
}

/**
 * Names a Dockerfile sets or declares: `ENV X=1 Y=2`, the legacy `ENV X value`, and
 * `ARG X` / `ARG X=default` (one or several), across `\` line continuations.
 */
export function dockerfileNames(text: string): NamedPosition[] {
  const names: NamedPosition[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    // A comment never continues onto the next line, even when it ends with a backslash.
    if (/^\s*#/.test(lines[index]!)) continue;
    const instruction = /^(\s*)(ENV|ARG)(\s+)/i.exec(lines[index]!);
    const chars: PositionedChar[] = [];
    // The continuation lines of every instruction (RUN too) are consumed, so none is mistaken for an ENV or ARG line.
    const append = (line: string, lineIndex: number, from: number): boolean => {
      const continued = /\\\s*$/.test(line);
      if (!instruction) return continued;
      const body = continued ? line.replace(/\\\s*$/, '') : line;
      for (let column = from; column < body.length; column++) chars.push({ char: body[column]!, line: lineIndex + 1, column: column + 1 });
      chars.push({ char: ' ', line: lineIndex + 1, column: body.length + 1 });
      return continued;
    };
    let continued = append(lines[index]!, index, instruction?.[0].length ?? 0);
    while (continued && index + 1 < lines.length) {
      index++;
      const next = lines[index]!;
      // Docker drops comment and empty lines inside a continued instruction.
      if (/^\s*(#|$)/.test(next)) continue;
      continued = append(next, index, 0);
    }
    if (!instruction) continue;
    const words = shellWords(chars);
    const keyword = instruction[2]!.toUpperCase();
    if (keyword === 'ENV' && words[0] && !words[0].text.includes('=')) {
      names.push(nameOf(words[0]));
    } else {
      for (const word of words) names.push(nameOf(word));
    }
  }
  return names.filter((entry) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(entry.name));
}

function nameOf(word: { text: string; line: number; column: number }): NamedPosition {
  const equals = word.text.indexOf('=');
  return { name: equals < 0 ? word.text : word.text.slice(0, equals), line: word.line, column: word.column };
}

/** Splits on unquoted whitespace; quotes and backslash escapes stay in the word (only names are needed). */
function shellWords(chars: PositionedChar[]): { text: string; line: number; column: number }[] {
  const words: { text: string; line: number; column: number }[] = [];
  let current: { text: string; line: number; column: number } | undefined;
  let quote: string | undefined;
  for (let index = 0; index < chars.length; index++) {
    const { char, line, column } = chars[index]!;
    if (!quote && /\s/.test(char)) {
      if (current) words.push(current);
      current = undefined;
      continue;
    }
    current ??= { text: '', line, column };
    current.text += char;
    if (char === '\\' && quote !== "'" && index + 1 < chars.length) {
      current.text += chars[++index]!.char;
    } else if (quote && char === quote) {
      quote = undefined;
    } else if (!quote && (char === '"' || char === "'")) {
      quote = char;
    }
  }
  if (current) words.push(current);
  return words;
}

export interface RenderBlueprint {
  /** Every `key:` of an `envVars` entry, in services, workers, cron jobs and env groups alike. */
  names: NamedPosition[];
  /** `dockerfilePath` of each service, relative to the repository root, with its `rootDir` when it has one. */
  dockerfiles: { path: string; rootDir?: string }[];
}

/** The env var keys and Dockerfile paths of a Render blueprint (`render.yaml`). */
export function renderBlueprint(text: string): RenderBlueprint {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  const names: NamedPosition[] = [];
  const dockerfiles: RenderBlueprint['dockerfiles'] = [];
  visit(document, {
    Pair(_, pair, path) {
      if (!isScalar(pair.key)) return;
      if (pair.key.value === 'envVars' && isSeq(pair.value)) {
        for (const item of pair.value.items) {
          if (!isMap(item)) continue;
          const key = item.items.find((entry) => isPair(entry) && isScalar(entry.key) && entry.key.value === 'key')?.value;
          if (isScalar(key) && typeof key.value === 'string' && key.range) {
            const quoted = key.type === 'QUOTE_DOUBLE' || key.type === 'QUOTE_SINGLE';
            const { line, col } = lineCounter.linePos(key.range[0] + (quoted ? 1 : 0));
            names.push({ name: key.value, line, column: col });
          }
        }
      }
      if (pair.key.value === 'dockerfilePath' && isScalar(pair.value) && typeof pair.value.value === 'string') {
        const service = path[path.length - 1];
        const rootDir = isMap(service) ? service.get('rootDir') : undefined;
        dockerfiles.push({ path: pair.value.value, ...(typeof rootDir === 'string' ? { rootDir } : {}) });
      }
    },
  });
  return { names, dockerfiles };
}

/**
 * Reports trt writes under `artifacts/` (git-ignored): one stamped name per run and kind, so
 * runs never overwrite each other and sort by time in a directory listing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/** `2026-11-23T13-53-50-544Z`: an ISO time that is a valid file name everywhere. */
export function fileStamp(isoTime: string): string {
  return isoTime.replace(/[:.]/g, '-');
}

/** Writes `<name>-<stamp>.<ext>` for each file into `directory` (created when missing); returns the paths. */
export function writeArtifacts(directory: string, name: string, isoTime: string, files: readonly { ext: string; content: string }[]): string[] {
  mkdirSync(directory, { recursive: true });
  const stamp = fileStamp(isoTime);
  return files.map(({ ext, content }) => {
    const path = join(directory, `${name}-${stamp}.${ext}`);
    writeFileSync(path, content);
    return path;
  });
}

export interface ReportEmission {
  /** Repository root: a relative `artifacts` folder is resolved against it. */
  root: string;
  /** `<name>-<stamp>.<ext>` in the artifacts folder. */
  name: string;
  isoTime: string;
  /** The renderers by format; each one runs at most once. */
  render: Readonly<Record<string, () => string>>;
  /** The format asked for: written to `out`, else to stdout. */
  format: string;
  /** --out; undefined writes to stdout. */
  out: string | undefined;
  /** False when a live printer already showed the report on stdout. */
  stdout?: boolean;
  /** --artifacts: the folder, or false for none. */
  artifacts: string | false;
  /** Which formats the artifacts hold, under which extension. */
  artifactFiles: readonly { ext: string; format: string }[];
}

/**
 * A report command's output: the document in the asked format to --out or stdout, then the
 * stamped artifacts, rendering each format once however many places it goes.
 */
export function emitReport(emission: ReportEmission): void {
  const rendered = new Map<string, string>();
  const document = (format: string): string => {
    let text = rendered.get(format);
    if (text === undefined) {
      text = emission.render[format]!();
      rendered.set(format, text);
    }
    return text;
  };
  if (emission.out) writeFileSync(emission.out, document(emission.format));
  else if (emission.stdout !== false) {
    const text = document(emission.format);
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
  if (emission.artifacts === false) return;
  const files = emission.artifactFiles.map(({ ext, format }) => ({ ext, content: document(format) }));
  const written = writeArtifacts(resolve(emission.root, emission.artifacts), emission.name, emission.isoTime, files);
  process.stderr.write(`trt: reports written: ${written.map((path) => relative(process.cwd(), path)).join(', ')}\n`);
}

/** The artifacts of most reports: the JSON for machines, the Markdown for people. */
export const JSON_AND_MARKDOWN: ReportEmission['artifactFiles'] = [
  { ext: 'json', format: 'json' },
  { ext: 'md', format: 'markdown' },
];

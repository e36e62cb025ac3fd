/**
 * The repository's import graph: built once per run from the imports every file declares and
 * where each one resolves, shared by every rule that needs it.
 */

/** An import as written in a file, before resolution. */
export interface ImportRef {
  specifier: string;
  line: number;
  column: number;
  /** `import type`, `export type`, or every named binding marked `type`. */
  typeOnly: boolean;
  /** `import()` or `require()` rather than a static declaration. */
  dynamic: boolean;
}

/**
 * Where an import leads: a file of the repository (`local`), a package or a path outside the root
 * (`external`), a file of the repository that is not source code such as JSON or CSS (`asset`),
 * or nowhere (`unresolved`: a relative, path-mapped or `baseUrl` specifier with no file behind
 * it; `target` is the root-relative path it spells, as written, when that can be told).
 */
export type Resolution =
  | { kind: 'local'; target: string }
  | { kind: 'asset'; target: string }
  | { kind: 'external' }
  | { kind: 'unresolved'; target?: string };

export interface ImportEdge extends ImportRef {
  from: string;
  resolution: Resolution;
}

export interface ImportGraph {
  /** The files the code rules see, sorted. */
  readonly files: readonly string[];
  /** Every import of every file, in file order then source order. */
  readonly edges: readonly ImportEdge[];
  edgesFrom(file: string): readonly ImportEdge[];
}

export function buildImportGraph(
  files: readonly string[],
  importsOf: (file: string) => readonly ImportRef[],
  resolutionsOf: (file: string) => readonly Resolution[],
): ImportGraph {
  const byFile = new Map<string, ImportEdge[]>();
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const refs = importsOf(file);
    const resolutions = resolutionsOf(file);
    const fileEdges = refs.map((ref, index) => ({ ...ref, from: file, resolution: resolutions[index] ?? { kind: 'unresolved' as const } }));
    byFile.set(file, fileEdges);
    edges.push(...fileEdges);
  }
  return {
    files,
    edges,
    edgesFrom: (file) => byFile.get(file) ?? [],
  };
}

/**
 * The files the contract says every checkout has (the README, the knowledge base, the quarantine
 * policy) exist and say something. A missing or blank file is how documentation silently rots:
 * the link still points somewhere, the page is gone or was truncated by a bad merge.
 *
 * A listed path that is a folder is satisfied when some file under it has content, so a folder
 * holding only a `.gitkeep` counts as empty.
 */
import { defineRule, type RepoCheckContext } from '../rule.js';

type Options = Record<string, never>;

export default defineRule<Options>({
  id: 'required-files',
  description: 'Every file listed in required_files exists and is not empty (whitespace only counts as empty).',
  defaultSeverity: 'error',
  optionsSchema: { type: 'object', additionalProperties: false },
  defaultOptions: {},
  check(ctx) {
    const listed = ctx.truth.required_files ?? [];
    listed.forEach((written, index) => {
      const path = written.replace(/^(?:\.\/)+/, '').replace(/\/+$/, '');
      const where = `${ctx.truthFile}:${ctx.truthLine(['required_files', index])}`;
      const problem = problemWith(ctx, path);
      if (!problem) return;
      ctx.report({
        file: path,
        message: `${path} is required (required_files, ${where}) but ${problem}.`,
        fix: problem === 'does not exist'
          ? `Create ${path} with its content, or remove it from required_files if the contract changed.`
          : `Write the content of ${path}, or remove it from required_files if the contract changed.`,
      });
    });
  },
});

function problemWith(ctx: RepoCheckContext<Options, never>, path: string): string | undefined {
  if (ctx.exists(path)) return hasContent(ctx.readText(path)) ? undefined : 'is empty';
  const inside = ctx.listFiles(path);
  if (inside.length === 0) return 'does not exist';
  return inside.some((file) => hasContent(ctx.readText(file))) ? undefined : 'is a folder whose files are all empty';
}

function hasContent(text: string | undefined): boolean {
  return text !== undefined && text.trim() !== '';
}

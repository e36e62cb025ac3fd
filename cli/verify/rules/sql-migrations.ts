/**
 * The migrator applies the numbered `.sql` files of `database.migrations` in order, each in a
 * transaction, at every start, and the bot's contract is that every migration can be applied
 * twice (invariant `idempotent-ddl`). Two kinds of mistakes break that silently until a deploy:
 *
 * - numbering: two files with the same number (applied in an order nobody chose), a hole (a
 *   migration deleted or never merged, so old and new databases differ), a file without a
 *   number (skipped or applied at a random point), numbers of different widths (`10_…` sorts
 *   before `9_…` for a migrator that orders names);
 * - DDL that fails on a second run: `CREATE TABLE/INDEX/SCHEMA/SEQUENCE/EXTENSION` without
 *   `IF NOT EXISTS`, `CREATE FUNCTION/PROCEDURE/VIEW/TRIGGER` without `OR REPLACE`, `CREATE
 *   TYPE/DOMAIN` outside a guarded `DO` block, `DROP …` without `IF EXISTS`, and `ALTER TABLE`
 *   `ADD COLUMN` / `DROP COLUMN` / `ADD CONSTRAINT` / `DROP CONSTRAINT` without their guards.
 *
 * The SQL is tokenized, so comments, strings, quoted identifiers and dollar-quoted bodies
 * (function bodies, `DO` blocks) never produce findings: a `DO` block is where a guarded
 * `CREATE TYPE` lives, and its conditions cannot be judged statically. A `CREATE` preceded in
 * the same file by `DROP <kind> IF EXISTS <same name>` is idempotent and not reported (except
 * types and domains: the drop fails once a column uses them).
 */
import { defineRule } from '../rule.js';
import { callArguments, keyword, keywordsAt, lineColumnOf, splitStatements, tokenizeSql, type SqlScan, type SqlToken } from '../scan/sql.js';
import { lineOfText, truthValueColumn } from '../truth-column.js';

interface Options {
  /**
   * `contiguous`: numbers run without holes from one of `first`. `unique`: numbers only need to
   * be distinct and sort the same by name and by value (timestamps such as `20240501120000_x.sql`).
   */
  numbering: 'contiguous' | 'unique';
  /** The numbers the first migration may have (`contiguous` only). */
  first: number[];
}

/** A finding inside one migration file, by text offset (DDL) or for the whole file (numbering). */
export interface MigrationProblem {
  file: string;
  /** Text offset in the file; undefined: the file as a whole (line 1). */
  offset?: number;
  message: string;
  fix: string;
}

export default defineRule<Options>({
  id: 'sql-migrations',
  description: 'Migration files with duplicate, missing or unordered numbers, and DDL that fails when a migration runs twice.',
  defaultSeverity: 'error',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      numbering: { enum: ['contiguous', 'unique'] },
      first: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1 },
    },
  },
  defaultOptions: { numbering: 'contiguous', first: [0, 1] },
  check(ctx) {
    const configured = ctx.truth.database?.migrations;
    if (!configured) return;
    const folder = configured.replace(/^\.\//, '').replace(/\/+$/, '');
    const inFolder = ctx.listFiles(folder);
    const migrations = inFolder.filter((file) => isMigrationFile(folder, file));
    if (migrations.length === 0) {
      const line = ctx.truthLine(['database', 'migrations']);
      ctx.report({
        file: ctx.truthFile,
        line,
        column: truthValueColumn(lineOfText(ctx.readText(ctx.truthFile), line), 'migrations'),
        message:
          inFolder.length === 0
            ? `database.migrations names ${folder}, which does not exist: the migrator has no schema to apply.`
            : `database.migrations names ${folder}, which holds no .sql migration: the migrator has no schema to apply.`,
        fix: `Point database.migrations at the folder that holds the numbered .sql files, or add them to ${folder}.`,
      });
      return;
    }
    const problems = numberingProblems(migrations, ctx.options);
    for (const file of migrations) {
      problems.push(...idempotencyProblems(ctx.readText(file) ?? '').map((problem) => ({ ...problem, file })));
    }
    const positions = new Map<string, (offset: number) => { line: number; column: number }>();
    for (const { file, offset, message, fix } of problems) {
      let position = positions.get(file);
      if (!position) positions.set(file, (position = lineColumnOf(ctx.readText(file) ?? '')));
      ctx.report({ file, ...(offset === undefined ? {} : position(offset)), message, fix });
    }
  },
});

/**
 * Forward migrations: `.sql` files directly in the folder. Subfolders (seeds, archives) are not
 * read by a migrator, and `*.down.sql` files undo migrations, so they drop on purpose.
 */
function isMigrationFile(folder: string, file: string): boolean {
  const name = file.slice(folder.length + 1);
  return !name.includes('/') && /\.sql$/i.test(name) && !/\.down\.sql$/i.test(name);
}

interface Numbered {
  file: string;
  name: string;
  number: bigint;
}

/** Duplicate, missing, unordered and absent numbers among migration files (paths relative to the root). */
export function numberingProblems(files: readonly string[], options: Options): MigrationProblem[] {
  const problems: MigrationProblem[] = [];
  const numbered: Numbered[] = [];
  const unnumbered: string[] = [];
  for (const file of files) {
    const name = file.slice(file.lastIndexOf('/') + 1);
    const digits = /^\d+/.exec(name)?.[0];
    if (digits === undefined) unnumbered.push(file);
    else numbered.push({ file, name, number: BigInt(digits) });
  }
  numbered.sort((a, b) => (a.number < b.number ? -1 : a.number > b.number ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const width = commonWidth(files);
  const pad = (value: bigint) => value.toString().padStart(width, '0');
  let free = numbered.length > 0 ? numbered[numbered.length - 1]!.number + 1n : BigInt(options.first[0] ?? 1);
  const nextFree = () => pad(free++);

  for (const file of unnumbered) {
    const name = file.slice(file.lastIndexOf('/') + 1);
    problems.push({
      file,
      message: `${name} has no numeric prefix, so the migrator cannot place it in order: it is skipped or applied at an arbitrary point.`,
      fix: `Rename it with the next free number (${nextFree()}_${name}), or move it out of the migrations folder if it is not a migration.`,
    });
  }

  for (let index = 1; index < numbered.length; index++) {
    const migration = numbered[index]!;
    const first = numbered.find((other) => other.number === migration.number)!;
    if (first === migration) continue;
    problems.push({
      file: migration.file,
      message: `Migration number ${pad(migration.number)} is also used by ${first.name}: the two are applied in an order nobody chose, and a migrator keyed by number records only one.`,
      fix: `Give ${migration.name} the next free number (${nextFree()}) and keep each number for one file.`,
    });
  }

  const distinct = [...new Map(numbered.map((migration) => [migration.number, migration])).values()];
  if (options.numbering === 'contiguous' && distinct.length > 0) {
    const start = distinct[0]!;
    const allowed = options.first.map(BigInt);
    if (!allowed.includes(start.number)) {
      const expected = allowed.filter((value) => value < start.number).sort((a, b) => (a < b ? 1 : -1))[0];
      problems.push({
        file: start.file,
        message:
          expected === undefined
            ? `The first migration is numbered ${pad(start.number)}; the numbering is configured to start at ${allowed.map(pad).join(' or ')}.`
            : `The first migration is ${start.name}: ${missingText(expected, start.number - 1n, pad)}, so databases that applied the missing migrations differ from databases built from this folder.`,
        fix: `Restore the missing migrations, or set verify.rules.sql-migrations.options.first if the history was squashed on purpose.`,
      });
    }
    for (let index = 1; index < distinct.length; index++) {
      const before = distinct[index - 1]!;
      const after = distinct[index]!;
      if (after.number === before.number + 1n) continue;
      problems.push({
        file: after.file,
        message: `Between ${before.name} and ${after.name}, ${missingText(before.number + 1n, after.number - 1n, pad)}: a deleted or unmerged migration leaves databases that applied it out of step with new ones.`,
        fix: `Restore ${range(before.number + 1n, after.number - 1n, pad)}, or renumber the files after the gap so the numbers run without holes.`,
      });
    }
  }

  const widest = Math.max(0, ...numbered.map((migration) => migration.name.length - migration.name.replace(/^\d+/, '').length));
  for (const migration of numbered) {
    const sortsLater = numbered.find((other) => other.number < migration.number && other.name > migration.name);
    if (!sortsLater) continue;
    const padded = (value: bigint) => value.toString().padStart(widest, '0');
    problems.push({
      file: migration.file,
      message: `${migration.name} sorts before ${sortsLater.name} by name although its number is higher: a migrator that orders file names applies them the wrong way round.`,
      fix: `Pad every migration number to the same width (${padded(sortsLater.number)}_…, ${padded(migration.number)}_…).`,
    });
  }
  return problems;
}

/** The most common width of the numeric prefixes (ties: the widest), so suggested names match the folder. */
function commonWidth(files: readonly string[]): number {
  const counts = new Map<number, number>();
  for (const file of files) {
    const digits = /^\d+/.exec(file.slice(file.lastIndexOf('/') + 1))?.[0];
    if (digits) counts.set(digits.length, (counts.get(digits.length) ?? 0) + 1);
  }
  let best = 3;
  let bestCount = 0;
  for (const [width, count] of counts) {
    if (count > bestCount || (count === bestCount && width > best)) [best, bestCount] = [width, count];
  }
  return best;
}

function range(from: bigint, to: bigint, pad: (value: bigint) => string): string {
  return from === to ? pad(from) : `${pad(from)} to ${pad(to)}`;
}

function missingText(from: bigint, to: bigint, pad: (value: bigint) => string): string {
  return from === to ? `migration ${pad(from)} is missing` : `migrations ${range(from, to, pad)} are missing`;
}

type Guard = 'if-not-exists' | 'or-replace' | 'do-block';

/** What makes `CREATE <kind>` safe to run twice. Kinds not listed are not checked. */
const CREATE_GUARDS: Readonly<Record<string, Guard>> = {
  table: 'if-not-exists',
  index: 'if-not-exists',
  schema: 'if-not-exists',
  sequence: 'if-not-exists',
  extension: 'if-not-exists',
  'materialized view': 'if-not-exists',
  function: 'or-replace',
  procedure: 'or-replace',
  view: 'or-replace',
  trigger: 'or-replace',
  type: 'do-block',
  domain: 'do-block',
};

/** Words between `CREATE [OR REPLACE]` and the object kind. */
const CREATE_MODIFIERS = new Set(['temp', 'temporary', 'unlogged', 'global', 'local', 'unique', 'constraint', 'recursive', 'foreign']);

/** Words that name the object kind after `DROP` (`DROP MATERIALIZED VIEW`, `DROP TEXT SEARCH PARSER`, …). */
const DROP_KIND_WORDS = new Set([
  'table', 'index', 'view', 'materialized', 'function', 'procedure', 'routine', 'aggregate', 'schema', 'sequence',
  'extension', 'type', 'domain', 'trigger', 'foreign', 'data', 'wrapper', 'server', 'user', 'mapping', 'policy', 'rule',
  'role', 'group', 'database', 'tablespace', 'collation', 'conversion', 'cast', 'operator', 'class', 'family', 'language',
  'procedural', 'publication', 'subscription', 'statistics', 'text', 'search', 'configuration', 'dictionary', 'parser',
  'template', 'event', 'transform', 'access', 'method', 'owned',
]);

/** Constraint kinds `ALTER TABLE … ADD` accepts without a name. */
const UNNAMED_CONSTRAINTS = new Set(['primary', 'unique', 'check', 'foreign', 'exclude']);

const UNTERMINATED: Readonly<Record<NonNullable<SqlScan['unterminated']>['kind'], string>> = {
  comment: 'block comment',
  string: 'string',
  'quoted-identifier': 'quoted identifier',
  'dollar-string': 'dollar-quoted body',
};

interface QualifiedName {
  /** As written: `public.users`, `"Users"`. */
  text: string;
  /** The unqualified name as PostgreSQL folds it, for matching a DROP to a CREATE. */
  key: string;
  /** Index of the token after the name. */
  next: number;
}

/** DDL statements in one migration's text that fail, or duplicate objects, when the migration runs again. */
export function idempotencyProblems(text: string): Omit<MigrationProblem, 'file'>[] {
  const scan = tokenizeSql(text);
  const problems: Omit<MigrationProblem, 'file'>[] = [];
  const droppedFirst = new Set<string>();
  for (const statement of splitStatements(scan.tokens)) {
    const verb = keyword(statement[0]);
    if (verb === 'create') checkCreate(statement, droppedFirst, problems);
    else if (verb === 'drop') checkDrop(statement, droppedFirst, problems);
    else if (verb === 'alter' && keyword(statement[1]) === 'table') checkAlterTable(statement, droppedFirst, problems);
  }
  if (scan.unterminated) {
    const what = UNTERMINATED[scan.unterminated.kind];
    problems.push({
      offset: scan.unterminated.start,
      message: `This ${what} is never closed, so PostgreSQL rejects the migration and the rest of the file could not be checked.`,
      fix: `Close the ${what}.`,
    });
  }
  return problems;
}

function checkCreate(statement: SqlToken[], droppedFirst: Set<string>, problems: Omit<MigrationProblem, 'file'>[]): void {
  const orReplace = keywordsAt(statement, 1, 'or', 'replace');
  let index = orReplace ? 3 : 1;
  let constraintTrigger = false;
  while (CREATE_MODIFIERS.has(keyword(statement[index]) ?? '')) {
    if (keyword(statement[index]) === 'constraint') constraintTrigger = true;
    index++;
  }
  let kind = keyword(statement[index]) ?? '';
  if (kind === 'materialized' && keyword(statement[index + 1]) === 'view') {
    kind = 'materialized view';
    index++;
  }
  const guard = CREATE_GUARDS[kind];
  if (!guard) return;
  const head = statement.slice(0, index + 1).map((token) => token.text.toUpperCase()).filter((word) => word !== 'OR' && word !== 'REPLACE');
  index++;
  const concurrently = kind === 'index' && keyword(statement[index]) === 'concurrently';
  if (concurrently) index++;
  const ifNotExists = keywordsAt(statement, index, 'if', 'not', 'exists');
  if (ifNotExists) index += 3;
  const name = kind === 'index' && keyword(statement[index]) === 'on' ? undefined : qualifiedName(statement, index);
  const offset = statement[0]!.start;
  const written = `${head.join(' ')}${name ? ` ${name.text}` : ''}`;

  if (kind === 'index' && !name) {
    const table = qualifiedName(statement, index + 1);
    problems.push({
      offset,
      message: `\`${written} ON ${table?.text ?? '…'}\` has no name, so every run of the migration adds another copy of the index.`,
      fix: `Name it and guard it: \`${written}${concurrently ? ' CONCURRENTLY' : ''} IF NOT EXISTS ${table ? `${table.key}_…_idx` : '…'} ON …\`.`,
    });
    return;
  }
  if ((guard === 'if-not-exists' && ifNotExists) || (guard === 'or-replace' && orReplace)) return;
  if (guard !== 'do-block' && name && droppedFirst.has(`${kind} ${name.key}`)) return;

  const again = `\`${written}\` fails when the migration runs a second time: the ${kind} already exists`;
  if (guard === 'if-not-exists') {
    problems.push({
      offset,
      message: `${again}.`,
      fix: `Write \`${head.join(' ')}${concurrently ? ' CONCURRENTLY' : ''} IF NOT EXISTS${name ? ` ${name.text}` : ''}\`.`,
    });
  } else if (guard === 'or-replace') {
    const dropFirst = `drop it first with \`DROP ${kind.toUpperCase()} IF EXISTS ${name?.text ?? '…'}${kind === 'trigger' ? ' ON …' : ''}\``;
    problems.push({
      offset,
      message: `${again}.`,
      fix: constraintTrigger
        ? `Constraint triggers cannot be replaced: ${dropFirst}.`
        : `Write \`CREATE OR REPLACE ${head.slice(1).join(' ')}${name ? ` ${name.text}` : ''}\`${kind === 'trigger' ? ' (PostgreSQL 14+)' : ''}, or ${dropFirst}.`,
    });
  } else {
    problems.push({
      offset,
      message: `${again}, and PostgreSQL has no IF NOT EXISTS for a ${kind}.`,
      fix: `Create it inside a guarded block: \`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = '${name?.key ?? '…'}') THEN ${written} …; END IF; END $$;\`.`,
    });
  }
}

function checkDrop(statement: SqlToken[], droppedFirst: Set<string>, problems: Omit<MigrationProblem, 'file'>[]): void {
  let index = 1;
  const kindWords: string[] = [];
  while (DROP_KIND_WORDS.has(keyword(statement[index]) ?? '')) kindWords.push(keyword(statement[index++])!);
  // `DROP OWNED BY` has no IF EXISTS and is harmless to repeat.
  if (kindWords.length === 0 || kindWords[0] === 'owned') return;
  const kind = kindWords.includes('materialized') ? 'materialized view' : kindWords[kindWords.length - 1]!;
  const concurrently = keyword(statement[index]) === 'concurrently';
  if (concurrently) index++;
  if (keywordsAt(statement, index, 'if', 'exists')) {
    for (const name of droppedNames(statement, index + 2)) droppedFirst.add(`${kind} ${name}`);
    return;
  }
  const written = `DROP ${kindWords.join(' ').toUpperCase()}`;
  const name = qualifiedName(statement, index);
  problems.push({
    offset: statement[0]!.start,
    message: `\`${written}${name ? ` ${name.text}` : ''}\` fails when the migration runs a second time: the ${kind} is already gone.`,
    fix: `Write \`${written}${concurrently ? ' CONCURRENTLY' : ''} IF EXISTS${name ? ` ${name.text}` : ''}\`.`,
  });
}

/** The names a `DROP … IF EXISTS a, b(int), t ON tbl` removes. */
function droppedNames(statement: SqlToken[], start: number): string[] {
  const names: string[] = [];
  let index = start;
  for (;;) {
    const name = qualifiedName(statement, index);
    if (!name) return names;
    names.push(name.key);
    index = name.next;
    if (statement[index]?.text === '(') index = (callArguments(statement, index)?.close ?? statement.length) + 1;
    if (keyword(statement[index]) === 'on') index = qualifiedName(statement, index + 1)?.next ?? statement.length;
    if (statement[index]?.text !== ',') return names;
    index++;
  }
}

function checkAlterTable(statement: SqlToken[], droppedFirst: Set<string>, problems: Omit<MigrationProblem, 'file'>[]): void {
  let index = 2;
  if (keywordsAt(statement, index, 'if', 'exists')) index += 2;
  if (keyword(statement[index]) === 'only') index++;
  const table = qualifiedName(statement, index);
  if (!table) return;
  index = table.next;
  if (statement[index]?.text === '*') index++;
  for (const action of topLevelList(statement.slice(index))) {
    const verb = keyword(action[0]);
    if (verb === 'add') checkAddAction(action, table, droppedFirst, problems);
    else if (verb === 'drop') checkDropAction(action, table, droppedFirst, problems);
  }
}

function checkAddAction(action: SqlToken[], table: QualifiedName, droppedFirst: Set<string>, problems: Omit<MigrationProblem, 'file'>[]): void {
  const what = keyword(action[1]);
  const offset = action[0]!.start;
  if (what === 'constraint') {
    const name = qualifiedName(action, 2);
    if (!name || droppedFirst.has(`constraint ${name.key}`)) return;
    problems.push({
      offset,
      message: `\`ALTER TABLE ${table.text} ADD CONSTRAINT ${name.text}\` fails when the migration runs a second time: the constraint already exists, and PostgreSQL has no IF NOT EXISTS for constraints.`,
      fix: `Drop it first in the same migration (\`ALTER TABLE ${table.text} DROP CONSTRAINT IF EXISTS ${name.text}\`), or add it inside a DO block that checks pg_constraint.`,
    });
  } else if (what !== undefined && UNNAMED_CONSTRAINTS.has(what)) {
    problems.push({
      offset,
      message: `\`ALTER TABLE ${table.text} ADD ${action[1]!.text.toUpperCase()}${keyword(action[2]) === 'key' ? ' KEY' : ''} …\` adds a constraint without a name: a second run fails or adds a duplicate constraint.`,
      fix: `Name it (\`ADD CONSTRAINT ${table.key}_…\`) and drop it first with \`ALTER TABLE ${table.text} DROP CONSTRAINT IF EXISTS ${table.key}_…\`.`,
    });
  } else {
    const at = what === 'column' ? 2 : 1;
    if (keywordsAt(action, at, 'if', 'not', 'exists')) return;
    const column = qualifiedName(action, at);
    problems.push({
      offset,
      message: `\`ALTER TABLE ${table.text} ADD${at === 2 ? ' COLUMN' : ''} ${column?.text ?? '…'}\` fails when the migration runs a second time: the column already exists.`,
      fix: `Write \`ADD COLUMN IF NOT EXISTS ${column?.text ?? '…'}\`.`,
    });
  }
}

function checkDropAction(action: SqlToken[], table: QualifiedName, droppedFirst: Set<string>, problems: Omit<MigrationProblem, 'file'>[]): void {
  const what = keyword(action[1]);
  const kind = what === 'constraint' ? 'constraint' : 'column';
  const at = what === 'constraint' || what === 'column' ? 2 : 1;
  if (keywordsAt(action, at, 'if', 'exists')) {
    const name = qualifiedName(action, at + 2);
    if (kind === 'constraint' && name) droppedFirst.add(`constraint ${name.key}`);
    return;
  }
  const name = qualifiedName(action, at);
  problems.push({
    offset: action[0]!.start,
    message: `\`ALTER TABLE ${table.text} DROP${at === 2 ? ` ${kind.toUpperCase()}` : ''} ${name?.text ?? '…'}\` fails when the migration runs a second time: the ${kind} is already gone.`,
    fix: `Write \`DROP ${kind.toUpperCase()} IF EXISTS ${name?.text ?? '…'}\`.`,
  });
}

/** `a.b.c` of words and quoted identifiers starting at `index`; undefined when none starts there. */
function qualifiedName(tokens: readonly SqlToken[], index: number): QualifiedName | undefined {
  const parts: SqlToken[] = [];
  let at = index;
  while (tokens[at]?.kind === 'word' || tokens[at]?.kind === 'quoted-identifier') {
    parts.push(tokens[at]!);
    at++;
    if (tokens[at]?.text !== '.' || tokens[at]?.kind !== 'punctuation') break;
    at++;
  }
  const last = parts[parts.length - 1];
  if (!last) return undefined;
  return {
    text: parts.map((part) => part.text).join('.'),
    key: last.kind === 'word' ? last.text.toLowerCase() : last.value,
    next: at,
  };
}

/** Splits an `ALTER TABLE` action list at commas outside brackets. */
function topLevelList(tokens: readonly SqlToken[]): SqlToken[][] {
  const items: SqlToken[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (token.kind === 'punctuation') {
      if (token.text === '(' || token.text === '[') depth++;
      else if (token.text === ')' || token.text === ']') depth--;
      else if (token.text === ',' && depth === 0) {
        items.push([]);
        continue;
      }
    }
    items[items.length - 1]!.push(token);
  }
  return items.filter((item) => item.length > 0);
}

import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { ExitCode, TrtError } from '../core/errors.js';
import { packageFile } from '../core/package-root.js';
import { parseTruth } from '../core/truth.js';
import type { Detection } from '../init/detect.js';

interface InitFlags {
  root: string;
  force?: boolean;
  stdout?: boolean;
}

/** Where the starter file goes, relative to the root. */
const TRUTH_FILE = 'product/truth.yaml';

/**
 * `trt init`: writes a starter product/truth.yaml for an existing repository from what the code
 * shows (entrypoint, env reads, Fastify routes, quarantine and migrations folders), so that the
 * gates are useful on day one. Never overwrites a truth file unless told to with --force.
 */
export function registerInit(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('init')
    .description('write a starter product/truth.yaml for an existing repository')
    .option('--root <dir>', 'repository root', '.')
    .option('--force', `replace an existing ${TRUTH_FILE}`)
    .option('--stdout', 'print the starter file instead of writing it')
    .action((flags: InitFlags) =>
      run(async () => {
        const root = resolve(flags.root);
        if (!existsSync(root) || !statSync(root).isDirectory()) {
          throw new TrtError('ROOT_NOT_FOUND', `the root ${root} is not a folder`, 'pass an existing folder with --root DIR');
        }
        const target = join(root, TRUTH_FILE);
        if (!flags.stdout && !flags.force && existsSync(target)) {
          throw new TrtError(
            'FILE_EXISTS',
            `${target} already exists; trt init does not overwrite it`,
            'check it with `trt truth check`; pass --force to replace it, or --stdout to print a fresh starter beside it',
          );
        }

        // Loaded here, not at the top: every other command (and warm `trt verify`) must not pay for TypeScript.
        const [{ default: ts }, { detectRepository }, { renderTruth }, { snapshotOf }, { RULES }] = await Promise.all([
          import('typescript'),
          import('../init/detect.js'),
          import('../init/render.js'),
          import('../init/snapshot.js'),
          import('../verify/rules/index.js'),
        ]);
        const detection = detectRepository(ts, snapshotOf(ts, root));
        const text = renderTruth(detection, {
          schemaPath: schemaReference(root, dirname(target)),
          rules: RULES.map(({ id, description, defaultSeverity }) => ({ id, description, defaultSeverity })),
        });
        try {
          parseTruth(text, target);
        } catch (error) {
          const details = error instanceof TrtError ? [error.message, ...error.details].join('\n') : String(error);
          throw new Error(`trt init produced a truth file its own schema rejects:\n${details}\n--- file ---\n${text}`);
        }

        if (flags.stdout) {
          process.stdout.write(text);
          return ExitCode.ok;
        }
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, text);
        process.stdout.write(summary(target, detection));
        return ExitCode.ok;
      }),
    );
}

/**
 * The `$schema` the file's first line points editors at, relative to the truth file: the schema
 * of the trt that runs when it lives in this repository (trt itself, or trt installed in its
 * node_modules or a parent workspace's); otherwise where `npm install -D trt` will put it.
 */
function schemaReference(root: string, truthFolder: string): string {
  const shipped = packageFile('schemas/truth.schema.json');
  const within = (folder: string) => {
    const path = relative(folder, shipped);
    return path !== '' && !path.startsWith('..') && !isAbsolute(path);
  };
  const ancestors: string[] = [];
  for (let folder = root; ; folder = dirname(folder)) {
    ancestors.push(folder);
    if (dirname(folder) === folder) break;
  }
  const local = within(root) || ancestors.some((folder) => within(join(folder, 'node_modules')));
  return local ? relative(truthFolder, shipped).replace(/\\/g, '/') : '../node_modules/trt/schemas/truth.schema.json';
}

function summary(target: string, detection: Detection): string {
  const found = [
    detection.entrypoint ? `entrypoint ${detection.entrypoint.blessed}` : 'no entrypoint (add one)',
    `${detection.routes.length} route${detection.routes.length === 1 ? '' : 's'}`,
    `${detection.env.length} env variable${detection.env.length === 1 ? '' : 's'}`,
    ...(detection.migrations ? [`migrations in ${detection.migrations.folder}`] : []),
    ...(detection.quarantine ? [`quarantine ${detection.quarantine}`] : []),
  ];
  return `✔ wrote ${target}: ${found.join(', ')}\nnext: review it (every guess is commented), then run \`npx trt verify\`\n`;
}

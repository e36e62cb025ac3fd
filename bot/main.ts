/**
 * The bot's single entrypoint (entrypoint.blessed in product/truth.yaml, `npm start`).
 * Configuration problems stop the start with one line naming what to fix; SIGTERM and SIGINT
 * stop gracefully (the standby takes over at once because the lock is released, not left to go
 * stale).
 */
import type { Logger } from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './log.js';
import { startBot, type RunningBot } from './app.js';
import { MigrationError } from './db/migrate.js';
import { TrtError } from '../cli/core/errors.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`trt-bot: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  const log = createLogger(config.logLevel, config.secretValues);
  // Signals are handled from the first moment: a SIGTERM during the start (a deploy cancelled,
  // a test) must still end in a graceful stop, not in the default kill.
  let running: RunningBot | null = null;
  let pending: NodeJS.Signals | null = null;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      exitAfterFlush(log, 1);
      return;
    }
    if (!running) {
      pending = signal;
      log.info({ signal }, 'signal during start: stopping as soon as the start completes');
      return;
    }
    running.stop(signal).then(
      () => exitAfterFlush(log, 0),
      (error: unknown) => {
        log.error({ err: error }, 'graceful stop failed');
        exitAfterFlush(log, 1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    running = await startBot(config, log);
  } catch (error) {
    // Problems in files the operator controls (migrations, the model registry) refuse the start
    // with what to fix; anything else is a failure with its stack in the log.
    const refused = error instanceof MigrationError || error instanceof TrtError;
    log.fatal({ err: error }, refused ? 'start refused' : 'start failed');
    const details = error instanceof TrtError ? error.details.map((detail) => `\n  ${detail}`).join('') : '';
    process.stderr.write(`trt-bot: ${refused ? 'start refused' : 'start failed'}: ${error instanceof Error ? error.message : String(error)}${details}\n`);
    exitAfterFlush(log, refused ? 2 : 1);
    return;
  }
  if (pending) {
    signals -= 1;
    onSignal(pending);
  }
}

/** pino writes asynchronously: the last lines (why we stopped) must reach the log before exit. */
function exitAfterFlush(log: Logger, code: number): void {
  log.flush(() => process.exit(code));
}

await main();

/**
 * What `trt ops` never prints, and which database it reads: one answer for `ops logs`, `ops db`,
 * `critical5` and `snapshot`.
 */
import { safeDecode } from '../../bot/db/pool.js';
import { secretValuesFrom } from '../core/redact.js';
import type { Truth } from '../core/truth.js';

/**
 * Every `env.secret` variable of the truth, the Render API key (whatever the truth says), and a
 * database URL with its password: a --url on the command line is held by no variable.
 */
export function opsSecretValues(truth: Truth, env: NodeJS.ProcessEnv = process.env, url?: string): string[] {
  const variables = secretValuesFrom([...new Set([...(truth.env?.secret ?? []), 'RENDER_API_KEY'])], env);
  return url === undefined ? variables : [...variables, url, ...passwordsOf(url)];
}

/** The database `trt ops` checks: --url, else DATABASE_URL_READONLY, else DATABASE_URL; undefined when none is set. */
export function opsDatabaseUrl(flagUrl: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flagUrl || env.DATABASE_URL_READONLY || env.DATABASE_URL || undefined;
}

function passwordsOf(url: string): string[] {
  try {
    const password = new URL(url).password;
    return password ? [password, safeDecode(password)] : [];
  } catch {
    const conninfo = /(?:^|\s)password\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))/i.exec(url);
    const password = conninfo?.[1] ?? conninfo?.[2];
    return password ? [password] : [];
  }
}

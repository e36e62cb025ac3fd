#!/usr/bin/env node
/**
 * The baseline of bench/bot-bench.mjs: the least a Telegram webhook can do on Fastify — check the
 * secret header, parse the JSON body, answer `{"ok":true}` — in a process of its own, so it is
 * measured exactly like the bot (same client, same loopback, its own event loop).
 *
 * Environment: WEBHOOK_SECRET (required), PORT (default 0: a free port). Prints
 * `listening http://127.0.0.1:<port>` once it accepts connections; SIGTERM or SIGINT closes it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';

const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

const secret = process.env.WEBHOOK_SECRET;
if (!secret) {
  process.stderr.write('bare-webhook-server: set WEBHOOK_SECRET (the value the client sends in X-Telegram-Bot-Api-Secret-Token)\n');
  process.exit(2);
}
const digest = (value) => createHash('sha256').update(value).digest();
const expected = digest(secret);

/** The bot's own check (bot/http/auth.ts), so the baseline does no less work on this path. */
function secretMatches(presented) {
  return typeof presented === 'string' && timingSafeEqual(digest(presented), expected);
}

const app = Fastify({ logger: false, bodyLimit: 1048576 });
app.post(
  '/webhook',
  {
    onRequest: async (request, reply) => {
      if (!secretMatches(request.headers[SECRET_HEADER])) {
        return reply.code(401).send({ ok: false, error: 'wrong or missing X-Telegram-Bot-Api-Secret-Token' });
      }
    },
  },
  async () => ({ ok: true }),
);

const url = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.stdout.write(`listening ${url}\n`);

const close = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', close);
process.once('SIGINT', close);

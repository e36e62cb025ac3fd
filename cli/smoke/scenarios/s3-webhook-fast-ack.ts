/**
 * S3: N synthetic updates are each answered 200 within the webhook SLA (p50/p95/max reported),
 * and an update without the secret header, or with a wrong one, is refused with 401/403 and
 * leaves no trace. The updates are edited messages: stored and dispatched like any update, but
 * the bot sends nothing back, so a production run does not fill the smoke chat with replies.
 */
import { randomBytes } from 'node:crypto';
import { cut, round, type SmokeContext, type Evidence } from '../context.js';
import { fail, pass, type Scenario } from '../scenario.js';
import { percentile } from '../stats.js';

export const s3WebhookFastAck: Scenario = {
  id: 'S3',
  title: 'webhook fast-ack',
  needs: ['chat-id', 'webhook-secret', 'admin-secret'],
  plan: (settings) => [
    { method: 'POST', target: 'url', path: '/webhook', times: settings.thresholds.S3.requests, note: `synthetic edited messages from chat ${settings.chatId}, one at a time` },
    { method: 'POST', target: 'url', path: '/webhook', times: 2, note: 'one without the secret header, one with a wrong secret: must be refused' },
    { method: 'GET', target: 'url', path: '/admin/events?update_id=…', times: 3, note: 'the refused updates left no event; the last accepted one was stored' },
  ],
  async run(context) {
    const { requests, slaMs } = context.settings.thresholds.S3;
    const latencies: number[] = [];
    const problems: string[] = [];
    let lastId = 0;
    for (let index = 0; index < requests; index++) {
      const update = context.updates.editedMessage(`trt smoke S3 ${index + 1}/${requests}`);
      lastId = update.update_id as number;
      const response = await context.postUpdate('url', update);
      latencies.push(response.ms);
      if (response.status !== 200) problems.push(`update ${lastId} answered ${response.status}: ${cut(response.text, 120)}`);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const slow = latencies.filter((ms) => ms > slaMs).length;
    const evidence: Evidence = {
      requests,
      sla_ms: slaMs,
      p50_ms: round(percentile(sorted, 50)),
      p95_ms: round(percentile(sorted, 95)),
      max_ms: round(sorted.at(-1) ?? 0),
      over_sla: slow,
      ...(problems.length > 0 ? { not_200: problems.slice(0, 5) } : {}),
    };
    if (problems.length > 0) return fail(`${problems.length} of ${requests} updates were not answered 200 (first: ${problems[0]})`, evidence);
    if (slow > 0) return fail(`${slow} of ${requests} updates were answered over the ${slaMs} ms SLA (p95 ${evidence.p95_ms} ms, max ${evidence.max_ms} ms)`, evidence);

    const stored = await context.events('url', { updateId: lastId });
    if (!stored.some((event) => event.event === 'UPDATE_RECEIVED')) {
      return fail(`update ${lastId} was answered 200 but no UPDATE_RECEIVED event was recorded: was it stored before the 200?`, { ...evidence, events: stored.map((event) => event.event) });
    }
    const refusals = await secretRefusals(context);
    evidence.secret_check = refusals.results;
    if (refusals.problem) return fail(refusals.problem, evidence);
    return pass(`${requests} updates answered 200, p50 ${evidence.p50_ms} ms, p95 ${evidence.p95_ms} ms, max ${evidence.max_ms} ms (SLA ${slaMs} ms); missing and wrong secrets refused, nothing recorded`, evidence);
  },
};

async function secretRefusals(context: SmokeContext): Promise<{ results: Evidence[]; problem: string | null }> {
  const cases = [
    { name: 'no secret header', secret: null },
    { name: 'a wrong secret', secret: `trt-smoke-wrong-${randomBytes(8).toString('hex')}` },
  ];
  const results: Evidence[] = [];
  let problem: string | null = null;
  for (const { name, secret } of cases) {
    const update = context.updates.editedMessage(`trt smoke S3: ${name}, must be refused`);
    const updateId = update.update_id as number;
    const response = await context.postUpdate('url', update, { secret });
    const recorded = (await context.events('url', { updateId })).map((event) => event.event);
    results.push({ case: name, update_id: updateId, status: response.status, recorded });
    if (problem) continue;
    if (response.status !== 401 && response.status !== 403) {
      problem = `an update with ${name} was answered ${response.status}, expected 401 or 403: the webhook does not check X-Telegram-Bot-Api-Secret-Token`;
    } else if (recorded.length > 0) {
      problem = `an update with ${name} was refused but still recorded (${recorded.join(', ')})`;
    }
  }
  return { results, problem };
}

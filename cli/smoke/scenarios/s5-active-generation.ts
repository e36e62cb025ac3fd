/**
 * S5 (only with --allow-mutations): the smoke chat generates an image with the test model on the
 * ACTIVE, end to end — pick the model, send a prompt, confirm — and the photo is delivered and
 * the balance is debited exactly once. S5 first grants the chat the model's price, so the run
 * leaves the balance where it found it.
 */
import type { AppEvent } from '../../../bot/events/events.js';
import { pollBound, round, timeline, type Evidence } from '../context.js';
import { fail, pass, type Scenario } from '../scenario.js';

/** How a generation ends without a photo. */
const FAILED = new Set(['GENERATION_FAILED', 'GENERATION_EXPIRED', 'GENERATION_REFUSED', 'DISPATCH_FAIL']);
const ENDED = new Set(['GENERATION_CAPTURED', ...FAILED]);


export const s5ActiveGeneration: Scenario = {
  id: 'S5',
  title: 'ACTIVE generation',
  needs: ['allow-mutations', 'chat-id', 'webhook-secret', 'admin-secret'],
  plan: (settings) => {
    const { model, resultWithinMs } = settings.thresholds.S5;
    const price = settings.s5Price;
    return [
      { method: 'GET', target: 'url', path: `/admin/credits?chat_id=${settings.chatId}`, times: 2, note: 'balance and ledger before and after' },
      { method: 'POST', target: 'url', path: '/admin/credits', times: 1, note: `grant the smoke chat ${typeof price === 'number' ? price : '?'} credit(s), the price of ${model ?? '?'}` },
      { method: 'POST', target: 'url', path: '/webhook', times: 3, note: `synthetic press "model:${model ?? '?'}", a prompt, press "gen:confirm"` },
      { method: 'GET', target: 'url', path: '/admin/events?…', times: 2 + pollBound(resultWithinMs), note: 'poll until the photo is sent' },
    ];
  },
  async run(context) {
    const { model, resultWithinMs } = context.settings.thresholds.S5;
    const price = context.settings.s5Price;
    if (model === null || typeof price === 'string') return fail(typeof price === 'string' ? price : 'no S5 model');
    const before = await context.credits('url');
    if (typeof before.balance !== 'number') return fail('GET /admin/credits did not answer a numeric balance', { credits: before });

    const pick = context.updates.callbackQuery(`model:${model}`);
    const grantRef = `trt-smoke:S5:${String(pick.update_id)}`;
    const grant = await context.admin<{ applied?: unknown; balance?: unknown }>('url', 'POST', '/admin/credits', { chat_id: context.settings.chatId, amount: price, ref: grantRef });
    if (grant.applied !== true) return fail(`the grant of ${price} credit(s) was not applied`, { grant });
    const granted = before.balance + price;

    const prompt = context.updates.text('trt smoke: a small red square on white');
    const confirm = context.updates.callbackQuery('gen:confirm');
    for (const update of [pick, prompt, confirm]) {
      const response = await context.postUpdate('url', update);
      if (response.status !== 200) return fail(`POST /webhook answered ${response.status} to update ${String(update.update_id)}, expected 200`, { status: response.status });
    }
    const confirmId = confirm.update_id as number;
    const cidOf = await context.poll(async () => (await context.events('url', { updateId: confirmId })).find((event) => event.cid !== null)?.cid ?? undefined, 5000);
    if (!cidOf.value) return fail(`no event with a cid for the confirm update ${confirmId}`, { update_id: confirmId });
    const cid = cidOf.value;

    const outcome = await context.pollEvents('url', { cid }, (events) => {
      const ended = events.some((event) => ENDED.has(event.event));
      const delivered = events.some((event) => event.event === 'REPLY_SENT' && event.data.method === 'sendPhoto');
      return (ended && delivered) || events.some((event) => FAILED.has(event.event));
    }, resultWithinMs);
    const events = outcome.events;
    const after = await context.credits('url');
    const entries = (after.entries ?? []).filter((entry) => entry.cid === cid);
    const evidence: Evidence = {
      model,
      price,
      cid,
      result_ms: round(outcome.ms),
      within_ms: resultWithinMs,
      balance: { before: before.balance, granted, after: after.balance ?? null },
      ledger: entries,
      events: timeline(events),
    };
    const refused = events.find((event) => FAILED.has(event.event));
    if (refused) return fail(`the generation ended in ${refused.event}: ${JSON.stringify(refused.data)}`, evidence);
    if (!outcome.done) return fail(`no photo within ${resultWithinMs} ms (last event: ${lastEvent(events)})`, evidence);

    const debits = entries.filter((entry) => typeof entry.amount === 'number' && entry.amount < 0);
    if (debits.length !== 1) return fail(`the generation was debited ${debits.length} times, expected exactly once`, evidence);
    if (debits[0]!.amount !== -price) return fail(`the generation was debited ${String(-(debits[0]!.amount as number))} credit(s), the price is ${price}`, evidence);
    if (after.balance !== granted - price) return fail(`the balance is ${String(after.balance)}, expected ${granted - price} (${granted} after the grant, minus ${price})`, evidence);
    return pass(`${model} delivered a photo in ${round(outcome.ms)} ms; debited ${price} credit(s) once (balance ${before.balance} → ${granted} → ${String(after.balance)})`, evidence);
  },
};

function lastEvent(events: readonly AppEvent[]): string {
  return events.at(-1)?.event ?? 'none';
}

/**
 * S4: the standby (--passive-url) keeps users informed without acting. Button presses are
 * answered within `answer_within_ms` with the "updating" notice (a PASSIVE_REJECT event, before
 * the 200), a payment's pre-checkout is refused, and nothing is generated or charged.
 *
 * The presses are a cancel followed by a confirm: whoever processes the stored updates later
 * (the ACTIVE, in order per chat) finds nothing to confirm, so the run charges nobody even when
 * the smoke chat had a generation waiting for confirmation.
 *
 * Against the real Telegram a synthetic query id is refused by Telegram itself (400 "query ID is
 * invalid"): the standby did answer in time, so that counts as answered and is noted.
 */
import type { AppEvent } from '../../../bot/events/events.js';
import { cut, pollBound, round, timeline, type Evidence, type SmokeContext } from '../context.js';
import { fail, pass, type Scenario } from '../scenario.js';

const SPENDING_EVENTS = new Set(['GENERATION_RESERVED', 'KIE_TASK_CREATED', 'GENERATION_CAPTURED', 'PAYMENT_CREDITED', 'CREDITS_GRANTED']);
/** How long to wait for an ACTIVE to process the stored presses before judging "nothing charged". */
const PROCESSING_WAIT_MS = 3000;
const PRE_CHECKOUT_CREDITS = 10;


export const s4PassiveUx: Scenario = {
  id: 'S4',
  title: 'PASSIVE UX',
  needs: ['passive-url', 'chat-id', 'webhook-secret', 'admin-secret'],
  plan: (settings) => [
    { method: 'GET', target: 'passive-url', path: '/health', times: 1, note: 'read only: must be PASSIVE' },
    { method: 'GET', target: 'passive-url', path: `/admin/credits?chat_id=${settings.chatId}`, times: 2, note: 'balance before and after' },
    { method: 'POST', target: 'passive-url', path: '/webhook', times: 3, note: 'synthetic presses "gen:cancel" and "gen:confirm" and a pre-checkout query' },
    { method: 'GET', target: 'passive-url', path: '/admin/events?update_id=…', times: 3 + pollBound(PROCESSING_WAIT_MS), note: 'PASSIVE_REJECT for each; then poll until processed' },
  ],
  async run(context) {
    const withinMs = context.settings.thresholds.S4.answerWithinMs;
    const health = await context.request('passive-url', { method: 'GET', path: '/health' });
    const lockState = (health.json as { lock_state?: unknown } | undefined)?.lock_state;
    if (health.status !== 200) return fail(`the standby's /health answered ${health.status}`, { status: health.status, body: cut(health.text) });
    if (lockState !== 'PASSIVE') return fail(`the --passive-url instance reports lock_state ${JSON.stringify(lockState)}, not PASSIVE: point --passive-url at the standby`, { health: health.json });

    const before = await context.credits('passive-url');
    const presses = [
      { what: 'press "gen:cancel"', update: context.updates.callbackQuery('gen:cancel') },
      { what: 'press "gen:confirm"', update: context.updates.callbackQuery('gen:confirm') },
      { what: 'pre-checkout of a Stars payment', update: context.updates.preCheckoutQuery(PRE_CHECKOUT_CREDITS) },
    ];
    const answers: Evidence[] = [];
    const problems: string[] = [];
    let telegramRefused = 0;
    for (const { what, update } of presses) {
      const updateId = update.update_id as number;
      const response = await context.postUpdate('passive-url', update);
      const events = response.status === 200 ? await rejectEvents(context, updateId, withinMs) : [];
      const reject = events.find((event) => event.event === 'PASSIVE_REJECT');
      const answered = reject?.data.answered === true;
      const refusedByTelegram = !answered && typeof reject?.data.telegram_error_code === 'number';
      if (refusedByTelegram) telegramRefused++;
      const elapsed = typeof reject?.data.elapsed_ms === 'number' ? reject.data.elapsed_ms : null;
      answers.push({ what, update_id: updateId, status: response.status, webhook_ms: round(response.ms), passive_reject: reject?.data ?? null });
      if (response.status !== 200) problems.push(`the ${what} was answered ${response.status}, expected 200`);
      else if (!reject) problems.push(`the ${what} got no PASSIVE_REJECT: the standby did not answer it (the user sees a spinner)`);
      else if (!answered && !refusedByTelegram) problems.push(`the standby could not answer the ${what}: ${String(reject.data.error ?? 'no reason recorded')}`);
      else if (response.ms > withinMs || (elapsed !== null && elapsed > withinMs)) problems.push(`the ${what} was answered after ${round(Math.max(response.ms, elapsed ?? 0))} ms, over ${withinMs} ms`);
    }
    const evidence: Evidence = { within_ms: withinMs, answers };
    if (problems.length > 0) return fail(problems.join('; '), evidence);

    const lastId = presses.at(-1)!.update.update_id as number;
    const processed = await context.poll(async () => {
      const events = await context.events('passive-url', { updateId: lastId });
      return events.some((event) => event.event === 'DISPATCH_OK' || event.event === 'DISPATCH_FAIL') ? true : undefined;
    }, PROCESSING_WAIT_MS);
    const all: AppEvent[] = [];
    for (const { update } of presses) all.push(...(await context.events('passive-url', { updateId: update.update_id as number })));
    const cids = new Set(all.map((event) => event.cid).filter((cid): cid is string => cid !== null));
    const spent = all.filter((event) => SPENDING_EVENTS.has(event.event));
    const after = await context.credits('passive-url');
    const newEntries = (after.entries ?? []).filter((entry) => typeof entry.cid === 'string' && cids.has(entry.cid));
    Object.assign(evidence, {
      processed_by_active: processed.value === true,
      balance_before: before.balance ?? null,
      balance_after: after.balance ?? null,
      events: timeline(all),
    });
    if (spent.length > 0) return fail(`the presses sent to the standby led to ${spent.map((event) => event.event).join(', ')}: something generated or charged`, evidence);
    if (newEntries.length > 0) return fail(`ledger entries appeared for the standby's updates: ${cut(JSON.stringify(newEntries), 300)}`, { ...evidence, ledger: newEntries });
    if (before.balance !== after.balance) return fail(`the smoke chat's balance changed from ${String(before.balance)} to ${String(after.balance)} during S4`, evidence);
    const note = telegramRefused > 0 ? `; Telegram refused ${telegramRefused} synthetic query id(s), as it does for ids it did not issue` : '';
    const queued = processed.value === true ? 'later processed by the ACTIVE without a charge' : `not processed by an ACTIVE within ${PROCESSING_WAIT_MS} ms, nothing charged`;
    return pass(`the standby answered 2 presses and refused a payment within ${withinMs} ms; ${queued}${note}`, evidence);
  },
};

async function rejectEvents(context: SmokeContext, updateId: number, withinMs: number): Promise<AppEvent[]> {
  const seen = await context.pollEvents('passive-url', { updateId }, (events) => events.some((event) => event.event === 'PASSIVE_REJECT'), withinMs);
  return seen.events;
}

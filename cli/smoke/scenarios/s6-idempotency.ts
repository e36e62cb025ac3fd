/**
 * S6: one update delivered six times — twice in a row, then four at once, as Telegram does when
 * it retries — is answered 200 every time and processed exactly once: one DISPATCH_OK, the
 * other deliveries UPDATE_DUPLICATE. An edited message, so nothing is sent to the smoke chat.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cut, pollBound, round, timeline } from '../context.js';
import { fail, pass, type Scenario } from '../scenario.js';

const SEQUENTIAL = 2;
const CONCURRENT = 4;
const PROCESSING_WAIT_MS = 5000;
/** After the first DISPATCH_OK, how long a second one gets to show up before "exactly once" is judged. */
const SETTLE_MS = 500;

export const s6Idempotency: Scenario = {
  id: 'S6',
  title: 'idempotency',
  needs: ['chat-id', 'webhook-secret', 'admin-secret'],
  plan: () => [
    { method: 'POST', target: 'url', path: '/webhook', times: SEQUENTIAL + CONCURRENT, note: `one synthetic edited message, ${SEQUENTIAL} times in a row then ${CONCURRENT} at once` },
    { method: 'GET', target: 'url', path: '/admin/events?update_id=…', times: 1 + pollBound(PROCESSING_WAIT_MS), note: 'poll until processed, then count' },
  ],
  async run(context) {
    const update = context.updates.editedMessage('trt smoke S6: one update, six deliveries');
    const updateId = update.update_id as number;
    const statuses: number[] = [];
    const latencies: number[] = [];
    for (let index = 0; index < SEQUENTIAL; index++) {
      const response = await context.postUpdate('url', update);
      statuses.push(response.status);
      latencies.push(round(response.ms));
    }
    const concurrent = await Promise.all(Array.from({ length: CONCURRENT }, () => context.postUpdate('url', update)));
    for (const response of concurrent) {
      statuses.push(response.status);
      latencies.push(round(response.ms));
    }
    const deliveries = statuses.length;
    const evidence: Record<string, unknown> = { update_id: updateId, deliveries, statuses, latencies_ms: latencies };
    const refused = statuses.filter((status) => status !== 200);
    if (refused.length > 0) return fail(`${refused.length} of ${deliveries} deliveries were not answered 200 (${refused.join(', ')}): Telegram would keep retrying`, evidence);

    const processed = await context.poll(async () => {
      const events = await context.events('url', { updateId });
      return events.some((event) => event.event === 'DISPATCH_OK' || event.event === 'DISPATCH_FAIL') ? events : undefined;
    }, PROCESSING_WAIT_MS);
    if (processed.value) await sleep(SETTLE_MS);
    const events = await context.events('url', { updateId });
    const count = (name: string) => events.filter((event) => event.event === name).length;
    const counts = { UPDATE_RECEIVED: count('UPDATE_RECEIVED'), UPDATE_DUPLICATE: count('UPDATE_DUPLICATE'), DISPATCH_OK: count('DISPATCH_OK'), DISPATCH_FAIL: count('DISPATCH_FAIL') };
    Object.assign(evidence, { counts, events: timeline(events) });
    if (counts.DISPATCH_OK + counts.DISPATCH_FAIL === 0) return fail(`the update was not processed within ${PROCESSING_WAIT_MS} ms (no DISPATCH_OK): is an ACTIVE instance running?`, evidence);
    if (counts.DISPATCH_FAIL > 0 && counts.DISPATCH_OK === 0) return fail(`the update failed to process: ${cut(JSON.stringify(events.find((event) => event.event === 'DISPATCH_FAIL')?.data ?? {}), 200)}`, evidence);
    if (counts.DISPATCH_OK > 1) return fail(`one update was processed ${counts.DISPATCH_OK} times (${counts.DISPATCH_OK} DISPATCH_OK for update_id ${updateId}): duplicates are not dropped`, evidence);
    if (counts.UPDATE_RECEIVED !== 1 || counts.UPDATE_DUPLICATE !== deliveries - 1) {
      return fail(`${deliveries} deliveries recorded ${counts.UPDATE_RECEIVED} UPDATE_RECEIVED and ${counts.UPDATE_DUPLICATE} UPDATE_DUPLICATE, expected 1 and ${deliveries - 1}`, evidence);
    }
    return pass(`${deliveries} deliveries (${CONCURRENT} concurrent) answered 200; processed once, ${counts.UPDATE_DUPLICATE} recorded as UPDATE_DUPLICATE`, evidence);
  },
};

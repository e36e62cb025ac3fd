/**
 * S7: a malformed update (fields of the wrong types) is survived: the service keeps answering,
 * its uptime is not reset (no crash and restart), and the update ends in a recorded
 * UPDATE_INVALID or DISPATCH_FAIL with its cid — never dropped silently. The malformed update
 * is sent once: a retry could crash a fragile service again.
 */
import { cut, pollBound, round, ScenarioAbort, timeline, type SmokeContext } from '../context.js';
import { fail, pass, type Scenario } from '../scenario.js';

const RECORD_WAIT_MS = 3000;

export const s7NoCrash: Scenario = {
  id: 'S7',
  title: 'no crash',
  needs: ['chat-id', 'webhook-secret', 'admin-secret'],
  plan: () => [
    { method: 'GET', target: 'url', path: '/health', times: 2, note: 'read only: uptime before and after' },
    { method: 'POST', target: 'url', path: '/webhook', times: 1, note: 'one synthetic update with fields of the wrong types' },
    { method: 'GET', target: 'url', path: '/admin/events?update_id=…', times: pollBound(RECORD_WAIT_MS), note: 'poll for UPDATE_INVALID or DISPATCH_FAIL' },
  ],
  async run(context) {
    const before = await uptime(context);
    const update = context.updates.malformed();
    const updateId = update.update_id as number;
    let status: number;
    try {
      status = (await context.postUpdate('url', update, { retries: 0 })).status;
    } catch (error) {
      if (!(error instanceof ScenarioAbort)) throw error;
      const after = await uptime(context).catch((abort: unknown) => (abort instanceof ScenarioAbort ? abort.message : String(abort)));
      return fail(`the service dropped a malformed update without an answer (${error.message})`, { update_id: updateId, sent: update, health_before: before, health_after: after });
    }
    const after = await uptime(context);
    const evidence: Record<string, unknown> = { update_id: updateId, sent: update, status, health_before: before, health_after: after };
    if (before.uptimeS !== null && after.uptimeS !== null && after.uptimeS < before.uptimeS) {
      return fail(`uptime went from ${before.uptimeS} s to ${after.uptimeS} s: the process restarted after a malformed update`, evidence);
    }
    if (status >= 500) return fail(`a malformed update was answered ${status}: Telegram would retry it forever`, evidence);

    const recorded = await context.pollEvents('url', { updateId }, (events) => events.some((event) => (event.event === 'UPDATE_INVALID' || event.event === 'DISPATCH_FAIL') && event.cid), RECORD_WAIT_MS);
    const events = recorded.events;
    evidence.events = timeline(events);
    const outcome = events.find((event) => (event.event === 'UPDATE_INVALID' || event.event === 'DISPATCH_FAIL') && event.cid);
    if (!outcome) return fail(`no UPDATE_INVALID or DISPATCH_FAIL with a cid for the malformed update ${updateId} within ${RECORD_WAIT_MS} ms: it was dropped silently`, evidence);
    const reason = typeof outcome.data.reason === 'string' ? ` (${cut(outcome.data.reason, 120)})` : '';
    const still = before.uptimeS !== null && after.uptimeS !== null ? `still up (uptime ${before.uptimeS} s → ${after.uptimeS} s)` : `still answering (uptime not compared: /health answered ${after.status}, see S0)`;
    return pass(`answered ${status}, ${still}, recorded as ${outcome.event}${reason} under cid ${outcome.cid} ${round(recorded.ms)} ms later`, evidence);
  },
};

/** The service's uptime from /health; null when /health cannot tell (S0 judges /health itself). */
async function uptime(context: SmokeContext): Promise<{ status: number; uptimeS: number | null }> {
  const response = await context.request('url', { method: 'GET', path: '/health' });
  const value = (response.json as { uptime_s?: unknown } | undefined)?.uptime_s;
  return { status: response.status, uptimeS: response.status === 200 && typeof value === 'number' ? value : null };
}

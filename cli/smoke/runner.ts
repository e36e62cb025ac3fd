/**
 * Runs the selected scenarios one after another against the live service and collects the
 * report. A scenario whose needs are not met is skipped with a reason naming the flag or
 * variable to provide (a failure when --require lists it); a request that gets no answer fails
 * only the scenario that sent it. Every string in the report passes through the secret
 * redactor before anyone sees it.
 */
import { redactJson, secretRedactor } from '../core/redact.js';
import { ScenarioAbort, SmokeContext } from './context.js';
import { HttpClient } from './http.js';
import type { Need, PlannedRequest, Scenario, ScenarioResult, SmokeReport, Verdict } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';
import type { SmokeSettings } from './settings.js';

export interface RunHooks {
  onStart?: (scenario: Scenario) => void;
  onEnd?: (result: ScenarioResult) => void;
}

export async function runSmoke(settings: SmokeSettings, hooks: RunHooks = {}): Promise<SmokeReport> {
  const startedAt = new Date();
  const started = performance.now();
  const http = new HttpClient({ maxRequests: settings.maxRequests, budgetedOrigins: [settings.url, ...(settings.passiveUrl ? [settings.passiveUrl] : [])] });
  const context = new SmokeContext(settings, http);
  const redact = secretRedactor(settings.secretValues);
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of selected(settings)) {
      hooks.onStart?.(scenario);
      const result = redactJson(await runOne(scenario, context), redact);
      results.push(result);
      hooks.onEnd?.(result);
    }
  } finally {
    await http.close();
  }
  const count = (status: ScenarioResult['status']) => results.filter((result) => result.status === status).length;
  return {
    url: redact(settings.url),
    passiveUrl: settings.passiveUrl === null ? null : redact(settings.passiveUrl),
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    scenarios: results,
    summary: { passed: count('pass'), failed: count('fail'), skipped: count('skip') },
  };
}

async function runOne(scenario: Scenario, context: SmokeContext): Promise<ScenarioResult> {
  const started = performance.now();
  const base = { id: scenario.id, title: scenario.title };
  const unmet = unmetNeeds(scenario, context.settings);
  if (unmet.length > 0) {
    const needs = unmet.join('; ');
    const required = context.settings.required.has(scenario.id);
    return { ...base, status: required ? 'fail' : 'skip', reason: required ? `required (--require ${scenario.id}) but it cannot run: ${needs}` : `skipped: ${needs}`, durationMs: 0, evidence: { unmet } };
  }
  context.takeRetries();
  let verdict: Verdict;
  try {
    verdict = await scenario.run(context);
  } catch (error) {
    if (!(error instanceof ScenarioAbort)) throw error;
    verdict = { status: 'fail', reason: error.message, evidence: error.evidence };
  }
  const retries = context.takeRetries();
  const evidence = retries.length > 0 ? { ...verdict.evidence, network_retries: retries } : verdict.evidence;
  return { ...base, ...verdict, evidence, durationMs: Math.round(performance.now() - started) };
}

function selected(settings: SmokeSettings): Scenario[] {
  return SCENARIOS.filter((scenario) => settings.scenarios.includes(scenario.id));
}

/** What is missing for `scenario` to run, each said as what to pass or set. */
export function unmetNeeds(scenario: Scenario, settings: SmokeSettings): string[] {
  return scenario.needs.filter((need) => !isMet(need, settings)).map((need) => describeNeed(need, settings));
}

function isMet(need: Need, settings: SmokeSettings): boolean {
  switch (need) {
    case 'chat-id':
      return settings.chatId !== null;
    case 'webhook-secret':
      return settings.webhookSecret.value !== null;
    case 'admin-secret':
      return settings.adminSecret.value !== null;
    case 'passive-url':
      return settings.passiveUrl !== null;
    case 'allow-mutations':
      return settings.allowMutations;
    case 'spawn':
      return settings.spawnCommand !== null;
  }
}

function describeNeed(need: Need, settings: SmokeSettings): string {
  switch (need) {
    case 'chat-id':
      return 'set smoke.chat_id in truth.yaml (the test chat synthetic updates come from)';
    case 'webhook-secret':
      return `set ${settings.webhookSecret.env} in the environment (the webhook secret; truth.yaml security.webhook_secret_env)`;
    case 'admin-secret':
      return `set ${settings.adminSecret.env} in the environment (the admin API secret; truth.yaml security.admin_secret_env)`;
    case 'passive-url':
      return 'pass --passive-url with the standby (PASSIVE) instance\'s URL';
    case 'allow-mutations':
      return 'pass --allow-mutations to let it generate for the smoke chat (it grants the price first)';
    case 'spawn':
      return 'pass --spawn "CMD" to start the service (it gets PORT) and time its cold start';
  }
}

export interface PlannedScenario {
  id: string;
  title: string;
  runs: boolean;
  unmet: string[];
  requests: PlannedRequest[];
}

/** What `--dry-run` shows: per scenario whether it would run and the requests it would send. Nothing is sent. */
export function planSmoke(settings: SmokeSettings): PlannedScenario[] {
  return selected(settings).map((scenario) => {
    const unmet = unmetNeeds(scenario, settings);
    return { id: scenario.id, title: scenario.title, runs: unmet.length === 0, unmet, requests: scenario.plan(settings) };
  });
}

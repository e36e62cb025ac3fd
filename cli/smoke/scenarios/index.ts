/** The scenarios in the order they run: reads first, then what posts, the spawned process last. */
import type { Scenario } from '../scenario.js';
import { s0Health } from './s0-health.js';
import { s1BotResponsive } from './s1-bot-responsive.js';
import { s2Storage } from './s2-storage.js';
import { s3WebhookFastAck } from './s3-webhook-fast-ack.js';
import { s4PassiveUx } from './s4-passive-ux.js';
import { s5ActiveGeneration } from './s5-active-generation.js';
import { s6Idempotency } from './s6-idempotency.js';
import { s7NoCrash } from './s7-no-crash.js';
import { s8ColdStart } from './s8-cold-start.js';

export const SCENARIOS: readonly Scenario[] = [s0Health, s1BotResponsive, s2Storage, s3WebhookFastAck, s4PassiveUx, s5ActiveGeneration, s6Idempotency, s7NoCrash, s8ColdStart];

/**
 * The bot's counters, kept once: /health reads the totals, GET /metrics exposes the same
 * numbers in the Prometheus text format (plus the process metrics prom-client collects).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export class BotMetrics {
  readonly registry = new Registry();
  readonly totals = { received: 0, processed: 0, duplicates: 0, rejected: 0 };

  private readonly updates = new Counter({ name: 'trt_updates_total', help: 'Updates seen by the webhook, by outcome.', labelNames: ['outcome'], registers: [this.registry] });
  private readonly dispatched = new Counter({ name: 'trt_dispatch_total', help: 'Stored updates processed by this instance, by outcome.', labelNames: ['outcome'], registers: [this.registry] });
  private readonly ack = new Histogram({
    name: 'trt_webhook_ack_seconds',
    help: 'Time from the webhook request to its answer.',
    labelNames: ['status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly active = new Gauge({ name: 'trt_leader_active', help: '1 while this instance holds the advisory lock.', registers: [this.registry] });
  readonly epoch = new Gauge({ name: 'trt_leader_epoch', help: 'Fencing epoch of the current leadership, 0 when PASSIVE.', registers: [this.registry] });

  /** `depth`: the backlog as /health reports it, read when Prometheus scrapes. */
  constructor(depth: () => number) {
    new Gauge({
      name: 'trt_queue_depth',
      help: 'Stored updates not yet processed.',
      registers: [this.registry],
      collect() {
        this.set(depth());
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  updateSeen(outcome: 'received' | 'duplicate' | 'rejected' | 'invalid'): void {
    this.updates.inc({ outcome });
    if (outcome === 'received') this.totals.received += 1;
    else if (outcome === 'duplicate') this.totals.duplicates += 1;
    else if (outcome === 'rejected') this.totals.rejected += 1;
  }

  dispatchDone(outcome: 'ok' | 'fail'): void {
    this.dispatched.inc({ outcome });
    this.totals.processed += 1;
  }

  webhookAnswered(status: number, seconds: number): void {
    this.ack.observe({ status: String(status) }, seconds);
  }
}

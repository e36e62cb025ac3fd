/** GET /metrics: the Prometheus text exposition of the bot's registry. */
import type { FastifyInstance } from 'fastify';
import type { BotMetrics } from '../../metrics.js';

export function registerMetricsRoute(app: FastifyInstance, metrics: BotMetrics): void {
  app.get('/metrics', async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
}

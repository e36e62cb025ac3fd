/**
 * POST /kie-callback: KIE saying a task finished. The body is never trusted: the signed URL
 * must name a generation whose task id matches, and even then the only effect is an immediate
 * re-read of the task from the KIE API (GenerationService.onCallback).
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { GenerationService } from '../../generation/service.js';

const CALLBACK_BODY_LIMIT = 64 * 1024;

export function registerKieCallbackRoute(app: FastifyInstance, deps: { generation: GenerationService; log: Logger }): void {
  app.post<{ Querystring: { generation?: string; sig?: string } }>('/kie-callback', { bodyLimit: CALLBACK_BODY_LIMIT }, async (request, reply) => {
    try {
      const verdict = await deps.generation.onCallback(request.query, request.body);
      return verdict.accepted ? reply.code(200).send({ ok: true }) : reply.code(403).send({ ok: false, error: verdict.reason });
    } catch (error) {
      deps.log.error({ err: error }, 'KIE callback could not be handled; polling covers it');
      return reply.code(503).send({ ok: false, error: 'retry later' });
    }
  });
}

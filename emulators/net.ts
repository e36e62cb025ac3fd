/** What the emulators share about the network and the bodies they read. */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where a client on this machine reaches a server listening on `host`. */
function connectableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** A failed outgoing fetch (webhook delivery, callback) in the words a test failure should show. */
export function describeFetchError(error: unknown, timeoutMs: number, abortedMeans = 'the request was aborted'): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  if (error instanceof Error && error.name === 'AbortError') return abortedMeans;
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code === 'ECONNREFUSED') return 'Connection refused';
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/** Starts `app` on `host` (default 127.0.0.1) and `port` (default a free one); resolves to the origin a client here uses. */
export async function listenLocal(app: FastifyInstance, options: { host?: string; port?: number }): Promise<string> {
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 0, host });
  const { port } = app.server.address() as AddressInfo;
  return `http://${connectableHost(host)}:${port}`;
}

/** Why a request body could not be read: the route answers 400 with the description. */
export class BodyProblem {
  constructor(readonly description: string) {}
}

/** Bodies are JSON or nothing: an empty body is undefined, anything unreadable a {@link BodyProblem}. */
export function acceptJsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    done(null, parseJson(body as string));
  });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, _body, done) => {
    done(null, new BodyProblem(`unsupported Content-Type "${request.headers['content-type']}": send JSON with Content-Type: application/json`));
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    return new BodyProblem(`the body is not valid JSON: ${(error as Error).message}`);
  }
}

/** An object without its undefined fields, so `{ windowMs: undefined }` overrides no default. */
export function definedFields<T extends object>(partial: T): Partial<T> {
  return Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined)) as Partial<T>;
}

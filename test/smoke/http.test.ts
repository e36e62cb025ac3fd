/**
 * The smoke HTTP client against real local servers: budget, retries, unreachable origins and
 * deadlines are what keep a production run bounded, so each is proved on a real socket.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient, HttpFailure, type HttpRequest } from '../../cli/smoke/http.js';

interface Running {
  server: Server;
  url: string;
  port: number;
  /** Requests the server has seen, as "METHOD path". */
  seen: string[];
}

const servers: Server[] = [];
const clients: HttpClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

function serve(handler: (request: IncomingMessage, response: ServerResponse, index: number) => void, port = 0): Promise<Running> {
  const seen: string[] = [];
  const server = createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    handler(request, response, seen.length);
  });
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${bound}`, port: bound, seen });
    });
  });
}

function answerJson(response: ServerResponse, body: unknown): void {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function client(options: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}): HttpClient {
  const created = new HttpClient({ maxRequests: 100, budgetedOrigins: [], ...options });
  clients.push(created);
  return created;
}

async function failureOf(http: HttpClient, request: HttpRequest): Promise<HttpFailure> {
  try {
    await http.send(request);
  } catch (error) {
    if (error instanceof HttpFailure) return error;
    throw error;
  }
  throw new Error(`${request.method} ${request.url} got an answer, expected an HttpFailure`);
}

describe('HttpClient', () => {
  it('resolves a 200 JSON answer with its status, parsed body, text and timing', async () => {
    const { url } = await serve((_request, response) => answerJson(response, { status: 'ok', n: 3 }));
    const response = await client().send({ method: 'GET', url: `${url}/health` });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ status: 'ok', n: 3 });
    expect(JSON.parse(response.text)).toEqual({ status: 'ok', n: 3 });
    expect(response.ms).toBeGreaterThanOrEqual(0);
    expect(response.retried).toEqual([]);
  });

  it('sends a POST body as JSON', async () => {
    const received: string[] = [];
    const { url } = await serve((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(`${request.headers['content-type']} ${body}`);
        answerJson(response, { ok: true });
      });
    });
    const response = await client().send({ method: 'POST', url: `${url}/webhook`, json: { update_id: 1 } });
    expect(response.status).toBe(200);
    expect(received).toEqual(['application/json {"update_id":1}']);
  });

  describe('the request budget', () => {
    it('refuses the request that would exceed it, before it is sent', async () => {
      const production = await serve((_request, response) => answerJson(response, {}));
      const http = client({ maxRequests: 3, budgetedOrigins: [production.url] });
      for (let index = 0; index < 3; index++) await http.send({ method: 'GET', url: `${production.url}/health` });
      const failure = await failureOf(http, { method: 'GET', url: `${production.url}/health` });
      expect(failure.kind).toBe('budget');
      expect(failure.message).toContain('smoke.max_requests');
      expect(production.seen).toHaveLength(3);
      expect(http.spent).toBe(3);
    });

    it('does not count requests to an origin outside budgetedOrigins', async () => {
      const production = await serve((_request, response) => answerJson(response, {}));
      const elsewhere = await serve((_request, response) => answerJson(response, {}));
      const http = client({ maxRequests: 3, budgetedOrigins: [production.url] });
      for (let index = 0; index < 5; index++) await http.send({ method: 'GET', url: `${elsewhere.url}/x` });
      expect(http.spent).toBe(0);
      for (let index = 0; index < 3; index++) await http.send({ method: 'GET', url: `${production.url}/health` });
      expect((await http.send({ method: 'GET', url: `${elsewhere.url}/x` })).status).toBe(200);
      expect(elsewhere.seen).toHaveLength(6);
      expect(production.seen).toHaveLength(3);
    });
  });

  describe('an origin that refuses connections', () => {
    it('retries a GET twice with growing delays, then fails every later request at once with the first reason', async () => {
      const url = `http://127.0.0.1:${await closedPort()}`;
      const http = client();
      const first = await failureOf(http, { method: 'GET', url: `${url}/health` });
      expect(first.kind).toBe('connect');
      expect(first.message).toContain('ECONNREFUSED');
      expect(first.retried).toHaveLength(2);
      expect(first.retried[0]).toMatch(/ECONNREFUSED.*retried after 100 ms/);
      expect(first.retried[1]).toMatch(/ECONNREFUSED.*retried after 200 ms/);

      const second = await failureOf(http, { method: 'POST', url: `${url}/webhook`, json: {} });
      expect(second.kind).toBe('unreachable');
      expect(second.message).toContain(first.message);
      expect(second.retried).toEqual([]);
    });

    it('neither retries a probe nor remembers the origin as unreachable', async () => {
      const port = await closedPort();
      const url = `http://127.0.0.1:${port}`;
      const http = client();
      const probe = await failureOf(http, { method: 'GET', url: `${url}/health`, probe: true });
      expect(probe.kind).toBe('connect');
      expect(probe.retried).toEqual([]);

      const started = await serve((_request, response) => answerJson(response, { status: 'ok' }), port);
      const response = await http.send({ method: 'GET', url: `${url}/health` });
      expect(response.status).toBe(200);
      expect(started.seen).toEqual(['GET /health']);
    });

    it('still tries to connect after a refused probe when nothing listens yet', async () => {
      const url = `http://127.0.0.1:${await closedPort()}`;
      const http = client();
      await failureOf(http, { method: 'GET', url: `${url}/health`, probe: true });
      const later = await failureOf(http, { method: 'GET', url: `${url}/health`, retries: 0 });
      expect(later.kind).toBe('connect');
    });
  });

  describe('a connection dropped before the answer', () => {
    const dropFirst = (request: IncomingMessage, response: ServerResponse, index: number) => {
      if (index === 1) request.socket.destroy();
      else answerJson(response, { ok: true });
    };

    it('retries a GET and records the retry', async () => {
      const flaky = await serve(dropFirst);
      const response = await client().send({ method: 'GET', url: `${flaky.url}/health` });
      expect(response.status).toBe(200);
      expect(response.retried).toHaveLength(1);
      expect(response.retried[0]).toContain('dropped');
      expect(flaky.seen).toEqual(['GET /health', 'GET /health']);
    });

    it('does not retry a POST: the service may have acted on it', async () => {
      const flaky = await serve(dropFirst);
      const failure = await failureOf(client(), { method: 'POST', url: `${flaky.url}/webhook`, json: { update_id: 1 } });
      expect(failure.kind).toBe('reset');
      expect(failure.retried).toEqual([]);
      expect(flaky.seen).toEqual(['POST /webhook']);
    });
  });

  it('gives up on a server that never answers at the deadline', async () => {
    const silent = await serve(() => undefined);
    const failure = await failureOf(client({ timeoutMs: 300 }), { method: 'GET', url: `${silent.url}/health` });
    expect(failure.kind).toBe('timeout');
    expect(failure.message).toContain('300 ms');
  });

  it('close() resolves', async () => {
    const { url } = await serve((_request, response) => answerJson(response, {}));
    const http = new HttpClient({ maxRequests: 1, budgetedOrigins: [] });
    await http.send({ method: 'GET', url });
    await expect(http.close()).resolves.toBeUndefined();
  });
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { renderChat } from './render-chat.js';
import { mockUsage } from './render-common.js';
import { renderResponses } from './render-responses.js';
import { echoResponder } from './responders.js';
import { flush, writeEvents } from './sse-writer.js';
import type { MockModelServer, MockModelServerOptions, MockResponder, MockTurn, RecordedRequest } from './types.js';

/**
 * Starts a scriptable model server speaking the Responses and Chat Completions wire formats
 * over SSE. Tests and `agentd demo` queue turns with `enqueue`; unqueued requests get the
 * default responder's answer.
 */
export async function startMockModelServer(opts: MockModelServerOptions = {}): Promise<MockModelServer> {
  const mock = new MockServer(opts.defaultResponder ?? echoResponder);
  await mock.listen(opts.host ?? '127.0.0.1', opts.port ?? 0);
  return mock;
}

interface Waiter {
  done: () => boolean;
  resolve: () => void;
}

class MockServer implements MockModelServer {
  readonly requests: RecordedRequest[] = [];
  url = '';
  private readonly queue: MockTurn[] = [];
  private readonly server: Server;
  private aborts = 0;
  private waiters: Waiter[] = [];

  constructor(private readonly responder: MockResponder) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `mock server error: ${String(err)}`, type: 'server_error' } }));
        } else {
          res.destroy();
        }
      });
    });
  }

  get clientAborts(): number {
    return this.aborts;
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const addr = this.server.address() as AddressInfo;
        const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        this.url = `http://${h}:${addr.port}/v1`;
        resolve();
      });
    });
  }

  enqueue(...turns: MockTurn[]): void {
    this.queue.push(...turns);
  }

  waitForRequests(n: number): Promise<void> {
    return this.waitFor(() => this.requests.length >= n);
  }

  waitForClientAbort(count = 1): Promise<void> {
    return this.waitFor(() => this.aborts >= count);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private waitFor(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ done, resolve }));
  }

  private notify(): void {
    const ready = this.waiters.filter((w) => w.done());
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = performance.now();
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    const route = path.replace(/^\/v1(?=\/)/, '');
    if (req.method === 'GET' && route === '/models') {
      sendJson(res, 200, { object: 'list', data: [{ id: 'mock-model', object: 'model', created: 0, owned_by: 'agentd' }] });
      return;
    }
    const api = req.method === 'POST' ? (route === '/responses' ? 'responses' : route === '/chat/completions' ? 'chat' : undefined) : undefined;
    if (!api) {
      sendJson(res, 404, { error: { message: `no route for ${req.method} ${req.url}`, type: 'not_found' } });
      return;
    }
    const text = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      sendJson(res, 400, { error: { message: 'request body is not valid JSON', type: 'invalid_request_error' } });
      return;
    }
    const timing = { receivedAt, answeredAt: null as number | null };
    const recorded: RecordedRequest = { api, path: req.url ?? path, headers: req.headers, body, timing };
    this.requests.push(recorded);
    this.notify();
    const turn = this.queue.shift() ?? this.responder(recorded);
    await this.respond(recorded, text.length, turn, res);
    timing.answeredAt = performance.now();
  }

  private async respond(req: RecordedRequest, requestChars: number, turn: MockTurn, res: ServerResponse): Promise<void> {
    const fault = turn.fault;
    if (fault && 'status' in fault) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...turn.headers };
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      const body = fault.body ?? { error: { message: `mock error ${fault.status}`, type: 'mock_error', code: null } };
      res.writeHead(fault.status, headers);
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
      return;
    }

    let dropping = false;
    res.on('close', () => {
      if (!res.writableEnded && !dropping) {
        this.aborts++;
        this.notify();
      }
    });
    if (fault && 'firstByteDelayMs' in fault) {
      await new Promise((r) => setTimeout(r, fault.firstByteDelayMs));
      if (res.destroyed) return;
    }

    const ctx = { model: String((req.body as { model?: unknown }).model ?? 'mock-model'), usage: mockUsage(requestChars, turn) };
    const { events, hangAfter } = req.api === 'chat' ? renderChat(turn, ctx) : renderResponses(turn, ctx);
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...turn.headers,
    });
    res.flushHeaders();

    if (fault && 'disconnectAfterEvents' in fault) {
      const n = Math.min(fault.disconnectAfterEvents, events.length);
      await flush(res, events.slice(0, n).join(''));
      dropping = true;
      res.socket?.destroy();
      return;
    }
    if (fault && 'hang' in fault) {
      await writeEvents(res, events, 0, hangAfter);
      if (!res.destroyed) await new Promise((r) => res.once('close', r));
      return;
    }
    if (await writeEvents(res, events)) res.end();
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

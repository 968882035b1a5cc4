import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonClient } from '../../src/client/daemon-client.js';
import { AgentdClient } from '../../src/client/index.js';
import { createHarness, mockConfig, type Harness } from '../support/harness.js';

const TOKEN = 'attack-token-0123456789abcdef';
let h: Harness;
let unixAddr: string;
let wsAddr: string;
const clients: AgentdClient[] = [];
const sockets: (Socket | WebSocket)[] = [];

/** Spawns a listening daemon (unix socket and websocket) with these extra environment variables. */
async function spawnListening(extraEnv: Record<string, string>): Promise<{ daemon: DaemonClient; unixAddr: string; wsAddr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'agentd-listen-attack-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, TOKEN + '\n', { mode: 0o600 });
  const args = [
    'app-server',
    ...mockConfig(h.mock.url).flatMap((c) => ['-c', c]),
    '--listen', `unix:${join(dir, 'agentd.sock')}`,
    '--listen', 'ws://127.0.0.1:0',
    '--auth-token-file', tokenFile,
    '--log-level', 'warn',
  ];
  const env = { ...process.env, AGENTD_HOME: h.home, HOME: join(h.home, 'user-home'), ...extraEnv };
  const d = DaemonClient.spawn({ args, env, cwd: h.workspace });
  daemons.push(d);
  const listening = await new Promise<string[]>((resolve, reject) => {
    let text = '';
    d.child.stderr!.on('data', (t: string) => {
      text += t;
      const found = [...text.matchAll(/agentd: listening on (\S+)/g)].map((m) => m[1]!);
      if (found.length === 2) resolve(found);
    });
    void d.exited().then(() => reject(new Error(`daemon exited: ${text}`)));
  });
  return { daemon: d, unixAddr: listening.find((a) => a.startsWith('unix:'))!, wsAddr: listening.find((a) => a.startsWith('ws:'))! };
}

const daemons: DaemonClient[] = [];
beforeAll(async () => {
  h = await createHarness();
  // Short limits, so the stalled-client and handshake tests take seconds.
  ({ unixAddr, wsAddr } = await spawnListening({ AGENTD_STALLED_CLIENT_MS: '1500', AGENTD_HANDSHAKE_TIMEOUT_MS: '1000' }));
});
afterAll(async () => {
  for (const s of sockets) (s instanceof WebSocket ? s.terminate() : s.destroy());
  await Promise.all(clients.map((c) => c.close(1000).catch(() => undefined)));
  await Promise.all(daemons.map((d) => d.kill('SIGTERM')));
  await h.cleanup();
});

async function connect(addr: string): Promise<AgentdClient> {
  const c = await AgentdClient.connect(addr, { token: TOKEN });
  clients.push(c);
  await c.initialize({ name: 'attack', version: '1' });
  return c;
}

/** Opens a websocket with these headers: the open socket, or the HTTP status that refused it. */
function openWs(headers: Record<string, string>, addr = wsAddr): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const w = new WebSocket(addr, { headers });
    w.once('open', () => {
      sockets.push(w);
      resolve(w);
    });
    w.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    w.once('error', reject);
  });
}

/** A unix socket client speaking raw NDJSON: sends lines, collects the answers by id. */
function rawUnix(): Promise<{ socket: Socket; send: (m: object) => void; answer: (id: number) => Promise<Record<string, unknown>> }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(unixAddr.slice('unix:'.length));
    sockets.push(socket);
    const answers = new Map<number, (m: Record<string, unknown>) => void>();
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (t: string) => {
      buf += t;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const m = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
        buf = buf.slice(nl + 1);
        if (typeof m.id === 'number' && !('method' in m)) answers.get(m.id)?.(m);
      }
    });
    socket.once('error', reject);
    socket.once('connect', () =>
      resolve({
        socket,
        send: (m) => socket.write(JSON.stringify(m) + '\n'),
        answer: (id) => new Promise((r) => answers.set(id, r)),
      }),
    );
  });
}

describe('hostile clients on the listeners', () => {
  it('a subscriber that stops reading is disconnected instead of freezing every other client', async () => {
    const b = await connect(wsAddr);
    const { thread } = await b.request('thread/start', { cwd: h.workspace });
    const s = await rawUnix();
    s.send({ id: 1, method: 'initialize', params: { clientInfo: { name: 'stall', version: '1' } } });
    await s.answer(1);
    s.send({ method: 'initialized' });
    s.send({ id: 2, method: 'thread/resume', params: { threadId: thread.id } });
    await s.answer(2);
    // S stops reading: its share of the turn's output fills its budget and the kernel buffers.
    s.socket.pause();
    const closed = new Promise<void>((r) => s.socket.once('close', () => r()));
    h.mock.enqueue({ output: [{ type: 'text', text: 'x'.repeat(8 << 20), chunks: 4096 }] });
    const first = await b.runTurn(thread.id, 'flood');
    expect(first.turn.status).toBe('completed');
    // The daemon dropped it: reading again finds the end of the stream.
    s.socket.resume();
    await closed;
    // Another thread is not held back either.
    const other = (await b.request('thread/start', { cwd: h.workspace })).thread;
    h.mock.enqueue({ output: [{ type: 'text', text: 'y'.repeat(1 << 20), chunks: 512 }] });
    expect((await b.runTurn(other.id, 'again')).turn.status).toBe('completed');
  }, 60_000);

  it('refuses a websocket from a browser page (an Origin header), even with the token, and a token in the query string', async () => {
    expect(await openWs({ authorization: `Bearer ${TOKEN}`, origin: 'http://127.0.0.1:8000' })).toBe(403);
    expect(await openWs({ authorization: `Bearer ${TOKEN}`, origin: 'null' })).toBe(403);
    expect(await openWs({ authorization: `Bearer ${TOKEN.slice(0, -1)}x` })).toBe(401);
    const w = new WebSocket(`${wsAddr}/?token=${TOKEN}&access_token=${TOKEN}`);
    const status = await new Promise((r) => w.once('unexpected-response', (_q, res) => r(res.statusCode)).once('open', () => r('open')));
    expect(status).toBe(401);
  });

  it('closes a connection that never completes the websocket handshake', async () => {
    const port = Number(new URL(wsAddr).port);
    const idle = netConnect(port, '127.0.0.1');
    const partial = netConnect(port, '127.0.0.1');
    sockets.push(idle, partial);
    partial.on('connect', () => partial.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
    const gone = (s: Socket) => new Promise<void>((r) => s.on('data', () => undefined).once('close', () => r()));
    await Promise.all([gone(idle), gone(partial)]);
    // An authenticated websocket is not cut by that timeout.
    const c = await connect(wsAddr);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await c.request('thread/list', {})).data).toBeInstanceOf(Array);
  });

  it('reads a pretty-printed message (newlines between JSON tokens) as one request', async () => {
    const w = (await openWs({ authorization: `Bearer ${TOKEN}` })) as WebSocket;
    const reply = new Promise<string>((r) => w.once('message', (d) => r(String(d))));
    w.send(JSON.stringify({ id: 7, method: 'initialize', params: { clientInfo: { name: 'pretty', version: '1' } } }, null, 2).replace(/\n/g, '\r\n'));
    const m = JSON.parse(await reply) as { id: number; result?: unknown };
    expect(m.id).toBe(7);
    expect(m.result).toBeDefined();
  });

  it('stops reading a websocket client that sends requests without reading the answers, then answers each exactly once', async () => {
    // A daemon of its own with the default stall limit: this client stalls on purpose, and the
    // shared daemon's short limit would drop it before the assertions (sooner on a loaded machine).
    const own = await spawnListening({});
    const w = (await openWs({ authorization: `Bearer ${TOKEN}` }, own.wsAddr)) as WebSocket;
    const answers = new Map<unknown, number>();
    w.on('message', (d) => {
      const m = JSON.parse(String(d)) as { id?: unknown };
      answers.set(m.id, (answers.get(m.id) ?? 0) + 1);
    });
    w.send(JSON.stringify({ id: 0, method: 'initialize', params: { clientInfo: { name: 'flood', version: '1' } } }));
    await new Promise<void>((r) => w.once('message', () => r()));
    w.pause();
    // Each unknown method is echoed in its error: about 200 KB out per 100 KB in.
    const N = 400;
    const name = 'x'.repeat(100_000);
    for (let i = 1; i <= N; i++) w.send(JSON.stringify({ id: i, method: name + i }));
    // The daemon's outgoing budget fills, it stops taking requests, and the rest stays with us.
    // Waits until the daemon has taken nothing more for a second.
    for (let last = -1, same = 0; same < 5; ) {
      await new Promise((r) => setTimeout(r, 200));
      same = w.bufferedAmount === last ? same + 1 : 0;
      last = w.bufferedAmount;
    }
    expect(w.bufferedAmount).toBeGreaterThan(10_000_000);
    w.resume();
    while (answers.size < N + 1) await new Promise((r) => setTimeout(r, 50));
    expect([...answers.values()].every((n) => n === 1)).toBe(true);
  }, 60_000);

  it("another client cannot answer a turn owner's approval by guessing its request id", async () => {
    const a = await connect(unixAddr);
    const { thread } = await a.request('thread/start', { cwd: h.workspace, approvalPolicy: 'untrusted', sandbox: 'workspace-write' });
    const b = await rawUnix();
    b.send({ id: 1, method: 'initialize', params: { clientInfo: { name: 'guesser', version: '1' } } });
    await b.answer(1);
    b.send({ id: 2, method: 'thread/resume', params: { threadId: thread.id } });
    await b.answer(2);
    h.mock.enqueue(
      { output: [{ type: 'function_call', name: 'exec_command', arguments: { cmd: 'touch guessed.txt' }, callId: 'g1' }] },
      { output: [{ type: 'text', text: 'declined' }] },
    );
    let guessed!: () => void;
    const guessesSent = new Promise<void>((r) => (guessed = r));
    a.onApproval(async () => {
      // While A's approval is pending, B answers every id it could have.
      for (const id of [...Array(64).keys(), ...[...Array(64).keys()].map(String)]) b.send({ id, result: { decision: 'accept' } });
      b.send({ id: 99, method: 'thread/list', params: {} });
      await b.answer(99);
      guessed();
      return { decision: 'decline' };
    });
    const done = await a.runTurn(thread.id, 'guess');
    await guessesSent;
    expect(done.turn.status).toBe('completed');
    expect(existsSync(join(h.workspace, 'guessed.txt'))).toBe(false);
  });
});

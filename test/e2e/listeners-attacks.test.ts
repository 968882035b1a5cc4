import { mkdtempSync, writeFileSync } from 'node:fs';
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
let daemon: DaemonClient;
let unixAddr: string;
let wsAddr: string;
const clients: AgentdClient[] = [];
const sockets: (Socket | WebSocket)[] = [];

beforeAll(async () => {
  h = await createHarness();
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
  const env = { ...process.env, AGENTD_HOME: h.home, HOME: join(h.home, 'user-home'), AGENTD_STALLED_CLIENT_MS: '1500' };
  daemon = DaemonClient.spawn({ args, env, cwd: h.workspace });
  const listening = await new Promise<string[]>((resolve, reject) => {
    let text = '';
    daemon.child.stderr!.on('data', (t: string) => {
      text += t;
      const found = [...text.matchAll(/agentd: listening on (\S+)/g)].map((m) => m[1]!);
      if (found.length === 2) resolve(found);
    });
    void daemon.exited().then(() => reject(new Error(`daemon exited: ${text}`)));
  });
  unixAddr = listening.find((a) => a.startsWith('unix:'))!;
  wsAddr = listening.find((a) => a.startsWith('ws:'))!;
});
afterAll(async () => {
  for (const s of sockets) (s instanceof WebSocket ? s.terminate() : s.destroy());
  await Promise.all(clients.map((c) => c.close(1000).catch(() => undefined)));
  await daemon.kill('SIGTERM');
  await h.cleanup();
});

async function connect(addr: string): Promise<AgentdClient> {
  const c = await AgentdClient.connect(addr, { token: TOKEN });
  clients.push(c);
  await c.initialize({ name: 'attack', version: '1' });
  return c;
}

/** Opens a websocket with these headers: the open socket, or the HTTP status that refused it. */
function openWs(headers: Record<string, string>): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const w = new WebSocket(wsAddr, { headers });
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
});

import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonClient } from '../../src/client/daemon-client.js';
import { AgentdClient, type Notification } from '../../src/client/index.js';
import { SocketTransport } from '../../src/client/transport.js';
import { WebSocketTransport } from '../../src/client/ws-transport.js';
import { createHarness, mockConfig, type Harness } from '../support/harness.js';

const TOKEN = 'test-token-0123456789abcdef';
let h: Harness;
let daemon: DaemonClient;
let unixAddr: string;
let wsAddr: string;
const clients: AgentdClient[] = [];

beforeAll(async () => {
  h = await createHarness();
  const dir = mkdtempSync(join(tmpdir(), 'agentd-listen-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, TOKEN + '\n', { mode: 0o600 });
  const sock = join(dir, 'agentd.sock');
  const args = [
    'app-server',
    ...[...mockConfig(h.mock.url), 'approval_policy="untrusted"', 'sandbox_mode="workspace-write"'].flatMap((c) => ['-c', c]),
    '--listen', `unix:${sock}`,
    '--listen', 'ws://127.0.0.1:0',
    '--auth-token-file', tokenFile,
    '--log-level', 'warn',
  ];
  daemon = DaemonClient.spawn({ args, env: { ...process.env, AGENTD_HOME: h.home, HOME: join(h.home, 'user-home') }, cwd: h.workspace });
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
  await Promise.all(clients.map((c) => c.close(1000).catch(() => undefined)));
  await daemon.kill('SIGTERM');
  await h.cleanup();
});

async function connect(addr: string): Promise<AgentdClient> {
  const c = await AgentdClient.connect(addr, { token: TOKEN });
  clients.push(c);
  await c.initialize({ name: addr.slice(0, 4), version: '1' });
  return c;
}

/** The notifications of one turn as method names (deltas merged), in order. */
function shape(ns: Notification[], turnId: string): string[] {
  return ns
    .filter((n) => (n.params as { turnId?: string }).turnId === turnId || (n.method.startsWith('turn/') && (n.params as { turn?: { id: string } }).turn?.id === turnId))
    .map((n) => n.method);
}

describe('several clients on one daemon (--listen)', () => {
  it('creates the unix socket owner-only and refuses a websocket client without the right token', async () => {
    expect(statSync(unixAddr.slice('unix:'.length)).mode & 0o777).toBe(0o600);
    await expect(WebSocketTransport.connect(wsAddr)).rejects.toThrow(/401/);
    await expect(WebSocketTransport.connect(wsAddr, 'wrong-token-0123456789abcdef')).rejects.toThrow(/401/);
  });

  it('will not serve a websocket without a token file (configuration error)', async () => {
    const d = DaemonClient.spawn({
      args: ['app-server', '--listen', 'ws://127.0.0.1:0', '--log-level', 'warn'],
      env: { ...process.env, AGENTD_HOME: h.home, HOME: join(h.home, 'user-home') },
      cwd: h.workspace,
    });
    const stderr: string[] = [];
    d.child.stderr!.on('data', (t: string) => stderr.push(t));
    expect((await d.exited()).code).toBe(78);
    expect(stderr.join('')).toMatch(/--auth-token-file/);
  });

  it('shares a thread between a unix and a websocket client; approvals go to the turn owner and move when it leaves', async () => {
    const a = await connect(unixAddr);
    const b = await connect(wsAddr);
    const { thread } = await a.request('thread/start', { cwd: h.workspace });
    await b.request('thread/resume', { threadId: thread.id });
    const seenA: Notification[] = [];
    const seenB: Notification[] = [];
    a.onNotification((n) => seenA.push(n));
    b.onNotification((n) => seenB.push(n));
    const asked: string[] = [];
    a.onApproval(() => {
      asked.push('a');
      return { decision: 'accept' };
    });
    b.onApproval(() => {
      asked.push('b');
      return { decision: 'accept' };
    });

    // 1. A starts the turn: A is asked, B is not; both see the same notifications.
    h.mock.enqueue(
      { output: [{ type: 'function_call', name: 'exec_command', arguments: { cmd: 'touch one.txt' }, callId: 'l1' }] },
      { output: [{ type: 'text', text: 'first done', chunks: 2 }] },
    );
    const bDone = b.waitFor('turn/completed', (p) => p.threadId === thread.id);
    const first = await a.runTurn(thread.id, 'first');
    await bDone;
    expect(first.turn.status).toBe('completed');
    expect(asked).toEqual(['a']);
    expect(existsSync(join(h.workspace, 'one.txt'))).toBe(true);
    expect(shape(seenB, first.turn.id)).toEqual(shape(seenA, first.turn.id));
    expect(shape(seenA, first.turn.id)).toContain('item/agentMessage/delta');

    // 2. B starts a turn and is asked; A is not.
    h.mock.enqueue(
      { output: [{ type: 'function_call', name: 'exec_command', arguments: { cmd: 'touch two.txt' }, callId: 'l2' }] },
      { output: [{ type: 'text', text: 'second done' }] },
    );
    const second = await b.runTurn(thread.id, 'second');
    expect(second.turn.status).toBe('completed');
    expect(asked).toEqual(['a', 'b']);

    // 3. A starts a turn and leaves while its approval is pending: the approval moves to B.
    h.mock.enqueue(
      { output: [{ type: 'function_call', name: 'exec_command', arguments: { cmd: 'touch three.txt' }, callId: 'l3' }] },
      { output: [{ type: 'text', text: 'third done' }] },
    );
    a.onApproval(() => {
      asked.push('a-left');
      (a.transport as SocketTransport).destroy();
      return new Promise(() => undefined);
    });
    const third = b.waitFor('turn/completed', (p) => p.threadId === thread.id);
    await a.request('turn/start', { threadId: thread.id, input: [{ type: 'text', text: 'third' }] });
    const done = await third;
    expect(asked).toEqual(['a', 'b', 'a-left', 'b']);
    expect(done.turn.status).toBe('completed');
    expect(existsSync(join(h.workspace, 'three.txt'))).toBe(true);
  });

  it('cancels an approval when its only subscriber leaves, and the thread stays usable', async () => {
    const c = await connect(unixAddr);
    const { thread } = await c.request('thread/start', { cwd: h.workspace });
    h.mock.enqueue({ output: [{ type: 'function_call', name: 'exec_command', arguments: { cmd: 'touch never.txt' }, callId: 'l4' }] }, { output: [{ type: 'text', text: 'after cancel' }] });
    const approvalAsked = new Promise<void>((resolve) =>
      c.onApproval(() => {
        resolve();
        return new Promise(() => undefined);
      }),
    );
    await c.request('turn/start', { threadId: thread.id, input: [{ type: 'text', text: 'x' }] });
    await approvalAsked;
    (c.transport as SocketTransport).destroy();
    // A later client attaches and sees the turn end without the command having run.
    const d = await connect(wsAddr);
    await d.request('thread/resume', { threadId: thread.id });
    const read = async () => (await d.request('thread/read', { threadId: thread.id, includeTurns: true })).thread;
    let t = await read();
    for (let i = 0; i < 500 && t.turns.at(-1)?.status === 'inProgress'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      t = await read();
    }
    expect(t.turns.at(-1)?.status).not.toBe('inProgress');
    expect(existsSync(join(h.workspace, 'never.txt'))).toBe(false);
  });
});

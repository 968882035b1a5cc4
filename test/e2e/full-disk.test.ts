import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentdBin, DaemonClient } from '../../src/client/daemon-client.js';
import { startMockModelServer } from '../../src/mock/mock-model-server.js';
import type { MockModelServer, MockTurn, RecordedRequest } from '../../src/mock/types.js';
import { mockConfig, startTurn, turnCompleted } from '../support/harness.js';
import { rpcError } from '../support/wire.js';

/**
 * The daemon's home is a 1 MiB tmpfs in a mount namespace of its own (an unprivileged user
 * namespace: no root needed). The test reaches that tmpfs through /proc/<pid>/root to fill and
 * free it.
 */
let mock: MockModelServer;
let home: string;
let workspace: string;
let daemon: DaemonClient | null = null;
/** Answers the next model request (then falls back to an echo). */
let nextAnswer: ((req: RecordedRequest) => MockTurn) | null = null;

beforeEach(async () => {
  mock = await startMockModelServer({
    defaultResponder: (req) => {
      const answer = nextAnswer;
      nextAnswer = null;
      if (answer) return answer(req);
      const input = JSON.stringify(req.body.input);
      const last = [...input.matchAll(/"text":"([^"]*)"/g)].at(-1)?.[1] ?? '';
      return { output: [{ type: 'text', text: `Echo: ${last}` }] };
    },
  });
  home = mkdtempSync(join(tmpdir(), 'agentd-fulldisk-home-'));
  workspace = mkdtempSync(join(tmpdir(), 'agentd-fulldisk-ws-'));
});
afterEach(async () => {
  if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null) await daemon.kill();
  daemon = null;
  await mock.close();
  rmSync(home, { recursive: true, force: true });
  rmSync(workspace, { recursive: true, force: true });
});

/** Spawns the daemon with its home on a fresh 1 MiB tmpfs. */
async function startOnTinyDisk(): Promise<DaemonClient> {
  const args = [...mockConfig(mock.url), 'approval_policy="never"'].flatMap((c) => ['-c', c]);
  const child = spawn(
    'unshare',
    [
      '--user',
      '--map-root-user',
      '--mount',
      'sh',
      '-c',
      'mount -t tmpfs -o size=1m,mode=0700 tmpfs "$AGENTD_HOME" && exec "$0" "$@"',
      process.execPath,
      agentdBin(),
      ...args,
      '--log-level',
      'error',
    ],
    { cwd: workspace, env: { ...process.env, AGENTD_HOME: home, AGENTD_RETRY_BASE_MS: '5' }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const c = new DaemonClient(child);
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (t: string) => c.stderr.push(t));
  daemon = c;
  await c.initialize();
  return c;
}

/** A path inside the daemon's view of the file system. */
const inside = (c: DaemonClient, path: string) => `/proc/${c.child.pid}/root${path}`;

/** Writes a filler file until the tmpfs is full, down to the last page. */
function fillDisk(c: DaemonClient): string {
  const filler = inside(c, join(home, 'filler'));
  const fd = openSync(filler, 'w');
  try {
    for (const size of [64 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size, 0x61);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return filler;
}

/** The turn's turn/completed, or a failure as soon as the daemon dies (it must not). */
async function completedOrDied(c: DaemonClient, turnId: string) {
  return Promise.race([
    turnCompleted(c, turnId),
    c.exited().then(({ code, signal }) => {
      throw new Error(`the daemon died (code ${code}, signal ${signal}): ${c.stderr.join('').slice(-500)}`);
    }),
  ]);
}

const agentTexts = (c: DaemonClient, turnId: string) =>
  c.notifications('item/completed').filter((m) => m.params.turnId === turnId && m.params.item.type === 'agentMessage').map((m) => m.params.item.text);

describe('a full disk', () => {
  it('fails only the turn that could not be saved, keeps the daemon and other threads working, and recovers once space is back', async () => {
    const c = await startOnTinyDisk();
    const a = await c.request('thread/start', { cwd: workspace });
    const threadA = a.thread.id as string;
    const rollout = inside(c, a.thread.path as string);

    nextAnswer = () => ({ output: [{ type: 'text', text: 'the first answer' }] });
    const first = await startTurn(c, threadA, 'first question');
    expect((await completedOrDied(c, first)).status).toBe('completed');

    // The disk fills up while the model is answering (a 32 KiB answer needs new pages to be saved).
    let filler = '';
    const big = 'x'.repeat(32 * 1024);
    nextAnswer = () => {
      filler = fillDisk(c);
      return { output: [{ type: 'text', text: `unsaveable ${big}`, chunks: 4 }] };
    };
    const from = c.messages.length;
    const second = await startTurn(c, threadA, 'second question');
    const failed = await completedOrDied(c, second);
    expect(failed.status).toBe('failed');
    expect(failed.error.message).toContain('storage error');
    expect(failed.error.message).toContain('ENOSPC');
    expect(failed.error.additionalDetails).toContain('storage_error');
    const errorNote = c.messages.slice(from).find((m) => m.method === 'error' && m.params.turnId === second);
    expect(errorNote?.params).toMatchObject({ threadId: threadA, willRetry: false, error: { message: failed.error.message } });
    // The answer that could not be saved was never reported as completed.
    expect(agentTexts(c, second)).toEqual([]);

    // The daemon still answers, and requests that must write are refused with storage_error.
    expect((await c.request('thread/list', {})).data.map((t: { id: string }) => t.id)).toEqual([threadA]);
    const startErr = await rpcError(c.request('thread/start', { cwd: workspace }));
    expect(startErr.data).toMatchObject({ code: 'storage_error' });
    const nameErr = await rpcError(c.request('thread/name/set', { threadId: threadA, name: `n${'x'.repeat(16 * 1024)}` }));
    expect(nameErr.data).toMatchObject({ code: 'storage_error' });

    // A thread that needs no disk completes a turn meanwhile.
    const e = await c.request('thread/start', { cwd: workspace, ephemeral: true });
    const eph = await startTurn(c, e.thread.id, 'no disk needed');
    expect((await completedOrDied(c, eph)).status).toBe('completed');
    expect(agentTexts(c, eph)).toEqual(['Echo: no disk needed']);

    // Space is back: the same thread works again and its model sees what the client saw.
    unlinkSync(filler);
    nextAnswer = () => ({ output: [{ type: 'text', text: 'the third answer' }] });
    const n = mock.requests.length;
    const third = await startTurn(c, threadA, 'third question');
    expect((await completedOrDied(c, third)).status).toBe('completed');
    const input = JSON.stringify(mock.requests[n]!.body.input);
    expect(input.split('the first answer').length - 1).toBe(1);
    expect(input).not.toContain('unsaveable');
    expect((await c.request('thread/start', { cwd: workspace })).thread.id).toBeTruthy();
    await c.request('thread/name/set', { threadId: threadA, name: 'renamed after the disk filled' });

    // The rollout holds no fragment of the failed write, and every item the client saw completed.
    const text = readFileSync(rollout, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; turnId?: string; item?: { id: string } });
    const stored = new Set(lines.filter((l) => l.type === 'item_completed').map((l) => l.item!.id));
    const seen = c.notifications('item/completed').filter((m) => m.params.threadId === threadA).map((m) => m.params.item.id as string);
    expect(seen.length).toBeGreaterThanOrEqual(5);
    for (const id of seen) expect(stored.has(id)).toBe(true);
    // The thread index, whose append failed on the full disk, was rewritten whole.
    const index = readFileSync(inside(c, join(home, 'thread-index.jsonl')), 'utf8');
    expect(index.endsWith('\n')).toBe(true);
    const entries = index.trimEnd().split('\n').map((l) => JSON.parse(l) as { id: string; name?: string | null });
    expect(entries.filter((x) => x.id === threadA).at(-1)?.name).toBe('renamed after the disk filled');
    const read = await c.request('thread/read', { threadId: threadA, includeTurns: true });
    expect(read.thread.turns.map((t: { status: string }) => t.status)).toEqual(['completed', 'failed', 'completed']);
    expect(c.child.exitCode).toBeNull();
    expect(await c.close()).toEqual({ code: 0, signal: null });
  });
});

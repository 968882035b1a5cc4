/**
 * Calls real Codex clients (codex-acp) make besides turns: the permission profiles it lists at
 * session start, the background terminals it stops before closing a session, and the history mode
 * that tells it how to read a thread back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, startTurn, turnCompleted, type Harness } from '../support/harness.js';
import { rpcError } from '../support/wire.js';
import { DONE_TURN, execCall, isAlive, pidsWithMarker, pollUntil, rand } from '../support/tool-turns.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.cleanup();
});

const NEVER_WW = ['approval_policy="never"', 'sandbox_mode="workspace-write"'];

describe('client calls besides turns', () => {
  it('lists the built-in permission profiles, paged', async () => {
    const c = await h.start();
    const all = await c.request('permissionProfile/list', { cwd: h.workspace, cursor: null });
    expect(all.data.map((p: { id: string }) => p.id)).toEqual([':read-only', ':workspace', ':danger-full-access']);
    expect(all.data.every((p: { allowed: boolean }) => p.allowed)).toBe(true);
    expect(all.nextCursor).toBeNull();
    const first = await c.request('permissionProfile/list', { limit: 1 });
    expect(first.data).toHaveLength(1);
    const rest = await c.request('permissionProfile/list', { cursor: first.nextCursor });
    expect(rest.data.map((p: { id: string }) => p.id)).toEqual([':workspace', ':danger-full-access']);
    const bad = await rpcError(c.request('permissionProfile/list', { limit: -1 }));
    expect(bad.code).toBe(-32602);
  });

  it('reports historyMode legacy, so clients read a thread back with thread/read includeTurns', async () => {
    const c = await h.start();
    const t = await c.request('thread/start', { cwd: h.workspace });
    expect(t.thread.historyMode).toBe('legacy');
    const read = await c.request('thread/read', { threadId: t.thread.id, includeTurns: true });
    expect(read.thread.historyMode).toBe('legacy');
  });

  it("lists a thread's running background commands and terminates them; another thread sees and stops none", async () => {
    const c = await h.start(NEVER_WW);
    const a = (await c.request('thread/start', { cwd: h.workspace, ephemeral: true })).thread.id as string;
    const b = (await c.request('thread/start', { cwd: h.workspace, ephemeral: true })).thread.id as string;
    const marker = `agentd-bg-${rand()}`;
    const cmd = `exec -a ${marker} sleep 1000`;
    const callId = `call-bg-${rand()}`;
    h.mock.enqueue({ output: [execCall(cmd, callId, { yield_time_ms: 250, login: false })] }, DONE_TURN);
    const turnId = await startTurn(c, a, 'start a server');
    await turnCompleted(c, turnId);
    let pids: number[] = [];
    try {
      await pollUntil(() => pidsWithMarker(marker).length === 1, 3000);
      pids = pidsWithMarker(marker);
      const item = c.messages.find((m) => m.method === 'item/completed' && m.params.item.id === callId)!.params.item;
      const listed = await c.request('thread/backgroundTerminals/list', { threadId: a, cursor: null });
      expect(listed).toEqual({ data: [{ processId: item.processId, itemId: callId, command: cmd, cwd: h.workspace }], nextCursor: null });

      // Thread B neither sees nor stops A's process.
      expect((await c.request('thread/backgroundTerminals/list', { threadId: b })).data).toEqual([]);
      expect(await c.request('thread/backgroundTerminals/terminate', { threadId: b, processId: item.processId })).toEqual({ terminated: false });
      expect(pids.every(isAlive)).toBe(true);

      expect(await c.request('thread/backgroundTerminals/terminate', { threadId: a, processId: item.processId })).toEqual({ terminated: true });
      await pollUntil(() => !pids.some(isAlive), 5000);
      expect((await c.request('thread/backgroundTerminals/list', { threadId: a })).data).toEqual([]);
      expect(await c.request('thread/backgroundTerminals/terminate', { threadId: a, processId: item.processId })).toEqual({ terminated: false });
      expect(await c.request('thread/backgroundTerminals/terminate', { threadId: a, processId: 'not-a-number' })).toEqual({ terminated: false });
      const unknown = await rpcError(c.request('thread/backgroundTerminals/list', { threadId: 'no-such-thread' }));
      expect(unknown.data?.code).toBe('thread_not_found');
    } finally {
      for (const p of pids) if (isAlive(p)) process.kill(p, 'SIGKILL');
    }
  });
});

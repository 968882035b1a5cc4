import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonClient } from '../../src/client/daemon-client.js';
import type { RecordedRequest } from '../../src/mock/types.js';
import { createHarness, startTurn, turnCompleted, type Harness } from '../support/harness.js';
import { DONE_TURN, execCall, notifs, rand, runTurn, serverRequests, type Thread } from '../support/tool-turns.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.cleanup();
});

/** Every text the model request carried, joined. */
const inputText = (req: RecordedRequest): string => JSON.stringify(req.body.input);
/** The developer messages of a model request. */
const developerTexts = (req: RecordedRequest): string[] =>
  (req.body.input as { type: string; role?: string; content?: { text?: string }[] }[])
    .filter((i) => i.type === 'message' && i.role === 'developer')
    .map((i) => (i.content ?? []).map((c) => c.text ?? '').join(''));

/** A persistent (non-ephemeral) thread on a fresh daemon. */
async function persistentThread(config: string[] = []): Promise<Thread> {
  const c = await h.start(config);
  const t = await c.request('thread/start', { cwd: h.workspace });
  return { c, threadId: t.thread.id as string };
}

/** Sends a request that must fail; returns its JSON-RPC error. */
async function rpcError(c: DaemonClient, method: string, params: unknown): Promise<{ code: number; message: string; data?: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    await c.request(method, params);
  } catch (err) {
    return (err as { error: { code: number; message: string; data?: unknown } }).error as never;
  }
  throw new Error(`${method} succeeded`);
}

/** The `thread/settings/updated` notifications of `threadId` from message index `from`. */
const settingsUpdates = (c: DaemonClient, threadId: string, from = 0) =>
  c.messages.slice(from).filter((m) => m.method === 'thread/settings/updated' && m.id === undefined && m.params.threadId === threadId);

describe('thread/settings/update', () => {
  it('changes the model and effort of the next turn, notifies, and survives a resume in a new daemon', async () => {
    const t = await persistentThread();
    const first = await runTurn(h, t, 'hello');
    expect(first.requests[0]!.body.model).toBe('gpt-5-codex');

    const from = t.c.messages.length;
    expect(await t.c.request('thread/settings/update', { threadId: t.threadId, model: 'gpt-5', effort: 'high' })).toEqual({});
    const n = await t.c.waitForNotification('thread/settings/updated', (p) => p.threadId === t.threadId, from);
    expect(n.params.threadSettings).toMatchObject({ model: 'gpt-5', effort: 'high', collaborationMode: { mode: 'default' } });

    const second = await runTurn(h, t, 'again');
    expect(second.requests[0]!.body.model).toBe('gpt-5');
    expect(second.requests[0]!.body.reasoning).toMatchObject({ effort: 'high' });
    await t.c.close();

    // A new daemon process on the same home: the settings come back from the rollout.
    const c2 = await h.start();
    const resumed = await c2.request('thread/resume', { threadId: t.threadId });
    expect(resumed.model).toBe('gpt-5');
    expect(resumed.reasoningEffort).toBe('high');
    const restored = await c2.waitForNotification('thread/settings/updated', (p) => p.threadId === t.threadId);
    expect(restored.params.threadSettings).toMatchObject({ model: 'gpt-5', effort: 'high' });
    const third = await runTurn(h, { c: c2, threadId: t.threadId }, 'after restart');
    expect(third.requests[0]!.body.model).toBe('gpt-5');
    expect(third.requests[0]!.body.reasoning).toMatchObject({ effort: 'high' });
    await c2.close();
  });

  it('changes the approval policy the next turn uses: untrusted asks, never does not', async () => {
    const t = await persistentThread(['approval_policy="never"', 'sandbox_mode="workspace-write"']);
    const asked: string[] = [];
    t.c.onServerRequest((method) => {
      asked.push(method);
      return { decision: 'accept' };
    });
    const a = `a-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${a}`, 'call_a')] }, DONE_TURN);
    await runTurn(h, t, 'make a');
    expect(asked).toEqual([]);
    expect(existsSync(join(h.workspace, a))).toBe(true);

    await t.c.request('thread/settings/update', { threadId: t.threadId, approvalPolicy: 'untrusted' });
    const b = `b-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${b}`, 'call_b')] }, DONE_TURN);
    const run = await runTurn(h, t, 'make b');
    expect(serverRequests(run.msgs, 'item/commandExecution/requestApproval')).toHaveLength(1);
    expect(existsSync(join(h.workspace, b))).toBe(true);

    await t.c.request('thread/settings/update', { threadId: t.threadId, approvalPolicy: 'never' });
    const c = `c-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${c}`, 'call_c')] }, DONE_TURN);
    const run2 = await runTurn(h, t, 'make c');
    expect(serverRequests(run2.msgs)).toHaveLength(0);
    expect(existsSync(join(h.workspace, c))).toBe(true);
    await t.c.close();
  });

  it('changes the sandbox the next turn uses: read-only refuses a write in the workspace', async () => {
    const t = await persistentThread(['approval_policy="never"', 'sandbox_mode="workspace-write"']);
    await t.c.request('thread/settings/update', { threadId: t.threadId, sandboxPolicy: { type: 'readOnly' } });
    const n = settingsUpdates(t.c, t.threadId).at(-1)!;
    expect(n.params.threadSettings.sandboxPolicy).toEqual({ type: 'readOnly', networkAccess: false });
    const f = `ro-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${f}`, 'call_ro')] }, DONE_TURN);
    const run = await runTurn(h, t, 'write');
    expect(existsSync(join(h.workspace, f))).toBe(false);
    const item = notifs(run.msgs, 'item/completed').find((m) => m.params.item.type === 'commandExecution')!.params.item;
    expect(item.aggregatedOutput).toMatch(/read-only file system/i);
    expect(inputText(run.requests[0]!)).toContain('<sandbox_mode>readOnly</sandbox_mode>');
    await t.c.close();
  });

  it('applies an update made during a running turn from the next turn only', async () => {
    const t = await persistentThread(['approval_policy="untrusted"', 'sandbox_mode="workspace-write"']);
    let answer!: (v: unknown) => void;
    const approvalAsked = new Promise<void>((resolve) => {
      t.c.onServerRequest(() => {
        resolve();
        return new Promise((r) => (answer = r));
      });
    });
    h.mock.enqueue({ output: [execCall(`touch mid-${rand()}.txt`, 'call_mid')] }, DONE_TURN);
    const reqFrom = h.mock.requests.length;
    const turnId = await startTurn(t.c, t.threadId, 'slow one');
    await approvalAsked;
    await t.c.request('thread/settings/update', { threadId: t.threadId, model: 'gpt-5' });
    answer({ decision: 'accept' });
    await turnCompleted(t.c, turnId);
    const during = h.mock.requests.slice(reqFrom);
    expect(during.map((r) => r.body.model)).toEqual(['gpt-5-codex', 'gpt-5-codex']);
    const next = await runTurn(h, t, 'next');
    expect(next.requests[0]!.body.model).toBe('gpt-5');
    await t.c.close();
  });

  it('turn/start overrides notify only when they change something', async () => {
    const t = await persistentThread();
    const from = t.c.messages.length;
    const changed = await runTurn(h, t, 'one', { model: 'gpt-5', effort: 'low' });
    const updates = settingsUpdates(t.c, t.threadId, from);
    expect(updates).toHaveLength(1);
    expect(updates[0]!.params.threadSettings).toMatchObject({ model: 'gpt-5', effort: 'low' });
    // Reported before the turn starts.
    const idxUpdate = t.c.messages.indexOf(updates[0]!);
    const idxStarted = t.c.messages.findIndex((m) => m.method === 'turn/started' && m.params.turn.id === changed.turnId);
    expect(idxUpdate).toBeLessThan(idxStarted);

    const from2 = t.c.messages.length;
    await runTurn(h, t, 'two', { model: 'gpt-5', effort: 'low' });
    await runTurn(h, t, 'three');
    expect(settingsUpdates(t.c, t.threadId, from2)).toHaveLength(0);
    await t.c.close();
  });

  it('plan mode tells the model to plan and not edit, survives a restart, and default mode drops it', async () => {
    const t = await persistentThread();
    const mode = (m: string) => ({ mode: m, settings: { model: 'gpt-5-codex', reasoning_effort: null, developer_instructions: null } });
    await t.c.request('thread/settings/update', { threadId: t.threadId, collaborationMode: mode('plan') });
    expect(settingsUpdates(t.c, t.threadId).at(-1)!.params.threadSettings.collaborationMode).toEqual({
      mode: 'plan',
      settings: { model: 'gpt-5-codex', reasoning_effort: null, developer_instructions: null },
    });
    const planned = await runTurn(h, t, 'add a feature');
    const dev = developerTexts(planned.requests[0]!).join('\n');
    expect(dev).toContain('<collaboration_mode>plan</collaboration_mode>');
    expect(dev).toMatch(/do not edit/i);
    expect(dev).toContain('<proposed_plan>');
    await t.c.close();

    const c2 = await h.start();
    await c2.request('thread/resume', { threadId: t.threadId });
    const restored = await c2.waitForNotification('thread/settings/updated', (p) => p.threadId === t.threadId);
    expect(restored.params.threadSettings.collaborationMode.mode).toBe('plan');
    const t2 = { c: c2, threadId: t.threadId };
    const again = await runTurn(h, t2, 'still planning');
    expect(developerTexts(again.requests[0]!).join('\n')).toContain('<collaboration_mode>plan</collaboration_mode>');

    await c2.request('thread/settings/update', { threadId: t.threadId, collaborationMode: mode('default') });
    const doing = await runTurn(h, t2, 'now do it');
    expect(inputText(doing.requests[0]!)).not.toContain('collaboration_mode');
    await c2.close();
  });

  it('custom mode instructions replace the built-in ones', async () => {
    const t = await persistentThread();
    const instructions = `Only list risks ${rand()}.`;
    await t.c.request('thread/settings/update', {
      threadId: t.threadId,
      collaborationMode: { mode: 'plan', settings: { model: 'gpt-5', reasoning_effort: 'minimal', developer_instructions: instructions } },
    });
    const run = await runTurn(h, t, 'plan it');
    const dev = developerTexts(run.requests[0]!).join('\n');
    expect(dev).toContain(instructions);
    expect(dev).not.toContain('<proposed_plan>');
    // The mode's settings carry the model and effort.
    expect(run.requests[0]!.body.model).toBe('gpt-5');
    expect(run.requests[0]!.body.reasoning).toMatchObject({ effort: 'minimal' });
    await t.c.close();
  });

  it('rejects bad values with -32602 and the path, an unknown thread with thread_not_found, and changes nothing', async () => {
    const t = await persistentThread();
    const bad: [unknown, string][] = [
      [{ approvalPolicy: 'sometimes' }, 'approvalPolicy'],
      [{ sandboxPolicy: { type: 'everything' } }, 'sandboxPolicy.type'],
      [{ sandboxPolicy: { type: 'workspaceWrite', networkAccess: 'yes' } }, 'sandboxPolicy.networkAccess'],
      [{ collaborationMode: { mode: 'yolo', settings: { model: 'gpt-5' } } }, 'collaborationMode.mode'],
      [{ collaborationMode: { mode: 'plan', settings: {} } }, 'collaborationMode.settings.model'],
      [{ model: '' }, 'model'],
      [{ summary: 'verbose' }, 'summary'],
      [{ approvalsReviewer: 'auto_review' }, 'approvalsReviewer'],
    ];
    const from = t.c.messages.length;
    for (const [params, path] of bad) {
      const err = await rpcError(t.c, 'thread/settings/update', { threadId: t.threadId, ...(params as object) });
      expect(err.code, path).toBe(-32602);
      expect(err.data.issues.map((i: { path: string }) => i.path), path).toContain(path);
    }
    const unknown = await rpcError(t.c, 'thread/settings/update', { threadId: 'no-such-thread', model: 'gpt-5' });
    expect(unknown.data.code).toBe('thread_not_found');
    expect(settingsUpdates(t.c, t.threadId, from)).toHaveLength(0);
    const run = await runTurn(h, t, 'unchanged');
    expect(run.requests[0]!.body.model).toBe('gpt-5-codex');
    await t.c.close();
  });

  it('leaves other threads alone', async () => {
    const c = await h.start();
    const a = (await c.request('thread/start', { cwd: h.workspace })).thread.id as string;
    const b = (await c.request('thread/start', { cwd: h.workspace })).thread.id as string;
    const from = c.messages.length;
    await c.request('thread/settings/update', { threadId: a, model: 'gpt-5', approvalPolicy: 'never' });
    await c.request('thread/goal/set', { threadId: a, objective: 'only for a' });
    const runB = await runTurn(h, { c, threadId: b }, 'b turn');
    expect(runB.requests[0]!.body.model).toBe('gpt-5-codex');
    expect(inputText(runB.requests[0]!)).not.toContain('only for a');
    expect(settingsUpdates(c, b, from)).toHaveLength(0);
    expect(c.messages.slice(from).some((m) => m.method?.startsWith('thread/goal/') && m.params.threadId === b)).toBe(false);
    expect(await c.request('thread/goal/get', { threadId: b })).toEqual({ goal: null });
    const runA = await runTurn(h, { c, threadId: a }, 'a turn');
    expect(runA.requests[0]!.body.model).toBe('gpt-5');
    await c.close();
  });
});

describe('thread goals', () => {
  it('sets, gets, pauses and clears a goal, with notifications, and shows the active goal to the model', async () => {
    const t = await persistentThread();
    expect(await t.c.request('thread/goal/get', { threadId: t.threadId })).toEqual({ goal: null });

    const objective = `Ship the <parser> & its tests ${rand()}`;
    const from = t.c.messages.length;
    const set = await t.c.request('thread/goal/set', { threadId: t.threadId, objective: `  ${objective}  ` });
    expect(set.goal).toMatchObject({ threadId: t.threadId, objective, status: 'active', tokenBudget: null, tokensUsed: 0, timeUsedSeconds: 0 });
    expect(set.goal.createdAt).toBe(set.goal.updatedAt);
    const updated = await t.c.waitForNotification('thread/goal/updated', (p) => p.threadId === t.threadId, from);
    expect(updated.params.goal).toEqual(set.goal);
    expect(updated.params.turnId ?? null).toBeNull();
    expect(await t.c.request('thread/goal/get', { threadId: t.threadId })).toEqual({ goal: set.goal });

    h.mock.enqueue({ output: [{ type: 'text', text: 'working' }], usage: { inputTokens: 300, outputTokens: 50 } });
    const run = await runTurn(h, t, 'go');
    const text = inputText(run.requests[0]!);
    expect(text).toContain('<thread_goal>');
    // The objective is the user's data: escaped, never raw markup.
    expect(text).toContain('Ship the &lt;parser&gt; &amp; its tests');
    expect(text).not.toContain('Ship the <parser>');
    // The turn's usage is counted, and reported with the turn's id.
    const counted = notifs(run.msgs, 'thread/goal/updated').at(-1)!;
    expect(counted.params.turnId).toBe(run.turnId);
    expect(counted.params.goal.tokensUsed).toBe(350);
    expect(counted.params.goal.status).toBe('active');

    const paused = await t.c.request('thread/goal/set', { threadId: t.threadId, status: 'paused' });
    expect(paused.goal).toMatchObject({ objective, status: 'paused', tokensUsed: 350, createdAt: set.goal.createdAt });
    const quiet = await runTurn(h, t, 'unrelated');
    expect(inputText(quiet.requests[0]!)).not.toContain('<thread_goal>');
    // A paused goal counts nothing.
    expect(notifs(quiet.msgs, 'thread/goal/updated')).toHaveLength(0);

    const from2 = t.c.messages.length;
    expect(await t.c.request('thread/goal/clear', { threadId: t.threadId })).toEqual({ cleared: true });
    await t.c.waitForNotification('thread/goal/cleared', (p) => p.threadId === t.threadId, from2);
    expect(await t.c.request('thread/goal/get', { threadId: t.threadId })).toEqual({ goal: null });
    const from3 = t.c.messages.length;
    expect(await t.c.request('thread/goal/clear', { threadId: t.threadId })).toEqual({ cleared: false });
    expect(notifs(t.c.messages.slice(from3), 'thread/goal/cleared')).toHaveLength(0);
    await t.c.close();
  });

  it('persists the goal across a daemon restart, even after a torn last line', async () => {
    const t = await persistentThread();
    const objective = `Keep the build green ${rand()}`;
    const set = await t.c.request('thread/goal/set', { threadId: t.threadId, objective, tokenBudget: 100000 });
    const path = (await t.c.request('thread/read', { threadId: t.threadId })).thread.path as string;
    await t.c.close();
    // The previous writer died in the middle of a line.
    appendFileSync(path, '{"ts":1,"type":"goal","goal":{"objective":"tor');

    const c2 = await h.start();
    await c2.request('thread/resume', { threadId: t.threadId });
    expect(await c2.request('thread/goal/get', { threadId: t.threadId })).toEqual({ goal: set.goal });
    const run = await runTurn(h, { c: c2, threadId: t.threadId }, 'continue');
    expect(inputText(run.requests[0]!)).toContain(objective);
    // Cleared state persists too.
    await c2.request('thread/goal/clear', { threadId: t.threadId });
    await c2.close();
    const c3 = await h.start();
    await c3.request('thread/resume', { threadId: t.threadId });
    expect(await c3.request('thread/goal/get', { threadId: t.threadId })).toEqual({ goal: null });
    await c3.close();
  });

  it('a spent token budget makes the goal budgetLimited, and it leaves the model input', async () => {
    const t = await persistentThread();
    await t.c.request('thread/goal/set', { threadId: t.threadId, objective: 'small budget', tokenBudget: 100 });
    h.mock.enqueue({ output: [{ type: 'text', text: 'spent' }], usage: { inputTokens: 150, outputTokens: 10 } });
    const run = await runTurn(h, t, 'spend');
    expect(inputText(run.requests[0]!)).toContain('small budget');
    expect(notifs(run.msgs, 'thread/goal/updated').at(-1)!.params.goal).toMatchObject({ status: 'budgetLimited', tokensUsed: 160 });
    const next = await runTurn(h, t, 'more');
    expect(inputText(next.requests[0]!)).not.toContain('small budget');
    await t.c.close();
  });

  it('changing the objective keeps the goal and its usage; a null budget removes the budget', async () => {
    const t = await persistentThread();
    const first = await t.c.request('thread/goal/set', { threadId: t.threadId, objective: 'first', tokenBudget: 5000 });
    const second = await t.c.request('thread/goal/set', { threadId: t.threadId, objective: 'second' });
    expect(second.goal).toMatchObject({ objective: 'second', status: 'active', tokenBudget: 5000, createdAt: first.goal.createdAt });
    const third = await t.c.request('thread/goal/set', { threadId: t.threadId, tokenBudget: null });
    expect(third.goal).toMatchObject({ objective: 'second', tokenBudget: null });
    await t.c.close();
  });

  it('rejects bad goal params with -32602 and the path, and an unknown thread with thread_not_found', async () => {
    const t = await persistentThread();
    const bad: [unknown, string][] = [
      [{ objective: '   ' }, 'objective'],
      [{ objective: 'x'.repeat(4001) }, 'objective'],
      [{ objective: 'ok', status: 'finished' }, 'status'],
      [{ objective: 'ok', tokenBudget: -5 }, 'tokenBudget'],
      [{ objective: 'ok', tokenBudget: 1.5 }, 'tokenBudget'],
      [{ objective: 42 }, 'objective'],
    ];
    for (const [params, path] of bad) {
      const err = await rpcError(t.c, 'thread/goal/set', { threadId: t.threadId, ...(params as object) });
      expect(err.code, path).toBe(-32602);
      expect(err.data.issues.map((i: { path: string }) => i.path), path).toContain(path);
    }
    // A status change needs a goal to change.
    const none = await rpcError(t.c, 'thread/goal/set', { threadId: t.threadId, status: 'paused' });
    expect(none.code).toBe(-32602);
    expect(await t.c.request('thread/goal/get', { threadId: t.threadId })).toEqual({ goal: null });
    for (const method of ['thread/goal/get', 'thread/goal/clear', 'thread/goal/set']) {
      const err = await rpcError(t.c, method, { threadId: 'no-such-thread', objective: 'x' });
      expect(err.data.code, method).toBe('thread_not_found');
    }
    await t.c.close();
  });
});

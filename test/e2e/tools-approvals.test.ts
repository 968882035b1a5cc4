import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, startTurn, turnCompleted, type Harness } from '../support/harness.js';
import {
  execCall,
  itemEvent,
  notifs,
  openThread,
  outsideDir,
  patchCall,
  patchText,
  rand,
  rmrf,
  runTurn,
  serverRequests,
  toolOutputs,
  type Thread,
  DONE_TURN,
} from '../support/tool-turns.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.cleanup();
});

type Decision = 'accept' | 'acceptForSession' | 'decline' | 'cancel';
interface Asked {
  method: string;
  params: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** How many messages the client had read when it answered. */
  answeredAt: number;
}

/** Answers approval requests with `decisions` in turn (the last one repeats); records each. */
function answer(t: Thread, ...decisions: Decision[]): Asked[] {
  const asked: Asked[] = [];
  t.c.onServerRequest((method, params) => {
    const decision = decisions[Math.min(asked.length, decisions.length - 1)];
    asked.push({ method, params, answeredAt: t.c.messages.length });
    return { decision };
  });
  return asked;
}

const UNTRUSTED = ['approval_policy="untrusted"', 'sandbox_mode="workspace-write"'];

describe('command approvals (untrusted, workspace-write)', () => {
  it('accept: item/started → requestApproval → serverRequest/resolved → item/completed, and the command runs', async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answer(t, 'accept');
    const file = `accepted-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${file}`, 'call-accept')] }, DONE_TURN);
    const from = t.c.messages.length;
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(existsSync(join(h.workspace, file))).toBe(true);

    // The exact order of the messages about this item, with the answer in between.
    const all = t.c.messages;
    const about = (m: (typeof all)[number]) =>
      (m.method === 'item/started' || m.method === 'item/completed') ? m.params.item.id === 'call-accept' : m.method === 'item/commandExecution/requestApproval' || m.method === 'serverRequest/resolved';
    const seq = all.map((m, i) => ({ m, i })).filter(({ m, i }) => i >= from && m.method !== undefined && about(m));
    expect(seq.map(({ m }) => m.method)).toEqual([
      'item/started',
      'item/commandExecution/requestApproval',
      'serverRequest/resolved',
      'item/completed',
    ]);
    const [started, request, resolved, completed] = seq;
    expect(started!.m.params.item).toMatchObject({ type: 'commandExecution', id: 'call-accept', status: 'inProgress', cwd: h.workspace });
    expect(request!.m.id).not.toBeUndefined();
    expect(request!.m.params).toMatchObject({
      threadId: t.threadId,
      turnId: r.turnId,
      itemId: 'call-accept',
      cwd: h.workspace,
    });
    expect(request!.m.params.command).toContain(`touch ${file}`);
    expect(typeof request!.m.params.startedAtMs).toBe('number');
    // The client answered after the request and before the daemon said it was resolved.
    expect(asked).toHaveLength(1);
    expect(asked[0]!.answeredAt).toBeGreaterThan(request!.i);
    expect(resolved!.i).toBeGreaterThanOrEqual(asked[0]!.answeredAt);
    expect(resolved!.m.params).toMatchObject({ threadId: t.threadId, requestId: request!.m.id });
    expect(completed!.m.params.item).toMatchObject({ id: 'call-accept', status: 'completed', exitCode: 0 });
    // The thread reported it was waiting on the approval while the request was open.
    const waiting = notifs(r.msgs, 'thread/status/changed').filter((m) => m.params.status?.activeFlags?.includes('waitingOnApproval'));
    expect(waiting.length).toBeGreaterThan(0);
    await t.c.close();
  });

  it('acceptForSession: the same command is not asked again, a different one is', async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answer(t, 'acceptForSession', 'decline');
    const file = `session-${rand()}.txt`;
    const other = `other-${rand()}.txt`;
    h.mock.enqueue(
      { output: [execCall(`touch ${file}`, 'call-s1')] },
      { output: [execCall(`touch ${file}`, 'call-s2')] },
      { output: [execCall(`touch ${other}`, 'call-s3')] },
      DONE_TURN,
    );
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(asked.map((a) => a.params.itemId)).toEqual(['call-s1', 'call-s3']);
    expect(itemEvent(r.msgs, 'completed', 'call-s2')).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(itemEvent(r.msgs, 'completed', 'call-s3')).toMatchObject({ status: 'declined' });
    expect(existsSync(join(h.workspace, file))).toBe(true);
    expect(existsSync(join(h.workspace, other))).toBe(false);

    // The grant outlives the turn.
    h.mock.enqueue({ output: [execCall(`touch ${file}`, 'call-s4')] }, DONE_TURN);
    const r2 = await runTurn(h, t);
    expect(r2.turn.status).toBe('completed');
    expect(serverRequests(r2.msgs)).toHaveLength(0);
    expect(itemEvent(r2.msgs, 'completed', 'call-s4')).toMatchObject({ status: 'completed', exitCode: 0 });
    await t.c.close();
  });

  it('decline: the item ends declined, the model is told, the turn completes', async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answer(t, 'decline');
    const file = `declined-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${file}`, 'call-decline')] }, { output: [{ type: 'text', text: 'ok, not doing it' }] });
    const r = await runTurn(h, t);
    expect(asked).toHaveLength(1);
    expect(r.turn.status).toBe('completed');
    expect(itemEvent(r.msgs, 'completed', 'call-decline')).toMatchObject({ type: 'commandExecution', status: 'declined' });
    expect(existsSync(join(h.workspace, file))).toBe(false);
    expect(r.requests).toHaveLength(2);
    const out = toolOutputs(r.requests[1]!).get('call-decline');
    expect(out?.type).toBe('function_call_output');
    expect(out?.output).toMatch(/rejected by user|declined/i);
    const agent = notifs(r.msgs, 'item/completed').map((m) => m.params.item).find((i) => i.type === 'agentMessage');
    expect(agent?.text).toBe('ok, not doing it');
    // The resolved notification still follows the request.
    const req = serverRequests(r.msgs, 'item/commandExecution/requestApproval')[0]!;
    expect(notifs(r.msgs, 'serverRequest/resolved').map((m) => m.params.requestId)).toEqual([req.id]);
    await t.c.close();
  });

  it('cancel: the item ends declined and the turn is interrupted', async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answer(t, 'cancel');
    const file = `cancelled-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${file}`, 'call-cancel')] });
    const r = await runTurn(h, t);
    expect(asked).toHaveLength(1);
    expect(r.turn.status).toBe('interrupted');
    expect(itemEvent(r.msgs, 'completed', 'call-cancel')).toMatchObject({ status: 'declined' });
    expect(existsSync(join(h.workspace, file))).toBe(false);
    expect(r.requests).toHaveLength(1);
    expect(notifs(r.msgs, 'serverRequest/resolved')).toHaveLength(1);
    // The thread is usable afterwards.
    h.mock.enqueue(DONE_TURN);
    expect((await runTurn(h, t)).turn.status).toBe('completed');
    await t.c.close();
  });
});

describe('pending approvals', () => {
  it('turn/interrupt settles a pending approval: serverRequest/resolved, item declined, turn interrupted', async () => {
    const t = await openThread(h, UNTRUSTED);
    const file = `pending-${rand()}.txt`;
    let release: (d: unknown) => void = () => {};
    const late = new Promise((resolve) => (release = resolve));
    t.c.onServerRequest(() => late);
    h.mock.enqueue({ output: [execCall(`touch ${file}`, 'call-pending')] });
    const from = t.c.messages.length;
    const turnId = await startTurn(t.c, t.threadId, 'go');
    const req = await t.c.waitFor((m) => m.method === 'item/commandExecution/requestApproval' && m.id !== undefined, from);
    await t.c.request('turn/interrupt', { threadId: t.threadId, turnId });
    const turn = await turnCompleted(t.c, turnId);
    expect(turn.status).toBe('interrupted');
    const msgs = t.c.messages.slice(from);
    expect(notifs(msgs, 'serverRequest/resolved').map((m) => m.params.requestId)).toEqual([req.id]);
    expect(itemEvent(msgs, 'completed', 'call-pending')).toMatchObject({ status: 'declined' });
    // A late answer changes nothing.
    release({ decision: 'accept' });
    h.mock.enqueue(DONE_TURN);
    expect((await runTurn(h, t)).turn.status).toBe('completed');
    expect(existsSync(join(h.workspace, file))).toBe(false);
    await t.c.close();
  });

  // Regression (found by this test, since fixed): AppServer.serverRequestIds mapped the session's approval id (the model's call id) to the
  // JSON-RPC id without the thread, so two threads waiting on the same call id at once overwrote
  // each other: A's serverRequest/resolved carried B's request id, B's the bare call id.
  it('two threads pending on the same call id each get serverRequest/resolved with their own request id', async () => {
    const c = await h.start(UNTRUSTED);
    const a = (await c.request('thread/start', { cwd: h.workspace, ephemeral: true })).thread.id as string;
    const b = (await c.request('thread/start', { cwd: h.workspace, ephemeral: true })).thread.id as string;
    const pending = new Map<string, (v: unknown) => void>();
    let bothAsked: () => void = () => {};
    const both = new Promise<void>((resolve) => (bothAsked = resolve));
    c.onServerRequest(
      (_m, params) =>
        new Promise((resolve) => {
          pending.set(params.threadId, resolve);
          if (pending.size === 2) bothAsked();
        }),
    );
    h.mock.enqueue({ output: [execCall('touch same.txt', 'same-call')] }, { output: [execCall('touch same.txt', 'same-call')] }, DONE_TURN, DONE_TURN);
    const from = c.messages.length;
    const turnA = await startTurn(c, a, 'a');
    const turnB = await startTurn(c, b, 'b');
    await both;
    const reqs = serverRequests(c.messages.slice(from), 'item/commandExecution/requestApproval');
    const idOf = (thread: string) => reqs.find((m) => m.params.threadId === thread)!.id;
    expect(idOf(a)).not.toEqual(idOf(b));
    pending.get(a)!({ decision: 'decline' });
    const resolvedA = await c.waitForNotification('serverRequest/resolved', (p) => p.threadId === a, from);
    pending.get(b)!({ decision: 'decline' });
    const resolvedB = await c.waitForNotification('serverRequest/resolved', (p) => p.threadId === b, from);
    await turnCompleted(c, turnA);
    await turnCompleted(c, turnB);
    expect(resolvedA.params.requestId).toEqual(idOf(a));
    expect(resolvedB.params.requestId).toEqual(idOf(b));
    await c.close();
  });

  it('classic shell tool: decline is reported in the function_call_output', async () => {
    const t = await openThread(h, [...UNTRUSTED, 'tool_style="classic"']);
    const asked = answer(t, 'decline');
    const file = `classic-${rand()}.txt`;
    h.mock.enqueue(
      { output: [{ type: 'function_call', name: 'shell', arguments: { command: ['touch', file] }, callId: 'call-classic' }] },
      DONE_TURN,
    );
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(asked).toHaveLength(1);
    expect(asked[0]!.params).toMatchObject({ itemId: 'call-classic', cwd: h.workspace });
    expect(asked[0]!.params.command).toContain(`touch ${file}`);
    expect(itemEvent(r.msgs, 'completed', 'call-classic')).toMatchObject({ status: 'declined' });
    expect(toolOutputs(r.requests[1]!).get('call-classic')).toMatchObject({ type: 'function_call_output' });
    expect(toolOutputs(r.requests[1]!).get('call-classic')!.output).toMatch(/rejected by user/);
    expect(existsSync(join(h.workspace, file))).toBe(false);
    await t.c.close();
  });
});

describe('patch approvals (untrusted, workspace-write)', () => {
  it('accept: item/started → fileChange requestApproval → serverRequest/resolved → item/completed, and the patch applies', async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answer(t, 'accept');
    const file = `p-accept-${rand()}.txt`;
    h.mock.enqueue({ output: [patchCall(patchText(`*** Add File: ${file}`, '+hello'), 'patch-accept')] }, DONE_TURN);
    const from = t.c.messages.length;
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(readFileSync(join(h.workspace, file), 'utf8')).toBe('hello\n');
    const seq = t.c.messages
      .map((m, i) => ({ m, i }))
      .filter(({ m, i }) =>
        i >= from &&
        ((m.method === 'item/started' || m.method === 'item/completed')
          ? m.params.item.id === 'patch-accept'
          : m.method === 'item/fileChange/requestApproval' || m.method === 'serverRequest/resolved'),
      );
    expect(seq.map(({ m }) => m.method)).toEqual(['item/started', 'item/fileChange/requestApproval', 'serverRequest/resolved', 'item/completed']);
    const [started, request, resolved, completed] = seq;
    expect(started!.m.params.item).toMatchObject({ type: 'fileChange', status: 'inProgress' });
    expect(started!.m.params.item.changes[0]).toMatchObject({ path: join(h.workspace, file), kind: { type: 'add' } });
    expect(request!.m.params).toMatchObject({ threadId: t.threadId, turnId: r.turnId, itemId: 'patch-accept' });
    expect(asked[0]!.answeredAt).toBeGreaterThan(request!.i);
    expect(resolved!.i).toBeGreaterThanOrEqual(asked[0]!.answeredAt);
    expect(resolved!.m.params.requestId).toBe(request!.m.id);
    expect(completed!.m.params.item).toMatchObject({ type: 'fileChange', status: 'completed' });
    expect(toolOutputs(r.requests[1]!).get('patch-accept')).toMatchObject({ type: 'custom_tool_call_output' });
    expect(toolOutputs(r.requests[1]!).get('patch-accept')!.output).toContain(`A ${file}`);
    await t.c.close();
  });

  it('acceptForSession: a later patch of the same file is not asked again, another file is', async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answer(t, 'acceptForSession', 'decline');
    const file = `p-session-${rand()}.txt`;
    const other = `p-other-${rand()}.txt`;
    h.mock.enqueue(
      { output: [patchCall(patchText(`*** Add File: ${file}`, '+one'), 'patch-s1')] },
      { output: [patchCall(patchText(`*** Update File: ${file}`, '@@', '-one', '+two'), 'patch-s2')] },
      { output: [patchCall(patchText(`*** Add File: ${other}`, '+nope'), 'patch-s3')] },
      DONE_TURN,
    );
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(asked.map((a) => [a.method, a.params.itemId])).toEqual([
      ['item/fileChange/requestApproval', 'patch-s1'],
      ['item/fileChange/requestApproval', 'patch-s3'],
    ]);
    expect(readFileSync(join(h.workspace, file), 'utf8')).toBe('two\n');
    expect(existsSync(join(h.workspace, other))).toBe(false);
    expect(itemEvent(r.msgs, 'completed', 'patch-s2')).toMatchObject({ status: 'completed' });
    expect(itemEvent(r.msgs, 'completed', 'patch-s3')).toMatchObject({ status: 'declined' });
    await t.c.close();
  });

  it('decline: the item ends declined, the model is told, nothing is written', async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answer(t, 'decline');
    const file = `p-declined-${rand()}.txt`;
    writeFileSync(join(h.workspace, file), 'original\n');
    h.mock.enqueue({ output: [patchCall(patchText(`*** Update File: ${file}`, '@@', '-original', '+changed'), 'patch-decline')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(asked).toHaveLength(1);
    expect(r.turn.status).toBe('completed');
    expect(itemEvent(r.msgs, 'completed', 'patch-decline')).toMatchObject({ type: 'fileChange', status: 'declined' });
    expect(readFileSync(join(h.workspace, file), 'utf8')).toBe('original\n');
    const out = toolOutputs(r.requests[1]!).get('patch-decline');
    expect(out?.type).toBe('custom_tool_call_output');
    expect(out?.output).toMatch(/rejected by user/);
    // No diff for a patch that never applied.
    const diffs = notifs(r.msgs, 'turn/diff/updated').map((m) => m.params.diff as string);
    expect(diffs.every((d) => !d.includes(file))).toBe(true);
    rmSync(join(h.workspace, file));
    await t.c.close();
  });

  it('cancel: the item ends declined, the turn is interrupted, nothing is written', async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answer(t, 'cancel');
    const file = `p-cancel-${rand()}.txt`;
    h.mock.enqueue({ output: [patchCall(patchText(`*** Add File: ${file}`, '+x'), 'patch-cancel')] });
    const r = await runTurn(h, t);
    expect(asked).toHaveLength(1);
    expect(r.turn.status).toBe('interrupted');
    expect(itemEvent(r.msgs, 'completed', 'patch-cancel')).toMatchObject({ status: 'declined' });
    expect(existsSync(join(h.workspace, file))).toBe(false);
    expect(r.requests).toHaveLength(1);
    await t.c.close();
  });
});

describe('approval policies (workspace-write)', () => {
  it('untrusted asks for a command that writes but not for ls or cat', async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answer(t, 'accept');
    writeFileSync(join(h.workspace, 'readme.txt'), 'read me\n');
    const file = `untrusted-${rand()}.txt`;
    h.mock.enqueue(
      { output: [execCall('ls', 'call-ls')] },
      { output: [execCall('cat readme.txt', 'call-cat')] },
      { output: [execCall(`echo hi > ${file}`, 'call-write')] },
      DONE_TURN,
    );
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(asked.map((a) => a.params.itemId)).toEqual(['call-write']);
    expect(itemEvent(r.msgs, 'completed', 'call-ls')).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(itemEvent(r.msgs, 'completed', 'call-ls').aggregatedOutput).toContain('readme.txt');
    expect(itemEvent(r.msgs, 'completed', 'call-cat').aggregatedOutput).toContain('read me');
    expect(readFileSync(join(h.workspace, file), 'utf8')).toBe('hi\n');
    await t.c.close();
  });

  it('on-request runs commands without asking, inside the sandbox', async () => {
    const t = await openThread(h, ['approval_policy="on-request"', 'sandbox_mode="workspace-write"']);
    const asked = answer(t, 'accept');
    const inside = `onreq-${rand()}.txt`;
    const outside = `/var/tmp/agentd-onreq-${rand()}`;
    h.mock.enqueue(
      // Exits 0 whatever touch does, so no retry question can follow; the sandbox shows in the output.
      { output: [execCall(`touch ${inside} && touch ${outside} 2>&1; echo finished`, 'call-onreq')] },
      DONE_TURN,
    );
    try {
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      expect(asked).toHaveLength(0);
      expect(existsSync(join(h.workspace, inside))).toBe(true);
      expect(existsSync(outside)).toBe(false);
      const item = itemEvent(r.msgs, 'completed', 'call-onreq');
      expect(item).toMatchObject({ status: 'completed', exitCode: 0 });
      expect(item.aggregatedOutput).toMatch(/read-only file system/i);
    } finally {
      rmrf(outside);
    }
    await t.c.close();
  });

  it('never never asks: a sandbox denial goes back to the model as a failure', async () => {
    const t = await openThread(h, ['approval_policy="never"', 'sandbox_mode="workspace-write"']);
    const asked = answer(t, 'accept');
    const inside = `never-${rand()}.txt`;
    const outside = `/var/tmp/agentd-never-${rand()}`;
    h.mock.enqueue({ output: [execCall(`echo x > ${inside}`, 'call-in')] }, { output: [execCall(`touch ${outside}`, 'call-out')] }, DONE_TURN);
    try {
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      expect(asked).toHaveLength(0);
      expect(serverRequests(r.msgs)).toHaveLength(0);
      expect(existsSync(join(h.workspace, inside))).toBe(true);
      expect(existsSync(outside)).toBe(false);
      const item = itemEvent(r.msgs, 'completed', 'call-out');
      expect(item.status).toBe('failed');
      expect(item.exitCode).not.toBe(0);
      const out = toolOutputs(r.requests[2]!).get('call-out')!.output;
      expect(out).toMatch(/read-only file system/i);
      expect(out).toMatch(/Process exited with code [1-9]/);
    } finally {
      rmrf(outside);
    }
    await t.c.close();
  });

  it('on-failure runs sandboxed without asking and asks only after a denial, then retries unsandboxed', async () => {
    const t = await openThread(h, ['approval_policy="on-failure"', 'sandbox_mode="workspace-write"']);
    const asked = answer(t, 'accept');
    const inside = `onfail-${rand()}.txt`;
    const outside = `/var/tmp/agentd-onfail-${rand()}`;
    h.mock.enqueue({ output: [execCall(`touch ${inside}`, 'call-fine')] }, { output: [execCall(`touch ${outside}`, 'call-denied')] }, DONE_TURN);
    try {
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      expect(asked.map((a) => a.params.itemId)).toEqual(['call-denied']);
      expect(asked[0]!.method).toBe('item/commandExecution/requestApproval');
      expect(asked[0]!.params.reason).toMatch(/sandbox/i);
      // The question comes after the denied attempt's output was streamed.
      const req = serverRequests(r.msgs)[0]!;
      const deltaIdx = r.msgs.findIndex((m) => m.method === 'item/commandExecution/outputDelta' && m.params.itemId === 'call-denied');
      expect(deltaIdx).toBeGreaterThanOrEqual(0);
      expect(deltaIdx).toBeLessThan(r.msgs.indexOf(req));
      expect(existsSync(join(h.workspace, inside))).toBe(true);
      expect(existsSync(outside)).toBe(true);
      expect(itemEvent(r.msgs, 'completed', 'call-denied')).toMatchObject({ status: 'completed', exitCode: 0 });
    } finally {
      rmrf(outside);
    }
    await t.c.close();
  });

  it('on-failure: declining the retry leaves the denial in place', async () => {
    const t = await openThread(h, ['approval_policy="on-failure"', 'sandbox_mode="workspace-write"']);
    const asked = answer(t, 'decline');
    const dir = outsideDir();
    const target = join(dir, 'f.txt');
    h.mock.enqueue({ output: [execCall(`echo x > ${target}`, 'call-denied')] }, DONE_TURN);
    try {
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      expect(asked).toHaveLength(1);
      expect(existsSync(target)).toBe(false);
      const item = itemEvent(r.msgs, 'completed', 'call-denied');
      expect(item.status).toBe('failed');
      expect(item.aggregatedOutput).toMatch(/read-only file system/i);
    } finally {
      rmrf(dir);
    }
    await t.c.close();
  });
});

describe('a session approval of a sandboxed run never approves a run without the sandbox', () => {
  it('acceptForSession on a command that is then denied by the sandbox: the retry is asked on its own', async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answer(t, 'acceptForSession', 'decline');
    const dir = outsideDir();
    const target = join(dir, 'escaped.txt');
    h.mock.enqueue({ output: [execCall(`touch ${target}`, 'call-retry')] }, DONE_TURN);
    try {
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      expect(asked.map((a) => a.params.itemId)).toEqual(['call-retry', 'call-retry']);
      expect(asked[1]!.params.reason).toMatch(/without the sandbox/);
      expect(existsSync(target)).toBe(false);
      expect(itemEvent(r.msgs, 'completed', 'call-retry').aggregatedOutput).toMatch(/read-only file system/i);
    } finally {
      rmrf(dir);
    }
    await t.c.close();
  });

  it('a command approved for the session that later fails in the sandbox: the retry reaches the client', async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answer(t, 'acceptForSession', 'decline');
    const dir = outsideDir();
    const target = join(dir, 'escaped.txt');
    const marker = `armed-${rand()}`;
    // The same command twice: harmless the first time, then it writes outside the workspace.
    const cmd = `if [ -e ${marker} ]; then touch ${target}; else touch ${marker}; fi`;
    h.mock.enqueue({ output: [execCall(cmd, 'call-arm')] }, { output: [execCall(cmd, 'call-fire')] }, DONE_TURN);
    try {
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      // The second call's sandboxed run needs no question; its retry without the sandbox does.
      expect(asked.map((a) => a.params.itemId)).toEqual(['call-arm', 'call-fire']);
      expect(asked[1]!.params.reason).toMatch(/without the sandbox/);
      expect(existsSync(join(h.workspace, marker))).toBe(true);
      expect(existsSync(target)).toBe(false);
      expect(itemEvent(r.msgs, 'completed', 'call-fire').status).toBe('failed');
    } finally {
      rmrf(dir);
    }
    await t.c.close();
  });

  it('a command approved for the session sandboxed, then requested with escalation: asked again', async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answer(t, 'acceptForSession', 'decline');
    const dir = outsideDir();
    const target = join(dir, 'escaped.txt');
    // Exits 0 in the sandbox (no retry question); writes outside only without it.
    const cmd = `touch ${target} 2>/dev/null; echo ran`;
    h.mock.enqueue(
      { output: [execCall(cmd, 'call-sandboxed')] },
      { output: [execCall(cmd, 'call-escalated', { sandbox_permissions: 'require_escalated', justification: 'needs it' })] },
      DONE_TURN,
    );
    try {
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      expect(asked.map((a) => a.params.itemId)).toEqual(['call-sandboxed', 'call-escalated']);
      expect(itemEvent(r.msgs, 'completed', 'call-escalated').status).toBe('declined');
      expect(existsSync(target)).toBe(false);
    } finally {
      rmrf(dir);
    }
    await t.c.close();
  });
  it('acceptForSession on the retry covers later escalations of that command, never a later retry', async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answer(t, 'accept', 'acceptForSession', 'decline', 'accept', 'decline');
    const dir = outsideDir();
    const target = join(dir, 'escaped.txt');
    const cmd = `touch ${target}`;
    h.mock.enqueue(
      { output: [execCall(cmd, 'call-first')] },
      { output: [execCall(cmd, 'call-escalated', { sandbox_permissions: 'require_escalated' })] },
      { output: [execCall(`rm ${target} && ${cmd}`, 'call-other')] },
      DONE_TURN,
    );
    try {
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      // call-first: its question, then the retry (acceptForSession); call-escalated: not asked;
      // call-other is another command: asked, declined.
      expect(asked.map((a) => a.params.itemId)).toEqual(['call-first', 'call-first', 'call-other']);
      expect(itemEvent(r.msgs, 'completed', 'call-escalated')).toMatchObject({ status: 'completed', exitCode: 0 });
      expect(existsSync(target)).toBe(true);
      rmrf(target);
      // A later sandboxed run of the same command, denied again: its retry is asked again.
      h.mock.enqueue({ output: [execCall(cmd, 'call-again')] }, DONE_TURN);
      const before = asked.length;
      const r2 = await runTurn(h, t);
      expect(r2.turn.status).toBe('completed');
      expect(asked.slice(before).map((a) => a.params.itemId)).toEqual(['call-again', 'call-again']);
      expect(asked[asked.length - 1]!.params.reason).toMatch(/without the sandbox/);
      expect(existsSync(target)).toBe(false);
    } finally {
      rmrf(dir);
    }
    await t.c.close();
  });
});

describe('known-safe commands under untrusted', () => {
  it('asks before running a script with a shell from the workspace', async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answer(t, 'decline');
    const marker = `fake-shell-ran-${rand()}`;
    const fake = join(h.workspace, `bash-${rand()}`, 'bash');
    mkdirSync(dirname(fake));
    writeFileSync(fake, `#!/bin/sh\ntouch ${join(h.workspace, marker)}\n`, { mode: 0o755 });
    h.mock.enqueue({ output: [execCall('ls', 'call-fake-shell', { shell: fake })] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(asked.map((a) => a.params.itemId)).toEqual(['call-fake-shell']);
    expect(existsSync(join(h.workspace, marker))).toBe(false);
    await t.c.close();
  });

  it("git status in a project directory shaped like a bare repository runs none of that directory's programs", async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answer(t, 'decline');
    // Ordinary project content, as a clone can carry it: HEAD, config, objects/, refs/.
    const evil = `vendor-${rand()}`;
    const marker = join(h.workspace, `fsmonitor-ran-${rand()}`);
    execFileSync('git', ['init', '-q', '--bare', join(h.workspace, evil)]);
    const git = (...args: string[]) => execFileSync('git', ['--git-dir', join(h.workspace, evil), 'config', ...args]);
    git('core.bare', 'false');
    git('core.worktree', '..');
    git('core.fsmonitor', `touch ${marker}; false`);
    h.mock.enqueue(
      { output: [execCall('git status', 'call-bare-wd', { workdir: evil })] },
      { output: [execCall(`cd ${evil} && git status`, 'call-bare-cd')] },
      DONE_TURN,
    );
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(asked).toEqual([]);
    expect(existsSync(marker)).toBe(false);
    expect(itemEvent(r.msgs, 'completed', 'call-bare-wd').aggregatedOutput).toMatch(/bare repository/);
    await t.c.close();
  });

  it("asks before tail follows a file forever through the obsolete '+1f' form", async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answer(t, 'decline');
    writeFileSync(join(h.workspace, 'log.txt'), 'one\ntwo\n');
    h.mock.enqueue(
      { output: [execCall('tail +1f log.txt', 'call-tail-f', { yield_time_ms: 500 })] },
      { output: [execCall('tail -n +2 log.txt', 'call-tail-n')] },
      DONE_TURN,
    );
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(asked.map((a) => a.params.itemId)).toEqual(['call-tail-f']);
    expect(itemEvent(r.msgs, 'completed', 'call-tail-f').status).toBe('declined');
    expect(itemEvent(r.msgs, 'completed', 'call-tail-n').aggregatedOutput).toBe('two\n');
    await t.c.close();
  });

  it('asks before sort, date or hostname write, run or set anything through options GNU accepts (abbreviations included)', async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answer(t, 'decline');
    writeFileSync(join(h.workspace, 'lines.txt'), 'b\na\n');
    const out = `sorted-${rand()}.txt`;
    h.mock.enqueue(
      { output: [execCall(`sort --o=${out} lines.txt`, 'call-sort-o')] },
      { output: [execCall(`sort --compress-program=sh lines.txt`, 'call-sort-c')] },
      { output: [execCall('date --s=2001-01-01', 'call-date-s')] },
      { output: [execCall('hostname -F lines.txt', 'call-hostname-f')] },
      { output: [execCall('sort -r lines.txt', 'call-sort-r')] },
      DONE_TURN,
    );
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(asked.map((a) => a.params.itemId)).toEqual(['call-sort-o', 'call-sort-c', 'call-date-s', 'call-hostname-f']);
    expect(existsSync(join(h.workspace, out))).toBe(false);
    expect(itemEvent(r.msgs, 'completed', 'call-sort-r').aggregatedOutput).toBe('b\na\n');
    await t.c.close();
  });
});

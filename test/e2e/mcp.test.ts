import type { ChildProcess } from 'node:child_process';
import { readlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonClient } from '../../src/client/daemon-client.js';
import type { MockOutput } from '../../src/mock/types.js';
import { createHarness, startTurn, turnCompleted, type Harness } from '../support/harness.js';
import { alive, eventually, markDir, marks, MCP_TEST_SERVER, startHttpServer, stdioServer } from '../support/mcp.js';
import { DONE_TURN, itemEvent, notifs, rmrf, runTurn, serverRequests, toolOutputs, type Thread } from '../support/tool-turns.js';

let h: Harness;
let dir: string;
const extra: ChildProcess[] = [];
beforeAll(async () => {
  h = await createHarness();
  dir = markDir();
});
afterAll(async () => {
  for (const c of extra) c.kill('SIGKILL');
  await h.cleanup();
  rmrf(dir);
});

const call = (name: string, args: Record<string, unknown>, callId: string): MockOutput => ({ type: 'function_call', name, arguments: args, callId });

/** A thread whose own config (as codex-acp sends it) runs these MCP servers; waits until each is ready or failed. */
async function mcpThread(c: DaemonClient, servers: Record<string, unknown>, params: Record<string, unknown> = {}): Promise<Thread & { startIdx: number }> {
  const from = c.messages.length;
  const t = await c.request('thread/start', { cwd: h.workspace, ephemeral: true, config: { mcp_servers: servers }, ...params });
  const threadId = t.thread.id as string;
  const startIdx = c.messages.findIndex((m, i) => i >= from && m.id !== undefined && m.result?.thread?.id === threadId);
  for (const name of Object.keys(servers)) {
    await c.waitForNotification('mcpServer/startupStatus/updated', (p) => p.threadId === threadId && p.name === name && (p.status === 'ready' || p.status === 'failed'), from);
  }
  return { c, threadId, startIdx };
}

function statusUpdates(c: DaemonClient, threadId: string, name: string): { status: string; error: string | null }[] {
  return notifs(c.messages, 'mcpServer/startupStatus/updated')
    .filter((m) => m.params.threadId === threadId && m.params.name === name)
    .map((m) => ({ status: m.params.status, error: m.params.error ?? null }));
}

/** Answers every MCP approval with `action` (and `persist`); records the requests. */
function answerMcp(c: DaemonClient, action: 'accept' | 'decline' | 'cancel', persist?: 'session'): any[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const asked: any[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  c.onServerRequest((method, params) => {
    asked.push({ method, params });
    return { action, content: null, _meta: persist ? { persist } : null };
  });
  return asked;
}

describe('a stdio MCP server in one thread', () => {
  let c: DaemonClient;
  let t: Thread & { startIdx: number };
  beforeAll(async () => {
    c = await h.start(['approval_policy="untrusted"', 'sandbox_mode="workspace-write"']);
    t = await mcpThread(c, { notes: stdioServer(dir, 'notes') });
  });

  it('thread/start answers before the server is ready; status goes starting → ready; the tools are listed', async () => {
    const readyIdx = c.messages.findIndex(
      (m) => m.method === 'mcpServer/startupStatus/updated' && m.params.threadId === t.threadId && m.params.status === 'ready',
    );
    const startedIdx = c.messages.findIndex((m) => m.method === 'thread/started' && m.params.thread.id === t.threadId);
    const startingIdx = c.messages.findIndex(
      (m) => m.method === 'mcpServer/startupStatus/updated' && m.params.threadId === t.threadId && m.params.status === 'starting',
    );
    // The answer and thread/started go out before the server is even spawned.
    expect(t.startIdx).toBeGreaterThanOrEqual(0);
    expect(startedIdx).toBeGreaterThan(t.startIdx);
    expect(startingIdx).toBeGreaterThan(startedIdx);
    expect(readyIdx).toBeGreaterThan(startingIdx);
    expect(statusUpdates(c, t.threadId, 'notes').map((u) => u.status)).toEqual(['starting', 'ready']);
    const list = await c.request('mcpServerStatus/list', { threadId: t.threadId });
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({ name: 'notes', runtimeStatus: 'connected', toolsError: null, serverInfo: { name: 'agentd-test-notes' } });
    expect(Object.keys(list.data[0].tools)).toEqual(expect.arrayContaining(['read_note', 'write_note', 'slow', 'crash', 'big']));
  });

  it('offers the tools as mcp__<server>__<tool> functions with their input schemas', async () => {
    h.mock.enqueue(DONE_TURN);
    const r = await runTurn(h, t);
    const tools = r.requests[0]!.body.tools as { name: string; parameters: any }[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    const read = tools.find((x) => x.name === 'mcp__notes__read_note');
    expect(read?.parameters).toMatchObject({ type: 'object', properties: { key: { type: 'string' } }, required: ['key'] });
    expect(read?.parameters.$schema).toBeUndefined();
    for (const x of tools) expect(x.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(tools.some((x) => x.name === 'exec_command')).toBe(true);
  });

  it('a readOnlyHint tool runs without asking: mcpToolCall item, and the result goes to the model', async () => {
    const asked = answerMcp(c, 'decline');
    h.mock.enqueue({ output: [call('mcp__notes__read_note', { key: 'k1' }, 'ro-1')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(asked).toHaveLength(0);
    expect(itemEvent(r.msgs, 'started', 'ro-1')).toMatchObject({ type: 'mcpToolCall', server: 'notes', tool: 'read_note', status: 'inProgress', arguments: { key: 'k1' } });
    const done = itemEvent(r.msgs, 'completed', 'ro-1');
    expect(done).toMatchObject({ status: 'completed', result: { content: [{ type: 'text', text: 'note k1: hello from notes' }] } });
    expect(typeof done.durationMs).toBe('number');
    expect(toolOutputs(r.requests[1]!).get('ro-1')?.output).toBe('note k1: hello from notes');
  });

  it('another tool asks (mcpServer/elicitation/request); accepted, it runs', async () => {
    const asked = answerMcp(c, 'accept');
    h.mock.enqueue({ output: [call('mcp__notes__write_note', { key: 'a', text: 'yes' }, 'w-acc')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(asked).toHaveLength(1);
    expect(asked[0].method).toBe('mcpServer/elicitation/request');
    expect(asked[0].params).toMatchObject({
      threadId: t.threadId,
      turnId: r.turnId,
      serverName: 'notes',
      mode: 'form',
      requestedSchema: { type: 'object', properties: {} },
      _meta: { codex_approval_kind: 'mcp_tool_call', tool_name: 'write_note', tool_params: { key: 'a', text: 'yes' } },
    });
    // The item was started before the question (codex-acp correlates them).
    const startedAt = r.msgs.findIndex((m) => m.method === 'item/started' && m.params.item.id === 'w-acc');
    const askedAt = r.msgs.findIndex((m) => m.method === 'mcpServer/elicitation/request');
    expect(startedAt).toBeGreaterThanOrEqual(0);
    expect(askedAt).toBeGreaterThan(startedAt);
    expect(itemEvent(r.msgs, 'completed', 'w-acc')).toMatchObject({ status: 'completed' });
    expect(marks(dir, 'writes')).toContain('a=yes');
    expect(notifs(r.msgs, 'serverRequest/resolved')).toHaveLength(1);
  });

  it('declined, it does not run and the model is told', async () => {
    answerMcp(c, 'decline');
    h.mock.enqueue({ output: [call('mcp__notes__write_note', { key: 'b', text: 'no' }, 'w-dec')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(itemEvent(r.msgs, 'completed', 'w-dec')).toMatchObject({ status: 'failed', error: { message: expect.stringContaining('declined') } });
    expect(toolOutputs(r.requests[1]!).get('w-dec')?.output).toMatch(/declined/);
    expect(marks(dir, 'writes')).not.toContain('b=no');
  });

  it('cancel ends the turn without running the tool', async () => {
    answerMcp(c, 'cancel');
    h.mock.enqueue({ output: [call('mcp__notes__write_note', { key: 'c', text: 'no' }, 'w-can')] });
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('interrupted');
    expect(marks(dir, 'writes')).not.toContain('c=no');
  });

  it('accept for the session (persist: session) stops asking for that tool only', async () => {
    const asked = answerMcp(c, 'accept', 'session');
    h.mock.enqueue(
      { output: [call('mcp__notes__write_note', { key: 'd1', text: 'x' }, 'w-s1')] },
      { output: [call('mcp__notes__write_note', { key: 'd2', text: 'x' }, 'w-s2')] },
      DONE_TURN,
    );
    await runTurn(h, t);
    expect(asked).toHaveLength(1);
    expect(marks(dir, 'writes')).toEqual(expect.arrayContaining(['d1=x', 'd2=x']));
  });

  it('progress notifications become item/mcpToolCall/progress; an interrupt cancels the call on the server', async () => {
    h.mock.enqueue({ output: [call('mcp__notes__slow', {}, 'slow-1')] });
    const from = c.messages.length;
    const turnId = await startTurn(c, t.threadId, 'go');
    const progress = await c.waitForNotification('item/mcpToolCall/progress', (p) => p.itemId === 'slow-1', from);
    expect(progress.params).toMatchObject({ threadId: t.threadId, turnId, message: 'working on it' });
    await c.request('turn/interrupt', { threadId: t.threadId, turnId });
    const turn = await turnCompleted(c, turnId);
    expect(turn.status).toBe('interrupted');
    expect(itemEvent(c.messages.slice(from), 'completed', 'slow-1')).toMatchObject({ status: 'failed', error: { message: expect.stringMatching(/cancelled/) } });
    expect(await eventually(() => marks(dir, 'slow').includes('cancelled'))).toBe(true);
  });

  it('a server flooding progress notifications does not flood the client; the call completes', async () => {
    h.mock.enqueue({ output: [call('mcp__notes__spam', {}, 'spam-1')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(toolOutputs(r.requests[1]!).get('spam-1')?.output).toBe('spammed');
    const progress = notifs(r.msgs, 'item/mcpToolCall/progress').filter((m) => m.params.itemId === 'spam-1');
    // 20,000 notifications of 4 KiB from the server: the client gets a few, each short.
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.length).toBeLessThan(100);
    for (const p of progress) expect(p.params.message.length).toBeLessThanOrEqual(1024);
  });

  it('sampling, elicitation and roots/list requests from a server are refused at once', async () => {
    h.mock.enqueue({ output: [call('mcp__notes__ask_back', {}, 'ask-1')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(toolOutputs(r.requests[1]!).get('ask-1')?.output).toBe('sampling: refused -32601\nelicitation: refused -32601\nroots: refused -32601');
  });

  it('arguments that are not an object, or nested too deep to serialise, are refused; the thread goes on and is saved', async () => {
    const own = markDir();
    const t2 = await mcpThread(c, { deep: stdioServer(own, 'deep') }, { ephemeral: false });
    const depth = 200_000;
    const deep = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    h.mock.enqueue(
      {
        output: [
          call('mcp__deep__read_note', '[1,2]' as unknown as Record<string, unknown>, 'bad-1'),
          call('mcp__deep__read_note', '"key"' as unknown as Record<string, unknown>, 'bad-2'),
          call('mcp__deep__read_note', deep as unknown as Record<string, unknown>, 'bad-3'),
        ],
      },
      DONE_TURN,
    );
    const r = await runTurn(h, t2);
    expect(r.turn.status).toBe('completed');
    const outs = toolOutputs(r.requests[1]!);
    expect(outs.get('bad-1')?.output).toMatch(/expected a JSON object/);
    expect(outs.get('bad-2')?.output).toMatch(/expected a JSON object/);
    expect(outs.get('bad-3')?.output).toMatch(/nested too deep/);
    h.mock.enqueue({ output: [call('mcp__deep__read_note', { key: 'after' }, 'ok-1')] }, DONE_TURN);
    const r2 = await runTurn(h, t2);
    expect(toolOutputs(r2.requests[1]!).get('ok-1')?.output).toBe('note after: hello from deep');
    const read = await c.request('thread/read', { threadId: t2.threadId, includeTurns: true });
    expect(read.thread.turns.length).toBeGreaterThanOrEqual(2);
    rmrf(own);
  });

  it('an image result reaches the model as an image, after the tool outputs', async () => {
    h.mock.enqueue({ output: [call('mcp__notes__picture', {}, 'pic-1'), call('mcp__notes__read_note', { key: 'z' }, 'pic-2')] }, DONE_TURN);
    const r = await runTurn(h, t);
    const input = r.requests[1]!.body.input as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    const out = input.findIndex((i) => i.type === 'function_call_output' && i.call_id === 'pic-1');
    const out2 = input.findIndex((i) => i.type === 'function_call_output' && i.call_id === 'pic-2');
    const msg = input.findIndex((i) => i.type === 'message' && i.role === 'user' && JSON.stringify(i.content).includes('input_image'));
    expect(input[out].output).toMatch(/^here is the picture\n\[image: image\/png, \d+ bytes, attached below\]\n\[image: image\/x-unknown, 3 bytes \(not shown to the model\)\]$/);
    expect(msg).toBeGreaterThan(Math.max(out, out2));
    const images = input[msg].content.filter((p: { type: string }) => p.type === 'input_image');
    expect(images).toHaveLength(1);
    expect(images[0].image_url).toMatch(/^data:image\/png;base64,iVBOR/);
    expect(itemEvent(r.msgs, 'completed', 'pic-1').result.content[1]).toMatchObject({ type: 'image', mimeType: 'image/png' });
  });

  it('an error result is a failed item and the model gets the message', async () => {
    h.mock.enqueue({ output: [call('mcp__notes__fails', {}, 'f-1')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(itemEvent(r.msgs, 'completed', 'f-1')).toMatchObject({ status: 'failed', error: { message: 'the thing is broken' } });
    expect(toolOutputs(r.requests[1]!).get('f-1')?.output).toBe('the thing is broken');
  });

  it('tool_timeout_sec ends a call that takes too long (and cancels it on the server)', async () => {
    const c2 = await h.start(['approval_policy="never"']);
    const own = markDir();
    const t2 = await mcpThread(c2, { tmo: stdioServer(own, 'tmo', { tool_timeout_sec: 1 }) });
    h.mock.enqueue({ output: [call('mcp__tmo__slow', {}, 'tmo-1')] }, DONE_TURN);
    const r = await runTurn(h, t2);
    expect(r.turn.status).toBe('completed');
    expect(itemEvent(r.msgs, 'completed', 'tmo-1')).toMatchObject({ status: 'failed', error: { message: expect.stringMatching(/timed out after 1s/) } });
    expect(toolOutputs(r.requests[1]!).get('tmo-1')?.output).toMatch(/timed out/);
    expect(await eventually(() => marks(own, 'slow').includes('cancelled'))).toBe(true);
    rmrf(own);
  });

  it('a server whose tools change (tools/list_changed) offers the new list', async () => {
    h.mock.enqueue({ output: [call('mcp__notes__add_tool', {}, 'add-1')] }, DONE_TURN);
    await runTurn(h, t);
    const listed = async () => Object.keys((await c.request('mcpServerStatus/list', { threadId: t.threadId })).data[0].tools);
    const end = Date.now() + 5000;
    while (!(await listed()).includes('extra') && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
    h.mock.enqueue({ output: [call('mcp__notes__extra', {}, 'extra-1')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(r.requests[0]!.body.tools.some((x: { name: string }) => x.name === 'mcp__notes__extra')).toBe(true);
    expect(toolOutputs(r.requests[1]!).get('extra-1')?.output).toBe('extra ran');
  });

  it('a 10 MB result is truncated for the model and for the item; the turn goes on', async () => {
    h.mock.enqueue({ output: [call('mcp__notes__big', {}, 'big-1')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    const out = toolOutputs(r.requests[1]!).get('big-1')!.output;
    expect(out.length).toBeLessThan(50_000);
    expect(out.startsWith('BEGIN')).toBe(true);
    expect(out.endsWith('END')).toBe(true);
    expect(out).toMatch(/bytes omitted/);
    const item = itemEvent(r.msgs, 'completed', 'big-1');
    expect(item.status).toBe('completed');
    expect(JSON.stringify(item).length).toBeLessThan(300 * 1024);
  });

  it('the server env holds the basic variables and its own, never the daemon secrets', async () => {
    h.mock.enqueue({ output: [call('mcp__notes__env_report', {}, 'env-1')] }, DONE_TURN);
    const r = await runTurn(h, t);
    const names = toolOutputs(r.requests[1]!).get('env-1')!.output.split(',');
    expect(names).toEqual(expect.arrayContaining(['MCP_MARK_DIR', 'MCP_NAME', 'PATH', 'HOME']));
    expect(names).not.toContain('AGENTD_HOME');
    expect(names).not.toContain('AGENTD_RETRY_BASE_MS');
  });

  it('a server that dies mid-call fails that call, is reported, and starts again on next use', async () => {
    const pidsBefore = marks(dir, 'notes.pids');
    h.mock.enqueue({ output: [call('mcp__notes__crash', {}, 'crash-1')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(itemEvent(r.msgs, 'completed', 'crash-1')).toMatchObject({ status: 'failed', error: { message: expect.stringMatching(/stopped/) } });
    expect(statusUpdates(c, t.threadId, 'notes').at(-1)).toMatchObject({ status: 'failed', error: expect.stringMatching(/stopped/) });
    h.mock.enqueue({ output: [call('mcp__notes__read_note', { key: 'again' }, 'ro-2')] }, DONE_TURN);
    const r2 = await runTurn(h, t);
    expect(toolOutputs(r2.requests[1]!).get('ro-2')?.output).toBe('note again: hello from notes');
    expect(marks(dir, 'notes.pids').length).toBe(pidsBefore.length + 1);
    expect(statusUpdates(c, t.threadId, 'notes').slice(-2).map((u) => u.status)).toEqual(['starting', 'ready']);
  });

  it('unsubscribing unloads the thread and kills its server process', async () => {
    const pid = Number(marks(dir, 'notes.pids').at(-1));
    expect(alive(pid)).toBe(true);
    await c.request('thread/unsubscribe', { threadId: t.threadId });
    expect(await eventually(() => !alive(pid))).toBe(true);
  });
});

describe('policies and isolation', () => {
  it('config/mcpServer/reload or an unload during a call ends the call; no server is left running', async () => {
    const c = await h.start(['approval_policy="never"']);
    const own = markDir();
    const t = await mcpThread(c, { rl: stdioServer(own, 'rl') });
    const pid1 = Number(marks(own, 'rl.pids').at(-1));
    h.mock.enqueue({ output: [call('mcp__rl__slow', {}, 'rl-slow-1')] }, DONE_TURN);
    let from = c.messages.length;
    const turn1 = await startTurn(c, t.threadId, 'go');
    await c.waitForNotification('item/mcpToolCall/progress', (p) => p.itemId === 'rl-slow-1', from);
    await c.request('config/mcpServer/reload', null);
    const done1 = await turnCompleted(c, turn1);
    expect(done1.status).toBe('completed');
    expect(itemEvent(c.messages.slice(from), 'completed', 'rl-slow-1')).toMatchObject({ status: 'failed' });
    expect(await eventually(() => !alive(pid1))).toBe(true);
    await c.waitForNotification('mcpServer/startupStatus/updated', (p) => p.threadId === t.threadId && p.name === 'rl' && p.status === 'ready', from);
    const pid2 = Number(marks(own, 'rl.pids').at(-1));
    expect(pid2).not.toBe(pid1);
    // No second response: the turn ends with the unload (a queued one would answer the next test).
    h.mock.enqueue({ output: [call('mcp__rl__slow', {}, 'rl-slow-2')] });
    from = c.messages.length;
    await startTurn(c, t.threadId, 'go');
    await c.waitForNotification('item/mcpToolCall/progress', (p) => p.itemId === 'rl-slow-2', from);
    await c.request('thread/unsubscribe', { threadId: t.threadId });
    expect(await eventually(() => !alive(pid2))).toBe(true);
    // The daemon still answers.
    await c.request('thread/list', {});
    rmrf(own);
  });

  it('approval policy never: a tool that is not read-only is refused with a clear message; read-only ones run', async () => {
    const c = await h.start(['approval_policy="never"', 'sandbox_mode="workspace-write"']);
    const asked = answerMcp(c, 'accept');
    const t = await mcpThread(c, { nv: stdioServer(dir, 'nv') });
    h.mock.enqueue({ output: [call('mcp__nv__write_note', { key: 'never', text: 'x' }, 'nv-w'), call('mcp__nv__read_note', { key: 'n' }, 'nv-r')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(asked).toHaveLength(0);
    expect(toolOutputs(r.requests[1]!).get('nv-w')?.output).toMatch(/approval policy is `never`/);
    expect(toolOutputs(r.requests[1]!).get('nv-r')?.output).toBe('note n: hello from nv');
    expect(marks(dir, 'writes')).not.toContain('never=x');
  });

  it("one thread's MCP tools are not another thread's: own processes, and unknown names elsewhere", async () => {
    const c = await h.start(['approval_policy="never"']);
    const a = await mcpThread(c, { iso: stdioServer(dir, 'iso') });
    const b = await mcpThread(c, { iso: stdioServer(dir, 'iso') });
    const plain = await c.request('thread/start', { cwd: h.workspace, ephemeral: true });
    const pids = marks(dir, 'iso.pids');
    expect(new Set(pids).size).toBe(2);
    h.mock.enqueue({ output: [call('mcp__iso__read_note', { key: 'x' }, 'iso-1')] }, DONE_TURN);
    const r = await runTurn(h, { c, threadId: plain.thread.id });
    expect(toolOutputs(r.requests[1]!).get('iso-1')?.output).toMatch(/unsupported call/);
    expect(r.requests[0]!.body.tools.some((x: { name: string }) => x.name.startsWith('mcp__'))).toBe(false);
    // Unloading A kills A's server only.
    await c.request('thread/unsubscribe', { threadId: a.threadId });
    expect(await eventually(() => !alive(Number(pids[0])))).toBe(true);
    expect(alive(Number(pids[1]))).toBe(true);
    const list = await c.request('mcpServerStatus/list', { threadId: b.threadId });
    expect(list.data[0]).toMatchObject({ name: 'iso', runtimeStatus: 'connected' });
  });

  it('servers from config.toml / -c run per thread; a SIGKILLed daemon takes them along', async () => {
    const node = JSON.stringify(process.execPath);
    const c = await h.start([
      `mcp_servers.cfg.command=${node}`,
      `mcp_servers.cfg.args=[${JSON.stringify(MCP_TEST_SERVER)}]`,
      `mcp_servers.cfg.env={ MCP_MARK_DIR = ${JSON.stringify(dir)}, MCP_NAME = "cfg", MCP_LINGER = "1" }`,
    ]);
    const from = c.messages.length;
    const t = await c.request('thread/start', { cwd: h.workspace, ephemeral: true });
    await c.waitForNotification('mcpServer/startupStatus/updated', (p) => p.threadId === t.thread.id && p.name === 'cfg' && p.status === 'ready', from);
    const pid = Number(marks(dir, 'cfg.pids').at(-1));
    expect(alive(pid)).toBe(true);
    c.child.kill('SIGKILL');
    expect(await eventually(() => !alive(pid))).toBe(true);
  });

  it('servers die with the daemon', async () => {
    const c = await h.start([]);
    await mcpThread(c, { mortal: stdioServer(dir, 'mortal') });
    const pid = Number(marks(dir, 'mortal.pids').at(-1));
    expect(alive(pid)).toBe(true);
    await c.close();
    expect(await eventually(() => !alive(pid))).toBe(true);
  });

  it("a stdio server gets none of the daemon's stdio (the protocol) and no controlling terminal", async () => {
    const c = await h.start([]);
    const own = markDir();
    const script = 'ls -l /proc/$$/fd > "$MCP_MARK_DIR/fds"; ps -o tty= -p $$ > "$MCP_MARK_DIR/tty"; exec "$0" "$@"';
    const cfg = stdioServer(own, 'fds');
    await mcpThread(c, { fds: { ...cfg, command: '/bin/sh', args: ['-c', script, process.execPath, ...(cfg.args as string[])] } });
    const daemonStdio = [0, 1, 2].map((fd) => readlinkSync(`/proc/${c.child.pid}/fd/${fd}`));
    const targets = marks(own, 'fds')
      .filter((l) => l.includes(' -> '))
      .map((l) => l.split(' -> ')[1]!.trim());
    // 0, 1 (moved to 10 by the shell's redirect) and 2 are the server's own pipes.
    expect(targets.length).toBeGreaterThanOrEqual(3);
    for (const t of daemonStdio) expect(targets).not.toContain(t);
    expect(marks(own, 'tty').map((l) => l.trim())).toEqual(['?']);
    await c.close();
    rmrf(own);
  });

  it('a helper process of a server that ignores SIGTERM dies with the daemon too', async () => {
    const c = await h.start([]);
    const own = markDir();
    const cfg = stdioServer(own, 'stubborn');
    await mcpThread(c, { stubborn: { ...cfg, env: { ...(cfg.env as object), MCP_STUBBORN_KID: '1' } } });
    const pid = Number(marks(own, 'stubborn.pids').at(-1));
    const kid = Number(marks(own, 'stubborn.kids').at(-1));
    expect(alive(pid)).toBe(true);
    expect(alive(kid)).toBe(true);
    try {
      // The server itself dies first (its helper lives on): the daemon then exits at once.
      process.kill(pid, 'SIGKILL');
      await c.waitForNotification('mcpServer/startupStatus/updated', (p) => p.name === 'stubborn' && p.status === 'failed');
      await c.close();
      expect(await eventually(() => !alive(pid))).toBe(true);
      expect(await eventually(() => !alive(kid))).toBe(true);
    } finally {
      if (alive(kid)) process.kill(kid, 'SIGKILL');
      rmrf(own);
    }
  });
});

describe('bad servers never stall a turn', () => {
  let c: DaemonClient;
  beforeAll(async () => {
    c = await h.start(['approval_policy="never"']);
  });

  it('a command that does not exist: reported failed, the thread works', async () => {
    const t = await mcpThread(c, { ghost: { command: '/nonexistent/mcp-server-xyz' } });
    expect(statusUpdates(c, t.threadId, 'ghost').at(-1)).toMatchObject({ status: 'failed', error: expect.stringMatching(/command not found/) });
    h.mock.enqueue(DONE_TURN);
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    const list = await c.request('mcpServerStatus/list', { threadId: t.threadId });
    expect(list.data[0]).toMatchObject({ runtimeStatus: 'failed', toolsError: expect.stringMatching(/command not found/) });
  });

  it('a server that never answers initialize fails after startup_timeout_sec and is killed', async () => {
    const started = Date.now();
    const t = await mcpThread(c, { mute: stdioServer(dir, 'mute', { startup_timeout_sec: 1 }, 'silent') });
    expect(Date.now() - started).toBeLessThan(8000);
    expect(statusUpdates(c, t.threadId, 'mute').at(-1)).toMatchObject({ status: 'failed', error: expect.stringMatching(/within 1s/) });
    const pid = Number(marks(dir, 'mute.pids').at(-1));
    expect(await eventually(() => !alive(pid))).toBe(true);
    h.mock.enqueue(DONE_TURN);
    expect((await runTurn(h, t)).turn.status).toBe('completed');
  });

  it('a line of stdout longer than 64 MiB ends the connection with a clear error', async () => {
    const t = await mcpThread(c, { endless: stdioServer(dir, 'endless', {}, 'endless-line') });
    expect(statusUpdates(c, t.threadId, 'endless').at(-1)).toMatchObject({ status: 'failed', error: expect.stringMatching(/longer than 67108864 bytes/) });
    const pid = Number(marks(dir, 'endless.pids').at(-1));
    expect(await eventually(() => !alive(pid))).toBe(true);
  });

  it('an HTTP server streaming an endless JSON body or SSE event fails at 64 MiB and its connection is closed', async () => {
    for (const kind of ['json', 'sse']) {
      let sent = 0;
      let closed = false;
      const chunk = Buffer.alloc(1024 * 1024, 0x78);
      const srv = createServer((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': kind === 'json' ? 'application/json' : 'text/event-stream' });
        res.write(kind === 'json' ? '{"jsonrpc":"2.0","id":0,"result":"' : 'event: message\ndata: ');
        const pump = (): void => {
          while (!closed && sent < 1024 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
        };
        res.on('close', () => (closed = true));
        pump();
      });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      try {
        const port = (srv.address() as AddressInfo).port;
        // An SSE stream that fails leaves its request unanswered (the SDK only reports it): that one fails at startup_timeout_sec.
        const t = await mcpThread(c, { [`endless_${kind}`]: { url: `http://127.0.0.1:${port}/mcp`, startup_timeout_sec: kind === 'json' ? 120 : 8 } });
        expect(statusUpdates(c, t.threadId, `endless_${kind}`).at(-1)).toMatchObject({
          status: 'failed',
          error: kind === 'json' ? expect.stringMatching(/longer than 67108864 bytes/) : expect.any(String),
        });
        expect(await eventually(() => closed)).toBe(true);
        expect(sent).toBeLessThan(512 * 1024 * 1024);
      } finally {
        srv.closeAllConnections();
        srv.close();
      }
    }
  }, 120_000);

  it('garbage on stdout is skipped', async () => {
    const t = await mcpThread(c, { noisy: stdioServer(dir, 'noisy', {}, 'garbage') });
    expect(statusUpdates(c, t.threadId, 'noisy').at(-1)?.status).toBe('ready');
    h.mock.enqueue({ output: [call('mcp__noisy__read_note', { key: 'g' }, 'g-1')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(toolOutputs(r.requests[1]!).get('g-1')?.output).toBe('note g: hello from noisy');
  });

  it('500 tools: the first 100 are offered, the status says why the rest are not', async () => {
    const t = await mcpThread(c, { many: stdioServer(dir, 'many', {}, 'many') });
    h.mock.enqueue(DONE_TURN);
    const r = await runTurn(h, t);
    const mcpTools = r.requests[0]!.body.tools.filter((x: { name: string }) => x.name.startsWith('mcp__'));
    expect(mcpTools).toHaveLength(100);
    const list = await c.request('mcpServerStatus/list', { threadId: t.threadId });
    expect(list.data[0].toolsError).toMatch(/400 tools not offered/);
  });

  it('a required server that fails fails the turns with a clear error', async () => {
    const t = await mcpThread(c, { needed: { command: '/nonexistent/needed', required: true } });
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('failed');
    expect(r.turn.error.message).toMatch(/required MCP server needed is not running/);
  });

  it('enabled_tools / disabled_tools filter what is offered', async () => {
    const t = await mcpThread(c, { filt: stdioServer(dir, 'filt', { enabled_tools: ['read_note', 'write_note', 'slow'], disabled_tools: ['slow'] }) });
    h.mock.enqueue(DONE_TURN);
    const r = await runTurn(h, t);
    const names = r.requests[0]!.body.tools.map((x: { name: string }) => x.name).filter((n: string) => n.startsWith('mcp__'));
    expect(names.sort()).toEqual(['mcp__filt__read_note', 'mcp__filt__write_note']);
  });
});

describe('streamable HTTP', () => {
  it('a server on 127.0.0.1 with a bearer token from the environment', async () => {
    const web = await startHttpServer(dir, { MCP_EXPECT_AUTH: 'Bearer s3cret' });
    extra.push(web.child);
    const c = h.spawn(['approval_policy="never"'], { WEB_TOKEN: 's3cret' });
    await c.initialize();
    const t = await mcpThread(c, { web: { url: web.url, bearer_token_env_var: 'WEB_TOKEN' }, nokey: { url: web.url } });
    expect(statusUpdates(c, t.threadId, 'web').at(-1)?.status).toBe('ready');
    expect(statusUpdates(c, t.threadId, 'nokey').at(-1)?.status).toBe('failed');
    h.mock.enqueue({ output: [call('mcp__web__read_note', { key: 'h' }, 'h-1')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(toolOutputs(r.requests[1]!).get('h-1')?.output).toBe('note h: hello from web');
    const list = await c.request('mcpServerStatus/list', { threadId: t.threadId, serverName: 'web' });
    expect(list.data[0]).toMatchObject({ runtimeStatus: 'connected', authStatus: 'bearerToken', httpOrigin: new URL(web.url).origin });
  });
});

describe('config/mcpServer/reload', () => {
  it('reads config.toml again and restarts the loaded threads’ servers with it', async () => {
    const h2 = await createHarness();
    try {
      const server = (name: string) =>
        [
          `[mcp_servers.${name}]`,
          `command = ${JSON.stringify(process.execPath)}`,
          `args = [${JSON.stringify(MCP_TEST_SERVER)}]`,
          `env = { MCP_MARK_DIR = ${JSON.stringify(dir)}, MCP_NAME = "${name}" }`,
          '',
        ].join('\n');
      writeFileSync(join(h2.home, 'config.toml'), server('before'));
      const c = await h2.start([]);
      const from = c.messages.length;
      const t = await c.request('thread/start', { cwd: h2.workspace, ephemeral: true });
      const threadId = t.thread.id as string;
      await c.waitForNotification('mcpServer/startupStatus/updated', (p) => p.threadId === threadId && p.name === 'before' && p.status === 'ready', from);
      const oldPid = Number(marks(dir, 'before.pids').at(-1));
      writeFileSync(join(h2.home, 'config.toml'), server('after'));
      writeFileSync(join(h2.home, 'config.toml'), '[mcp_servers.broken\n');
      await expect(c.request('config/mcpServer/reload', null)).rejects.toThrow(/cannot reload the configuration/);
      expect(alive(oldPid)).toBe(true);
      writeFileSync(join(h2.home, 'config.toml'), server('after'));
      await c.request('config/mcpServer/reload', null);
      await c.waitForNotification('mcpServer/startupStatus/updated', (p) => p.threadId === threadId && p.name === 'after' && p.status === 'ready', from);
      expect(await eventually(() => !alive(oldPid))).toBe(true);
      const list = await c.request('mcpServerStatus/list', { threadId });
      expect(list.data.map((s: { name: string }) => s.name)).toEqual(['after']);
      h2.mock.enqueue({ output: [call('mcp__after__read_note', { key: 'r' }, 'rl-1')] }, DONE_TURN);
      const r = await runTurn(h2, { c, threadId });
      expect(toolOutputs(r.requests[1]!).get('rl-1')?.output).toBe('note r: hello from after');
    } finally {
      await h2.cleanup();
    }
  });
});

describe('a persisted thread with MCP servers', () => {
  it('keeps its mcpToolCall items and its servers across a restart (resume starts them again)', async () => {
    const c = await h.start(['approval_policy="never"']);
    const from = c.messages.length;
    const t = await c.request('thread/start', { cwd: h.workspace, config: { mcp_servers: { keep: stdioServer(dir, 'keep') } } });
    const threadId = t.thread.id as string;
    await c.waitForNotification('mcpServer/startupStatus/updated', (p) => p.threadId === threadId && p.status === 'ready', from);
    h.mock.enqueue({ output: [call('mcp__keep__read_note', { key: 'p' }, 'keep-1')] }, DONE_TURN);
    await runTurn(h, { c, threadId });
    await c.close();
    const c2 = await h.start(['approval_policy="never"']);
    const from2 = c2.messages.length;
    const r = await c2.request('thread/resume', { threadId });
    const items = r.thread.turns.flatMap((turn: { items: { type: string }[] }) => turn.items);
    expect(items.find((i: { type: string }) => i.type === 'mcpToolCall')).toMatchObject({ id: 'keep-1', server: 'keep', tool: 'read_note', status: 'completed' });
    await c2.waitForNotification('mcpServer/startupStatus/updated', (p) => p.threadId === threadId && p.name === 'keep' && p.status === 'ready', from2);
    expect(marks(dir, 'keep.pids')).toHaveLength(2);
    h.mock.enqueue({ output: [call('mcp__keep__read_note', { key: 'q' }, 'keep-2')] }, DONE_TURN);
    const r2 = await runTurn(h, { c: c2, threadId });
    expect(toolOutputs(r2.requests[1]!).get('keep-2')?.output).toBe('note q: hello from keep');
  });
});

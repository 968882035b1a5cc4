/**
 * `agentd acp` driven by the ACP SDK's client side as an editor drives it, against the mock model.
 * Every stdout line is checked against the SDK's schema (see test/support/acp.ts).
 */
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as acp from '@agentclientprotocol/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';
import { spawnAcp, startAcp, transcript, type AcpProcess } from '../support/acp.js';
import { DONE_TURN, execCall, isAlive, outsideDir, patchCall, patchText, pidsWithMarker, rand, rmrf, toolOutputs } from '../support/tool-turns.js';

let h: Harness;
const procs: AcpProcess[] = [];
beforeAll(async () => {
  h = await createHarness();
});
afterEach(() => {
  // Every line every daemon wrote fits the schema and nothing else reached stdout.
  for (const p of procs) expect(p.problems, p.stderr().slice(-2000)).toEqual([]);
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill()));
  await h.cleanup();
});

async function open(opts: Parameters<typeof startAcp>[1] = {}): Promise<AcpProcess> {
  const p = await startAcp(h, opts);
  procs.push(p);
  return p;
}

const UNTRUSTED = ['approval_policy="untrusted"', 'sandbox_mode="workspace-write"'];
const FULL = ['approval_policy="never"', 'sandbox_mode="danger-full-access"'];

async function newSession(p: AcpProcess, extra: Partial<acp.NewSessionRequest> = {}) {
  return p.agent.request(acp.methods.agent.session.new, { cwd: h.workspace, mcpServers: [], ...extra });
}

function prompt(p: AcpProcess, sessionId: string, text: string) {
  return p.agent.request(acp.methods.agent.session.prompt, { sessionId, prompt: [{ type: 'text', text }] });
}

/** The first file under `dir` (recursively) whose path satisfies `pred`. */
function findFile(dir: string, pred: (path: string) => boolean): string | null {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      const found = findFile(path, pred);
      if (found) return found;
    } else if (pred(path)) return path;
  }
  return null;
}

const kinds = (updates: acp.SessionUpdate[]) => updates.map((u) => u.sessionUpdate);

describe('acp: handshake and JSON-RPC hygiene', () => {
  it('answers the highest version both support, with agent info and capabilities', async () => {
    const p = spawnAcp(h);
    procs.push(p);
    const later = await p.agent.request(acp.methods.agent.initialize, { protocolVersion: 7, clientCapabilities: {} });
    expect(later.protocolVersion).toBe(1);
    expect(later.agentInfo?.name).toBe('agentd');
    expect(later.agentCapabilities?.loadSession).toBe(true);
    expect(later.agentCapabilities?.promptCapabilities).toMatchObject({ image: true, embeddedContext: true });
    expect(later.agentCapabilities?.sessionCapabilities).toMatchObject({ list: {}, resume: {}, close: {}, delete: {} });
    const same = await p.agent.request(acp.methods.agent.initialize, { protocolVersion: 1, clientCapabilities: {} });
    expect(same.protocolVersion).toBe(1);
  });

  it('malformed line → -32700 with id null; unknown method → -32601; unknown notification → no reply', async () => {
    const p = await open();
    p.writeRaw('{"jsonrpc":"2.0","id":"x1","method":');
    const parse = await p.waitForLine((m) => m.error?.code === -32700);
    expect(parse.id).toBeNull();
    p.writeRaw(JSON.stringify({ jsonrpc: '2.0', id: 'x2', method: 'session/frobnicate', params: {} }));
    const unknown = await p.waitForLine((m) => m.id === 'x2');
    expect(unknown.error.code).toBe(-32601);
    p.writeRaw(JSON.stringify({ jsonrpc: '2.0', method: 'session/frobnicated', params: {} }));
    p.writeRaw(JSON.stringify({ jsonrpc: '2.0', id: 'x3', method: 'session/list', params: {} }));
    await p.waitForLine((m) => m.id === 'x3');
    // Nothing answered the notification: every line is a response to x1..x3 or to the SDK's requests.
    const stray = p.lines.filter((m) => m.id === undefined || (typeof m.id === 'string' && !['x2', 'x3'].includes(m.id)));
    expect(stray).toEqual([]);
    expect(p.lines.filter((m) => m.id === null)).toHaveLength(1);
  });

  it('authenticate names the provider key variable and checks it is set', async () => {
    const p = spawnAcp(h, { config: ['model_providers.mock.env_key="AGENTD_TEST_KEY"'], env: { AGENTD_TEST_KEY: '' } });
    procs.push(p);
    const init = await p.agent.request(acp.methods.agent.initialize, { protocolVersion: 1, clientCapabilities: {} });
    expect(init.authMethods?.map((m) => m.id)).toEqual(['env:AGENTD_TEST_KEY']);
    await expect(p.agent.request(acp.methods.agent.authenticate, { methodId: 'env:AGENTD_TEST_KEY' })).rejects.toMatchObject({ code: -32000 });
    await expect(p.agent.request(acp.methods.agent.authenticate, { methodId: 'env:OTHER' })).rejects.toMatchObject({ code: -32602 });
  });

  it('an unknown session is -32002; bad params are -32602', async () => {
    const p = await open();
    await expect(prompt(p, 'no-such-session', 'hi')).rejects.toMatchObject({ code: -32002 });
    p.writeRaw(JSON.stringify({ jsonrpc: '2.0', id: 'bad', method: 'session/new', params: { cwd: 42 } }));
    expect((await p.waitForLine((m) => m.id === 'bad')).error.code).toBe(-32602);
  });
});

describe('acp: prompts', () => {
  it('streams thought and message chunks, then answers end_turn; usage, title and commands follow', async () => {
    const p = await open();
    const { sessionId } = await newSession(p);
    h.mock.enqueue({ output: [{ type: 'reasoning', summary: ['weighing it'] }, { type: 'text', text: 'hello from the mock', chunks: 4 }] });
    const r = await prompt(p, sessionId, 'say hello');
    expect(r.stopReason).toBe('end_turn');
    const ups = p.updatesOf(sessionId);
    const chunks = ups.filter((u) => u.sessionUpdate === 'agent_message_chunk');
    // Deltas read together go out as one chunk (the cancel test below sees a chunk mid-turn).
    expect(chunks.length).toBeGreaterThanOrEqual(1);
    expect(chunks.map((u) => (u.content.type === 'text' ? u.content.text : '')).join('')).toBe('hello from the mock');
    expect(new Set(chunks.map((u) => u.messageId)).size).toBe(1);
    const thoughts = ups.filter((u) => u.sessionUpdate === 'agent_thought_chunk');
    expect(thoughts.map((u) => (u.content.type === 'text' ? u.content.text : '')).join('')).toBe('weighing it');
    expect(kinds(ups)).toContain('available_commands_update');
    const usage = ups.find((u) => u.sessionUpdate === 'usage_update');
    expect(usage).toMatchObject({ size: 272_000 });
    expect(ups.find((u) => u.sessionUpdate === 'session_info_update')).toMatchObject({ title: 'say hello' });
    // The model saw the prompt text.
    expect(JSON.stringify(h.mock.requests.at(-1)!.body.input)).toContain('say hello');
  });

  it('a chunk is shown while the model still streams; session/cancel then stops it and answers cancelled', async () => {
    const p = await open();
    const { sessionId } = await newSession(p);
    const aborts = h.mock.clientAborts;
    h.mock.enqueue({ output: [{ type: 'text', text: 'never finished', chunks: 3 }], fault: { hang: true } });
    const answer = prompt(p, sessionId, 'stream forever');
    await p.waitForLine((m) => m.params?.sessionId === sessionId && m.params?.update?.sessionUpdate === 'agent_message_chunk');
    await p.agent.notify(acp.methods.agent.session.cancel, { sessionId });
    expect((await answer).stopReason).toBe('cancelled');
    await h.mock.waitForClientAbort(aborts + 1);
    // The session takes the next prompt.
    h.mock.enqueue(DONE_TURN);
    expect((await prompt(p, sessionId, 'next')).stopReason).toBe('end_turn');
  });

  it('$/cancel_request for a prompt cancels its turn too', async () => {
    const p = await open();
    const { sessionId } = await newSession(p);
    h.mock.enqueue({ output: [{ type: 'text', text: 'never finished', chunks: 3 }], fault: { hang: true } });
    const ac = new AbortController();
    const answer = p.agent.request(acp.methods.agent.session.prompt, { sessionId, prompt: [{ type: 'text', text: 'hang' }] }, { cancellationSignal: ac.signal });
    await p.waitForLine((m) => m.params?.sessionId === sessionId && m.params?.update?.sessionUpdate === 'agent_message_chunk');
    ac.abort();
    const settled = await answer.then(
      (r) => r.stopReason,
      (e: { code?: number }) => e.code,
    );
    expect(settled).toBe('cancelled');
    h.mock.enqueue(DONE_TURN);
    expect((await prompt(p, sessionId, 'after')).stopReason).toBe('end_turn');
  });

  it('embedded context reaches the model; an audio prompt is refused', async () => {
    const p = await open();
    const { sessionId } = await newSession(p);
    h.mock.enqueue(DONE_TURN);
    await p.agent.request(acp.methods.agent.session.prompt, {
      sessionId,
      prompt: [
        { type: 'text', text: 'look at this' },
        { type: 'resource', resource: { uri: 'file:///buffer.ts', text: 'const unsaved = 42;' } },
      ],
    });
    expect(JSON.stringify(h.mock.requests.at(-1)!.body.input)).toContain('const unsaved = 42;');
    await expect(
      p.agent.request(acp.methods.agent.session.prompt, { sessionId, prompt: [{ type: 'audio', data: 'AAAA', mimeType: 'audio/wav' }] }),
    ).rejects.toMatchObject({ code: -32602 });
  });

  it('a failed turn is a JSON-RPC error with the failure, not a stop reason', async () => {
    const p = await open();
    const { sessionId } = await newSession(p);
    h.mock.enqueue({ fault: { status: 400, body: { error: { message: 'bad request from the mock' } } } });
    await expect(prompt(p, sessionId, 'fail please')).rejects.toMatchObject({ code: -32603 });
  });
});

describe('acp: tool calls and permissions', () => {
  it('a command asks with allow/reject options; allow runs it, reject does not', async () => {
    const p = await open({ config: UNTRUSTED });
    const { sessionId } = await newSession(p);
    const yes = `yes-${rand()}.txt`;
    const no = `no-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${yes}`, 'call-yes')] }, DONE_TURN, { output: [execCall(`touch ${no}`, 'call-no')] }, DONE_TURN);
    p.onPermission = () => ({ outcome: { outcome: 'selected', optionId: 'allow_once' } });
    expect((await prompt(p, sessionId, 'make yes')).stopReason).toBe('end_turn');
    expect(existsSync(join(h.workspace, yes))).toBe(true);
    const asked = p.permissions.at(-1)!;
    expect(asked.toolCall.toolCallId).toBe('call-yes');
    expect(asked.toolCall.kind).toBe('execute');
    expect(asked.options.map((o) => o.kind).sort()).toEqual(['allow_always', 'allow_once', 'reject_always', 'reject_once']);
    const yesCall = transcript(p.updatesOf(sessionId)).find((e) => e.toolCallId === 'call-yes');
    expect(yesCall).toMatchObject({ kind: 'execute', status: 'completed', rawInput: { command: expect.stringContaining(yes) } });

    p.onPermission = () => ({ outcome: { outcome: 'selected', optionId: 'reject_once' } });
    const before = h.mock.requests.length;
    expect((await prompt(p, sessionId, 'make no')).stopReason).toBe('end_turn');
    expect(existsSync(join(h.workspace, no))).toBe(false);
    const noCall = transcript(p.updatesOf(sessionId)).find((e) => e.toolCallId === 'call-no');
    expect(noCall.status).toBe('failed');
    // The model was told the command did not run.
    const out = toolOutputs(h.mock.requests[before + 1]!).get('call-no');
    expect(out?.output).toMatch(/declin|reject|not approved|denied/i);
  });

  it('reject_always declines the same command later without asking again', async () => {
    const p = await open({ config: UNTRUSTED });
    const { sessionId } = await newSession(p);
    const f = `never-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${f}`, 'call-a')] }, DONE_TURN, { output: [execCall(`touch ${f}`, 'call-b')] }, DONE_TURN);
    p.onPermission = () => ({ outcome: { outcome: 'selected', optionId: 'reject_always' } });
    await prompt(p, sessionId, 'first');
    const asked = p.permissions.length;
    await prompt(p, sessionId, 'second');
    expect(p.permissions.length).toBe(asked);
    expect(existsSync(join(h.workspace, f))).toBe(false);
  });

  it('an edit asks with its diff (absolute path, old and new text) and shows it as an edit', async () => {
    const p = await open({ config: UNTRUSTED });
    const { sessionId } = await newSession(p);
    const name = `edit-${rand()}.txt`;
    const abs = join(h.workspace, name);
    writeFileSync(abs, 'one\ntwo\nthree\n');
    h.mock.enqueue({ output: [patchCall(patchText(`*** Update File: ${name}`, '@@', ' one', '-two', '+TWO', ' three'), 'call-edit')] }, DONE_TURN);
    p.onPermission = () => ({ outcome: { outcome: 'selected', optionId: 'allow_once' } });
    expect((await prompt(p, sessionId, 'edit it')).stopReason).toBe('end_turn');
    expect(readFileSync(abs, 'utf8')).toBe('one\nTWO\nthree\n');
    const asked = p.permissions.find((r) => r.toolCall.toolCallId === 'call-edit');
    expect(asked?.toolCall.kind).toBe('edit');
    expect(asked?.toolCall.content).toEqual([{ type: 'diff', path: abs, oldText: 'one\ntwo\nthree', newText: 'one\nTWO\nthree' }]);
    const call = transcript(p.updatesOf(sessionId)).find((e) => e.toolCallId === 'call-edit');
    expect(call).toMatchObject({ kind: 'edit', status: 'completed', locations: [{ path: abs }] });
    expect(call.content[0]).toMatchObject({ type: 'diff', path: abs, newText: 'one\nTWO\nthree' });
  });

  it('a running command shows its output as it comes', async () => {
    const p = await open({ config: FULL });
    const { sessionId } = await newSession(p);
    h.mock.enqueue({ output: [execCall('echo first-line; sleep 0.5; echo second-line', 'call-progress')] }, DONE_TURN);
    await prompt(p, sessionId, 'show progress');
    const ups = p.updatesOf(sessionId).filter((u) => u.sessionUpdate === 'tool_call_update' && u.toolCallId === 'call-progress') as (acp.ToolCallUpdate & { sessionUpdate: string })[];
    const interim = ups.filter((u) => u.status == null);
    const text = (u: acp.ToolCallUpdate) => JSON.stringify(u.content ?? []);
    expect(interim.some((u) => text(u).includes('first-line') && !text(u).includes('second-line'))).toBe(true);
    expect(text(ups.at(-1)!)).toContain('second-line');
    expect(ups.at(-1)!.status).toBe('completed');
  });

  it('cancel during a long command kills it and answers cancelled', async () => {
    const p = await open({ config: FULL });
    const { sessionId } = await newSession(p);
    const marker = `acp-sleep-${rand()}`;
    // No answer after it: a cancelled turn asks the model nothing more.
    h.mock.enqueue({ output: [execCall(`exec -a ${marker} sleep 30`, 'call-long')] });
    const answer = prompt(p, sessionId, 'wait a long time');
    await p.waitForLine((m) => m.params?.update?.sessionUpdate === 'tool_call' && m.params.update.toolCallId === 'call-long');
    await expect.poll(() => pidsWithMarker(marker).length, { timeout: 10_000 }).toBeGreaterThan(0);
    const pids = pidsWithMarker(marker);
    await p.agent.notify(acp.methods.agent.session.cancel, { sessionId });
    expect((await answer).stopReason).toBe('cancelled');
    await expect.poll(() => pids.filter(isAlive), { timeout: 10_000 }).toEqual([]);
  });

  it('cancel during a pending permission settles it as cancelled and answers cancelled', async () => {
    const p = await open({ config: UNTRUSTED });
    const { sessionId } = await newSession(p);
    const f = `pending-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${f}`, 'call-pending')] });
    let asked!: () => void;
    const wasAsked = new Promise<void>((r) => (asked = r));
    p.onPermission = () => {
      asked();
      return new Promise(() => {}); // the user never answers
    };
    const answer = prompt(p, sessionId, 'touch it');
    await wasAsked;
    await p.agent.notify(acp.methods.agent.session.cancel, { sessionId });
    expect((await answer).stopReason).toBe('cancelled');
    expect(existsSync(join(h.workspace, f))).toBe(false);
    // The daemon withdrew its permission request.
    await p.waitForLine((m) => m.method === '$/cancel_request');
    const call = transcript(p.updatesOf(sessionId)).find((e) => e.toolCallId === 'call-pending');
    expect(call?.status).not.toBe('completed');
  });
});

describe('acp: the editor\'s files', () => {
  it('a patch applies to the unsaved buffer (fs/read_text_file) and is written through the editor (fs/write_text_file)', async () => {
    const name = `buffer-${rand()}.txt`;
    const abs = join(h.workspace, name);
    writeFileSync(abs, 'one\nsaved\n');
    const buffers = new Map<string, string>([[abs, 'one\nunsaved\n']]);
    const reads: string[] = [];
    const writes: { path: string; content: string }[] = [];
    const p = await open({
      config: FULL,
      clientCapabilities: { fs: { readTextFile: true, writeTextFile: true } },
      handlers: (app) =>
        app
          .onRequest(acp.methods.client.fs.readTextFile, ({ params }) => {
            reads.push(params.path);
            const text = buffers.get(params.path);
            if (text === undefined) throw acp.RequestError.resourceNotFound(params.path);
            return { content: text };
          })
          .onRequest(acp.methods.client.fs.writeTextFile, ({ params }) => {
            writes.push({ path: params.path, content: params.content });
            buffers.set(params.path, params.content);
            writeFileSync(params.path, params.content); // the editor saves
            return {};
          }),
    });
    const { sessionId } = await newSession(p);
    // The hunk's context is the buffer's line, not the disk's: it applies only to the buffer.
    h.mock.enqueue({ output: [patchCall(patchText(`*** Update File: ${name}`, '@@', ' one', '-unsaved', '+edited'), 'call-buf')] }, DONE_TURN);
    expect((await prompt(p, sessionId, 'edit the buffer')).stopReason).toBe('end_turn');
    expect(reads).toContain(abs);
    expect(writes).toEqual([{ path: abs, content: 'one\nedited\n' }]);
    expect(readFileSync(abs, 'utf8')).toBe('one\nedited\n');
    const call = transcript(p.updatesOf(sessionId)).find((e) => e.toolCallId === 'call-buf');
    expect(call).toMatchObject({ status: 'completed', content: [{ type: 'diff', path: abs, oldText: 'one\nunsaved', newText: 'one\nedited' }] });
  });

  it('a path reached through a symlink is never handed to the editor to write', async () => {
    const outside = outsideDir();
    try {
      const link = `link-${rand()}`;
      symlinkSync(outside, join(h.workspace, link));
      const writes: string[] = [];
      const p = await open({
        config: ['approval_policy="on-request"', 'sandbox_mode="workspace-write"'],
        clientCapabilities: { fs: { readTextFile: false, writeTextFile: true } },
        handlers: (app) =>
          app.onRequest(acp.methods.client.fs.writeTextFile, ({ params }) => {
            writes.push(params.path);
            return {};
          }),
      });
      const { sessionId } = await newSession(p);
      p.onPermission = () => ({ outcome: { outcome: 'selected', optionId: 'allow_once' } });
      h.mock.enqueue({ output: [patchCall(patchText(`*** Add File: ${link}/via-link.txt`, '+x'), 'call-link')] }, DONE_TURN);
      await prompt(p, sessionId, 'write through the link');
      // Outside the workspace: the user was asked; the write (if any) was agentd's, not the editor's.
      expect(p.permissions.some((r) => r.toolCall.toolCallId === 'call-link')).toBe(true);
      expect(writes).toEqual([]);
    } finally {
      rmrf(outside);
    }
  });

  it('without the fs capability agentd reads and writes the files itself', async () => {
    const name = `disk-${rand()}.txt`;
    const abs = join(h.workspace, name);
    writeFileSync(abs, 'one\nsaved\n');
    const p = await open({ config: FULL });
    const { sessionId } = await newSession(p);
    h.mock.enqueue({ output: [patchCall(patchText(`*** Update File: ${name}`, '@@', ' one', '-saved', '+edited'), 'call-disk')] }, DONE_TURN);
    await prompt(p, sessionId, 'edit the file');
    expect(readFileSync(abs, 'utf8')).toBe('one\nedited\n');
    expect(p.lines.some((m) => typeof m.method === 'string' && m.method.startsWith('fs/'))).toBe(false);
  });
});

describe('acp: durable sessions', () => {
  it('load in a new process replays the history exactly as it was shown live, tool calls included', async () => {
    const p = await open({ config: FULL });
    const { sessionId } = await newSession(p);
    const name = `replay-${rand()}.txt`;
    h.mock.enqueue(
      { output: [{ type: 'reasoning', summary: ['plan it'] }, { type: 'text', text: 'I will run it.' }, execCall('echo replayed-output', 'call-echo')] },
      { output: [patchCall(patchText(`*** Add File: ${name}`, '+fresh'), 'call-add')] },
      { output: [{ type: 'text', text: 'all done', chunks: 3 }] },
    );
    expect((await prompt(p, sessionId, 'do the things')).stopReason).toBe('end_turn');
    const live = transcript(p.updatesOf(sessionId));
    expect(live.find((e) => e.toolCallId === 'call-echo')?.content?.[0]?.content?.text).toContain('replayed-output');
    await p.kill();

    const q = await open({ config: FULL });
    const res = await q.agent.request(acp.methods.agent.session.load, { sessionId, cwd: h.workspace, mcpServers: [] });
    // Everything was replayed before the answer.
    const loadAnswer = q.lines.findIndex((m) => m.result !== undefined && m.result.modes !== undefined);
    const lastReplay = q.lines.findLastIndex((m) => m.method === 'session/update' && m.params.update.sessionUpdate !== 'available_commands_update');
    expect(lastReplay).toBeLessThan(loadAnswer);
    expect(res.modes?.currentModeId).toBe('full-access');
    const replayed = q.updatesOf(sessionId);
    expect(transcript(replayed)).toEqual(live);
    expect(transcript(replayed, { users: true })[0]).toMatchObject({ type: 'user_message_chunk', text: 'do the things' });
  });

  it('MCP servers from session/new become the thread\'s own mcp_servers config (stdio and http; sse skipped)', async () => {
    const p = await open();
    const { sessionId } = await newSession(p, {
      mcpServers: [
        { name: 'local', command: '/bin/echo', args: ['mcp'], env: [{ name: 'TOKEN', value: 't' }] },
        { type: 'http', name: 'remote', url: 'http://127.0.0.1:9/mcp', headers: [{ name: 'X-Key', value: 'k' }] },
        { type: 'sse', name: 'old', url: 'http://127.0.0.1:9/sse', headers: [] },
      ],
    });
    const rollout = findFile(h.home, (f) => f.includes(sessionId) && f.endsWith('.jsonl'));
    const settings = readFileSync(rollout!, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((l) => l.type === 'settings');
    expect(settings.settings.threadConfig.mcp_servers).toEqual({
      local: { command: '/bin/echo', args: ['mcp'], env: { TOKEN: 't' } },
      remote: { url: 'http://127.0.0.1:9/mcp', http_headers: { 'X-Key': 'k' } },
    });
  });

  it('list (cwd filter), resume without replay, close and delete', async () => {
    const p = await open();
    const a = await newSession(p);
    h.mock.enqueue(DONE_TURN);
    await prompt(p, a.sessionId, 'listed session');
    const list = await p.agent.request(acp.methods.agent.session.list, { cwd: h.workspace });
    expect(list.sessions.map((s) => s.sessionId)).toContain(a.sessionId);
    expect(list.sessions.find((s) => s.sessionId === a.sessionId)).toMatchObject({ cwd: h.workspace, title: 'listed session' });
    const none = await p.agent.request(acp.methods.agent.session.list, { cwd: '/nonexistent-dir' });
    expect(none.sessions).toEqual([]);

    await p.agent.request(acp.methods.agent.session.close, { sessionId: a.sessionId });
    await expect(prompt(p, a.sessionId, 'closed')).rejects.toMatchObject({ code: -32002 });
    const before = p.updatesOf(a.sessionId).length;
    await p.agent.request(acp.methods.agent.session.resume, { sessionId: a.sessionId, cwd: h.workspace });
    h.mock.enqueue({ output: [{ type: 'text', text: 'resumed' }] });
    expect((await prompt(p, a.sessionId, 'again')).stopReason).toBe('end_turn');
    const after = p.updatesOf(a.sessionId).slice(before);
    expect(kinds(after)).not.toContain('user_message_chunk');
    // The model saw the earlier turn.
    expect(JSON.stringify(h.mock.requests.at(-1)!.body.input)).toContain('listed session');

    await p.agent.request(acp.methods.agent.session.delete, { sessionId: a.sessionId });
    const gone = await p.agent.request(acp.methods.agent.session.list, { cwd: h.workspace });
    expect(gone.sessions.map((s) => s.sessionId)).not.toContain(a.sessionId);
    await expect(p.agent.request(acp.methods.agent.session.load, { sessionId: a.sessionId, cwd: h.workspace, mcpServers: [] })).rejects.toMatchObject({
      code: -32002,
    });
  });
});

describe('acp: modes, config options and commands', () => {
  it('set_mode changes the approval/sandbox preset and reports it; config options change the model', async () => {
    const p = await open({ config: UNTRUSTED });
    const created = await newSession(p);
    const { sessionId } = created;
    expect(created.modes?.currentModeId).toBe('auto');
    await p.agent.request(acp.methods.agent.session.setMode, { sessionId, modeId: 'full-access' });
    await p.waitForLine((m) => m.params?.update?.sessionUpdate === 'current_mode_update' && m.params.update.currentModeId === 'full-access');
    // Full access never asks.
    const f = `mode-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${f}`, 'call-mode')] }, DONE_TURN);
    const asked = p.permissions.length;
    await prompt(p, sessionId, 'touch in full access');
    expect(p.permissions.length).toBe(asked);
    expect(existsSync(join(h.workspace, f))).toBe(true);

    await expect(p.agent.request(acp.methods.agent.session.setMode, { sessionId, modeId: 'yolo' })).rejects.toMatchObject({ code: -32602 });
    const r = await p.agent.request(acp.methods.agent.session.setConfigOption, { sessionId, configId: 'model', value: 'gpt-5' });
    expect(r.configOptions.find((o) => o.id === 'model')?.currentValue).toBe('gpt-5');
    const effort = await p.agent.request(acp.methods.agent.session.setConfigOption, { sessionId, configId: 'reasoning_effort', value: 'high' });
    expect(effort.configOptions.find((o) => o.id === 'reasoning_effort')?.currentValue).toBe('high');
    h.mock.enqueue(DONE_TURN);
    await prompt(p, sessionId, 'which model');
    expect(h.mock.requests.at(-1)!.body.model).toBe('gpt-5');
    expect(h.mock.requests.at(-1)!.body.reasoning?.effort).toBe('high');
    await expect(p.agent.request(acp.methods.agent.session.setConfigOption, { sessionId, configId: 'model', value: 'no-such-model' })).rejects.toMatchObject({
      code: -32602,
    });
  });

  it('/compact compacts; /undo reverts the last turn and restores its files', async () => {
    const p = await open({ config: FULL });
    const { sessionId } = await newSession(p);
    const name = `undo-${rand()}.txt`;
    h.mock.enqueue({ output: [patchCall(patchText(`*** Add File: ${name}`, '+made'), 'call-made')] }, DONE_TURN);
    await prompt(p, sessionId, 'make a file');
    expect(existsSync(join(h.workspace, name))).toBe(true);
    h.mock.enqueue({ output: [{ type: 'text', text: 'the summary' }] });
    const before = h.mock.requests.length;
    expect((await prompt(p, sessionId, '/compact')).stopReason).toBe('end_turn');
    expect(h.mock.requests.length).toBe(before + 1);
    expect(transcript(p.updatesOf(sessionId)).some((e) => e.type === 'tool_call' && e.title.includes('Compact') && e.status === 'completed')).toBe(true);

    // Undo the compaction turn, then the turn that made the file.
    expect((await prompt(p, sessionId, '/undo')).stopReason).toBe('end_turn');
    expect((await prompt(p, sessionId, '/undo')).stopReason).toBe('end_turn');
    expect(existsSync(join(h.workspace, name))).toBe(false);
  });
});

/**
 * `agentd acp` driven by the ACP SDK's client side as an editor drives it, against the mock model:
 * handshake, prompts, durable sessions, modes and commands (tools: acp-tools.test.ts). Every
 * stdout line is checked against the SDK's schema (see test/support/acp.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as acp from '@agentclientprotocol/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../support/harness.js';
import { acpSuite, FULL, UNTRUSTED, spawnAcp, transcript, type AcpProcess } from '../support/acp.js';
import { DONE_TURN, execCall, patchCall, patchText, rand } from '../support/tool-turns.js';

let h: Harness;
const suite = acpSuite();
beforeAll(() => {
  h = suite.harness();
});
const open = suite.open;
const newSession = (p: AcpProcess, extra: Partial<acp.NewSessionRequest> = {}) => suite.newSession(p, extra);
const prompt = suite.prompt;


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
    suite.track(p);
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
    suite.track(p);
    const init = await p.agent.request(acp.methods.agent.initialize, { protocolVersion: 1, clientCapabilities: {} });
    expect(init.authMethods?.map((m) => m.id)).toEqual(['env:AGENTD_TEST_KEY']);
    await expect(p.agent.request(acp.methods.agent.authenticate, { methodId: 'env:AGENTD_TEST_KEY' })).rejects.toMatchObject({ code: -32000 });
    await expect(p.agent.request(acp.methods.agent.authenticate, { methodId: 'env:OTHER' })).rejects.toMatchObject({ code: -32602 });
  });

  it('stdout carries only protocol lines, even with every log level on', async () => {
    const p = await open({ logLevel: 'trace' });
    const { sessionId } = await newSession(p);
    h.mock.enqueue({ output: [{ type: 'text', text: 'logged turn' }] });
    expect((await prompt(p, sessionId, 'log everything')).stopReason).toBe('end_turn');
    expect(p.stderr().length).toBeGreaterThan(0); // the logs went to stderr
    expect(p.lines.every((m) => m.jsonrpc === '2.0')).toBe(true);
    // (every line was also parsed and checked against the schema: see the suite's afterEach)
  });

  it('an unknown session is -32002; bad params are -32602', async () => {
    const p = await open();
    await expect(prompt(p, 'no-such-session', 'hi')).rejects.toMatchObject({ code: -32002 });
    p.writeRaw(JSON.stringify({ jsonrpc: '2.0', id: 'bad', method: 'session/new', params: { cwd: 42 } }));
    expect((await p.waitForLine((m) => m.id === 'bad')).error.code).toBe(-32602);
  });

  it('a relative cwd or additional directory, or a cwd that is no directory, is -32602 naming the field; no session is made', async () => {
    const p = await open();
    const listed = async () => (await p.agent.request(acp.methods.agent.session.list, {})).sessions.length;
    const before = await listed();
    const cases: [Partial<acp.NewSessionRequest>, string][] = [
      [{ cwd: 'relative/dir' }, 'cwd'],
      [{ cwd: join(h.workspace, 'no-such-dir') }, 'cwd'],
      [{ cwd: h.workspace, additionalDirectories: ['../elsewhere'] }, 'additionalDirectories'],
    ];
    for (const [params, field] of cases) {
      const err = await newSession(p, params).catch((e: unknown) => e);
      expect(err, JSON.stringify(params)).toMatchObject({ code: -32602, data: { [field]: expect.anything() } });
    }
    await expect(p.agent.request(acp.methods.agent.session.load, { sessionId: 'x', cwd: 'rel', mcpServers: [] })).rejects.toMatchObject({ code: -32602, data: { cwd: expect.anything() } });
    expect(await listed()).toBe(before);
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

  it('embedded context and images reach the model; an audio prompt is refused', async () => {
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
    h.mock.enqueue(DONE_TURN);
    await p.agent.request(acp.methods.agent.session.prompt, { sessionId, prompt: [{ type: 'text', text: 'see' }, { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' }] });
    expect(JSON.stringify(h.mock.requests.at(-1)!.body.input)).toContain('data:image/png;base64,iVBORw0KGgo=');
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

  it('a response cut at the output token limit answers max_tokens; one the content filter stopped answers refusal', async () => {
    const p = await open();
    const { sessionId } = await newSession(p);
    h.mock.enqueue(
      { output: [{ type: 'text', text: 'a long answer that', chunks: 2 }], fault: { incomplete: 'max_output_tokens' } },
      { output: [{ type: 'text', text: 'I will not' }], fault: { incomplete: 'content_filter' } },
    );
    expect((await prompt(p, sessionId, 'write a lot')).stopReason).toBe('max_tokens');
    // What was streamed before the limit stays shown.
    expect(transcript(p.updatesOf(sessionId)).some((e) => e.type === 'agent_message_chunk' && e.text.includes('a long answer that'))).toBe(true);
    expect((await prompt(p, sessionId, 'something filtered')).stopReason).toBe('refusal');
    // The session goes on.
    h.mock.enqueue(DONE_TURN);
    expect((await prompt(p, sessionId, 'and now')).stopReason).toBe('end_turn');
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
    expect(replayed.find((u) => u.sessionUpdate === 'session_info_update')).toMatchObject({ title: 'do the things' });
    expect(replayed.find((u) => u.sessionUpdate === 'usage_update')).toMatchObject({ size: 272_000 });
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

  it('session/load replaces the stored MCP servers with the ones the editor lists now', async () => {
    const p = await open();
    const { sessionId } = await newSession(p, { mcpServers: [{ name: 'old', command: '/bin/echo', args: ['mcp'], env: [] }] });
    const lastSettings = () => {
      const rollout = findFile(h.home, (f) => f.includes(sessionId) && f.endsWith('.jsonl'));
      return readFileSync(rollout!, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .filter((l) => l.type === 'settings')
        .at(-1);
    };
    expect(Object.keys(lastSettings().settings.threadConfig.mcp_servers)).toEqual(['old']);
    await p.agent.request(acp.methods.agent.session.close, { sessionId });
    await p.agent.request(acp.methods.agent.session.load, {
      sessionId,
      cwd: h.workspace,
      mcpServers: [{ name: 'new', command: '/bin/echo', args: ['mcp2'], env: [] }],
    });
    expect(Object.keys(lastSettings().settings.threadConfig.mcp_servers)).toEqual(['new']);
    await p.agent.request(acp.methods.agent.session.close, { sessionId });
    await p.agent.request(acp.methods.agent.session.load, { sessionId, cwd: h.workspace, mcpServers: [] });
    expect(lastSettings().settings.threadConfig?.mcp_servers).toBeUndefined();
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

/**
 * `agentd acp`: tool calls, permissions, cancel, and the editor's files, driven by the ACP SDK's
 * client side. Every stdout line is checked against the SDK's schema (see test/support/acp.ts).
 */
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as acp from '@agentclientprotocol/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../support/harness.js';
import { acpSuite, FULL, UNTRUSTED, transcript, type AcpProcess } from '../support/acp.js';
import { DONE_TURN, execCall, isAlive, outsideDir, patchCall, patchText, pidsWithMarker, rand, rmrf, toolOutputs } from '../support/tool-turns.js';

let h: Harness;
const suite = acpSuite();
beforeAll(() => {
  h = suite.harness();
});
const open = suite.open;
const newSession = (p: AcpProcess, extra: Partial<acp.NewSessionRequest> = {}) => suite.newSession(p, extra);
const prompt = suite.prompt;


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

  it('a command that parses as a read or a listing is asked for by its full command, never by the harmless title', async () => {
    const p = await open({ config: UNTRUSTED });
    const { sessionId } = await newSession(p);
    const victim = `victim-${rand()}.txt`;
    writeFileSync(join(h.workspace, victim), 'keep\n');
    // Each shows as "List ." or "Read victim": the one writes, the other deletes.
    const disguised = [`sed -n 1p ${victim} -i`, `find . -name ${victim} -delete`];
    h.mock.enqueue(...disguised.flatMap((cmd, i) => [{ output: [execCall(cmd, `call-disguised-${i}`)] }, DONE_TURN]));
    p.onPermission = () => ({ outcome: { outcome: 'selected', optionId: 'reject_once' } });
    for (let i = 0; i < disguised.length; i++) await prompt(p, sessionId, 'look around');
    disguised.forEach((cmd, i) => {
      const asked = p.permissions.find((r) => r.toolCall.toolCallId === `call-disguised-${i}`);
      expect(asked?.toolCall).toMatchObject({ title: `\`${cmd}\``, kind: 'execute' });
    });
    expect(readFileSync(join(h.workspace, victim), 'utf8')).toBe('keep\n');
  });

  it('an edit that moves or deletes files is asked for by a title naming the move target and the deletion', async () => {
    const p = await open({ config: UNTRUSTED });
    const { sessionId } = await newSession(p);
    const a = `mv-src-${rand()}.txt`;
    const b = `del-${rand()}.txt`;
    const target = `mv-dst-${rand()}.txt`;
    writeFileSync(join(h.workspace, a), 'old\n');
    writeFileSync(join(h.workspace, b), 'gone\n');
    const patch = patchText(`*** Update File: ${a}`, `*** Move to: ${target}`, '@@', '-old', '+new', `*** Delete File: ${b}`);
    h.mock.enqueue({ output: [patchCall(patch, 'call-mv')] }, DONE_TURN);
    p.onPermission = () => ({ outcome: { outcome: 'selected', optionId: 'reject_once' } });
    await prompt(p, sessionId, 'tidy up');
    const asked = p.permissions.find((r) => r.toolCall.toolCallId === 'call-mv')!;
    expect(asked.toolCall.title).toContain(join(h.workspace, target));
    expect(asked.toolCall.title).toMatch(new RegExp(`[Dd]elete ${join(h.workspace, b)}`));
    expect(asked.toolCall.locations?.map((l) => l.path)).toEqual(expect.arrayContaining([join(h.workspace, a), join(h.workspace, target), join(h.workspace, b)]));
    expect(existsSync(join(h.workspace, b))).toBe(true);
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

  it('an MCP server from session/new runs: its tool asks permission with the arguments, and its result shows in the tool call', async () => {
    const p = await open({ config: UNTRUSTED });
    const server = join(import.meta.dirname, '..', 'support', 'mcp-test-server.mjs');
    const marks = outsideDir(`acp-mcp-${rand()}`);
    try {
      const { sessionId } = await newSession(p, {
        mcpServers: [{ name: 'notes', command: process.execPath, args: [server, 'stdio'], env: [{ name: 'MCP_MARK_DIR', value: marks }, { name: 'MCP_NAME', value: 'notes' }] }],
      });
      h.mock.enqueue(
        { output: [{ type: 'function_call', name: 'mcp__notes__write_note', arguments: { key: 'k', text: 'v' }, callId: 'call-mcp' }] },
        DONE_TURN,
      );
      p.onPermission = () => ({ outcome: { outcome: 'selected', optionId: 'allow_once' } });
      expect((await prompt(p, sessionId, 'write a note')).stopReason).toBe('end_turn');
      const asked = p.permissions.find((r) => r.toolCall.toolCallId === 'call-mcp');
      expect(asked?.toolCall).toMatchObject({ kind: 'other', title: expect.stringContaining('write_note') });
      expect(readFileSync(join(marks, 'writes'), 'utf8')).toBe('k=v\n');
      const call = transcript(p.updatesOf(sessionId)).find((e) => e.toolCallId === 'call-mcp');
      expect(call).toMatchObject({ kind: 'other', status: 'completed', rawInput: { key: 'k', text: 'v' } });
      expect(JSON.stringify(call.content)).toContain('wrote k');
    } finally {
      rmrf(marks);
    }
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

  it('a dangling symlink is never handed to the editor to write (the editor would follow it out)', async () => {
    const outside = outsideDir();
    try {
      const link = `dangling-${rand()}`;
      symlinkSync(join(outside, 'not-yet.txt'), join(h.workspace, link));
      const writes: string[] = [];
      const p = await open({
        config: ['approval_policy="on-request"', 'sandbox_mode="workspace-write"'],
        clientCapabilities: { fs: { readTextFile: false, writeTextFile: true } },
        handlers: (app) =>
          app.onRequest(acp.methods.client.fs.writeTextFile, ({ params }) => {
            writes.push(params.path);
            writeFileSync(params.path, params.content); // a naive editor follows the link
            return {};
          }),
      });
      const { sessionId } = await newSession(p);
      p.onPermission = () => ({ outcome: { outcome: 'selected', optionId: 'allow_once' } });
      h.mock.enqueue({ output: [patchCall(patchText(`*** Add File: ${link}`, '+x'), 'call-dangling')] }, DONE_TURN);
      await prompt(p, sessionId, 'write through the dangling link');
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


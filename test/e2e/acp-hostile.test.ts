/**
 * `agentd acp` against a hostile or careless client: requests racing each other, answers that do
 * not fit, one session reaching for another's approvals, the editor's files failing, the
 * connection dropping mid-turn. Every stdout line is checked against the SDK's schema.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as acp from '@agentclientprotocol/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../support/harness.js';
import { acpSuite, FULL, UNTRUSTED, spawnAcp, transcript, type AcpProcess } from '../support/acp.js';
import { DONE_TURN, execCall, isAlive, patchCall, patchText, pidsWithMarker, rand, toolOutputs } from '../support/tool-turns.js';

let h: Harness;
const suite = acpSuite();
beforeAll(() => {
  h = suite.harness();
});
const open = suite.open;
const newSession = (p: AcpProcess, extra: Partial<acp.NewSessionRequest> = {}) => suite.newSession(p, extra);
const prompt = suite.prompt;


/** Starts `sleep 30` (named `marker`) in a prompt; resolves once it runs, with its pids. */
async function startLongCommand(p: AcpProcess, sessionId: string, callId: string): Promise<{ answer: Promise<acp.PromptResponse>; pids: number[] }> {
  const marker = `acp-${callId}-${rand()}`;
  h.mock.enqueue({ output: [execCall(`exec -a ${marker} sleep 30`, callId)] });
  const answer = prompt(p, sessionId, 'wait');
  await p.waitForLine((m) => m.params?.update?.toolCallId === callId);
  await expect.poll(() => pidsWithMarker(marker).length, { timeout: 10_000 }).toBeGreaterThan(0);
  return { answer, pids: pidsWithMarker(marker) };
}

/** Installs a permission handler that never answers; resolves when it is first asked. */
function neverAnswer(p: AcpProcess): Promise<void> {
  let asked!: () => void;
  const wasAsked = new Promise<void>((r) => (asked = r));
  p.onPermission = () => {
    asked();
    return new Promise(() => {});
  };
  return wasAsked;
}

describe('acp: a hostile client', () => {
  it('a request before initialize is refused', async () => {
    const p = suite.track(spawnAcp(h, { config: FULL }));
    p.writeRaw(JSON.stringify({ jsonrpc: '2.0', id: 'early', method: 'session/new', params: { cwd: h.workspace, mcpServers: [] } }));
    expect((await p.waitForLine((m) => m.id === 'early')).error.code).toBe(-32600);
  });

  it('a second prompt while one runs is refused; the first is answered once', async () => {
    const p = await open({ config: FULL });
    const { sessionId } = await newSession(p);
    const { answer } = await startLongCommand(p, sessionId, 'call-busy');
    await expect(prompt(p, sessionId, 'again')).rejects.toMatchObject({ code: -32600 });
    await p.agent.notify(acp.methods.agent.session.cancel, { sessionId });
    expect((await answer).stopReason).toBe('cancelled');
  });

  it('an unknown optionId is a rejection, never an approval', async () => {
    const p = await open({ config: UNTRUSTED });
    const { sessionId } = await newSession(p);
    const f = `odd-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${f}`, 'call-odd')] }, DONE_TURN);
    p.onPermission = () => ({ outcome: { outcome: 'selected', optionId: 'allow_everything_forever' } });
    expect((await prompt(p, sessionId, 'odd')).stopReason).toBe('end_turn');
    expect(p.permissions.some((r) => r.toolCall.toolCallId === 'call-odd')).toBe(true);
    expect(existsSync(join(h.workspace, f))).toBe(false);
  });

  it('allow_always in one session does not approve the same command in another', async () => {
    const p = await open({ config: UNTRUSTED });
    const a = await newSession(p);
    const b = await newSession(p);
    const f = `scope-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${f}`, 'call-s1')] }, DONE_TURN);
    p.onPermission = () => ({ outcome: { outcome: 'selected', optionId: 'allow_always' } });
    await prompt(p, a.sessionId, 'one');
    const asked = p.permissions.length;
    h.mock.enqueue({ output: [execCall(`touch ${f}`, 'call-s2')] }, DONE_TURN);
    p.onPermission = () => ({ outcome: { outcome: 'selected', optionId: 'reject_once' } });
    await prompt(p, b.sessionId, 'two');
    expect(p.permissions.length).toBe(asked + 1);
    expect(p.permissions.at(-1)).toMatchObject({ sessionId: b.sessionId, toolCall: { toolCallId: 'call-s2' } });
  });

  it('session/close during a prompt answers it cancelled and kills its command', async () => {
    const p = await open({ config: FULL });
    const { sessionId } = await newSession(p);
    const { answer, pids } = await startLongCommand(p, sessionId, 'call-close');
    await p.agent.request(acp.methods.agent.session.close, { sessionId });
    expect((await answer).stopReason).toBe('cancelled');
    await expect.poll(() => pids.filter(isAlive), { timeout: 10_000 }).toEqual([]);
  });

  it('a deleted session cannot be loaded or prompted (-32002)', async () => {
    const p = await open({ config: FULL });
    const { sessionId } = await newSession(p);
    h.mock.enqueue(DONE_TURN);
    await prompt(p, sessionId, 'hi');
    await p.agent.request(acp.methods.agent.session.delete, { sessionId });
    await expect(p.agent.request(acp.methods.agent.session.load, { sessionId, cwd: h.workspace, mcpServers: [] })).rejects.toMatchObject({ code: -32002 });
    await expect(prompt(p, sessionId, 'again')).rejects.toMatchObject({ code: -32002 });
  });

  it('a cancelled permission and a cancelled command end failed, live and in a replay alike', async () => {
    const p = await open({ config: UNTRUSTED });
    const { sessionId } = await newSession(p);
    h.mock.enqueue({ output: [execCall(`touch pend-${rand()}`, 'call-rp-pend')] });
    const wasAsked = neverAnswer(p);
    const first = prompt(p, sessionId, 'one');
    await wasAsked;
    await p.agent.notify(acp.methods.agent.session.cancel, { sessionId });
    expect((await first).stopReason).toBe('cancelled');
    p.onPermission = () => ({ outcome: { outcome: 'selected', optionId: 'allow_once' } });
    const { answer } = await startLongCommand(p, sessionId, 'call-rp-long');
    await p.agent.notify(acp.methods.agent.session.cancel, { sessionId });
    expect((await answer).stopReason).toBe('cancelled');
    const calls = (ups: acp.SessionUpdate[]) => transcript(ups).filter((e) => e.type === 'tool_call').map((c) => [c.toolCallId, c.status]);
    expect(calls(p.updatesOf(sessionId))).toEqual([['call-rp-pend', 'failed'], ['call-rp-long', 'failed']]);
    const q = await open({ config: UNTRUSTED });
    await q.agent.request(acp.methods.agent.session.load, { sessionId, cwd: h.workspace, mcpServers: [] });
    expect(calls(q.updatesOf(sessionId))).toEqual(calls(p.updatesOf(sessionId)));
  });

  it('an editor that fails to write leaves the file as it was; the call fails and the model is told', async () => {
    const name = `fail-${rand()}.txt`;
    const abs = join(h.workspace, name);
    writeFileSync(abs, 'one\ntwo\n');
    const p = await open({
      config: FULL,
      clientCapabilities: { fs: { readTextFile: true, writeTextFile: true } },
      handlers: (app) =>
        app
          .onRequest(acp.methods.client.fs.readTextFile, () => {
            throw acp.RequestError.internalError(undefined, 'editor read broke');
          })
          .onRequest(acp.methods.client.fs.writeTextFile, () => {
            throw acp.RequestError.internalError(undefined, 'disk full in editor');
          }),
    });
    const { sessionId } = await newSession(p);
    h.mock.enqueue({ output: [patchCall(patchText(`*** Update File: ${name}`, '@@', ' one', '-two', '+TWO'), 'call-fail')] }, DONE_TURN);
    const before = h.mock.requests.length;
    expect((await prompt(p, sessionId, 'edit')).stopReason).toBe('end_turn');
    expect(readFileSync(abs, 'utf8')).toBe('one\ntwo\n');
    expect(transcript(p.updatesOf(sessionId)).find((e) => e.toolCallId === 'call-fail')?.status).toBe('failed');
    expect(toolOutputs(h.mock.requests[before + 1]!).get('call-fail')?.output).toMatch(/Failed to apply patch/);
  });
});

describe('acp: the connection drops', () => {
  it('closing stdin mid-command exits 0 and kills the command', async () => {
    const p = await open({ config: FULL });
    const { sessionId } = await newSession(p);
    const { answer, pids } = await startLongCommand(p, sessionId, 'call-eof');
    answer.catch(() => {});
    const exited = new Promise<number | null>((r) => p.child.once('exit', (code) => r(code)));
    p.child.stdin!.end();
    expect(await exited).toBe(0);
    await expect.poll(() => pids.filter(isAlive), { timeout: 10_000 }).toEqual([]);
  });

  it('closing stdin during a pending permission exits 0 and runs nothing', async () => {
    const p = await open({ config: UNTRUSTED });
    const { sessionId } = await newSession(p);
    const f = `eof-perm-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${f}`, 'call-eof-perm')] });
    const wasAsked = neverAnswer(p);
    prompt(p, sessionId, 'x').catch(() => {});
    await wasAsked;
    const exited = new Promise<number | null>((r) => p.child.once('exit', (code) => r(code)));
    p.child.stdin!.end();
    expect(await exited).toBe(0);
    expect(existsSync(join(h.workspace, f))).toBe(false);
  });
});

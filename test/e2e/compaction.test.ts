import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DaemonClient } from '../../src/client/daemon-client.js';
import type { RecordedRequest } from '../../src/mock/types.js';
import { COMPACTION_INSTRUCTION, SUMMARY_BRIDGE_PREFIX } from '../../src/tasks/compact.js';
import { createHarness, startTurn, turnCompleted, type Harness } from '../support/harness.js';
import { execCall } from '../support/tool-turns.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.cleanup();
});

/** A limit well above what the mock reports for an ordinary request (~request bytes / 4). */
const LIMIT = 60_000;
const CONFIG = [`model_auto_compact_token_limit=${LIMIT}`, 'approval_policy="never"', 'sandbox_mode="workspace-write"'];

const texts = (req: RecordedRequest): string[] =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (req.body.input as any[]).flatMap((i) => (i.type === 'message' ? i.content.map((c: { text?: string }) => c.text ?? '') : []));
const types = (req: RecordedRequest): string[] =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (req.body.input as any[]).map((i) => (i.type === 'message' ? `${i.type}:${i.role}` : i.type));
const joined = (req: RecordedRequest) => JSON.stringify(req.body.input);

async function persistedThread(c: DaemonClient): Promise<string> {
  const t = await c.request('thread/start', { cwd: h.workspace });
  return t.thread.id as string;
}

async function answeredTurn(c: DaemonClient, threadId: string, text: string, reply: string) {
  h.mock.enqueue({ output: [{ type: 'text', text: reply }] });
  const turnId = await startTurn(c, threadId, text);
  expect((await turnCompleted(c, turnId)).status).toBe('completed');
  return turnId;
}

/** The next `turn/started` of a turn not seen before. */
function nextTurnStarted(c: DaemonClient) {
  const seen = new Set(c.notifications('turn/started').map((m) => m.params.turn.id as string));
  return c.waitForNotification('turn/started', (p) => !seen.has(p.turn.id));
}

/** Runs `thread/compact/start` with `summary` as the model's answer; returns the compaction turn. */
async function compact(c: DaemonClient, threadId: string, summary: string) {
  h.mock.enqueue({ output: [{ type: 'text', text: summary }] });
  const started = nextTurnStarted(c);
  expect(await c.request('thread/compact/start', { threadId })).toEqual({});
  const turnId = (await started).params.turn.id as string;
  return { turnId, turn: await turnCompleted(c, turnId) };
}

describe('compaction', () => {
  it('thread/compact/start: no tools and the instruction; the next request carries user messages and the summary only', async () => {
    const c = await h.start(CONFIG);
    const threadId = await persistedThread(c);
    await answeredTurn(c, threadId, 'first question about apples', 'ASSISTANT-REPLY-ONE');
    await answeredTurn(c, threadId, 'second question about pears', 'ASSISTANT-REPLY-TWO');
    const before = h.mock.requests.length;
    const { turnId, turn } = await compact(c, threadId, 'SUMMARY: apples and pears discussed');
    expect(turn.status).toBe('completed');

    const req = h.mock.requests[before]!;
    expect(req.body.tools ?? []).toEqual([]);
    expect(texts(req).at(-1)).toBe(COMPACTION_INSTRUCTION);
    expect(joined(req)).toContain('ASSISTANT-REPLY-TWO');

    const started = c.notifications('item/started').filter((m) => m.params.turnId === turnId).map((m) => m.params.item);
    const completed = c.notifications('item/completed').filter((m) => m.params.turnId === turnId).map((m) => m.params.item);
    expect(started.map((i) => i.type)).toEqual(['contextCompaction']);
    expect(completed).toEqual(started);
    expect(c.notifications('thread/compacted').map((m) => m.params)).toEqual([{ threadId, turnId }]);
    const usage = c.notifications('thread/tokenUsage/updated').filter((m) => m.params.turnId === turnId).at(-1)!.params.tokenUsage;
    expect(usage.last.totalTokens).toBeGreaterThan(0);
    expect(usage.last.totalTokens).toBeLessThan(LIMIT);
    expect(usage.modelContextWindow).toBeGreaterThan(0);

    await answeredTurn(c, threadId, 'third question', 'ok');
    const next = h.mock.requests.at(-1)!;
    const t = texts(next);
    expect(t).toContain('first question about apples');
    expect(t).toContain('second question about pears');
    expect(t.some((x) => x.startsWith(SUMMARY_BRIDGE_PREFIX) && x.includes('SUMMARY: apples and pears discussed'))).toBe(true);
    expect(t.at(-1)).toBe('third question');
    expect(joined(next)).not.toContain('ASSISTANT-REPLY-ONE');
    expect(joined(next)).not.toContain(COMPACTION_INSTRUCTION);
    expect(types(next).filter((x) => x === 'message:assistant')).toEqual([]);

    // thread/read shows the original turns for display, plus the compaction turn.
    const read = await c.request('thread/read', { threadId, includeTurns: true });
    expect(read.thread.turns).toHaveLength(4);
    expect(read.thread.turns[2].id).toBe(turnId);
    expect(read.thread.turns[2].items.map((i: { type: string }) => i.type)).toEqual(['contextCompaction']);
    expect(JSON.stringify(read.thread.turns[0].items)).toContain('ASSISTANT-REPLY-ONE');
  });

  it('keeps the images of the user messages it keeps, also after a restart', async () => {
    const c = await h.start(CONFIG);
    const threadId = await persistedThread(c);
    const url = 'https://example.com/diagram.png';
    h.mock.enqueue({ output: [{ type: 'text', text: 'seen' }] });
    const r = await c.request('turn/start', { threadId, input: [{ type: 'text', text: 'what is in this picture' }, { type: 'image', url }] });
    expect((await turnCompleted(c, r.turn.id)).status).toBe('completed');
    await compact(c, threadId, 'SUMMARY: a picture');
    const userContents = (req: RecordedRequest) =>
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      (req.body.input as any[]).filter((i) => i.type === 'message' && i.role === 'user').map((i) => i.content);
    const pictured = (req: RecordedRequest) => userContents(req).find((content) => JSON.stringify(content).includes('what is in this picture'));

    await answeredTurn(c, threadId, 'and now?', 'ok');
    expect(pictured(h.mock.requests.at(-1)!)).toEqual([
      { type: 'input_text', text: 'what is in this picture' },
      { type: 'input_image', image_url: url },
    ]);
    // The compacted history on disk keeps it too.
    await c.kill('SIGKILL');
    const c2 = await h.start(CONFIG);
    await c2.request('thread/resume', { threadId });
    await answeredTurn(c2, threadId, 'still there?', 'ok');
    expect(pictured(h.mock.requests.at(-1)!)).toEqual([
      { type: 'input_text', text: 'what is in this picture' },
      { type: 'input_image', image_url: url },
    ]);
  });

  it('compacts mid-turn after the tools ran when a tool-calling response crosses the limit', async () => {
    const c = await h.start(CONFIG);
    const threadId = await persistedThread(c);
    await answeredTurn(c, threadId, 'earlier request', 'OLD-ASSISTANT');
    h.mock.enqueue(
      { output: [execCall('echo TOOL-OUTPUT-MARKER', 'call-1')], usage: { inputTokens: LIMIT * 2, totalTokens: LIMIT * 2 } },
      { output: [{ type: 'text', text: 'MID-TURN-SUMMARY' }] },
      { output: [{ type: 'text', text: 'finished' }] },
    );
    const before = h.mock.requests.length;
    const turnId = await startTurn(c, threadId, 'run the tool');
    const turn = await turnCompleted(c, turnId);
    expect(turn.status).toBe('completed');
    const reqs = h.mock.requests.slice(before);
    expect(reqs).toHaveLength(3);
    expect(reqs[1]!.body.tools ?? []).toEqual([]);
    expect(joined(reqs[1]!)).toContain('TOOL-OUTPUT-MARKER');
    const follow = reqs[2]!;
    expect(follow.body.tools.length).toBeGreaterThan(0);
    expect(texts(follow).some((x) => x.startsWith(SUMMARY_BRIDGE_PREFIX) && x.includes('MID-TURN-SUMMARY'))).toBe(true);
    expect(texts(follow)).toContain('run the tool');
    expect(texts(follow)).toContain('earlier request');
    expect(joined(follow)).not.toContain('TOOL-OUTPUT-MARKER');
    expect(joined(follow)).not.toContain('OLD-ASSISTANT');
    expect(types(follow)).not.toContain('function_call');
    expect(types(follow)).not.toContain('function_call_output');
    const items = c.notifications('item/completed').filter((m) => m.params.turnId === turnId).map((m) => m.params.item.type);
    expect(items).toEqual(['userMessage', 'commandExecution', 'contextCompaction', 'agentMessage']);
  });

  it('compacts at the start of the next turn when a turn ended above the limit', async () => {
    const c = await h.start(CONFIG);
    const threadId = await persistedThread(c);
    h.mock.enqueue({ output: [{ type: 'text', text: 'BIG-ANSWER' }], usage: { inputTokens: LIMIT, totalTokens: LIMIT + 10 } });
    const t1 = await startTurn(c, threadId, 'one');
    expect((await turnCompleted(c, t1)).status).toBe('completed');
    h.mock.enqueue({ output: [{ type: 'text', text: 'START-SUMMARY' }] }, { output: [{ type: 'text', text: 'two done' }] });
    const before = h.mock.requests.length;
    const t2 = await startTurn(c, threadId, 'two');
    expect((await turnCompleted(c, t2)).status).toBe('completed');
    const reqs = h.mock.requests.slice(before);
    expect(reqs).toHaveLength(2);
    expect(texts(reqs[0]!).at(-1)).toBe(COMPACTION_INSTRUCTION);
    expect(texts(reqs[0]!)).not.toContain('two');
    expect(texts(reqs[1]!).slice(-3, -1)).toEqual(['one', expect.stringContaining('START-SUMMARY')]);
    expect(texts(reqs[1]!).at(-1)).toBe('two');
    expect(joined(reqs[1]!)).not.toContain('BIG-ANSWER');
    const items = c.notifications('item/completed').filter((m) => m.params.turnId === t2).map((m) => m.params.item.type);
    expect(items).toEqual(['contextCompaction', 'userMessage', 'agentMessage']);
  });

  it('survives kill -9: after resume the next request is exactly the post-compaction history', async () => {
    const c1 = await h.start(CONFIG);
    const threadId = await persistedThread(c1);
    await answeredTurn(c1, threadId, 'keep this message', 'DROPPED-REPLY');
    await compact(c1, threadId, 'DURABLE-SUMMARY');
    await answeredTurn(c1, threadId, 'after compaction', 'post reply');
    const live = h.mock.requests.at(-1)!;
    const usageBefore = c1.notifications('thread/tokenUsage/updated').at(-1)!.params.tokenUsage;
    expect(await c1.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    const c2 = await h.start(CONFIG);
    const resumed = await c2.request('thread/resume', { threadId });
    expect(resumed.thread.turns).toHaveLength(3);
    expect(resumed.thread.turns[1].items.map((i: { type: string }) => i.type)).toEqual(['contextCompaction']);
    h.mock.enqueue({ output: [{ type: 'text', text: 'resumed' }] });
    const turnId = await startTurn(c2, threadId, 'after restart');
    expect((await turnCompleted(c2, turnId)).status).toBe('completed');
    const next = h.mock.requests.at(-1)!;
    // The same history as the live daemon sent, plus the reply to it and the new message.
    const liveInput = live.body.input as unknown[];
    expect((next.body.input as unknown[]).slice(0, liveInput.length)).toEqual(liveInput);
    expect(texts(next).slice(-2)).toEqual(['post reply', 'after restart']);
    expect(joined(next)).not.toContain('DROPPED-REPLY');
    // Token usage restored: the first update after resume adds to the total from before.
    const after = c2.notifications('thread/tokenUsage/updated').at(-1)!.params.tokenUsage;
    expect(after.total.totalTokens).toBe(usageBefore.total.totalTokens + after.last.totalTokens);
  });

  it('fails the turn with a clear error when the compacted history cannot fit under the limit', async () => {
    const c = await h.start(['model_auto_compact_token_limit=500', 'approval_policy="never"']);
    const threadId = await persistedThread(c);
    // A huge summary: the compacted history cannot fit under 500 tokens.
    const before = h.mock.requests.length;
    await answeredTurn(c, threadId, 'hello', 'hi');
    const { turn } = await compact(c, threadId, 'S'.repeat(40_000));
    expect(turn.status).toBe('failed');
    expect(turn.error.message).toMatch(/compaction cannot bring the conversation under the limit/);
    expect(turn.error.codexErrorInfo).toBe('contextWindowExceeded');
    // One compaction request, no retry loop.
    expect(h.mock.requests.length - before).toBe(2);
    expect(c.notifications('thread/compacted')).toEqual([]);
  });

  it('refuses turn/start with turn_in_progress while a compaction runs', async () => {
    const c = await h.start(CONFIG);
    const threadId = await persistedThread(c);
    await answeredTurn(c, threadId, 'hello', 'hi');
    const before = h.mock.requests.length;
    h.mock.enqueue({ output: [{ type: 'text', text: 'slow summary' }], fault: { hang: true } });
    const started = nextTurnStarted(c);
    expect(await c.request('thread/compact/start', { threadId })).toEqual({});
    const turnId = (await started).params.turn.id as string;
    await expect(startTurn(c, threadId, 'too early')).rejects.toThrow(/turn_in_progress|still running/);
    await expect(c.request('thread/compact/start', { threadId })).rejects.toThrow(/turn_in_progress|still running/);
    // The compaction request is in flight (and hangs) before it is interrupted.
    await h.mock.waitForRequests(before + 1);
    await c.request('turn/interrupt', { threadId, turnId });
    expect((await turnCompleted(c, turnId)).status).toBe('interrupted');
    // Nothing was compacted: the next request still carries the reply.
    await answeredTurn(c, threadId, 'now', 'ok');
    expect(joined(h.mock.requests.at(-1)!)).toContain('"hi"');
  });
});

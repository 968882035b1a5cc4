import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../src/core/events.js';
import type { Session } from '../../../src/core/session.js';
import type { HistoryItem } from '../../../src/model/types.js';
import { mockClient, probeCall, runTurn, startCoreHarness, unansweredCalls, userTexts, type CoreHarness } from './support.js';

let h: CoreHarness;
beforeEach(async () => {
  h = await startCoreHarness();
});
afterEach(async () => {
  await h.cleanup();
});

type Of<T extends SessionEvent['type']> = Extract<SessionEvent, { type: T }>;
const ofType = <T extends SessionEvent['type']>(events: SessionEvent[], type: T): Of<T>[] =>
  events.filter((e): e is Of<T> => e.type === type);

function autoAccept(session: Session): void {
  session.onEvent((e) => {
    if (e.type === 'approval_requested') session.resolveApproval(e.requestId, 'accept');
  });
}

const outputs = (history: HistoryItem[]) =>
  history.flatMap((i) => (i.type === 'function_call_output' ? [[i.call_id, i.output] as const] : []));

describe('RegularTurnTask: one model request', () => {
  it('sends the settings, the tools and the user message, keyed by the thread for caching', async () => {
    const { session } = h.newSession({ settings: { developerInstructions: 'be terse' } });
    await runTurn(session, 'hello');
    const body = h.mock.requests[0]!.body;
    expect(body.model).toBe('mock-model');
    expect(body.instructions).toBe('You are a test.');
    expect(body.prompt_cache_key).toBe(session.threadId);
    expect(body.tools.map((t: { name: string }) => t.name)).toEqual(['probe']);
    expect(JSON.stringify(body.input)).toContain('<environment_context>');
    expect(JSON.stringify(body.input)).toContain('be terse');
    expect(userTexts(body.input)).toEqual(['hello']);
  });

  it('records the user message in history before the model output, and completes its item first', async () => {
    const { session, events } = h.newSession();
    await runTurn(session, 'hello');
    expect(session.history()).toMatchObject([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Echo: hello' }] },
    ]);
    expect(ofType(events, 'item_completed').map((e) => e.item.type)).toEqual(['userMessage', 'agentMessage']);
  });

  it('streams agent message deltas that add up to the completed item', async () => {
    const { session, events } = h.newSession();
    h.mock.enqueue({ output: [{ type: 'text', text: 'Hello there, friend!', chunks: 4 }] });
    await runTurn(session, 'hi');
    const item = ofType(events, 'item_completed').find((e) => e.item.type === 'agentMessage')!.item;
    const deltas = ofType(events, 'agent_message_delta').filter((e) => e.itemId === item.id);
    expect(deltas).toHaveLength(4);
    expect(deltas.map((d) => d.delta).join('')).toBe('Hello there, friend!');
    expect(item).toMatchObject({ type: 'agentMessage', text: 'Hello there, friend!' });
    const started = ofType(events, 'item_started').find((e) => e.item.id === item.id)!;
    expect(events.indexOf(started)).toBeLessThan(events.indexOf(deltas[0]!));
  });

  it('reports reasoning summaries as a reasoning item', async () => {
    const { session, events } = h.newSession();
    h.mock.enqueue({ output: [{ type: 'reasoning', summary: ['Thinking.', 'Still thinking.'] }, { type: 'text', text: 'done' }] });
    await runTurn(session, 'hi');
    const items = ofType(events, 'item_completed').map((e) => e.item);
    expect(items.map((i) => i.type)).toEqual(['userMessage', 'reasoning', 'agentMessage']);
    expect(items[1]).toMatchObject({ summary: ['Thinking.', 'Still thinking.'] });
    expect(ofType(events, 'reasoning_summary_part_added')).toHaveLength(2);
  });

  it('reports token usage per response: last is that response, total accumulates', async () => {
    const { session, events } = h.newSession();
    h.mock.enqueue(
      { output: [probeCall('ls', { callId: 'c1' })], usage: { inputTokens: 100, outputTokens: 10, totalTokens: 110 } },
      { output: [{ type: 'text', text: 'ok' }], usage: { inputTokens: 150, outputTokens: 5, totalTokens: 155 } },
    );
    await runTurn(session, 'go');
    const usage = ofType(events, 'token_usage').map((e) => e.usage);
    expect(usage).toHaveLength(2);
    expect(usage[1]!.last).toMatchObject({ inputTokens: 150, outputTokens: 5, totalTokens: 155 });
    expect(usage[1]!.total).toMatchObject({ inputTokens: 250, outputTokens: 15, totalTokens: 265 });
    expect(session.tokenUsage()).toEqual(usage[1]);
  });

  it('reports rate limits sent with the response headers', async () => {
    const { session, events } = h.newSession();
    h.mock.enqueue({ output: [{ type: 'text', text: 'ok' }], headers: { 'x-codex-primary-used-percent': '42' } });
    await runTurn(session, 'go');
    expect(ofType(events, 'rate_limits')[0]?.snapshot.primary).toMatchObject({ usedPercent: 42 });
  });
});

describe('RegularTurnTask: the tool loop', () => {
  it('samples again after each round of tool calls until the model answers without calls', async () => {
    const { session, probe } = h.newSession();
    h.mock.enqueue(
      { output: [probeCall('one', { callId: 'c1' })] },
      { output: [probeCall('two', { callId: 'c2' })] },
      { output: [{ type: 'text', text: 'all done' }] },
    );
    const { completed } = await runTurn(session, 'go');
    expect(completed.status).toBe('completed');
    expect(h.mock.requests).toHaveLength(3);
    expect(probe.calls.map((c) => c.args.key)).toEqual(['one', 'two']);
    expect(session.history().map((i) => i.type)).toEqual([
      'message',
      'function_call',
      'function_call_output',
      'function_call',
      'function_call_output',
      'message',
    ]);
    const third = JSON.stringify(h.mock.requests[2]!.body.input);
    expect(third).toContain('ran one');
    expect(third).toContain('ran two');
  });

  it('answers several calls of one response in call order', async () => {
    const { session } = h.newSession();
    autoAccept(session);
    h.mock.enqueue(
      { output: [probeCall('a', { callId: 'ca', ask: true }), probeCall('b', { callId: 'cb' }), probeCall('c', { callId: 'cc' })] },
      { output: [{ type: 'text', text: 'ok' }] },
    );
    await runTurn(session, 'go');
    expect(outputs(session.history())).toEqual([
      ['ca', 'ran a'],
      ['cb', 'ran b'],
      ['cc', 'ran c'],
    ]);
  });

  it('answers a call to an unknown tool with a failure and goes on', async () => {
    const { session } = h.newSession();
    h.mock.enqueue(
      { output: [{ type: 'function_call', name: 'nope', arguments: {}, callId: 'c1' }] },
      { output: [{ type: 'text', text: 'ok' }] },
    );
    const { completed } = await runTurn(session, 'go');
    expect(completed.status).toBe('completed');
    expect(outputs(session.history())).toEqual([['c1', 'unsupported call: nope']]);
  });

  it('answers a call whose tool throws with the error and goes on', async () => {
    const { session } = h.newSession();
    h.mock.enqueue({ output: [probeCall('x', { callId: 'c1', fail: true })] }, { output: [{ type: 'text', text: 'ok' }] });
    const { completed } = await runTurn(session, 'go');
    expect(completed.status).toBe('completed');
    expect(outputs(session.history())).toEqual([['c1', 'error: probe x broke']]);
  });
});

describe('RegularTurnTask: retries', () => {
  it('announces a retry as an error event that will be retried', async () => {
    const { session, events } = h.newSession();
    h.mock.enqueue({ output: [{ type: 'text', text: 'partial answer' }], fault: { disconnectAfterEvents: 3 } }, { output: [{ type: 'text', text: 'full answer' }] });
    const { completed } = await runTurn(session, 'go');
    expect(completed.status).toBe('completed');
    const retry = ofType(events, 'error');
    expect(retry).toHaveLength(1);
    expect(retry[0]).toMatchObject({ willRetry: true, turnId: completed.id });
    expect(ofType(events, 'item_completed').map((e) => e.item.type === 'agentMessage' && e.item.text).filter(Boolean)).toEqual(['full answer']);
  });

  it('keeps only the final attempt in history when a stream breaks after an item completed', async () => {
    const { session } = h.newSession();
    // created, output_item.added, delta, output_item.done: the call is complete, then the stream drops.
    h.mock.enqueue(
      { output: [probeCall('ls', { callId: 'first-attempt' })], fault: { disconnectAfterEvents: 4 } },
      { output: [{ type: 'text', text: 'answer without tools' }] },
    );
    const { completed } = await runTurn(session, 'go');
    expect(completed.status).toBe('completed');
    expect(h.mock.requests).toHaveLength(2);
    expect(unansweredCalls(session.history())).toEqual([]);
    expect(session.history().map((i) => i.type)).toEqual(['message', 'message']);
  });

  it('fails the turn once the stream retry budget is spent', async () => {
    const client = mockClient(h.mock, { streamMaxRetries: 0 });
    const { session } = h.newSession({ client });
    h.mock.enqueue({ output: [{ type: 'text', text: 'partial' }], fault: { disconnectAfterEvents: 2 } });
    const { completed } = await runTurn(session, 'go');
    expect(completed).toMatchObject({ status: 'failed', error: { kind: 'stream_disconnected' } });
  });
});

describe('RegularTurnTask: what the client saw survives a retry', () => {
  it('puts a message completed before the stream dropped into the follow-up request, exactly once', async () => {
    const { session, events } = h.newSession();
    // created, item added, one delta, item done: the message is complete; then a call starts and the stream drops.
    h.mock.enqueue(
      { output: [{ type: 'text', text: 'shown before the drop', chunks: 1 }, probeCall('ls', { callId: 'abandoned' })], fault: { disconnectAfterEvents: 4 } },
      { output: [{ type: 'text', text: 'after the retry', chunks: 1 }, probeCall('ls', { callId: 'kept' })] },
      { output: [{ type: 'text', text: 'done' }] },
    );
    const { completed } = await runTurn(session, 'go');
    expect(completed.status).toBe('completed');
    const shown = ofType(events, 'item_completed').flatMap((e) => (e.item.type === 'agentMessage' ? [e.item.text] : []));
    expect(shown).toEqual(['shown before the drop', 'after the retry', 'done']);
    expect(h.mock.requests).toHaveLength(3);
    // The retry re-sends the same request; the follow-up after the tool call is the model's next look.
    expect(h.mock.requests[1]!.body.input).toEqual(h.mock.requests[0]!.body.input);
    const followUp = JSON.stringify(h.mock.requests[2]!.body.input);
    expect(followUp.split('shown before the drop').length - 1).toBe(1);
    expect(followUp.split('after the retry').length - 1).toBe(1);
    expect(followUp.indexOf('shown before the drop')).toBeLessThan(followUp.indexOf('after the retry'));
    // The abandoned attempt's call was never run nor shown: it is not in history.
    expect(followUp).not.toContain('abandoned');
    expect(unansweredCalls(session.history())).toEqual([]);
    // And the next turn's request carries it once too.
    await runTurn(session, 'next');
    expect(JSON.stringify(h.mock.requests[3]!.body.input).split('shown before the drop').length - 1).toBe(1);
  });
});

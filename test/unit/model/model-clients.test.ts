import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockModelServer, type MockModelServer } from '../../../src/mock/index.js';
import type { ToolSpec } from '../../../src/model/types.js';
import { clientFor, collect, finalAttempt, ofType, userRequest } from './support.js';

let server: MockModelServer;
beforeAll(async () => {
  server = await startMockModelServer();
});
afterAll(async () => {
  await server.close();
});

const tools: ToolSpec[] = [
  { type: 'function', name: 'shell', description: 'Run a command', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } },
  { type: 'custom', name: 'apply_patch', description: 'Apply a patch', format: { type: 'grammar', syntax: 'lark', definition: 'start: "x"' } },
];

describe.each(['responses', 'chat'] as const)('%s client', (wireApi) => {
  beforeEach(() => {
    server.requests.length = 0;
  });

  it('streams text deltas and finishes with the complete message and usage', async () => {
    server.enqueue({ output: [{ type: 'text', text: 'Hello there, world!', chunks: 4 }] });
    const events = await collect(clientFor(server, wireApi).stream(userRequest(), new AbortController().signal));

    expect(events[0]).toEqual({ type: 'created' });
    const deltas = ofType(events, 'text_delta');
    expect(deltas).toHaveLength(4);
    expect(deltas.map((d) => d.delta).join('')).toBe('Hello there, world!');
    const added = ofType(events, 'output_item_added');
    expect(added).toHaveLength(1);
    expect(added[0]!.item).toMatchObject({ type: 'message', role: 'assistant' });
    const done = ofType(events, 'output_item_done');
    expect(done).toHaveLength(1);
    expect(done[0]!.outputIndex).toBe(added[0]!.outputIndex);
    expect(deltas.every((d) => d.outputIndex === added[0]!.outputIndex)).toBe(true);
    expect(done[0]!.item).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello there, world!' }] });
    const last = events[events.length - 1]!;
    expect(last.type).toBe('completed');
    if (last.type === 'completed') {
      expect(last.responseId).not.toBe('');
      expect(last.usage?.totalTokens).toBe((last.usage?.inputTokens ?? 0) + (last.usage?.outputTokens ?? 0));
    }
  });

  it('maps usage including cached and reasoning tokens', async () => {
    server.enqueue({
      output: [{ type: 'text', text: 'ok' }],
      usage: { inputTokens: 100, cachedInputTokens: 40, outputTokens: 20, reasoningOutputTokens: 5 },
    });
    const events = await collect(clientFor(server, wireApi).stream(userRequest(), new AbortController().signal));
    expect(ofType(events, 'completed')[0]!.usage).toEqual({
      inputTokens: 100,
      cachedInputTokens: 40,
      outputTokens: 20,
      reasoningOutputTokens: 5,
      totalTokens: 120,
    });
  });

  it('streams reasoning before the answer', async () => {
    server.enqueue({ output: [{ type: 'reasoning', summary: ['Thinking hard'], text: 'raw thoughts' }, { type: 'text', text: 'answer' }] });
    const events = await collect(clientFor(server, wireApi).stream(userRequest(), new AbortController().signal));
    const done = ofType(events, 'output_item_done');
    expect(done.map((d) => d.item.type)).toEqual(['reasoning', 'message']);
    expect(done[0]!.outputIndex).toBeLessThan(done[1]!.outputIndex);
    if (wireApi === 'responses') {
      expect(ofType(events, 'reasoning_summary_part_added')).toEqual([{ type: 'reasoning_summary_part_added', outputIndex: 0, summaryIndex: 0 }]);
      expect(ofType(events, 'reasoning_summary_delta')[0]).toMatchObject({ outputIndex: 0, summaryIndex: 0, delta: 'Thinking hard' });
      expect(ofType(events, 'reasoning_text_delta')[0]).toMatchObject({ outputIndex: 0, contentIndex: 0, delta: 'raw thoughts' });
      expect(done[0]!.item).toMatchObject({
        type: 'reasoning',
        summary: [{ type: 'summary_text', text: 'Thinking hard' }],
        content: [{ type: 'reasoning_text', text: 'raw thoughts' }],
      });
      expect((done[0]!.item as { encrypted_content?: string }).encrypted_content).toMatch(/^mock-encrypted-/);
    } else {
      const text = ofType(events, 'reasoning_text_delta').map((d) => d.delta).join('');
      expect(text).toBe('Thinking hard\n\nraw thoughts');
      expect(done[0]!.item).toEqual({ type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text }] });
    }
  });

  it('returns parallel function and custom tool calls as distinct items', async () => {
    server.enqueue({
      output: [
        { type: 'function_call', name: 'shell', arguments: { cmd: 'ls' }, callId: 'call_a' },
        { type: 'function_call', name: 'shell', arguments: '{"cmd":"pwd"}', callId: 'call_b' },
        { type: 'custom_tool_call', name: 'apply_patch', input: '*** Begin Patch\n"quoted"\n*** End Patch', callId: 'call_c' },
      ],
    });
    const events = await collect(clientFor(server, wireApi).stream(userRequest('go', { tools }), new AbortController().signal));
    const done = ofType(events, 'output_item_done');
    expect(done.map((d) => d.item)).toMatchObject([
      { type: 'function_call', call_id: 'call_a', name: 'shell', arguments: '{"cmd":"ls"}' },
      { type: 'function_call', call_id: 'call_b', name: 'shell', arguments: '{"cmd":"pwd"}' },
      { type: 'custom_tool_call', call_id: 'call_c', name: 'apply_patch', input: '*** Begin Patch\n"quoted"\n*** End Patch' },
    ]);
    expect(new Set(done.map((d) => d.outputIndex)).size).toBe(3);
    expect(ofType(events, 'output_item_added').map((a) => a.outputIndex)).toEqual(done.map((d) => d.outputIndex));
  });

  it('reads Codex rate-limit headers into the created event', async () => {
    server.enqueue({
      output: [{ type: 'text', text: 'ok' }],
      headers: {
        'x-codex-primary-used-percent': '42.5',
        'x-codex-primary-window-minutes': '300',
        'x-codex-primary-reset-at': '1900000000',
        'x-codex-secondary-used-percent': '7',
        'x-codex-secondary-window-minutes': '10080',
      },
    });
    const events = await collect(clientFor(server, wireApi).stream(userRequest(), new AbortController().signal));
    expect(events[0]).toEqual({
      type: 'created',
      rateLimits: {
        limitId: 'codex',
        primary: { usedPercent: 42.5, windowDurationMins: 300, resetsAt: 1900000000 },
        secondary: { usedPercent: 7, windowDurationMins: 10080, resetsAt: null },
      },
    });
  });

  it('turns standard x-ratelimit headers into used percentages', async () => {
    server.enqueue({
      output: [{ type: 'text', text: 'ok' }],
      headers: {
        'x-ratelimit-limit-requests': '200',
        'x-ratelimit-remaining-requests': '150',
        'x-ratelimit-reset-requests': '1m30s',
        'x-ratelimit-limit-tokens': '1000',
        'x-ratelimit-remaining-tokens': '900',
      },
    });
    const before = Date.now();
    const events = await collect(clientFor(server, wireApi).stream(userRequest(), new AbortController().signal));
    const created = events[0]!;
    if (created.type !== 'created') throw new Error('expected created first');
    expect(created.rateLimits?.primary?.usedPercent).toBe(25);
    expect(created.rateLimits?.secondary?.usedPercent).toBe(10);
    const resetsAt = created.rateLimits?.primary?.resetsAt ?? 0;
    expect(resetsAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) + 90);
    expect(resetsAt).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 91);
  });

  it('streams 20,000 text deltas quickly', async () => {
    const text = 'abcdefghij'.repeat(20_000);
    server.enqueue({ output: [{ type: 'text', text, chunks: 20_000 }] });
    const started = performance.now();
    let deltas = 0;
    let final = '';
    for await (const ev of clientFor(server, wireApi).stream(userRequest(), new AbortController().signal)) {
      if (ev.type === 'text_delta') deltas++;
      if (ev.type === 'output_item_done' && ev.item.type === 'message') final = ev.item.content[0]?.type === 'output_text' ? ev.item.content[0].text : '';
    }
    const elapsed = performance.now() - started;
    expect(deltas).toBe(20_000);
    expect(final).toBe(text);
    expect(elapsed).toBeLessThan(3_000);
  });
});

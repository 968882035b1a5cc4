import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireMessage } from '../../src/client/daemon-client.js';
import { createHarness, startTurn, turnCompleted, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.cleanup();
});

const notif = (msgs: WireMessage[], from: number) => msgs.slice(from).filter((m) => m.method && m.id === undefined);

describe('a turn against the mock model', () => {
  it('streams deltas and reports items in order, then completes with token usage', async () => {
    const c = await h.start();
    const t = await c.request('thread/start', { cwd: h.workspace });
    expect(t.thread.id).toBeTruthy();
    expect(t.cwd).toBe(h.workspace);
    await c.waitForNotification('thread/started', (p) => p.thread.id === t.thread.id);
    h.mock.enqueue({
      output: [
        { type: 'reasoning', summary: ['Thinking about it.'] },
        { type: 'text', text: 'Hello there, friend!', chunks: 5 },
      ],
      usage: { inputTokens: 100, outputTokens: 20, cachedInputTokens: 10, reasoningOutputTokens: 5 },
    });
    const from = c.messages.length;
    const turnId = await startTurn(c, t.thread.id, 'Say hello');
    const done = await turnCompleted(c, turnId);
    expect(done.status).toBe('completed');
    const ns = notif(c.messages, from);
    const methods = ns.map((m) => m.method);
    expect(methods.indexOf('turn/started')).toBeLessThan(methods.indexOf('item/started'));
    const completed = ns.filter((m) => m.method === 'item/completed').map((m) => m.params.item);
    expect(completed.map((i) => i.type)).toEqual(['userMessage', 'reasoning', 'agentMessage']);
    expect(completed[0].content).toEqual([{ type: 'text', text: 'Say hello' }]);
    expect(completed[1].summary).toEqual(['Thinking about it.']);
    const agent = completed[2];
    const deltas = ns.filter((m) => m.method === 'item/agentMessage/delta' && m.params.itemId === agent.id).map((m) => m.params.delta);
    expect(deltas).toHaveLength(5);
    expect(deltas.join('')).toBe('Hello there, friend!');
    expect(agent.text).toBe('Hello there, friend!');
    expect(ns.some((m) => m.method === 'item/reasoning/summaryTextDelta')).toBe(true);
    const usage = ns.filter((m) => m.method === 'thread/tokenUsage/updated').at(-1)!.params.tokenUsage;
    expect(usage.last.inputTokens).toBe(100);
    expect(usage.total.outputTokens).toBe(20);
    // The agent message is completed before the turn.
    expect(methods.lastIndexOf('item/completed')).toBeLessThan(methods.indexOf('turn/completed'));
    // The request carried the user's text.
    const req = h.mock.requests.at(-1)!;
    expect(JSON.stringify(req.body.input)).toContain('Say hello');
    await c.close();
  });

  it('sends the whole history on the next turn', async () => {
    const c = await h.start();
    const t = await c.request('thread/start', { ephemeral: true });
    await turnCompleted(c, await startTurn(c, t.thread.id, 'first question'));
    const n = h.mock.requests.length;
    await turnCompleted(c, await startTurn(c, t.thread.id, 'second question'));
    const body = h.mock.requests[n]!.body;
    const text = JSON.stringify(body.input);
    expect(text).toContain('first question');
    expect(text).toContain('Echo: first question');
    expect(text).toContain('second question');
    await c.close();
  });

  it('interrupts a turn when turn/interrupt follows turn/start at once', async () => {
    // A mock of its own: the hanging response may stay queued if the interrupt wins the race.
    const own = await createHarness();
    try {
      const c = await own.start();
      const t = await c.request('thread/start', { ephemeral: true });
      for (let i = 0; i < 5; i++) {
        own.mock.enqueue({ output: [{ type: 'text', text: 'never finishes', chunks: 2 }], fault: { hang: true } });
        const turnId = await startTurn(c, t.thread.id, `hang please ${i}`);
        await c.request('turn/interrupt', { threadId: t.thread.id, turnId });
        const done = await turnCompleted(c, turnId);
        expect(done.status).toBe('interrupted');
      }
      await c.close();
    } finally {
      await own.cleanup();
    }
  });

  it('aborts the model request when a streaming turn is interrupted', async () => {
    const c = await h.start();
    const t = await c.request('thread/start', { ephemeral: true });
    const aborts = h.mock.clientAborts;
    h.mock.enqueue({ output: [{ type: 'text', text: 'partial output here', chunks: 3 }], fault: { hang: true } });
    const turnId = await startTurn(c, t.thread.id, 'stream then hang');
    await c.waitForNotification('item/agentMessage/delta', (p) => p.turnId === turnId);
    await c.request('turn/interrupt', { threadId: t.thread.id, turnId });
    expect((await turnCompleted(c, turnId)).status).toBe('interrupted');
    await h.mock.waitForClientAbort(aborts + 1);
    await c.close();
  });

  it('rejects turn/interrupt and turn/steer with a wrong turn id', async () => {
    const c = await h.start();
    const t = await c.request('thread/start', { ephemeral: true });
    await expect(c.request('turn/interrupt', { threadId: t.thread.id, turnId: 'nope' })).rejects.toMatchObject({
      error: { data: { code: 'turn_not_active' } },
    });
    h.mock.enqueue({ output: [{ type: 'text', text: 'x' }], fault: { hang: true } });
    const before = h.mock.requests.length;
    const turnId = await startTurn(c, t.thread.id, 'hang');
    // The hanging response must be consumed by this turn, not left queued for the next test.
    await h.mock.waitForRequests(before + 1);
    await expect(
      c.request('turn/steer', { threadId: t.thread.id, expectedTurnId: 'other', input: [{ type: 'text', text: 'x' }] }),
    ).rejects.toMatchObject({ error: { data: { code: 'turn_id_mismatch' } } });
    await c.request('turn/interrupt', { threadId: t.thread.id, turnId });
    await turnCompleted(c, turnId);
    await c.close();
  });

  it('retries 429 and 500 responses and a dropped stream, telling the client with willRetry', async () => {
    const c = await h.start();
    const t = await c.request('thread/start', { ephemeral: true });
    h.mock.enqueue(
      { fault: { status: 429 }, headers: { 'retry-after-ms': '10' } },
      { fault: { status: 500 } },
      { output: [{ type: 'text', text: 'will be cut off', chunks: 4 }], fault: { disconnectAfterEvents: 3 } },
      { output: [{ type: 'text', text: 'finally' }] },
    );
    const from = c.messages.length;
    const turnId = await startTurn(c, t.thread.id, 'retry me');
    const done = await turnCompleted(c, turnId);
    expect(done.status).toBe('completed');
    const errors = notif(c.messages, from).filter((m) => m.method === 'error');
    expect(errors.length).toBe(3);
    expect(errors.every((e) => e.params.willRetry === true)).toBe(true);
    const finalText = notif(c.messages, from).filter((m) => m.method === 'item/completed' && m.params.item.type === 'agentMessage').at(-1)!;
    expect(finalText.params.item.text).toBe('finally');
    await c.close();
  });

  it('fails the turn with an error when the model rejects the request', async () => {
    const c = await h.start();
    const t = await c.request('thread/start', { ephemeral: true });
    h.mock.enqueue({ fault: { status: 400, body: { error: { message: 'bad things', type: 'invalid_request_error' } } } });
    const from = c.messages.length;
    const turnId = await startTurn(c, t.thread.id, 'fail');
    const done = await turnCompleted(c, turnId);
    expect(done.status).toBe('failed');
    expect(done.error.message).toContain('bad things');
    const err = notif(c.messages, from).find((m) => m.method === 'error')!;
    expect(err.params.willRetry).toBe(false);
    await c.close();
  });

  it('delivers rate limits from provider headers', async () => {
    const c = await h.start();
    const t = await c.request('thread/start', { ephemeral: true });
    h.mock.enqueue({
      output: [{ type: 'text', text: 'ok' }],
      headers: { 'x-codex-primary-used-percent': '42', 'x-codex-primary-window-minutes': '300' },
    });
    const turnId = await startTurn(c, t.thread.id, 'limits');
    await turnCompleted(c, turnId);
    const rl = c.notifications('account/rateLimits/updated').at(-1)!;
    expect(rl.params.rateLimits.primary.usedPercent).toBe(42);
    await c.close();
  });

  it('keeps concurrent turns on many threads apart', async () => {
    const c = await h.start();
    const threads = await Promise.all(Array.from({ length: 6 }, () => c.request('thread/start', { ephemeral: true })));
    const turns = await Promise.all(threads.map((t, i) => startTurn(c, t.thread.id, `thread number ${i}`)));
    await Promise.all(turns.map((id) => turnCompleted(c, id)));
    threads.forEach((t, i) => {
      const deltas = c
        .notifications('item/agentMessage/delta')
        .filter((m) => m.params.threadId === t.thread.id)
        .map((m) => m.params.delta)
        .join('');
      expect(deltas).toBe(`Echo: thread number ${i}`);
      expect(c.notifications('item/agentMessage/delta').filter((m) => m.params.turnId === turns[i]).every((m) => m.params.threadId === t.thread.id)).toBe(true);
    });
    await c.close();
  });

  it('delivers steered input to the model at its next request', async () => {
    const c = await h.start(['approval_policy="untrusted"', 'sandbox_mode="workspace-write"']);
    const t = await c.request('thread/start', { cwd: h.workspace });
    let turnId = '';
    let steered: Promise<unknown> = Promise.resolve();
    // The approval request is a point where the turn is certainly running and waiting: steer then.
    c.onServerRequest(async () => {
      steered = c.request('turn/steer', { threadId: t.thread.id, expectedTurnId: turnId, input: [{ type: 'text', text: 'also mention steering' }] });
      await steered;
      return { decision: 'accept' };
    });
    h.mock.enqueue(
      { output: [{ type: 'function_call', name: 'exec_command', arguments: { cmd: 'touch steer-marker' }, callId: 'call_steer' }] },
      { output: [{ type: 'text', text: 'done, and steering noted' }] },
    );
    const before = h.mock.requests.length;
    turnId = await startTurn(c, t.thread.id, 'make a marker');
    const done = await turnCompleted(c, turnId);
    expect(done.status).toBe('completed');
    expect((await steered) as { turnId: string }).toEqual({ turnId });
    const second = JSON.stringify(h.mock.requests[before + 1]!.body.input);
    expect(second).toContain('also mention steering');
    expect(JSON.stringify(h.mock.requests[before]!.body.input)).not.toContain('also mention steering');
    const users = c.notifications('item/completed').filter((m) => m.params.turnId === turnId && m.params.item.type === 'userMessage');
    expect(users.map((m) => m.params.item.content[0].text)).toEqual(['make a marker', 'also mention steering']);
    await c.close();
  });

  it('sends local and remote images, and per-turn overrides stick for later turns', async () => {
    const c = await h.start();
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f2a0b10000000049454e44ae426082', 'hex');
    writeFileSync(join(h.workspace, 'pixel.png'), png);
    const t = await c.request('thread/start', { cwd: h.workspace, ephemeral: true });
    const first = await c.request('turn/start', {
      threadId: t.thread.id,
      model: 'gpt-5',
      input: [
        { type: 'text', text: 'what is in these?' },
        { type: 'localImage', path: 'pixel.png' },
        { type: 'image', url: 'https://example.com/cat.png' },
      ],
    });
    await turnCompleted(c, first.turn.id);
    const body = h.mock.requests.at(-1)!.body;
    expect(body.model).toBe('gpt-5');
    const parts = body.input.at(-1).content;
    expect(parts[1]).toEqual({ type: 'input_image', image_url: `data:image/png;base64,${png.toString('base64')}` });
    expect(parts[2]).toEqual({ type: 'input_image', image_url: 'https://example.com/cat.png' });
    const userItem = c.notifications('item/completed').find((m) => m.params.turnId === first.turn.id)!.params.item;
    expect(userItem.content[1]).toEqual({ type: 'localImage', path: 'pixel.png' });
    await turnCompleted(c, await startTurn(c, t.thread.id, 'and now?'));
    expect(h.mock.requests.at(-1)!.body.model).toBe('gpt-5');
    await c.close();
  });
});

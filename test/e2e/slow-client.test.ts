import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, startTurn, turnCompleted, type Harness } from '../support/harness.js';
import { peakRss, rssBytes } from '../support/rss.js';
import { execCall, NEVER_WW } from '../support/tool-turns.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.cleanup();
});

const MiB = 1024 * 1024;
/** How long the client stops reading. */
const STALL_MS = 8000;
/** A model answer streamed as 200,000 deltas of 10 characters (~30 MB of notifications). */
const DELTAS = 200_000;

describe('a client that stops reading stdout', () => {
  it('holds the daemon to bounded memory during a 200,000-delta stream, then delivers every delta and the complete text', async () => {
    const c = h.spawn();
    await c.initialize();
    const { thread } = await c.request('thread/start', { ephemeral: true });
    // A first short turn loads what any turn needs (HTTP client, parsers): not part of the growth.
    h.mock.enqueue({ output: [{ type: 'text', text: 'warm-up' }] });
    await turnCompleted(c, await startTurn(c, thread.id, 'warm up'));
    const text = Array.from({ length: DELTAS }, (_, i) => `${String(i).padStart(9, '0')};`).join('');
    h.mock.enqueue({ output: [{ type: 'text', text, chunks: DELTAS }] });
    const pid = c.child.pid!;
    const before = rssBytes(pid);

    const turnId = await startTurn(c, thread.id, 'stream a lot');
    // The client stops reading: the daemon's stdout pipe fills up and stays full.
    c.child.stdout!.pause();
    const peak = await peakRss(pid, STALL_MS);
    const growth = peak - before;
    expect(growth, `daemon grew ${(growth / MiB).toFixed(1)} MiB while the client was stalled`).toBeLessThan(100 * MiB);

    c.child.stdout!.resume();
    const turn = await turnCompleted(c, turnId);
    expect(turn.status).toBe('completed');
    const deltas = c.notifications('item/agentMessage/delta').filter((m) => m.params.turnId === turnId);
    expect(deltas.map((m) => m.params.delta).join('')).toBe(text);
    const done = c.notifications('item/completed').find((m) => m.params.item.type === 'agentMessage' && m.params.turnId === turnId);
    expect(done!.params.item.text).toBe(text);
  }, 180_000);

  it('holds the daemon to bounded memory while a command prints without end, and the interrupt still ends the turn', async () => {
    const c = h.spawn(NEVER_WW);
    await c.initialize();
    const { thread } = await c.request('thread/start', { ephemeral: true, cwd: h.workspace });
    h.mock.enqueue({ output: [{ type: 'text', text: 'warm-up' }] });
    await turnCompleted(c, await startTurn(c, thread.id, 'warm up'));
    // `yes` never stops: without back-pressure its output piles up in the daemon as deltas.
    h.mock.enqueue({ output: [execCall('yes agentd-output-line', 'call-yes', { login: false, yield_time_ms: 30_000 })] });
    const pid = c.child.pid!;
    const before = rssBytes(pid);
    const from = c.messages.length;
    const turnId = await startTurn(c, thread.id, 'print a lot');
    await c.waitForNotification('item/commandExecution/outputDelta', (p) => p.turnId === turnId, from);
    c.child.stdout!.pause();
    const peak = await peakRss(pid, STALL_MS);
    const growth = peak - before;
    expect(growth, `daemon grew ${(growth / MiB).toFixed(1)} MiB while the client was stalled`).toBeLessThan(100 * MiB);

    c.child.stdout!.resume();
    await c.request('turn/interrupt', { threadId: thread.id, turnId });
    const turn = await turnCompleted(c, turnId);
    expect(turn.status).toBe('interrupted');
    const item = c.notifications('item/completed').find((m) => m.params.item.id === 'call-yes')!.params.item;
    expect(item.aggregatedOutput.startsWith('agentd-output-line\n')).toBe(true);
  }, 180_000);
});

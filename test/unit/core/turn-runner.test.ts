import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../src/core/events.js';
import type { Task, TurnContext } from '../../../src/tasks/task.js';
import { nextEvent, probeCall, runTurn, startCoreHarness, unansweredCalls, type CoreHarness } from './support.js';

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
const text = (t: string) => [{ type: 'text' as const, text: t }];

/** Records every unhandled rejection while `fn` runs (the daemon exits on one). */
async function withoutUnhandledRejections(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', onRejection);
  try {
    await fn();
    // Rejections are reported after the microtask queue drains.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('unhandledRejection', onRejection);
  }
  return seen;
}

describe('TurnRunner: a storage error fails the turn, never the process', () => {
  it('fails the turn with storage_error and does not report the item it could not persist', async () => {
    const { session, sink, events } = h.newSession();
    sink.failWhen = (l) => l.type === 'item_completed' && l.item.type === 'agentMessage';
    h.mock.enqueue({ output: [{ type: 'text', text: 'an answer the disk cannot hold' }] });
    let completed: Awaited<ReturnType<typeof runTurn>>['completed'] | null = null;
    const rejections = await withoutUnhandledRejections(async () => {
      completed = (await runTurn(session, 'go')).completed;
    });
    expect(rejections).toEqual([]);
    expect(completed).toMatchObject({ status: 'failed', error: { kind: 'storage_error' } });
    expect(completed!.error!.message).toContain('ENOSPC');
    const error = ofType(events, 'error').at(-1);
    expect(error).toMatchObject({ willRetry: false, error: { kind: 'storage_error' } });
    const completedItems = ofType(events, 'item_completed').map((e) => e.item.type);
    expect(completedItems).toEqual(['userMessage']);
    expect(session.turns()[0]!.items.map((i) => i.type)).toEqual(['userMessage']);
    expect(session.status()).toEqual({ type: 'idle' });
  });

  it('runs the next turn normally once the disk has room again', async () => {
    const { session, sink } = h.newSession();
    sink.failWhen = (l) => l.type === 'item_completed' && l.item.type === 'agentMessage';
    h.mock.enqueue({ output: [{ type: 'text', text: 'lost' }] });
    expect((await runTurn(session, 'first')).completed.status).toBe('failed');
    sink.failWhen = null;
    const { completed } = await runTurn(session, 'second');
    expect(completed).toMatchObject({ status: 'completed', error: null });
    expect(sink.lines.filter((l) => l.type === 'turn_completed').map((l) => (l as { turn: { status: string } }).turn.status)).toEqual([
      'failed',
      'completed',
    ]);
  });

  it('fails the turn even when the failed write happens inside a tool, whose errors are otherwise the model\'s', async () => {
    const { session, sink, events } = h.newSession();
    sink.failWhen = (l) => l.type === 'item_completed' && l.item.type === 'commandExecution';
    h.mock.enqueue({ output: [probeCall('ls', { callId: 'c1' })] }, { output: [{ type: 'text', text: 'never asked' }] });
    const { completed } = await runTurn(session, 'go');
    expect(completed).toMatchObject({ status: 'failed', error: { kind: 'storage_error' } });
    expect(h.mock.requests).toHaveLength(1);
    expect(ofType(events, 'item_completed').map((e) => e.item.type)).toEqual(['userMessage']);
    expect(unansweredCalls(session.history())).toEqual([]);
  });

  it('reports the turn as failed when its last line cannot be written', async () => {
    const { session, sink } = h.newSession();
    sink.failWhen = (l) => l.type === 'turn_completed';
    const rejections = await withoutUnhandledRejections(async () => {
      const { completed } = await runTurn(session, 'go');
      expect(completed).toMatchObject({ status: 'failed', error: { kind: 'storage_error' } });
    });
    expect(rejections).toEqual([]);
    expect(session.activeTurnId()).toBeNull();
  });

  it('refuses a turn whose first line cannot be written with storage_error, registering nothing', async () => {
    const { session, sink } = h.newSession();
    sink.failWhen = (l) => l.type === 'turn_started' || l.type === 'settings';
    await expect(session.submit(text('go'), { model: 'other-model' })).rejects.toMatchObject({ name: 'SessionError', code: 'storage_error' });
    expect(session.activeTurnId()).toBeNull();
    expect(session.turns()).toEqual([]);
    expect(session.settings().model).toBe('mock-model');
    expect(h.mock.requests).toHaveLength(0);
  });
});

describe('TurnRunner: any throw still ends the turn', () => {
  it('settles the slot, cancels pending approvals and reports turn_completed when a task throws', async () => {
    const { session, events } = h.newSession();
    let approval: Promise<unknown> | null = null;
    const buggy: Task = {
      kind: 'regular',
      async run(ctx: TurnContext) {
        approval = ctx.toolContext().requestApproval({ kind: 'command', itemId: 'a1', command: 'x', cwd: '/', commandActions: [], sessionKeys: [] });
        throw new TypeError('a bug in the task');
      },
    };
    const done = nextEvent(session, 'turn_completed');
    await session.submit([], {}, buggy);
    const turn = (await done).turn;
    expect(turn).toMatchObject({ status: 'failed', error: { message: 'a bug in the task', kind: 'other' } });
    expect(await approval!).toBe('cancel');
    expect(session.status()).toEqual({ type: 'idle' });
    expect(ofType(events, 'turn_completed')).toHaveLength(1);
    // The slot is free: the next turn runs.
    expect((await runTurn(session, 'again')).completed.status).toBe('completed');
  });
});

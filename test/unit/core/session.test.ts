import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../src/core/events.js';
import { SessionError } from '../../../src/core/session-error.js';
import type { Session } from '../../../src/core/session.js';
import type { HistoryItem } from '../../../src/model/types.js';
import { nextEvent, probeCall, runTurn, startCoreHarness, unansweredCalls, userTexts, type CoreHarness } from './support.js';

let h: CoreHarness;
beforeEach(async () => {
  h = await startCoreHarness();
});
afterEach(async () => {
  await h.cleanup();
});

const text = (t: string) => [{ type: 'text' as const, text: t }];

/** Answers every approval the session asks for with `decision`. */
function autoApprove(session: Session, decision: 'accept' | 'acceptForSession' | 'decline' | 'cancel'): void {
  session.onEvent((e) => {
    if (e.type === 'approval_requested') session.resolveApproval(e.requestId, decision);
  });
}

function sessionErrorOf(fn: () => unknown): SessionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SessionError);
    return err as SessionError;
  }
  throw new Error('expected a SessionError');
}

const outputOf = (history: HistoryItem[], callId: string) =>
  history.find((i): i is Extract<HistoryItem, { type: 'function_call_output' }> => i.type === 'function_call_output' && i.call_id === callId)
    ?.output;

describe('Session.submit', () => {
  it('runs a turn to completion and reports the echo as an agent message', async () => {
    const { session, events } = h.newSession();
    const { started, completed } = await runTurn(session, 'hello');
    expect(started.status).toBe('inProgress');
    expect(completed).toMatchObject({ id: started.id, status: 'completed', error: null });
    const items = events.filter((e) => e.type === 'item_completed').map((e) => (e as { item: { type: string } }).item);
    expect(items).toMatchObject([{ type: 'userMessage', content: text('hello') }, { type: 'agentMessage', text: 'Echo: hello' }]);
    expect(session.status()).toEqual({ type: 'idle' });
    expect(session.activeTurnId()).toBeNull();
  });

  it('registers the turn before returning, so an interrupt right after submit always interrupts it', async () => {
    const { session } = h.newSession();
    for (let i = 0; i < 5; i++) {
      const turn = await session.submit(text(`try ${i}`));
      expect(session.activeTurnId()).toBe(turn.id);
      const done = await session.interrupt(turn.id);
      expect(done).toMatchObject({ id: turn.id, status: 'interrupted' });
    }
    expect(session.turns().map((t) => t.info.status)).toEqual(Array(5).fill('interrupted'));
  });

  it('refuses a second submit while a turn runs with turn_in_progress', async () => {
    const { session } = h.newSession();
    h.mock.enqueue({ output: [{ type: 'text', text: 'never finishes', chunks: 2 }], fault: { hang: true } });
    const streaming = nextEvent(session, 'agent_message_delta');
    const first = await session.submit(text('first'));
    await streaming;
    await expect(session.submit(text('second'))).rejects.toMatchObject({ name: 'SessionError', code: 'turn_in_progress' });
    expect(session.activeTurnId()).toBe(first.id);
    expect(session.turns()).toHaveLength(1);
    await expect(session.interrupt()).resolves.toMatchObject({ id: first.id, status: 'interrupted' });
  });

  it('refuses empty input with invalid_input', async () => {
    const { session } = h.newSession();
    await expect(session.submit([])).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('keeps overrides passed to submit for the next turn', async () => {
    const { session, sink } = h.newSession();
    await runTurn(session, 'one', { model: 'other-model', developerInstructions: 'be brief' });
    await runTurn(session, 'two');
    expect(session.settings()).toMatchObject({ model: 'other-model', developerInstructions: 'be brief' });
    const second = h.mock.requests[1]!.body;
    expect(second.model).toBe('other-model');
    expect(JSON.stringify(second.input)).toContain('be brief');
    const settingsLines = sink.lines.filter((l) => l.type === 'settings');
    expect(settingsLines).toHaveLength(1);
    expect(settingsLines[0]).toMatchObject({ settings: { model: 'other-model', developerInstructions: 'be brief' } });
  });

  it('fails the turn with a TurnError when the model answers 400', async () => {
    const { session, events, sink } = h.newSession();
    h.mock.enqueue({ fault: { status: 400, body: { error: { message: 'unsupported parameter', type: 'invalid_request_error' } } } });
    const { completed } = await runTurn(session, 'hello');
    expect(completed.status).toBe('failed');
    expect(completed.error).toMatchObject({ kind: 'bad_request', httpStatus: 400 });
    expect(completed.error!.message).toContain('400');
    const error = events.find((e) => e.type === 'error');
    expect(error).toMatchObject({ turnId: completed.id, willRetry: false, error: completed.error });
    expect(events.indexOf(error!)).toBeLessThan(events.findIndex((e) => e.type === 'turn_completed'));
    expect(sink.lines.find((l) => l.type === 'turn_completed')).toMatchObject({ turn: { status: 'failed', error: completed.error } });
    expect(h.mock.requests).toHaveLength(1);
    expect(session.status()).toEqual({ type: 'idle' });
  });
});

describe('Session.steer', () => {
  it('refuses input when no turn runs with turn_not_active', () => {
    const { session } = h.newSession();
    expect(sessionErrorOf(() => session.steer(text('late'), 'any')).code).toBe('turn_not_active');
  });

  it('refuses input for another turn id with turn_id_mismatch', async () => {
    const { session } = h.newSession();
    h.mock.enqueue({ output: [{ type: 'text', text: 'never finishes', chunks: 2 }], fault: { hang: true } });
    const streaming = nextEvent(session, 'agent_message_delta');
    const turn = await session.submit(text('first'));
    await streaming;
    expect(sessionErrorOf(() => session.steer(text('more'), 'not-the-turn')).code).toBe('turn_id_mismatch');
    expect(sessionErrorOf(() => session.steer([], turn.id)).code).toBe('invalid_input');
    await session.interrupt();
  });

  it('delivers steered input to the next model request, after the tool output', async () => {
    const { session, events } = h.newSession();
    h.mock.enqueue({ output: [probeCall('ls', { ask: true, callId: 'c1' })] }, { output: [{ type: 'text', text: 'done' }] });
    const approval = nextEvent(session, 'approval_requested');
    const done = nextEvent(session, 'turn_completed');
    const turn = await session.submit(text('list files'));
    const req = await approval;
    expect(session.steer(text('and the README'), turn.id)).toBe(turn.id);
    expect(session.resolveApproval(req.requestId, 'accept')).toBe(true);
    expect((await done).turn.status).toBe('completed');

    expect(h.mock.requests).toHaveLength(2);
    const input = h.mock.requests[1]!.body.input as { type: string; call_id?: string; content?: { text: string }[] }[];
    expect(userTexts(input)).toEqual(['list files', 'and the README']);
    const outputAt = input.findIndex((i) => i.type === 'function_call_output' && i.call_id === 'c1');
    const steeredAt = input.findIndex((i) => i.content?.[0]?.text === 'and the README');
    expect(outputAt).toBeGreaterThan(-1);
    expect(outputAt).toBeLessThan(steeredAt);
    const userItems = events.filter((e) => e.type === 'item_completed' && e.item.type === 'userMessage');
    expect(userItems.map((e) => (e as Extract<SessionEvent, { type: 'item_completed' }>).item)).toMatchObject([
      { content: text('list files') },
      { content: text('and the README') },
    ]);
  });

  it('never accepts steered input that the model will not see, even while the turn is finishing', async () => {
    const { session, sink } = h.newSession();
    let steered: 'accepted' | 'refused' | null = null;
    // The steer arrives while the turn is being closed (its final line written, the sync pending).
    sink.onAppend = (line) => {
      if (line.type !== 'turn_completed') return;
      try {
        session.steer(text('one more thing'), line.turn.turnId);
        steered = 'accepted';
      } catch (err) {
        expect(err).toMatchObject({ code: 'turn_not_active' });
        steered = 'refused';
      }
    };
    await runTurn(session, 'hello');
    expect(steered).not.toBeNull();
    if (steered === 'accepted') {
      // Accepted input must reach the model: recorded by this turn, or by a turn started for it.
      const recorded = userTexts(session.history()).includes('one more thing');
      expect({ recorded, newTurnRunning: session.activeTurnId() !== null }).not.toEqual({ recorded: false, newTurnRunning: false });
    }
  });
});

describe('Session approvals', () => {
  it('runs the tool when the client accepts and reports the waiting status meanwhile', async () => {
    const { session, probe, events } = h.newSession();
    h.mock.enqueue({ output: [probeCall('ls', { ask: true, callId: 'c1' })] }, { output: [{ type: 'text', text: 'ok' }] });
    const approval = nextEvent(session, 'approval_requested');
    const done = nextEvent(session, 'turn_completed');
    const turn = await session.submit(text('go'));
    const req = await approval;
    expect(req).toMatchObject({ turnId: turn.id, requestId: 'c1', request: { kind: 'command', command: 'ls', sessionKeys: ['ls'] } });
    expect(session.status()).toEqual({ type: 'active', activeFlags: ['waitingOnApproval'] });
    session.resolveApproval('c1', 'accept');
    expect((await done).turn.status).toBe('completed');
    expect(probe.calls).toHaveLength(1);
    expect(outputOf(session.history(), 'c1')).toBe('ran ls');
    expect(events).toContainEqual({ type: 'approval_resolved', turnId: turn.id, requestId: 'c1', decision: 'accept' });
  });

  it('tells the model the call was declined and lets the turn go on', async () => {
    const { session } = h.newSession();
    autoApprove(session, 'decline');
    h.mock.enqueue({ output: [probeCall('rm', { ask: true, callId: 'c1' })] }, { output: [{ type: 'text', text: 'fine' }] });
    const { completed } = await runTurn(session, 'go');
    expect(completed.status).toBe('completed');
    expect(outputOf(session.history(), 'c1')).toBe('declined rm');
    expect(JSON.stringify(h.mock.requests[1]!.body.input)).toContain('declined rm');
  });

  it('interrupts the turn when the client cancels, still answering the call', async () => {
    const { session, events } = h.newSession();
    autoApprove(session, 'cancel');
    h.mock.enqueue({ output: [probeCall('rm', { ask: true, callId: 'c1' })] });
    const { completed } = await runTurn(session, 'go');
    expect(completed.status).toBe('interrupted');
    expect(events).toContainEqual(expect.objectContaining({ type: 'approval_resolved', requestId: 'c1', decision: 'cancel' }));
    expect(outputOf(session.history(), 'c1')).toBeDefined();
    expect(unansweredCalls(session.history())).toEqual([]);
    expect(h.mock.requests).toHaveLength(1);
  });

  it('remembers acceptForSession and skips the next identical request', async () => {
    const { session, probe, events } = h.newSession();
    autoApprove(session, 'acceptForSession');
    h.mock.enqueue(
      { output: [probeCall('ls', { ask: true, callId: 'c1' })] },
      { output: [probeCall('ls', { ask: true, callId: 'c2' })] },
      { output: [probeCall('cat', { ask: true, callId: 'c3' })] },
      { output: [{ type: 'text', text: 'done' }] },
    );
    const { completed } = await runTurn(session, 'go');
    expect(completed.status).toBe('completed');
    expect(probe.calls.map((c) => c.call.callId)).toEqual(['c1', 'c2', 'c3']);
    const asked = events.filter((e) => e.type === 'approval_requested').map((e) => (e as { requestId: string }).requestId);
    expect(asked).toEqual(['c1', 'c3']);
    expect(outputOf(session.history(), 'c2')).toBe('ran ls');
  });

  it('ignores an answer for an unknown or already settled request', async () => {
    const { session } = h.newSession();
    expect(session.resolveApproval('nope', 'accept')).toBe(false);
    autoApprove(session, 'accept');
    h.mock.enqueue({ output: [probeCall('ls', { ask: true, callId: 'c1' })] }, { output: [{ type: 'text', text: 'ok' }] });
    await runTurn(session, 'go');
    expect(session.resolveApproval('c1', 'decline')).toBe(false);
  });

  it('ignores an answer bound to another turn, even for the same request id', async () => {
    const { session } = h.newSession();
    h.mock.enqueue({ output: [probeCall('ls', { ask: true, callId: 'c1' })] }, { output: [{ type: 'text', text: 'ok' }] });
    const approval = nextEvent(session, 'approval_requested');
    const done = nextEvent(session, 'turn_completed');
    const turn = await session.submit(text('go'));
    await approval;
    expect(session.resolveApproval('c1', 'accept', 'an-earlier-turn')).toBe(false);
    expect(session.status()).toEqual({ type: 'active', activeFlags: ['waitingOnApproval'] });
    expect(session.resolveApproval('c1', 'decline', turn.id)).toBe(true);
    expect((await done).turn.status).toBe('completed');
    expect(outputOf(session.history(), 'c1')).toBe('declined ls');
  });

  it('settles a pending approval as cancel on interrupt and ends the turn interrupted', async () => {
    const { session, events } = h.newSession();
    h.mock.enqueue({ output: [probeCall('ls', { ask: true, callId: 'c1' })] });
    const approval = nextEvent(session, 'approval_requested');
    const turn = await session.submit(text('go'));
    await approval;
    const resolved = nextEvent(session, 'approval_resolved');
    const done = await session.interrupt(turn.id);
    expect(done).toMatchObject({ id: turn.id, status: 'interrupted' });
    expect(await resolved).toMatchObject({ requestId: 'c1', decision: 'cancel' });
    expect(session.status()).toEqual({ type: 'idle' });
    expect(unansweredCalls(session.history())).toEqual([]);
    expect(events.filter((e) => e.type === 'turn_completed')).toHaveLength(1);
    expect(h.mock.requests).toHaveLength(1);
  });

  it('settles pending approvals as cancel when the connection closes', async () => {
    const { session } = h.newSession();
    h.mock.enqueue({ output: [probeCall('ls', { ask: true, callId: 'c1' })] });
    const approval = nextEvent(session, 'approval_requested');
    const done = nextEvent(session, 'turn_completed');
    await session.submit(text('go'));
    await approval;
    session.cancelPendingApprovals();
    expect((await done).turn.status).toBe('interrupted');
  });
});

describe('Session.interrupt', () => {
  it('refuses when no turn runs, or when the id names another turn', async () => {
    const { session } = h.newSession();
    expect(sessionErrorOf(() => session.interrupt()).code).toBe('turn_not_active');
    h.mock.enqueue({ output: [{ type: 'text', text: 'never finishes', chunks: 2 }], fault: { hang: true } });
    const streaming = nextEvent(session, 'agent_message_delta');
    await session.submit(text('go'));
    await streaming;
    expect(sessionErrorOf(() => session.interrupt('other')).code).toBe('turn_id_mismatch');
    await expect(session.interrupt()).resolves.toMatchObject({ status: 'interrupted' });
    await h.mock.waitForClientAbort();
  });

  it('answers every function call in history when the interrupt lands after the response completed', async () => {
    const { session } = h.newSession();
    h.mock.enqueue({ output: [probeCall('ls', { callId: 'c1' })] });
    // The interrupt arrives with the response's usage: the stream is done, the tool not yet run.
    session.onEvent((e) => {
      if (e.type === 'token_usage' && session.activeTurnId()) void session.interrupt();
    });
    const { completed } = await runTurn(session, 'go');
    expect(completed.status).toBe('interrupted');
    expect(session.history().some((i) => i.type === 'function_call' && i.call_id === 'c1')).toBe(true);
    expect(unansweredCalls(session.history())).toEqual([]);
  });

  it('answers every function call in history when the interrupt lands while the model still streams', async () => {
    const { session } = h.newSession();
    h.mock.enqueue({ output: [probeCall('ls', { callId: 'c1' }), { type: 'text', text: 'and now some text', chunks: 3 }] });
    // The user interrupts as the model starts writing after its tool call.
    session.onEvent((e) => {
      if (e.type === 'item_started' && e.item.type === 'agentMessage' && session.activeTurnId()) void session.interrupt();
    });
    const { completed } = await runTurn(session, 'go');
    expect(completed.status).toBe('interrupted');
    expect(session.history().some((i) => i.type === 'function_call' && i.call_id === 'c1')).toBe(true);
    expect(unansweredCalls(session.history())).toEqual([]);
  });
});

describe('Session persistence order', () => {
  it('persists each completed item before emitting item_completed', async () => {
    const { session, journal } = h.newSession();
    autoApprove(session, 'accept');
    h.mock.enqueue({ output: [probeCall('ls', { ask: true, callId: 'c1' })] }, { output: [{ type: 'text', text: 'ok' }] });
    await runTurn(session, 'go');
    const emitted = journal.flatMap((j, i) => (j === 'event:item_completed' ? [i] : []));
    expect(emitted.length).toBe(3);
    for (const i of emitted) expect(journal[i - 1]).toBe('persist:item_completed');
  });

  it('persists and syncs turn_completed before emitting turn_completed', async () => {
    const { session, journal, sink } = h.newSession();
    await runTurn(session, 'go');
    const persisted = journal.indexOf('persist:turn_completed');
    const synced = journal.indexOf('sync', persisted);
    const emitted = journal.indexOf('event:turn_completed');
    expect(persisted).toBeGreaterThan(-1);
    expect(synced).toBeGreaterThan(persisted);
    expect(emitted).toBeGreaterThan(synced);
    expect(sink.lines.at(-1)).toMatchObject({ type: 'turn_completed', turn: { status: 'completed' } });
  });

  it('records the user message and the model output as response items of the turn', async () => {
    const { session, sink } = h.newSession();
    const { started } = await runTurn(session, 'go');
    const items = sink.lines.filter((l) => l.type === 'response_item');
    expect(items.map((l) => (l as { turnId: string }).turnId)).toEqual([started.id, started.id]);
    expect(items.map((l) => (l as { item: HistoryItem }).item)).toEqual(session.history());
  });
});

describe('Session isolation and shutdown', () => {
  it('never mixes events between two sessions running at once', async () => {
    const a = h.newSession();
    const b = h.newSession();
    const [ra, rb] = await Promise.all([runTurn(a.session, 'from a'), runTurn(b.session, 'from b')]);
    for (const [s, own] of [
      [a, ra],
      [b, rb],
    ] as const) {
      const ids = s.events.flatMap((e) => ('turnId' in e ? [e.turnId] : 'turn' in e ? [e.turn.id] : []));
      expect(new Set(ids)).toEqual(new Set([own.started.id]));
    }
    const agentText = (events: SessionEvent[]) =>
      events.flatMap((e) => (e.type === 'item_completed' && e.item.type === 'agentMessage' ? [e.item.text] : []));
    expect(agentText(a.events)).toEqual(['Echo: from a']);
    expect(agentText(b.events)).toEqual(['Echo: from b']);
  });

  it('interrupts the running turn on shutdown and closes the recorder', async () => {
    const { session, sink } = h.newSession();
    h.mock.enqueue({ output: [probeCall('ls', { ask: true, callId: 'c1' })] });
    const approval = nextEvent(session, 'approval_requested');
    const done = nextEvent(session, 'turn_completed');
    await session.submit(text('go'));
    await approval;
    await session.shutdown();
    expect((await done).turn.status).toBe('interrupted');
    expect(sink.closed).toBe(true);
  });

  it('lists the turns with their completed items', async () => {
    const { session } = h.newSession();
    const first = await runTurn(session, 'one');
    const second = await runTurn(session, 'two');
    const turns = session.turns();
    expect(turns.map((t) => t.info.id)).toEqual([first.started.id, second.started.id]);
    expect(turns[1]!.items.map((i) => i.type)).toEqual(['userMessage', 'agentMessage']);
    turns[0]!.items.length = 0;
    expect(session.turns()[0]!.items).toHaveLength(2);
  });
});

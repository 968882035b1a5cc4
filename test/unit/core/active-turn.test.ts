import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TurnInfo } from '../../../src/core/events.js';
import { ActiveTurn } from '../../../src/core/state/active-turn.js';
import { TurnState } from '../../../src/core/state/turn-state.js';
import { TurnDiffTrackerImpl } from '../../../src/tools/diff/turn-diff-tracker.js';

let dir: string;
let turn: ActiveTurn;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentd-active-turn-'));
  turn = new ActiveTurn('turn-1', 'regular', new TurnState(new TurnDiffTrackerImpl(dir)), 1_000);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const finished = (status: TurnInfo['status']): TurnInfo => ({
  id: 'turn-1',
  status,
  error: null,
  startedAt: 1,
  completedAt: 2,
  durationMs: 1000,
});

describe('ActiveTurn', () => {
  it('holds its id, kind, state and start time', () => {
    expect(turn.turnId).toBe('turn-1');
    expect(turn.kind).toBe('regular');
    expect(turn.startedAt).toBe(1_000);
    expect(turn.signal.aborted).toBe(false);
    expect(turn.wasAborted()).toBe(false);
  });

  it('aborts its signal and remembers that it was interrupted', () => {
    turn.abort();
    expect(turn.signal.aborted).toBe(true);
    expect(turn.wasAborted()).toBe(true);
  });

  it('aborts only once, however often it is asked', () => {
    let aborts = 0;
    turn.signal.addEventListener('abort', () => aborts++);
    const reason = (() => {
      turn.abort();
      return turn.signal.reason;
    })();
    turn.abort();
    turn.abort();
    expect(aborts).toBe(1);
    expect(turn.signal.reason).toBe(reason);
  });

  it('settles pending approvals as cancel when aborted', async () => {
    const w = turn.state.insertApproval('call-1', { kind: 'fileChange', itemId: 'call-1', sessionKeys: ['/w/a'] }, 5);
    turn.abort();
    await expect(w.decision.promise).resolves.toBe('cancel');
    expect(turn.state.pendingApprovalCount()).toBe(0);
  });

  it('drains once markDone is called, with the final turn', async () => {
    let drained: TurnInfo | null = null;
    const d = turn.drain().then((t) => (drained = t));
    await Promise.resolve();
    expect(drained).toBeNull();
    turn.markDone(finished('interrupted'));
    await d;
    expect(drained).toEqual(finished('interrupted'));
  });

  it('lets every drainer, early or late, see the same final turn', async () => {
    const early = turn.drain();
    turn.markDone(finished('completed'));
    turn.markDone(finished('failed'));
    await expect(early).resolves.toEqual(finished('completed'));
    await expect(turn.drain()).resolves.toEqual(finished('completed'));
  });
});

describe('ActiveTurn.fail', () => {
  it('stops the turn like an interrupt but remembers the first failure, which a later interrupt does not hide', async () => {
    const waiter = turn.state.insertApproval('a1', { kind: 'command', itemId: 'a1', command: 'x', cwd: '/', commandActions: [], sessionKeys: [] }, 0);
    turn.fail({ message: 'disk full', kind: 'storage_error' });
    expect(turn.signal.aborted).toBe(true);
    expect(turn.wasAborted()).toBe(false);
    expect(await waiter.decision.promise).toBe('cancel');
    turn.fail({ message: 'second', kind: 'other' });
    turn.abort();
    expect(turn.failure()).toEqual({ message: 'disk full', kind: 'storage_error' });
  });

  it('runs its runner once, after the caller has returned', async () => {
    let runs = 0;
    const ran = new Promise<void>((resolve) =>
      turn.launch({
        run: async () => {
          runs++;
          resolve();
        },
      }),
    );
    expect(runs).toBe(0);
    expect(() => turn.launch({ run: async () => {} })).toThrow(/already launched/);
    await ran;
    expect(runs).toBe(1);
    expect(turn.runner).not.toBeNull();
  });
});

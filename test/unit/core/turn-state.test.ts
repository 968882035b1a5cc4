import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TurnState } from '../../../src/core/state/turn-state.js';
import { TurnDiffTrackerImpl } from '../../../src/tools/diff/turn-diff-tracker.js';
import type { ApprovalRequest } from '../../../src/tools/types.js';

let dir: string;
let state: TurnState;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentd-turn-state-'));
  state = new TurnState(new TurnDiffTrackerImpl(dir));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const request = (itemId: string): ApprovalRequest => ({
  kind: 'command',
  itemId,
  command: 'ls',
  cwd: '/w',
  commandActions: [],
  sessionKeys: ['ls'],
});

describe('TurnState pending input', () => {
  it('has no pending input at first', () => {
    expect(state.hasPendingInput()).toBe(false);
    expect(state.takePendingInput()).toEqual([]);
  });

  it('takes every steered input in order and is empty afterwards', () => {
    state.pushPendingInput([{ type: 'text', text: 'one' }]);
    state.pushPendingInput([{ type: 'text', text: 'two' }, { type: 'text', text: 'three' }]);
    expect(state.hasPendingInput()).toBe(true);
    expect(state.takePendingInput()).toEqual([[{ type: 'text', text: 'one' }], [{ type: 'text', text: 'two' }, { type: 'text', text: 'three' }]]);
    expect(state.hasPendingInput()).toBe(false);
    expect(state.takePendingInput()).toEqual([]);
  });

  it('keeps input pushed after a take for the next take', () => {
    state.pushPendingInput([{ type: 'text', text: 'early' }]);
    const first = state.takePendingInput();
    state.pushPendingInput([{ type: 'text', text: 'late' }]);
    expect(first).toEqual([[{ type: 'text', text: 'early' }]]);
    expect(state.takePendingInput()).toEqual([[{ type: 'text', text: 'late' }]]);
  });
});

describe('TurnState approvals', () => {
  it('counts inserted waiters and hands each one out once', () => {
    const w = state.insertApproval('call-1', request('call-1'), 123);
    state.insertApproval('call-2', request('call-2'), 124);
    expect(state.pendingApprovalCount()).toBe(2);
    expect(w).toMatchObject({ request: request('call-1'), startedAtMs: 123 });
    expect(state.takeApproval('call-1')).toBe(w);
    expect(state.takeApproval('call-1')).toBeUndefined();
    expect(state.pendingApprovalCount()).toBe(1);
  });

  it('returns undefined for an unknown id', () => {
    expect(state.takeApproval('nope')).toBeUndefined();
  });

  it('settles every waiter as cancel when cleared and reports their ids', async () => {
    const a = state.insertApproval('a', request('a'), 1);
    const b = state.insertApproval('b', request('b'), 2);
    expect(state.clearApprovals().sort()).toEqual(['a', 'b']);
    await expect(a.decision.promise).resolves.toBe('cancel');
    await expect(b.decision.promise).resolves.toBe('cancel');
    expect(state.pendingApprovalCount()).toBe(0);
    expect(state.clearApprovals()).toEqual([]);
  });

  it('does not touch a waiter that was taken and answered before the clear', async () => {
    const w = state.insertApproval('a', request('a'), 1);
    state.takeApproval('a')!.decision.resolve('accept');
    expect(state.clearApprovals()).toEqual([]);
    await expect(w.decision.promise).resolves.toBe('accept');
  });
});

describe('TurnState plan and last message', () => {
  it('remembers the latest plan and agent message', () => {
    expect(state.plan()).toBeNull();
    expect(state.lastAgentMessage()).toBeNull();
    state.setPlan(null, [{ step: 'a', status: 'pending' }]);
    state.setPlan('because', [{ step: 'a', status: 'completed' }]);
    state.setLastAgentMessage('first');
    state.setLastAgentMessage('second');
    expect(state.plan()).toEqual({ explanation: 'because', plan: [{ step: 'a', status: 'completed' }] });
    expect(state.lastAgentMessage()).toBe('second');
  });

  it('exposes the diff tracker it was built with', async () => {
    expect(await state.diff.unifiedDiff()).toBe('');
  });
});

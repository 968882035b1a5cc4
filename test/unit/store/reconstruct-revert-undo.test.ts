import { describe, expect, it } from 'vitest';
import { reconstructThread } from '../../../src/store/reconstruct.js';
import type { RolloutLine } from '../../../src/store/types.js';

const user = (text: string) => ({ type: 'message' as const, role: 'user' as const, content: [{ type: 'input_text' as const, text }] });

function turn(id: string, ts: number): RolloutLine[] {
  return [
    { ts, type: 'turn_started', turnId: id, settings: {} },
    { ts, type: 'response_item', turnId: id, item: user(id) },
    { ts, type: 'turn_files', turnId: id, files: [{ path: `/w/${id}`, before: null, afterSha256: 'h' }] },
    { ts, type: 'turn_completed', turn: { turnId: id, status: 'completed', startedAt: ts, completedAt: ts, durationMs: 0 } },
  ];
}

const restored = [{ path: '/w/b', current: { contentBase64: 'eA==', mode: 0o644 }, restoredSha256: null }];

describe('reconstructThread: revert and its undo', () => {
  it('a revert drops the turns, their history and their file images, and stays undoable', () => {
    const r = reconstructThread([...turn('a', 1), ...turn('b', 2), ...turn('c', 3), { ts: 4, type: 'reverted', beforeTurnId: 'b', restored }]);
    expect(r.turns.map((t) => t.turnId)).toEqual(['a']);
    expect(JSON.stringify(r.history)).not.toContain('"b"');
    expect([...r.turnFiles.keys()]).toEqual(['a']);
    expect(r.undoableRevert).toEqual({ beforeTurnId: 'b', droppedTurnIds: ['b', 'c'], restored });
  });

  it('revert_undone brings the turns back in their place', () => {
    const r = reconstructThread([...turn('a', 1), ...turn('b', 2), ...turn('c', 3), { ts: 4, type: 'reverted', beforeTurnId: 'b' }, { ts: 5, type: 'revert_undone' }]);
    expect(r.turns.map((t) => t.turnId)).toEqual(['a', 'b', 'c']);
    expect(r.history).toHaveLength(3);
    expect(r.undoableRevert).toBeNull();
  });

  it('a turn started after the revert makes it final: a later revert_undone changes nothing', () => {
    const r = reconstructThread([...turn('a', 1), ...turn('b', 2), { ts: 3, type: 'reverted', beforeTurnId: 'b' }, ...turn('d', 4), { ts: 5, type: 'revert_undone' }]);
    expect(r.turns.map((t) => t.turnId)).toEqual(['a', 'd']);
    expect(r.undoableRevert).toBeNull();
  });
});

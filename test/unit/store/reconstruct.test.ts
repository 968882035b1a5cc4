import { describe, expect, it } from 'vitest';
import type { HistoryItem } from '../../../src/model/types.js';
import { reconstructThread } from '../../../src/store/reconstruct.js';
import type { RolloutLine } from '../../../src/store/types.js';

const user = (text: string): HistoryItem => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const texts = (h: HistoryItem[]) => h.map((i) => (i.type === 'message' ? (i.content[0] as { text: string }).text : i.type));

function turn(turnId: string, ts: number, text: string, complete = true): RolloutLine[] {
  const lines: RolloutLine[] = [
    { ts, type: 'turn_started', turnId, settings: {} },
    { ts, type: 'response_item', turnId, item: user(text) },
    { ts: ts + 10, type: 'item_completed', turnId, item: { type: 'agentMessage', id: `${turnId}-a`, text } },
  ];
  if (complete) {
    lines.push({
      ts: ts + 20,
      type: 'turn_completed',
      turn: { turnId, status: 'completed', error: null, startedAt: ts / 1000, completedAt: (ts + 20) / 1000, durationMs: 20 },
    });
  }
  return lines;
}

describe('reconstructThread', () => {
  it('returns empty state for a rollout with only its header', () => {
    expect(reconstructThread([])).toEqual({ history: [], turns: [], tokenUsage: null, settings: {}, goal: null, turnFiles: new Map(), undoableRevert: null });
  });

  it('keeps the goal of the last goal line (null: cleared)', () => {
    const goal = { objective: 'ship', status: 'active' as const, tokenBudget: null, tokensUsed: 0, timeUsedSeconds: 0, createdAt: 1, updatedAt: 1 };
    const later = { ...goal, status: 'paused' as const, updatedAt: 2 };
    expect(reconstructThread([{ ts: 1, type: 'goal', goal }, { ts: 2, type: 'goal', goal: later }]).goal).toEqual(later);
    expect(reconstructThread([{ ts: 1, type: 'goal', goal }, { ts: 2, type: 'goal', goal: null }]).goal).toBeNull();
  });

  it('replaces the history at a compaction and keeps appending after it', () => {
    const lines: RolloutLine[] = [
      ...turn('t1', 1000, 'one'),
      ...turn('t2', 2000, 'two'),
      { ts: 2500, type: 'compacted', turnId: 't3', replacementHistory: [user('summary')] },
      ...turn('t4', 3000, 'four'),
    ];
    expect(texts(reconstructThread(lines).history)).toEqual(['summary', 'four']);
  });

  it('drops the reverted turn, every later turn, and their response items', () => {
    const lines: RolloutLine[] = [
      ...turn('t1', 1000, 'one'),
      ...turn('t2', 2000, 'two'),
      ...turn('t3', 3000, 'three'),
      { ts: 3500, type: 'reverted', beforeTurnId: 't2' },
      ...turn('t4', 4000, 'four'),
    ];
    const thread = reconstructThread(lines);
    expect(thread.turns.map((t) => t.turnId)).toEqual(['t1', 't4']);
    expect(texts(thread.history)).toEqual(['one', 'four']);
  });

  it('undoes a compaction that happened inside a reverted turn', () => {
    const lines: RolloutLine[] = [
      ...turn('t1', 1000, 'one'),
      { ts: 1500, type: 'turn_started', turnId: 't2', settings: {} },
      { ts: 1600, type: 'compacted', turnId: 't2', replacementHistory: [user('summary')] },
      { ts: 1700, type: 'reverted', beforeTurnId: 't2' },
    ];
    expect(texts(reconstructThread(lines).history)).toEqual(['one']);
  });

  it('marks a turn that never completed as interrupted', () => {
    const lines = [...turn('t1', 1_000_000, 'one'), ...turn('t2', 2_000_000, 'two', false)];
    const [, crashed] = reconstructThread(lines).turns;
    expect(crashed).toMatchObject({ turnId: 't2', status: 'interrupted', startedAt: 2000, completedAt: 2000, durationMs: 10 });
    expect(crashed!.items.map((i) => i.id)).toEqual(['t2-a']);
  });

  it('merges settings lines with the last value winning and keeps the last token usage', () => {
    const u = (n: number) => ({ inputTokens: n, cachedInputTokens: 0, outputTokens: 0, reasoningOutputTokens: 0, totalTokens: n });
    const thread = reconstructThread([
      { ts: 1, type: 'settings', settings: { model: 'a', cwd: '/x' } },
      { ts: 2, type: 'token_usage', total: u(1), last: u(1), modelContextWindow: null },
      { ts: 3, type: 'settings', settings: { model: 'b' } },
      { ts: 4, type: 'token_usage', total: u(3), last: u(2), modelContextWindow: 1000 },
    ]);
    expect(thread.settings).toEqual({ model: 'b', cwd: '/x' });
    expect(thread.tokenUsage).toEqual({ total: u(3), last: u(2), modelContextWindow: 1000 });
  });

  it('keeps an item completed twice at its first position with its latest content', () => {
    const thread = reconstructThread([
      { ts: 1, type: 'turn_started', turnId: 't', settings: {} },
      { ts: 2, type: 'item_completed', turnId: 't', item: { type: 'agentMessage', id: 'm1', text: 'draft' } },
      { ts: 3, type: 'item_completed', turnId: 't', item: { type: 'plan', id: 'p1', text: 'plan' } },
      { ts: 4, type: 'item_completed', turnId: 't', item: { type: 'agentMessage', id: 'm1', text: 'final' } },
    ]);
    expect(thread.turns[0]!.items).toEqual([
      { type: 'agentMessage', id: 'm1', text: 'final' },
      { type: 'plan', id: 'p1', text: 'plan' },
    ]);
  });
});

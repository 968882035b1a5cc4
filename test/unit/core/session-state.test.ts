import { describe, expect, it } from 'vitest';
import { SessionState } from '../../../src/core/state/session-state.js';
import type { HistoryItem, TokenUsage } from '../../../src/model/types.js';
import { testSettings } from './support.js';

const user = (text: string): HistoryItem => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const usage = (input: number, output: number, extra: Partial<TokenUsage> = {}): TokenUsage => ({
  inputTokens: input,
  cachedInputTokens: 0,
  outputTokens: output,
  reasoningOutputTokens: 0,
  totalTokens: input + output,
  ...extra,
});

describe('SessionState history', () => {
  it('records items in order and reports its length', () => {
    const s = new SessionState(testSettings('/w'));
    s.recordItems([user('a'), user('b')]);
    s.recordItems([user('c')]);
    expect(s.historyLength()).toBe(3);
    expect(s.historySnapshot()).toEqual([user('a'), user('b'), user('c')]);
  });

  it('hands out snapshots that later records do not change', () => {
    const s = new SessionState(testSettings('/w'));
    s.recordItems([user('a')]);
    const snap = s.historySnapshot();
    s.recordItems([user('b')]);
    snap.push(user('from the caller'));
    expect(snap).toHaveLength(2);
    expect(s.historySnapshot()).toEqual([user('a'), user('b')]);
  });

  it('replaces history with a copy of the given array', () => {
    const s = new SessionState(testSettings('/w'), [user('old')]);
    const replacement = [user('summary')];
    s.replaceHistory(replacement);
    replacement.push(user('added later by the caller'));
    s.recordItems([user('next')]);
    expect(s.historySnapshot()).toEqual([user('summary'), user('next')]);
    expect(replacement).toEqual([user('summary'), user('added later by the caller')]);
  });

  it('does not write into the history array it was constructed with', () => {
    const initial = [user('restored')];
    const s = new SessionState(testSettings('/w'), initial);
    s.recordItems([user('new')]);
    expect(initial).toEqual([user('restored')]);
    expect(s.historySnapshot()).toEqual([user('restored'), user('new')]);
  });
});

describe('SessionState token usage and rate limits', () => {
  it('starts with no usage', () => {
    expect(new SessionState(testSettings('/w')).tokenUsage()).toBeNull();
  });

  it('accumulates the total across responses while last is the latest response only', () => {
    const s = new SessionState(testSettings('/w'));
    s.recordUsage(usage(100, 10, { cachedInputTokens: 40, reasoningOutputTokens: 3 }), 128_000);
    const after = s.recordUsage(usage(200, 20, { cachedInputTokens: 60, reasoningOutputTokens: 7 }), 128_000);
    expect(after.last).toEqual(usage(200, 20, { cachedInputTokens: 60, reasoningOutputTokens: 7 }));
    expect(after.total).toEqual({ inputTokens: 300, cachedInputTokens: 100, outputTokens: 30, reasoningOutputTokens: 10, totalTokens: 330 });
    expect(after.modelContextWindow).toBe(128_000);
    expect(s.tokenUsage()).toEqual(after);
  });

  it('continues the totals of a restored thread', () => {
    const restored = { total: usage(1000, 100), last: usage(1000, 100), modelContextWindow: 272_000 };
    const s = new SessionState(testSettings('/w'), [], restored);
    const next = s.recordUsage(usage(10, 1), null);
    expect(next.total).toEqual(usage(1010, 101));
    expect(next.last).toEqual(usage(10, 1));
    expect(next.modelContextWindow).toBeNull();
  });

  it('keeps the latest rate limit snapshot', () => {
    const s = new SessionState(testSettings('/w'));
    expect(s.latestRateLimits()).toBeNull();
    s.setRateLimits({ primary: { usedPercent: 10 } });
    s.setRateLimits({ primary: { usedPercent: 42 }, secondary: null });
    expect(s.latestRateLimits()).toEqual({ primary: { usedPercent: 42 }, secondary: null });
  });
});

describe('SessionState approvals remembered for the session', () => {
  it('approves a request only when every one of its keys was approved', () => {
    const s = new SessionState(testSettings('/w'));
    s.recordApprovedForSession('fileChange', ['/w/a.txt', '/w/b.txt']);
    expect(s.isApprovedForSession('fileChange', ['/w/a.txt'])).toBe(true);
    expect(s.isApprovedForSession('fileChange', ['/w/b.txt', '/w/a.txt'])).toBe(true);
    expect(s.isApprovedForSession('fileChange', ['/w/a.txt', '/w/c.txt'])).toBe(false);
  });

  it('never approves a request without keys', () => {
    const s = new SessionState(testSettings('/w'));
    s.recordApprovedForSession('command', ['x']);
    expect(s.isApprovedForSession('command', [])).toBe(false);
  });

  it('keeps the keys of commands and patches apart: an approved path is not an approved command', () => {
    const s = new SessionState(testSettings('/w'));
    s.recordApprovedForSession('fileChange', ['/w/run.sh']);
    expect(s.isApprovedForSession('command', ['/w/run.sh'])).toBe(false);
    s.recordApprovedForSession('command', ['ls']);
    expect(s.isApprovedForSession('fileChange', ['ls'])).toBe(false);
  });
});

describe('SessionState settings', () => {
  it('merges a patch and keeps the result for later reads', () => {
    const s = new SessionState(testSettings('/w'));
    const next = s.updateSettings({ model: 'other', approvalPolicy: 'never' });
    expect(next).toMatchObject({ model: 'other', approvalPolicy: 'never', cwd: '/w' });
    expect(s.settings()).toEqual(next);
  });

  it('ignores undefined values in a patch but applies explicit nulls', () => {
    const s = new SessionState(testSettings('/w', { reasoningEffort: 'high', developerInstructions: 'be brief' }));
    const next = s.updateSettings({ model: undefined, reasoningEffort: null, developerInstructions: undefined });
    expect(next.model).toBe('mock-model');
    expect(next.reasoningEffort).toBeNull();
    expect(next.developerInstructions).toBe('be brief');
  });

  it('does not change settings handed out earlier', () => {
    const s = new SessionState(testSettings('/w'));
    const before = s.settings();
    s.updateSettings({ model: 'other' });
    expect(before.model).toBe('mock-model');
  });
});

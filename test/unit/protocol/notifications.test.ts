import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../src/core/events.js';
import { toNotification } from '../../../src/protocol/app-server/notifications.js';
import { serverNotifications } from '../../../src/protocol/app-server/schema/methods.js';
import { codexErrorInfo } from '../../../src/protocol/app-server/wire.js';

const turn = { id: 't1', status: 'failed' as const, error: { message: 'boom', kind: 'context_window_exceeded' }, startedAt: 1, completedAt: 2, durationMs: 1000 };
const usage = { inputTokens: 1, cachedInputTokens: 0, outputTokens: 2, reasoningOutputTokens: 0, totalTokens: 3 };

/** One event of every kind that becomes a notification. */
const events: SessionEvent[] = [
  { type: 'status_changed', status: { type: 'active', activeFlags: ['waitingOnApproval'] } },
  { type: 'turn_started', turn: { ...turn, status: 'inProgress', error: null, completedAt: null, durationMs: null } },
  { type: 'turn_completed', turn },
  { type: 'item_started', turnId: 't1', item: { type: 'agentMessage', id: 'i1', text: '' } },
  { type: 'item_completed', turnId: 't1', item: { type: 'commandExecution', id: 'c1', command: 'ls', cwd: '/w', status: 'completed', commandActions: [{ type: 'listFiles', command: 'ls', path: null }], aggregatedOutput: 'a\n', exitCode: 0, durationMs: 3 } },
  { type: 'agent_message_delta', turnId: 't1', itemId: 'i1', delta: 'hi' },
  { type: 'reasoning_summary_part_added', turnId: 't1', itemId: 'r1', summaryIndex: 0 },
  { type: 'reasoning_summary_delta', turnId: 't1', itemId: 'r1', summaryIndex: 0, delta: 'x' },
  { type: 'reasoning_text_delta', turnId: 't1', itemId: 'r1', contentIndex: 0, delta: 'y' },
  { type: 'command_output_delta', turnId: 't1', itemId: 'c1', delta: 'out' },
  { type: 'plan_updated', turnId: 't1', explanation: null, plan: [{ step: 'a', status: 'inProgress' }] },
  { type: 'diff_updated', turnId: 't1', diff: 'diff --git a/x b/x' },
  { type: 'token_usage', turnId: 't1', usage: { total: usage, last: usage, modelContextWindow: 1000 } },
  { type: 'rate_limits', snapshot: { primary: { usedPercent: 5, windowDurationMins: 60, resetsAt: null } } },
  { type: 'error', turnId: 't1', error: { message: 'slow down', kind: 'rate_limited', httpStatus: 429 }, willRetry: true },
  { type: 'warning', turnId: null, message: 'careful' },
  { type: 'name_updated', name: 'My thread' },
  {
    type: 'settings_updated',
    settings: {
      model: 'gpt-5',
      modelProvider: 'openai',
      cwd: '/w',
      approvalPolicy: 'on-request',
      sandboxPolicy: { type: 'workspaceWrite', writableRoots: [], networkAccess: false, excludeTmpdirEnvVar: false, excludeSlashTmp: false },
      reasoningEffort: 'high',
      reasoningSummary: 'auto',
      baseInstructions: null,
      developerInstructions: null,
      collaborationMode: { mode: 'plan', developerInstructions: null },
    },
  },
  { type: 'goal_updated', turnId: null, goal: { objective: 'ship', status: 'active', tokenBudget: null, tokensUsed: 0, timeUsedSeconds: 0, createdAt: 1, updatedAt: 1 } },
  { type: 'goal_cleared' },
];

describe('session events as app-server notifications', () => {
  it('produces params every reference notification schema accepts', () => {
    for (const e of events) {
      const n = toNotification('th1', e, 1234);
      expect(n, e.type).not.toBeNull();
      const schema = (serverNotifications as Record<string, { safeParse(v: unknown): { success: boolean; error?: unknown } }>)[n!.method];
      expect(schema, n!.method).toBeDefined();
      const parsed = schema!.safeParse(n!.params);
      expect(parsed.success, `${n!.method}: ${JSON.stringify(parsed.error)}`).toBe(true);
    }
  });

  it('leaves approval events to the face (they are server requests)', () => {
    expect(
      toNotification('th1', { type: 'approval_resolved', turnId: 't1', requestId: 'c1', decision: 'accept' }, 0),
    ).toBeNull();
  });

  it('spells failure kinds as codexErrorInfo', () => {
    expect(codexErrorInfo('context_window_exceeded', null)).toBe('contextWindowExceeded');
    expect(codexErrorInfo('rate_limited', 429)).toEqual({ responseTooManyFailedAttempts: { httpStatusCode: 429 } });
    expect(codexErrorInfo('stream_idle_timeout', undefined)).toEqual({ responseStreamDisconnected: { httpStatusCode: null } });
    expect(codexErrorInfo('something new', 500)).toBe('other');
  });
});

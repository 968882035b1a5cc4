import type { SessionEvent } from '../../core/events.js';
import type { NotificationParams, ServerNotificationMethod } from './schema/methods.js';
import { wireRateLimits, wireTurn, wireTurnError } from './wire.js';
import { wireGoal, wireThreadSettings } from './settings-wire.js';

/**
 * One notification to send, typed by its wire schema: the core's items, statuses, plans and usage
 * are checked against the wire types at compile time here.
 */
export type Notification = { [M in ServerNotificationMethod]: { method: M; params: NotificationParams<M> } }[ServerNotificationMethod];

/**
 * Maps a session event to its app-server notification, or null when the event is not a
 * notification (approvals are server requests, handled by the face).
 */
export function toNotification(threadId: string, e: SessionEvent, nowMs: number): Notification | null {
  switch (e.type) {
    case 'status_changed':
      return { method: 'thread/status/changed', params: { threadId, status: e.status } };
    case 'turn_started':
      return { method: 'turn/started', params: { threadId, turn: wireTurn({ info: e.turn, items: [] }, false) } };
    case 'turn_completed':
      // Like Codex: the final agent message (`summary`), or no items (`notLoaded`).
      return {
        method: 'turn/completed',
        params: { threadId, turn: wireTurn({ info: e.turn, items: e.lastAgentMessage ? [e.lastAgentMessage] : [] }, 'summary') },
      };
    case 'item_started':
      return { method: 'item/started', params: { threadId, turnId: e.turnId, item: e.item, startedAtMs: nowMs } };
    case 'item_completed':
      return { method: 'item/completed', params: { threadId, turnId: e.turnId, item: e.item, completedAtMs: nowMs } };
    case 'agent_message_delta':
      return { method: 'item/agentMessage/delta', params: { threadId, turnId: e.turnId, itemId: e.itemId, delta: e.delta } };
    case 'reasoning_summary_part_added':
      return {
        method: 'item/reasoning/summaryPartAdded',
        params: { threadId, turnId: e.turnId, itemId: e.itemId, summaryIndex: e.summaryIndex },
      };
    case 'reasoning_summary_delta':
      return {
        method: 'item/reasoning/summaryTextDelta',
        params: { threadId, turnId: e.turnId, itemId: e.itemId, summaryIndex: e.summaryIndex, delta: e.delta },
      };
    case 'reasoning_text_delta':
      return {
        method: 'item/reasoning/textDelta',
        params: { threadId, turnId: e.turnId, itemId: e.itemId, contentIndex: e.contentIndex, delta: e.delta },
      };
    case 'command_output_delta':
      return { method: 'item/commandExecution/outputDelta', params: { threadId, turnId: e.turnId, itemId: e.itemId, delta: e.delta } };
    case 'mcp_tool_call_progress':
      return { method: 'item/mcpToolCall/progress', params: { threadId, turnId: e.turnId, itemId: e.itemId, message: e.message } };
    case 'mcp_server_status':
      return { method: 'mcpServer/startupStatus/updated', params: { threadId, name: e.name, status: e.status, error: e.error } };
    case 'plan_updated':
      return { method: 'turn/plan/updated', params: { threadId, turnId: e.turnId, explanation: e.explanation, plan: e.plan } };
    case 'diff_updated':
      return { method: 'turn/diff/updated', params: { threadId, turnId: e.turnId, diff: e.diff } };
    case 'context_compacted':
      // Deprecated on the reference wire (the contextCompaction item says the same), still sent.
      return { method: 'thread/compacted', params: { threadId, turnId: e.turnId } };
    case 'token_usage':
      return { method: 'thread/tokenUsage/updated', params: { threadId, turnId: e.turnId, tokenUsage: e.usage } };
    case 'rate_limits':
      return { method: 'account/rateLimits/updated', params: { rateLimits: wireRateLimits(e.snapshot) } };
    case 'error':
      return {
        method: 'error',
        params: {
          threadId,
          turnId: e.turnId,
          willRetry: e.willRetry,
          error: wireTurnError(e.error),
        },
      };
    case 'warning':
      return { method: 'warning', params: { threadId, message: e.message } };
    case 'name_updated':
      return { method: 'thread/name/updated', params: { threadId, threadName: e.name } };
    case 'settings_updated':
      return { method: 'thread/settings/updated', params: { threadId, threadSettings: wireThreadSettings(e.settings) } };
    case 'goal_updated':
      return { method: 'thread/goal/updated', params: { threadId, turnId: e.turnId, goal: wireGoal(threadId, e.goal) } };
    case 'goal_cleared':
      return { method: 'thread/goal/cleared', params: { threadId } };
    case 'reverted':
      return { method: 'thread/reverted', params: { threadId } };
    case 'approval_requested':
    case 'approval_resolved':
      return null;
  }
}

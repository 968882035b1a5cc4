import type { RateLimitSnapshot, TokenUsage } from '../model/types.js';
import type { ApprovalDecision, ApprovalRequest } from '../tools/types.js';
import type { ThreadGoal } from './goal.js';
import type { PlanStep, TurnItem } from './items.js';
import type { ThreadSettings } from './settings.js';

/** The user's answer to an approval request, for faces (which import no tool module). */
export type { ApprovalDecision };

/** A turn's status as clients see it. */
export type TurnStatus = 'inProgress' | 'completed' | 'interrupted' | 'failed';

/** Why a turn failed (the wire `TurnError`). */
export interface TurnError {
  message: string;
  /** What went wrong, as a model error kind (`context_window_exceeded`, `server_error`, …) or `other`. */
  kind: string;
  httpStatus?: number | null;
  additionalDetails?: string | null;
}

/** A turn without its items (items travel as item events). */
export interface TurnInfo {
  id: string;
  status: TurnStatus;
  error: TurnError | null;
  startedAt: number | null;
  completedAt: number | null;
  durationMs: number | null;
}

export interface ThreadTokenUsage {
  total: TokenUsage;
  last: TokenUsage;
  modelContextWindow: number | null;
}

export type ThreadStatus =
  | { type: 'notLoaded' }
  | { type: 'idle' }
  | { type: 'systemError' }
  | { type: 'active'; activeFlags: ('waitingOnApproval' | 'waitingOnUserInput')[] };

/**
 * Everything a Session reports. Faces map these to their wire notifications; the core knows no
 * wire format. Events about a turn carry its id.
 */
export type SessionEvent =
  | { type: 'status_changed'; status: ThreadStatus }
  | { type: 'turn_started'; turn: TurnInfo }
  /** `lastAgentMessage`: the turn's last completed agent message, if any (clients read it from `turn/completed`). */
  | { type: 'turn_completed'; turn: TurnInfo; lastAgentMessage?: Extract<TurnItem, { type: 'agentMessage' }> }
  | { type: 'item_started'; turnId: string; item: TurnItem }
  | { type: 'item_completed'; turnId: string; item: TurnItem }
  | { type: 'agent_message_delta'; turnId: string; itemId: string; delta: string }
  | { type: 'reasoning_summary_part_added'; turnId: string; itemId: string; summaryIndex: number }
  | { type: 'reasoning_summary_delta'; turnId: string; itemId: string; summaryIndex: number; delta: string }
  | { type: 'reasoning_text_delta'; turnId: string; itemId: string; contentIndex: number; delta: string }
  | { type: 'command_output_delta'; turnId: string; itemId: string; delta: string }
  /** A progress notification of a running MCP tool call. */
  | { type: 'mcp_tool_call_progress'; turnId: string; itemId: string; message: string }
  /** One of the thread's MCP servers changed state (`error`: why it failed). */
  | { type: 'mcp_server_status'; name: string; status: McpServerStartupState; error: string | null }
  | { type: 'plan_updated'; turnId: string; explanation: string | null; plan: PlanStep[] }
  | { type: 'diff_updated'; turnId: string; diff: string }
  | { type: 'token_usage'; turnId: string; usage: ThreadTokenUsage }
  /** The turn replaced the history with its compacted form (after its `contextCompaction` item completed). */
  | { type: 'context_compacted'; turnId: string }
  | { type: 'rate_limits'; snapshot: RateLimitSnapshot }
  | { type: 'error'; turnId: string; error: TurnError; willRetry: boolean }
  | { type: 'warning'; turnId: string | null; message: string }
  /** The face must ask the client and call `Session.resolveApproval(requestId, decision)`. */
  | { type: 'approval_requested'; turnId: string; requestId: string; startedAtMs: number; request: ApprovalRequest }
  /** The approval was settled (by the client, an interrupt, or a closed connection). */
  | { type: 'approval_resolved'; turnId: string; requestId: string; decision: ApprovalDecision }
  | { type: 'name_updated'; name: string | null }
  /** The thread's settings changed (an update, or turn overrides that changed something); they apply from the next turn. */
  | { type: 'settings_updated'; settings: ThreadSettings }
  /** The goal was set or changed (by the user, or by the accounting at the end of `turnId`). */
  | { type: 'goal_updated'; turnId: string | null; goal: ThreadGoal }
  | { type: 'goal_cleared' }
  /** Turns were reverted (or a revert undone): the thread's turns and history changed. */
  | { type: 'reverted' };

/** Where an MCP server's start-up is (`cancelled`: stopped before it was ready). */
export type McpServerStartupState = 'starting' | 'ready' | 'failed' | 'cancelled';

export type SessionEventListener = (event: SessionEvent) => void;

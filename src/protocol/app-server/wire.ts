import type { SessionEvent, ThreadStatus, TurnError } from '../../core/events.js';
import type { TurnView } from '../../core/session.js';
import type { ApprovalPolicy, SandboxPolicy } from '../../core/settings.js';
import type { ThreadRecord } from '../../core/thread-manager.js';
import type { z } from 'zod';
import type { AskForApproval, CodexErrorInfo, RateLimitSnapshot as WireRateLimitSnapshot, RateLimitWindow as WireRateLimitWindow, TurnError as WireTurnError } from './schema/common.js';
import type { Thread as WireThread, Turn as WireTurn } from './schema/thread.js';

/** The app-server spelling of a failure kind (`codexErrorInfo`). */
export function codexErrorInfo(kind: string, httpStatus: number | null | undefined): z.input<typeof CodexErrorInfo> {
  const httpStatusCode = httpStatus ?? null;
  switch (kind) {
    case 'context_window_exceeded':
      return 'contextWindowExceeded';
    case 'unauthorized':
      return 'unauthorized';
    case 'bad_request':
      return 'badRequest';
    case 'not_found':
      return 'modelNotFound';
    case 'usage_limit':
      return 'usageLimitExceeded';
    case 'rate_limited':
    case 'server_error':
      return { responseTooManyFailedAttempts: { httpStatusCode } };
    case 'connection_failed':
      return { httpConnectionFailed: { httpStatusCode } };
    case 'stream_disconnected':
    case 'stream_idle_timeout':
      return { responseStreamDisconnected: { httpStatusCode } };
    default:
      return 'other';
  }
}

/** Builds the wire `TurnError`. */
export function wireTurnError(e: TurnError): z.input<typeof WireTurnError> {
  return { message: e.message, codexErrorInfo: codexErrorInfo(e.kind, e.httpStatus), additionalDetails: e.additionalDetails ?? null };
}

/**
 * Builds the wire `Turn` from a core turn view: with all its items (`full`), none (`notLoaded`),
 * or only the items given as a summary (`summary`: `turn/completed` carries the final agent message).
 */
export function wireTurn(view: TurnView, includeItems: boolean | 'summary' = true): z.input<typeof WireTurn> {
  const t = view.info;
  return {
    id: t.id,
    items: includeItems ? view.items : [],
    itemsView: includeItems === 'summary' ? (view.items.length > 0 ? 'summary' : 'notLoaded') : includeItems ? 'full' : 'notLoaded',
    status: t.status,
    error: t.error ? wireTurnError(t.error) : null,
    startedAt: t.startedAt,
    completedAt: t.completedAt,
    durationMs: t.durationMs,
  };
}

/** Builds the wire `Thread`. */
export function wireThread(record: ThreadRecord, status: ThreadStatus, turns: TurnView[] = []): z.input<typeof WireThread> & { turns: z.input<typeof WireTurn>[] } {
  return {
    id: record.id,
    sessionId: record.id,
    preview: record.preview,
    ephemeral: record.ephemeral,
    model: record.model,
    modelProvider: record.modelProvider,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    status,
    path: record.path || null,
    cwd: record.cwd,
    cliVersion: record.cliVersion,
    source: record.source === 'appServer' ? 'appServer' : 'unknown',
    name: record.name,
    forkedFromId: record.forkedFromId,
    projectId: null,
    gitInfo: record.gitInfo ?? null,
    agentNickname: null,
    agentRole: null,
    historyMode: 'legacy',
    turns: turns.map((t) => wireTurn(t)),
  };
}

/** The sandbox mode spelling for a policy object. */
export function sandboxModeOf(policy: SandboxPolicy): 'read-only' | 'workspace-write' | 'danger-full-access' {
  return policy.type === 'readOnly' ? 'read-only' : policy.type === 'workspaceWrite' ? 'workspace-write' : 'danger-full-access';
}

/** A rate-limit snapshot as the core keeps it (percentages may have decimals). */
type CoreRateLimits = Extract<SessionEvent, { type: 'rate_limits' }>['snapshot'];

function wireRateLimitWindow(w: CoreRateLimits['primary']): z.input<typeof WireRateLimitWindow> | null {
  if (!w) return null;
  // Every number of a window is an integer on the wire (`usedPercent` int32): providers may send decimals.
  const int = (n: number | null | undefined): number | null => (n === null || n === undefined ? null : Math.round(n));
  return { usedPercent: Math.round(w.usedPercent), windowDurationMins: int(w.windowDurationMins), resetsAt: int(w.resetsAt) };
}

/** A rate-limit snapshot in the app-server shape (every window null when there is none yet). */
export function wireRateLimits(s: CoreRateLimits | null | undefined): z.input<typeof WireRateLimitSnapshot> & { limitId: string | null } {
  return { limitId: s?.limitId ?? null, primary: wireRateLimitWindow(s?.primary), secondary: wireRateLimitWindow(s?.secondary) };
}

/** An approval policy as the reference spells it: the legacy `on-failure` (same behaviour) is `on-request`. */
export function wireApprovalPolicy(p: ApprovalPolicy): z.output<typeof AskForApproval> {
  return p === 'on-failure' ? 'on-request' : p;
}

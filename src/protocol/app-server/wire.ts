import type { ThreadStatus, TurnError } from '../../core/events.js';
import type { TurnView } from '../../core/session.js';
import type { SandboxPolicy } from '../../core/settings.js';
import type { ThreadRecord } from '../../core/thread-manager.js';
import type { z } from 'zod';
import type { CodexErrorInfo, TurnError as WireTurnError } from './schema/common.js';
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

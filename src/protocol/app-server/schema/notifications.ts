/** Params of the server → client notifications. */
import { z } from 'zod';
import { wire } from './registry.js';
import { RateLimitSnapshot, RequestId, ThreadTokenUsage, TurnError, TurnPlanStep } from './common.js';
import { ThreadItem } from './items.js';
import { Thread, ThreadStatus, Turn } from './thread.js';

const threadRef = { threadId: z.string() };
const turnRef = { threadId: z.string(), turnId: z.string() };
const itemRef = { threadId: z.string(), turnId: z.string(), itemId: z.string() };

export const ErrorNotification = wire(
  'ErrorNotification',
  z.object({
    ...turnRef,
    error: TurnError,
    /** `true`: the request is retried and the turn goes on; `false`: the turn fails next. */
    willRetry: z.boolean(),
  }),
);

export const ThreadStartedNotification = wire('ThreadStartedNotification', z.object({ thread: Thread }));

export const ThreadStatusChangedNotification = wire(
  'ThreadStatusChangedNotification',
  z.object({ ...threadRef, status: ThreadStatus }),
);

export const ThreadArchivedNotification = wire('ThreadArchivedNotification', z.object(threadRef));
export const ThreadUnarchivedNotification = wire('ThreadUnarchivedNotification', z.object(threadRef));
export const ThreadClosedNotification = wire(
  'ThreadClosedNotification',
  z.object(threadRef),
  'The thread was unloaded (no subscriber left, or deleted).',
);

export const ThreadNameUpdatedNotification = wire(
  'ThreadNameUpdatedNotification',
  z.object({ ...threadRef, threadName: z.string().nullish() }),
);

export const ThreadTokenUsageUpdatedNotification = wire(
  'ThreadTokenUsageUpdatedNotification',
  z.object({ ...turnRef, tokenUsage: ThreadTokenUsage }),
);

/** Sent as `thread/compacted` once a compaction turn has replaced the history. */
export const ContextCompactedNotification = wire('ContextCompactedNotification', z.object(turnRef));

export const TurnStartedNotification = wire('TurnStartedNotification', z.object({ ...threadRef, turn: Turn }));

/** The turn's final status; `turn.error` is set when it failed. */
export const TurnCompletedNotification = wire(
  'TurnCompletedNotification',
  z.object({ ...threadRef, turn: Turn }),
);

export const TurnDiffUpdatedNotification = wire(
  'TurnDiffUpdatedNotification',
  z.object({
    ...turnRef,
    /** The unified diff of every file the turn changed so far. */
    diff: z.string(),
  }),
);

export const TurnPlanUpdatedNotification = wire(
  'TurnPlanUpdatedNotification',
  z.object({ ...turnRef, explanation: z.string().nullish(), plan: z.array(TurnPlanStep) }),
);

export const ItemStartedNotification = wire(
  'ItemStartedNotification',
  z.object({
    ...turnRef,
    item: ThreadItem,
    /** Unix milliseconds. */
    startedAtMs: z.int(),
  }),
);

export const ItemCompletedNotification = wire(
  'ItemCompletedNotification',
  z.object({
    ...turnRef,
    item: ThreadItem,
    /** Unix milliseconds. */
    completedAtMs: z.int(),
  }),
);

export const AgentMessageDeltaNotification = wire(
  'AgentMessageDeltaNotification',
  z.object({ ...itemRef, delta: z.string() }),
);

export const ReasoningSummaryTextDeltaNotification = wire(
  'ReasoningSummaryTextDeltaNotification',
  z.object({ ...itemRef, delta: z.string(), summaryIndex: z.int() }),
);

export const ReasoningSummaryPartAddedNotification = wire(
  'ReasoningSummaryPartAddedNotification',
  z.object({ ...itemRef, summaryIndex: z.int() }),
);

export const ReasoningTextDeltaNotification = wire(
  'ReasoningTextDeltaNotification',
  z.object({ ...itemRef, delta: z.string(), contentIndex: z.int() }),
);

export const CommandExecutionOutputDeltaNotification = wire(
  'CommandExecutionOutputDeltaNotification',
  z.object({ ...itemRef, delta: z.string() }),
);

export const FileChangeOutputDeltaNotification = wire(
  'FileChangeOutputDeltaNotification',
  z.object({ ...itemRef, delta: z.string() }),
);

/** A server → client request was answered, or settled by the server (interrupt, shutdown). */
export const ServerRequestResolvedNotification = wire(
  'ServerRequestResolvedNotification',
  z.object({ ...threadRef, requestId: RequestId }),
);

export const AccountRateLimitsUpdatedNotification = wire(
  'AccountRateLimitsUpdatedNotification',
  z.object({ rateLimits: RateLimitSnapshot }),
);

export const WarningNotification = wire(
  'WarningNotification',
  z.object({ message: z.string(), threadId: z.string().nullish() }),
);

export const TextPosition = wire(
  'TextPosition',
  z.object({ line: z.int().nonnegative(), column: z.int().nonnegative() }),
);
export const TextRange = wire('TextRange', z.object({ start: TextPosition, end: TextPosition }));

/** A problem found in the configuration (unknown key, ignored value). */
export const ConfigWarningNotification = wire(
  'ConfigWarningNotification',
  z.object({
    summary: z.string(),
    details: z.string().nullish(),
    path: z.string().nullish(),
    range: TextRange.nullish(),
  }),
);

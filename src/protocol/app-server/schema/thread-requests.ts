/** Params and results of the `thread/*` requests. */
import { z } from 'zod';
import { wire } from './registry.js';
import {
  AbsolutePathBuf,
  ApprovalsReviewer,
  AskForApproval,
  AskForApprovalParam,
  ReasoningEffort,
  SandboxMode,
  SandboxPolicy,
} from './common.js';
import { Thread } from './thread.js';

/** Settings a client may override when starting, resuming or forking a thread. */
const threadOverrides = {
  model: z.string().nullish(),
  modelProvider: z.string().nullish(),
  cwd: z.string().nullish(),
  approvalPolicy: AskForApprovalParam.nullish(),
  sandbox: SandboxMode.nullish(),
  /** Extra config keys (dotted Codex keys, as with `-c key=value`). */
  config: z.record(z.string(), z.unknown()).nullish(),
  baseInstructions: z.string().nullish(),
  developerInstructions: z.string().nullish(),
};

/** The effective settings returned by `thread/start`, `thread/resume` and `thread/fork`. */
const threadSessionResult = {
  thread: Thread,
  model: z.string(),
  modelProvider: z.string(),
  cwd: AbsolutePathBuf,
  approvalPolicy: AskForApproval,
  approvalsReviewer: ApprovalsReviewer,
  sandbox: SandboxPolicy,
  reasoningEffort: ReasoningEffort.nullish(),
  /** Instruction files loaded for this thread (agentd loads none yet). */
  instructionSources: z.array(z.string()).optional(),
};

const threadIdOnly = { threadId: z.string() };

export const ThreadStartParams = wire(
  'ThreadStartParams',
  z.object({ ...threadOverrides, ephemeral: z.boolean().nullish() }),
);
export const ThreadStartResponse = wire('ThreadStartResponse', z.object(threadSessionResult));

export const ThreadResumeParams = wire(
  'ThreadResumeParams',
  z.object({ threadId: z.string(), ...threadOverrides, excludeTurns: z.boolean().nullish() }),
  'Loads a stored thread (or attaches to a loaded one) and subscribes this connection to it.',
);
export const ThreadResumeResponse = wire('ThreadResumeResponse', z.object(threadSessionResult));

export const ThreadForkParams = wire(
  'ThreadForkParams',
  z.object({
    threadId: z.string(),
    ...threadOverrides,
    ephemeral: z.boolean().nullish(),
    /** Copy history up to and including this turn (default: all of it). */
    lastTurnId: z.string().nullish(),
    excludeTurns: z.boolean().nullish(),
  }),
);
export const ThreadForkResponse = wire('ThreadForkResponse', z.object(threadSessionResult));

export const ThreadReadParams = wire(
  'ThreadReadParams',
  z.object({ threadId: z.string(), includeTurns: z.boolean().nullish() }),
);
export const ThreadReadResponse = wire('ThreadReadResponse', z.object({ thread: Thread }));

export const ThreadSortKey = wire('ThreadSortKey', z.enum(['created_at', 'updated_at']));
export const SortDirection = wire('SortDirection', z.enum(['asc', 'desc']));

/** One working directory or any of several. */
export const ThreadListCwdFilter = wire('ThreadListCwdFilter', z.union([z.string(), z.array(z.string())]));

export const ThreadListParams = wire(
  'ThreadListParams',
  z.object({
    /** Opaque cursor from a previous `nextCursor`. */
    cursor: z.string().nullish(),
    limit: z.int().nonnegative().nullish(),
    sortKey: ThreadSortKey.nullish(),
    sortDirection: SortDirection.nullish(),
    /** `true`: only archived threads; otherwise only non-archived ones. */
    archived: z.boolean().nullish(),
    cwd: ThreadListCwdFilter.nullish(),
    searchTerm: z.string().nullish(),
  }),
);
export const ThreadListResponse = wire(
  'ThreadListResponse',
  z.object({ data: z.array(Thread), nextCursor: z.string().nullish() }),
);

export const ThreadLoadedListParams = wire(
  'ThreadLoadedListParams',
  z.object({ cursor: z.string().nullish(), limit: z.int().nonnegative().nullish() }),
);
export const ThreadLoadedListResponse = wire(
  'ThreadLoadedListResponse',
  z.object({ data: z.array(z.string()), nextCursor: z.string().nullish() }),
  '`data` holds thread ids.',
);

export const ThreadArchiveParams = wire('ThreadArchiveParams', z.object(threadIdOnly));
export const ThreadArchiveResponse = wire('ThreadArchiveResponse', z.object({}));

export const ThreadUnarchiveParams = wire('ThreadUnarchiveParams', z.object(threadIdOnly));
export const ThreadUnarchiveResponse = wire('ThreadUnarchiveResponse', z.object({ thread: Thread }));

export const ThreadDeleteParams = wire('ThreadDeleteParams', z.object(threadIdOnly));
export const ThreadDeleteResponse = wire('ThreadDeleteResponse', z.object({}));

export const ThreadUnsubscribeParams = wire('ThreadUnsubscribeParams', z.object(threadIdOnly));
export const ThreadUnsubscribeStatus = wire(
  'ThreadUnsubscribeStatus',
  z.enum(['notLoaded', 'notSubscribed', 'unsubscribed']),
);
export const ThreadUnsubscribeResponse = wire(
  'ThreadUnsubscribeResponse',
  z.object({ status: ThreadUnsubscribeStatus }),
);

export const ThreadSetNameParams = wire('ThreadSetNameParams', z.object({ threadId: z.string(), name: z.string() }));
export const ThreadSetNameResponse = wire('ThreadSetNameResponse', z.object({}));

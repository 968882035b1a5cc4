/** The `Thread` and `Turn` wire types and their statuses. */
import { z } from 'zod';
import { wire } from './registry.js';
import { AbsolutePathBuf, ReasoningEffort, TurnError } from './common.js';
import { ThreadItem } from './items.js';

export const ThreadActiveFlag = wire('ThreadActiveFlag', z.enum(['waitingOnApproval', 'waitingOnUserInput']));

/** Whether a thread is loaded and what it is doing. */
export const ThreadStatus = wire(
  'ThreadStatus',
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('notLoaded') }),
    z.object({ type: z.literal('idle') }),
    z.object({ type: z.literal('systemError') }),
    z.object({ type: z.literal('active'), activeFlags: z.array(ThreadActiveFlag) }),
  ]),
);

/** A sub-agent thread's origin (subset: no `thread_spawn`). */
export const SubAgentSource = wire(
  'SubAgentSource',
  z.union([z.enum(['review', 'compact', 'memory_consolidation']), z.strictObject({ other: z.string() })]),
);

/** What created a thread. agentd reports `appServer`, or `{subAgent: "review"}` for review threads. */
export const SessionSource = wire(
  'SessionSource',
  z.union([
    z.enum(['cli', 'vscode', 'exec', 'appServer', 'unknown']),
    z.strictObject({ custom: z.string() }),
    z.strictObject({ subAgent: SubAgentSource }),
  ]),
);

export const GitInfo = wire(
  'GitInfo',
  z.object({ sha: z.string().nullish(), branch: z.string().nullish(), originUrl: z.string().nullish() }),
);

export const ThreadHistoryMode = wire('ThreadHistoryMode', z.enum(['legacy', 'paginated']));

export const TurnStatus = wire('TurnStatus', z.enum(['completed', 'interrupted', 'failed', 'inProgress']));

/**
 * How much of a turn's `items` was loaded: `notLoaded` (empty on purpose), `summary` (only the
 * final agent message, as in `turn/completed`) or `full`.
 */
export const TurnItemsView = wire('TurnItemsView', z.enum(['notLoaded', 'summary', 'full']));

/**
 * A turn. Items travel as `item/*` notifications: `items` is empty in `turn/started` and in
 * `thread/*` responses without items (`itemsView` `notLoaded`), holds only the final agent
 * message in `turn/completed` (`summary`), and every item in `thread/read` with turns (`full`).
 * Times are Unix seconds.
 */
export const Turn = wire(
  'Turn',
  z.object({
    id: z.string(),
    items: z.array(ThreadItem),
    itemsView: TurnItemsView.optional(),
    status: TurnStatus,
    /** Set when `status` is `failed`. */
    error: TurnError.nullish(),
    startedAt: z.int().nullish(),
    completedAt: z.int().nullish(),
    durationMs: z.int().nullish(),
  }),
);

/**
 * A conversation. `turns` is filled only by `thread/resume`, `thread/fork` and
 * `thread/read` with `includeTurns`. `createdAt`/`updatedAt` are Unix seconds.
 */
export const Thread = wire(
  'Thread',
  z.object({
    id: z.string(),
    /** The session (rollout) id; equal to `id` for threads agentd creates. */
    sessionId: z.string(),
    forkedFromId: z.string().nullish(),
    /** The first user message, for list UIs. */
    preview: z.string(),
    /** Ephemeral threads are never written to disk. */
    ephemeral: z.boolean(),
    modelProvider: z.string(),
    model: z.string().nullish(),
    reasoningEffort: ReasoningEffort.nullish(),
    createdAt: z.int(),
    updatedAt: z.int(),
    status: ThreadStatus,
    /** The rollout file, when persisted. */
    path: z.string().nullish(),
    cwd: AbsolutePathBuf,
    cliVersion: z.string(),
    source: SessionSource,
    gitInfo: GitInfo.nullish(),
    name: z.string().nullish(),
    /** Required but nullable upstream; agentd has no projects and sends `null`. */
    projectId: z.string().nullable(),
    /** Sub-agent nickname and role; agentd spawns no sub-agents and sends `null`. */
    agentNickname: z.string().nullish(),
    agentRole: z.string().nullish(),
    /**
     * How clients page this thread's history: agentd answers `legacy` (read it whole with
     * `thread/read` `includeTurns`).
     */
    historyMode: ThreadHistoryMode.optional(),
    turns: z.array(Turn),
  }),
);

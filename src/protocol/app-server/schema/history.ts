/** Paged history (`thread/turns/list`, `thread/items/list`) and revert (`thread/revert`, its undo). */
import { z } from 'zod';
import { wire } from './registry.js';
import { ThreadItem } from './items.js';
import { Thread, Turn, TurnItemsView } from './thread.js';
import { SortDirection } from './thread-requests.js';

export const ThreadTurnsListParams = wire(
  'ThreadTurnsListParams',
  z.object({
    threadId: z.string(),
    /** Opaque cursor from `nextCursor` (continue) or `backwardsCursor` (reverse, anchor included). */
    cursor: z.string().nullish(),
    limit: z.int().nonnegative().nullish(),
    /** Default: descending (newest first). */
    sortDirection: SortDirection.nullish(),
    /** Default: summary. */
    itemsView: TurnItemsView.nullish(),
  }),
);
export const ThreadTurnsListResponse = wire(
  'ThreadTurnsListResponse',
  z.object({ data: z.array(Turn), nextCursor: z.string().nullish(), backwardsCursor: z.string().nullish() }),
);

export const ThreadItemsListAnchor = wire(
  'ThreadItemsListAnchor',
  z.object({ type: z.literal('item'), itemId: z.string() }),
  'An exclusive item position within the requested turn.',
);
export const ThreadItemsListCursor = wire('ThreadItemsListCursor', z.union([z.string(), ThreadItemsListAnchor]));
export const ThreadItemOutputDeferral = wire('ThreadItemOutputDeferral', z.object({}));

export const ThreadItemsListParams = wire(
  'ThreadItemsListParams',
  z.object({
    threadId: z.string(),
    /** Opaque cursor, or an exclusive item anchor (requires `turnId`). */
    cursor: ThreadItemsListCursor.nullish(),
    limit: z.int().nonnegative().nullish(),
    /** Default: ascending. */
    sortDirection: SortDirection.nullish(),
    /** Only this turn's items; otherwise items across the thread. */
    turnId: z.string().nullish(),
    /** Accepted and ignored: agentd returns outputs inline. */
    deferOutput: ThreadItemOutputDeferral.nullish(),
  }),
);
export const ThreadItemEntry = wire(
  'ThreadItemEntry',
  z.object({ item: ThreadItem, turnId: z.string(), startedAtMs: z.int().nullish(), completedAtMs: z.int().nullish() }),
);
export const ThreadItemsListResponse = wire(
  'ThreadItemsListResponse',
  z.object({ data: z.array(ThreadItemEntry), nextCursor: z.string().nullish(), backwardsCursor: z.string().nullish() }),
);

export const ThreadRevertParams = wire(
  'ThreadRevertParams',
  z.object({
    threadId: z.string(),
    /** Dropped from the history together with every later turn. */
    beforeTurnId: z.string(),
    /** agentd extension: also put back every file those turns changed (refused on conflicts). */
    restoreFiles: z.boolean().nullish(),
  }),
);
export const ThreadRevertResponse = wire(
  'ThreadRevertResponse',
  z.object({
    /** `turns` is always empty; read the rest through `thread/turns/list`. */
    thread: Thread,
    /** For `thread/turns/list` with `sortDirection: "desc"`; the first page includes this turn. */
    turnsBackwardsCursor: z.string().nullish(),
    /** For `thread/items/list` with `sortDirection: "desc"`; the first page includes this item. */
    itemsBackwardsCursor: z.string().nullish(),
  }),
);
export const ThreadRevertUndoParams = wire(
  'ThreadRevertUndoParams',
  z.object({ threadId: z.string() }),
  'agentd extension: takes back the last `thread/revert` (history and restored files) until the next turn starts.',
);
export const ThreadRevertUndoResponse = ThreadRevertResponse;
export const ThreadRevertedNotification = wire('ThreadRevertedNotification', z.object({ threadId: z.string() }));

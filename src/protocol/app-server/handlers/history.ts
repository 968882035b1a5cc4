import { SessionError } from '../../../core/session-error.js';
import type { TurnView } from '../../../core/session.js';
import type { HandlerDeps, HandlerGroup } from './types.js';
import { wireThread, wireTurn } from '../wire.js';
import type { Result } from '../schema/methods.js';

type HistoryMethods = 'thread/turns/list' | 'thread/items/list' | 'thread/revert' | 'thread/revert/undo';

/** A position in a thread's history: a turn, or an item within a turn; `inc`: the anchor itself is included. */
interface Anchor {
  t: string;
  i?: string;
  inc?: boolean;
}

function encodeCursor(a: Anchor): string {
  return Buffer.from(JSON.stringify(a)).toString('base64url');
}

function decodeCursor(s: string): Anchor {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (v && typeof v === 'object' && typeof (v as Anchor).t === 'string') {
      const a = v as Anchor;
      if (a.i === undefined || typeof a.i === 'string') return { t: a.t, ...(a.i !== undefined ? { i: a.i } : {}), inc: a.inc === true };
    }
  } catch {
    // falls through
  }
  throw new SessionError('invalid_cursor', `cursor: not a cursor of this thread's history`);
}

function pageSize(limit: number | null | undefined): number {
  return Math.min(Math.max(limit ?? 50, 1), 500);
}

/**
 * One page of `ordered` from a cursor. Cursors name a position (a turn or item id), not an
 * offset, so they stay valid while turns are appended; a position that no longer exists (a
 * reverted turn) is `invalid_cursor`.
 */
function page<T>(ordered: T[], keyOf: (x: T) => Anchor, cursor: Anchor | null, limit: number | null | undefined) {
  let start = 0;
  if (cursor) {
    const k = ordered.findIndex((x) => {
      const a = keyOf(x);
      return a.t === cursor.t && a.i === cursor.i;
    });
    if (k < 0) throw new SessionError('invalid_cursor', `cursor: its position (turn ${cursor.t}${cursor.i ? `, item ${cursor.i}` : ''}) is no longer in the thread`);
    start = cursor.inc ? k : k + 1;
  }
  const n = pageSize(limit);
  const data = ordered.slice(start, start + n);
  const last = data.at(-1);
  const first = data[0];
  return {
    data,
    nextCursor: last !== undefined && start + n < ordered.length ? encodeCursor(keyOf(last)) : null,
    backwardsCursor: first !== undefined ? encodeCursor({ ...keyOf(first), inc: true }) : null,
  };
}

/** `thread/turns/list`, `thread/items/list`, `thread/revert` and its undo. */
export function historyHandlers(d: HandlerDeps): HandlerGroup<HistoryMethods> {
  const { threads } = d;

  const loadedSession = async (threadId: string) => {
    const loaded = threads.get(threadId) ?? (await threads.resume(threadId));
    // Like resume: the caller hears this thread's notifications (`thread/reverted`).
    d.conn.subscribed.add(threadId);
    return loaded;
  };

  const revertResult = (threadId: string, turns: TurnView[]): Result<'thread/revert'> => {
    const loaded = threads.get(threadId);
    if (!loaded) throw new SessionError('thread_not_found', `thread ${threadId} is not loaded`);
    const last = turns.at(-1);
    const lastItem = [...turns].reverse().find((t) => t.items.length > 0);
    const item = lastItem?.items.at(-1);
    return {
      thread: wireThread(loaded.record, loaded.session.status(), []),
      turnsBackwardsCursor: last ? encodeCursor({ t: last.info.id, inc: true }) : null,
      itemsBackwardsCursor: lastItem && item ? encodeCursor({ t: lastItem.info.id, i: item.id, inc: true }) : null,
    };
  };

  return {
    'thread/turns/list': async (p) => {
      const snap = await threads.read(p.threadId);
      const ordered = (p.sortDirection ?? 'desc') === 'desc' ? snap.turns.slice().reverse() : snap.turns;
      const res = page(ordered, (t) => ({ t: t.info.id }), p.cursor ? decodeCursor(p.cursor) : null, p.limit);
      const view = p.itemsView ?? 'summary';
      return {
        data: res.data.map((t) => {
          if (view === 'full') return wireTurn(t, true);
          if (view === 'notLoaded') return wireTurn(t, false);
          const lastAgent = [...t.items].reverse().find((i) => i.type === 'agentMessage');
          return wireTurn({ info: t.info, items: lastAgent ? [lastAgent] : [] }, 'summary');
        }),
        nextCursor: res.nextCursor,
        backwardsCursor: res.backwardsCursor,
      };
    },

    'thread/items/list': async (p) => {
      const desc = p.sortDirection === 'desc';
      let cursor: Anchor | null = null;
      if (typeof p.cursor === 'string') cursor = decodeCursor(p.cursor);
      else if (p.cursor) {
        if (!p.turnId) throw new SessionError('invalid_input', 'cursor: an item anchor requires turnId');
        cursor = { t: p.turnId, i: p.cursor.itemId };
      }
      const noTurn = () => new SessionError('invalid_input', `turnId: thread ${p.threadId} has no turn ${p.turnId}`);
      const keyOf = (e: { turnId: string; item: { id: string } }) => ({ t: e.turnId, i: e.item.id });
      // A thread that is not loaded: read only the turns the page needs (via the rollout's index).
      const stored = threads.storedItemsOutline(p.threadId);
      if (stored) {
        let outline = stored.turns;
        if (p.turnId) {
          outline = outline.filter((t) => t.id === p.turnId);
          if (outline.length === 0) throw noTurn();
        }
        const ordered = desc ? outline.slice().reverse() : outline;
        const from = cursor ? ordered.findIndex((t) => t.id === cursor.t) : 0;
        if (from < 0) throw new SessionError('invalid_cursor', `cursor: its position (turn ${cursor!.t}${cursor!.i ? `, item ${cursor!.i}` : ''}) is no longer in the thread`);
        // Enough turns for the cursor's own turn, the page and one more item (to know whether a next page exists).
        let need = pageSize(p.limit) + 1 + (cursor ? ordered[from]!.items : 0);
        const pick: string[] = [];
        for (let k = from; k < ordered.length && need > 0; k++) {
          pick.push(ordered[k]!.id);
          need -= ordered[k]!.items;
        }
        const items = stored.read(pick);
        const entries = pick.flatMap((turnId) => {
          const list = (items.get(turnId) ?? []).map((item) => ({ turnId, item }));
          return desc ? list.reverse() : list;
        });
        const res = page(entries, keyOf, cursor, p.limit);
        return { data: res.data, nextCursor: res.nextCursor, backwardsCursor: res.backwardsCursor };
      }
      const snap = await threads.read(p.threadId);
      let turns = snap.turns;
      if (p.turnId) {
        turns = turns.filter((t) => t.info.id === p.turnId);
        if (turns.length === 0) throw noTurn();
      }
      const entries = turns.flatMap((t) => t.items.map((item) => ({ turnId: t.info.id, item })));
      const ordered = desc ? entries.reverse() : entries;
      const res = page(ordered, keyOf, cursor, p.limit);
      return { data: res.data, nextCursor: res.nextCursor, backwardsCursor: res.backwardsCursor };
    },

    'thread/revert': async (p) => {
      const { session } = await loadedSession(p.threadId);
      const turns = await session.revert(p.beforeTurnId, p.restoreFiles === true);
      return revertResult(p.threadId, turns);
    },

    'thread/revert/undo': async (p) => {
      const { session } = await loadedSession(p.threadId);
      const turns = await session.undoRevert();
      return revertResult(p.threadId, turns);
    },
  };
}

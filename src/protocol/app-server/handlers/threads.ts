import type { HandlerDeps, HandlerGroup } from './types.js';
import { paginate, threadOverrides, threadResponse } from './shared.js';
import { wireThread, wireTurn } from '../wire.js';
import { wireThreadSettings } from '../settings-wire.js';

type ThreadMethods =
  | 'thread/start'
  | 'thread/resume'
  | 'thread/fork'
  | 'thread/read'
  | 'thread/list'
  | 'thread/loaded/list'
  | 'thread/archive'
  | 'thread/unarchive'
  | 'thread/delete'
  | 'thread/unsubscribe'
  | 'thread/name/set';

/** `thread/*`: start, resume, fork, read, list, archive, delete, unsubscribe, name. */
export function threadHandlers(d: HandlerDeps): HandlerGroup<ThreadMethods> {
  const { threads, conn } = d;
  const subscribe = (id: string) => conn.subscribed.add(id);

  return {
    'thread/start': async (p) => {
      const { session, record } = threads.start(threadOverrides(p), { ephemeral: p.ephemeral ?? false });
      subscribe(record.id);
      await threads.refreshGitInfo(record.id);
      const res = threadResponse(record, session, false);
      setImmediate(() => {
        d.notify('thread/started', { thread: res.thread });
        // After the answer: the thread's MCP servers start in the background.
        threads.startMcp(record.id);
      });
      return res;
    },

    'thread/resume': async (p) => {
      const { session, record } = await threads.resume(p.threadId, threadOverrides(p));
      subscribe(record.id);
      await threads.refreshGitInfo(record.id);
      // The stored settings (collaboration mode included), for clients that track them from this notification.
      setImmediate(() => {
        d.notify('thread/settings/updated', { threadId: record.id, threadSettings: wireThreadSettings(session.settings()) });
        threads.startMcp(record.id);
      });
      return threadResponse(record, session, !p.excludeTurns);
    },

    'thread/fork': async (p) => {
      const { session, record, turns } = await threads.fork(p.threadId, threadOverrides(p), {
        ephemeral: p.ephemeral ?? false,
        lastTurnId: p.lastTurnId ?? null,
      });
      subscribe(record.id);
      await threads.refreshGitInfo(record.id);
      const res = threadResponse(record, session, false);
      res.thread.turns = turns.map((t) => wireTurn(t));
      setImmediate(() => {
        d.notify('thread/started', { thread: { ...res.thread, turns: [] } });
        d.notify('thread/settings/updated', { threadId: record.id, threadSettings: wireThreadSettings(session.settings()) });
        threads.startMcp(record.id);
      });
      return res;
    },

    'thread/read': async (p) => {
      const snap = await threads.read(p.threadId);
      const status = snap.session ? snap.session.status() : { type: 'notLoaded' as const };
      return { thread: wireThread(snap.record, status, p.includeTurns ? snap.turns : []) };
    },

    'thread/list': (p) => {
      const cwd = typeof p.cwd === 'string' ? p.cwd : Array.isArray(p.cwd) ? (p.cwd[0] ?? null) : null;
      const res = threads.list({
        cursor: p.cursor,
        limit: p.limit,
        sortKey: p.sortKey,
        sortDirection: p.sortDirection,
        archived: p.archived,
        cwd,
        searchTerm: p.searchTerm,
      });
      return {
        data: res.data.map((m) => {
          const loaded = threads.get(m.id);
          return wireThread({ ...m, ephemeral: false }, loaded ? loaded.session.status() : { type: 'notLoaded' });
        }),
        nextCursor: res.nextCursor,
      };
    },

    'thread/loaded/list': (p) => paginate(threads.loadedIds(), p.cursor, p.limit),

    'thread/archive': async (p) => {
      await threads.archive(p.threadId);
      conn.subscribed.delete(p.threadId);
      d.notify('thread/archived', { threadId: p.threadId });
      return {};
    },

    'thread/unarchive': async (p) => {
      const record = await threads.unarchive(p.threadId);
      d.notify('thread/unarchived', { threadId: p.threadId });
      return { thread: wireThread(record, { type: 'notLoaded' }) };
    },

    'thread/delete': async (p) => {
      await threads.delete(p.threadId);
      conn.subscribed.delete(p.threadId);
      return {};
    },

    'thread/unsubscribe': async (p) => {
      const loaded = threads.get(p.threadId);
      if (!loaded) return { status: 'notLoaded' };
      if (!conn.subscribed.delete(p.threadId)) return { status: 'notSubscribed' };
      if (d.subscribedElsewhere(p.threadId)) return { status: 'unsubscribed' };
      // This connection was the thread's only subscriber: unload it.
      await threads.unload(p.threadId);
      d.notify('thread/closed', { threadId: p.threadId });
      return { status: 'unsubscribed' };
    },

    'thread/name/set': (p) => {
      threads.setName(p.threadId, p.name);
      return {};
    },
  };
}

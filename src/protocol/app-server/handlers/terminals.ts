import { SessionError } from '../../../core/session-error.js';
import type { HandlerDeps, HandlerGroup } from './types.js';
import { paginate } from './shared.js';

/** `thread/backgroundTerminals/list|terminate`: the thread's exec sessions that still run. */
export function terminalHandlers(d: HandlerDeps): HandlerGroup<'thread/backgroundTerminals/list' | 'thread/backgroundTerminals/terminate'> {
  const { threads } = d;
  return {
    'thread/backgroundTerminals/list': (p) => {
      const loaded = threads.get(p.threadId);
      if (!loaded && !threads.exists(p.threadId)) throw new SessionError('thread_not_found', `thread not found: ${p.threadId}`);
      const all = (loaded?.session.backgroundProcesses() ?? []).map((r) => ({
        processId: String(r.sessionId),
        itemId: r.itemId,
        command: r.command,
        cwd: r.cwd,
      }));
      return paginate(all, p.cursor, p.limit);
    },

    'thread/backgroundTerminals/terminate': (p) => {
      const { session } = threads.require(p.threadId);
      const id = /^\d+$/.test(p.processId) ? Number.parseInt(p.processId, 10) : NaN;
      return { terminated: Number.isSafeInteger(id) && session.terminateBackgroundProcess(id) };
    },
  };
}

import type { HandlerDeps, HandlerGroup } from './types.js';

/** `thread/compact/start`: starts a compaction turn and answers `{}` at once. */
export function compactHandlers(d: HandlerDeps): HandlerGroup<'thread/compact/start'> {
  const { threads } = d;
  return {
    'thread/compact/start': async (p) => {
      const { session } = threads.require(p.threadId);
      await session.compact();
      return {};
    },
  };
}

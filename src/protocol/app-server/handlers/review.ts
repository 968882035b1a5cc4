import type { HandlerDeps, HandlerGroup } from './types.js';
import { wireTurn } from '../wire.js';

/** `review/start`: a review turn, inline on the thread (the only delivery). */
export function reviewHandlers(d: HandlerDeps): HandlerGroup<'review/start'> {
  const { threads } = d;
  return {
    'review/start': async (p) => {
      const { session } = threads.require(p.threadId);
      const turn = await session.review(p.target);
      return { turn: wireTurn({ info: turn, items: [] }), reviewThreadId: p.threadId };
    },
  };
}

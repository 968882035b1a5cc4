import type { ThreadSettings } from '../../../core/settings.js';
import type { Params } from '../schema/methods.js';
import type { HandlerDeps, HandlerGroup } from './types.js';
import { settingsOverrides } from './shared.js';
import { wireTurn } from '../wire.js';

/** The per-turn overrides of `turn/start` (they stick for later turns). */
function turnOverrides(p: Params<'turn/start'>): Partial<ThreadSettings> {
  const out = settingsOverrides(p);
  if (p.cwd) out.cwd = p.cwd;
  return out;
}

/** `turn/start`, `turn/steer`, `turn/interrupt`. */
export function turnHandlers(d: HandlerDeps): HandlerGroup<'turn/start' | 'turn/steer' | 'turn/interrupt'> {
  const { threads } = d;
  return {
    'turn/start': async (p) => {
      const { session } = threads.require(p.threadId);
      const turn = await session.submit(p.input, turnOverrides(p));
      return { turn: wireTurn({ info: turn, items: [] }) };
    },

    'turn/steer': (p) => {
      const { session } = threads.require(p.threadId);
      return { turnId: session.steer(p.input, p.expectedTurnId) };
    },

    'turn/interrupt': (p) => {
      const { session } = threads.require(p.threadId);
      void session.interrupt(p.turnId);
      return {};
    },
  };
}

import { requiresOpenaiAuth } from '../../../config/providers.js';
import { wireRateLimits } from '../wire.js';
import type { HandlerDeps, HandlerGroup } from './types.js';

/** `account/read`, `account/rateLimits/read`: no login; the last rate limits a provider sent. */
export function accountHandlers(d: HandlerDeps): HandlerGroup<'account/read' | 'account/rateLimits/read'> {
  return {
    'account/read': () => ({ account: null, requiresOpenaiAuth: requiresOpenaiAuth(d.config) }),

    'account/rateLimits/read': () => {
      const rateLimits = wireRateLimits(d.threads.latestRateLimits());
      return { rateLimits, rateLimitsByLimitId: rateLimits.limitId ? { [rateLimits.limitId]: rateLimits } : null };
    },
  };
}

import { requiresOpenaiAuth } from '../../../config/providers.js';
import type { HandlerDeps, HandlerGroup } from './types.js';

/** `account/read`, `account/rateLimits/read`: no login; the last rate limits a provider sent. */
export function accountHandlers(d: HandlerDeps): HandlerGroup<'account/read' | 'account/rateLimits/read'> {
  return {
    'account/read': () => ({ account: null, requiresOpenaiAuth: requiresOpenaiAuth(d.config) }),

    'account/rateLimits/read': () => {
      const snapshot = d.threads.latestRateLimits();
      const rateLimits = {
        limitId: snapshot?.limitId ?? null,
        primary: snapshot?.primary ?? null,
        secondary: snapshot?.secondary ?? null,
      };
      return { rateLimits, rateLimitsByLimitId: rateLimits.limitId ? { [rateLimits.limitId]: rateLimits } : null };
    },
  };
}

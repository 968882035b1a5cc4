import { settingsHandlers } from './settings.js';
import { skillsHandlers } from './skills.js';
import { accountHandlers } from './account.js';
import { compactHandlers } from './compact.js';
import { mcpHandlers } from './mcp.js';
import { systemHandlers } from './system.js';
import { terminalHandlers } from './terminals.js';
import { threadHandlers } from './threads.js';
import { historyHandlers } from './history.js';
import { turnHandlers } from './turns.js';
import { reviewHandlers } from './review.js';
import type { HandlerDeps, HandlerTable } from './types.js';

export type { Handler, HandlerDeps, HandlerGroup, HandlerTable } from './types.js';

/**
 * The request handlers of the app-server face. Typed as the whole table: a method listed in
 * `clientRequests` without a handler here (or a handler returning the wrong shape) fails to compile.
 */
export function createHandlers(d: HandlerDeps): HandlerTable {
  return {
    ...systemHandlers(d),
    ...threadHandlers(d),
    ...historyHandlers(d),
    ...turnHandlers(d),
    ...compactHandlers(d),
    ...reviewHandlers(d),
    ...terminalHandlers(d),
    ...settingsHandlers(d),
    ...skillsHandlers(d),
    ...accountHandlers(d),
    ...mcpHandlers(d),
  };
}

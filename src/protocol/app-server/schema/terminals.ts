/** `thread/backgroundTerminals/*`: the thread's commands that still run after their tool call. */
import { z } from 'zod';
import { wire } from './registry.js';

export const BackgroundTerminal = wire(
  'BackgroundTerminal',
  z.object({
    /** The exec session id, as the `commandExecution` item's `processId`. */
    processId: z.string(),
    /** The `commandExecution` item that started it. */
    itemId: z.string(),
    command: z.string(),
    cwd: z.string(),
  }),
);

export const ThreadBackgroundTerminalsListParams = wire(
  'ThreadBackgroundTerminalsListParams',
  z.object({ threadId: z.string(), cursor: z.string().nullish(), limit: z.int().nonnegative().nullish() }),
);
export const ThreadBackgroundTerminalsListResponse = wire(
  'ThreadBackgroundTerminalsListResponse',
  z.object({ data: z.array(BackgroundTerminal), nextCursor: z.string().nullable() }),
);

export const ThreadBackgroundTerminalsTerminateParams = wire(
  'ThreadBackgroundTerminalsTerminateParams',
  z.object({ threadId: z.string(), processId: z.string() }),
);
export const ThreadBackgroundTerminalsTerminateResponse = wire(
  'ThreadBackgroundTerminalsTerminateResponse',
  z.object({ terminated: z.boolean() }),
  '`false` when the process had already exited or never belonged to this thread.',
);

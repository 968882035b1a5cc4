import { z } from 'zod';
import { wire } from './registry.js';

/**
 * `thread/compact/start`: compacts the thread's history as a turn. Answers `{}` at once; the turn
 * reports a `contextCompaction` item (started, completed), then `thread/compacted`. While the
 * compaction turn runs, `turn/start` (and another compaction) is refused with `turn_in_progress`.
 */
export const ThreadCompactStartParams = wire('ThreadCompactStartParams', z.object({ threadId: z.string() }));
export const ThreadCompactStartResponse = wire('ThreadCompactStartResponse', z.object({}));

/** `thread/goal/*`: a persistent objective for a thread, shown to the model while it is active. */
import { z } from 'zod';
import { wire } from './registry.js';

export const ThreadGoalStatus = wire(
  'ThreadGoalStatus',
  z.enum(['active', 'paused', 'blocked', 'usageLimited', 'budgetLimited', 'complete']),
  'Only an `active` goal is shown to the model. agentd sets `budgetLimited` itself when the token budget is spent; the other statuses are set by the client.',
);

export const ThreadGoal = wire(
  'ThreadGoal',
  z.object({
    threadId: z.string(),
    objective: z.string(),
    status: ThreadGoalStatus,
    tokenBudget: z.int().nullish(),
    /** Tokens of the turns that ended with the goal active. */
    tokensUsed: z.int(),
    /** Seconds of the turns that ended with the goal active. */
    timeUsedSeconds: z.int(),
    /** Unix seconds. */
    createdAt: z.int(),
    /** Unix seconds. */
    updatedAt: z.int(),
  }),
);

export const ThreadGoalMutationOrigin = wire('ThreadGoalMutationOrigin', z.enum(['user', 'automatic']));

export const ThreadGoalSetParams = wire(
  'ThreadGoalSetParams',
  z.object({
    threadId: z.string(),
    /** Creates the goal, or replaces the current goal's objective (its usage is kept). Trimmed; 1 to 4000 characters. */
    objective: z.string().trim().min(1).max(4000).nullish(),
    /** Default for a new goal: `active`. */
    status: ThreadGoalStatus.nullish(),
    /** Positive; null removes the budget; omitted keeps it. */
    tokenBudget: z.int().positive().nullish(),
    /** Accepted and ignored: every change agentd receives comes from the client. */
    origin: ThreadGoalMutationOrigin.nullish(),
  }),
  'Sets or changes the goal of a loaded thread. Without `objective` the thread must already have a goal. Sends `thread/goal/updated`.',
);
export const ThreadGoalSetResponse = wire('ThreadGoalSetResponse', z.object({ goal: ThreadGoal }));

export const ThreadGoalGetParams = wire('ThreadGoalGetParams', z.object({ threadId: z.string() }));
export const ThreadGoalGetResponse = wire('ThreadGoalGetResponse', z.object({ goal: ThreadGoal.nullish() }));

export const ThreadGoalClearParams = wire(
  'ThreadGoalClearParams',
  z.object({ threadId: z.string(), origin: ThreadGoalMutationOrigin.nullish() }),
  'Removes the goal of a loaded thread; sends `thread/goal/cleared` when there was one.',
);
export const ThreadGoalClearResponse = wire(
  'ThreadGoalClearResponse',
  z.object({ cleared: z.boolean() }),
  '`cleared`: false when the thread had no goal.',
);

export const ThreadGoalUpdatedNotification = wire(
  'ThreadGoalUpdatedNotification',
  z.object({ threadId: z.string(), turnId: z.string().nullish(), goal: ThreadGoal }),
  '`turnId`: the running turn when the goal changed, or the turn whose usage was just counted.',
);
export const ThreadGoalClearedNotification = wire('ThreadGoalClearedNotification', z.object({ threadId: z.string() }));

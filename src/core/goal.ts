/**
 * A thread goal: a persistent objective the user sets for the thread. While it is `active` every
 * model request shows it to the model; its token and time use are counted at the end of each turn
 * that ends with the goal active.
 */
export type GoalStatus = 'active' | 'paused' | 'blocked' | 'usageLimited' | 'budgetLimited' | 'complete';

export interface ThreadGoal {
  objective: string;
  status: GoalStatus;
  /** Tokens the goal may use; null: no budget. When `tokensUsed` reaches it the goal becomes `budgetLimited`. */
  tokenBudget: number | null;
  tokensUsed: number;
  timeUsedSeconds: number;
  /** Unix seconds. */
  createdAt: number;
  /** Unix seconds. */
  updatedAt: number;
}

/** A change to the goal: absent fields keep their value; `tokenBudget: null` removes the budget. */
export interface GoalUpdate {
  objective?: string;
  status?: GoalStatus;
  tokenBudget?: number | null;
}

/** The longest objective accepted (characters), as Codex clients limit it. */
export const MAX_GOAL_OBJECTIVE_CHARS = 4000;

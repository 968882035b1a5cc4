/** Params and results of `turn/start`, `turn/steer`, and `turn/interrupt`. */
import { z } from 'zod';
import { wire } from './registry.js';
import { AskForApprovalParam, ReasoningEffort, ReasoningSummary, SandboxPolicy, UserInput } from './common.js';
import { Turn } from './thread.js';

/** Starts a turn. The overrides stick: later turns of the thread keep them. */
export const TurnStartParams = wire(
  'TurnStartParams',
  z.object({
    threadId: z.string(),
    input: z.array(UserInput),
    cwd: z.string().nullish(),
    approvalPolicy: AskForApprovalParam.nullish(),
    sandboxPolicy: SandboxPolicy.nullish(),
    model: z.string().nullish(),
    effort: ReasoningEffort.nullish(),
    summary: ReasoningSummary.nullish(),
    /** A JSON Schema the final agent message must follow. */
    outputSchema: z.unknown().optional(),
  }),
);
export const TurnStartResponse = wire(
  'TurnStartResponse',
  z.object({ turn: Turn }),
  'The new turn, status `inProgress`, without items.',
);

export const TurnSteerParams = wire(
  'TurnSteerParams',
  z.object({
    threadId: z.string(),
    input: z.array(UserInput),
    /** Must name the running turn, or the request fails with `turn_id_mismatch`. */
    expectedTurnId: z.string(),
  }),
  'Adds input to the running turn; the model sees it at its next step.',
);
export const TurnSteerResponse = wire('TurnSteerResponse', z.object({ turnId: z.string() }));

export const TurnInterruptParams = wire(
  'TurnInterruptParams',
  z.object({ threadId: z.string(), turnId: z.string() }),
);
export const TurnInterruptResponse = wire(
  'TurnInterruptResponse',
  z.object({}),
  'The turn then ends with `turn/completed`, status `interrupted`.',
);

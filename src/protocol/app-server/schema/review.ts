import { z } from 'zod';
import { wire } from './registry.js';
import { Turn } from './thread.js';

export const ReviewTarget = wire(
  'ReviewTarget',
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('uncommittedChanges') }).describe('Review the working tree: staged, unstaged, and untracked files.'),
    z.object({ type: z.literal('baseBranch'), branch: z.string().trim().min(1, 'must not be empty') })
      .describe('Review the changes between the current branch and the given base branch.'),
    z.object({
      type: z.literal('commit'),
      sha: z.string().trim().min(1, 'must not be empty'),
      title: z.string().nullable().optional().describe('A label for the commit (its subject), shown to the user.'),
    }).describe('Review the changes introduced by a commit.'),
    z.object({ type: z.literal('custom'), instructions: z.string().trim().min(1, 'must not be empty') })
      .describe('Review following free-form instructions.'),
  ]),
);

export const ReviewDelivery = wire('ReviewDelivery', z.enum(['inline']));

export const ReviewStartParams = wire(
  'ReviewStartParams',
  z.object({
    threadId: z.string(),
    target: ReviewTarget,
    delivery: ReviewDelivery.nullable().optional().describe('Reviews run inline on the given thread (the only delivery).'),
  }),
);

export const ReviewStartResponse = wire(
  'ReviewStartResponse',
  z.object({
    turn: Turn,
    reviewThreadId: z.string().describe('The thread the review runs on: the one given (inline delivery).'),
  }),
  'The review turn, status `inProgress`; it ends with `turn/completed`.',
);

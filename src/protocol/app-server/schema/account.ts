/** Params and results of `account/read` and `account/rateLimits/read`. */
import { z } from 'zod';
import { wire } from './registry.js';
import { RateLimitSnapshot } from './common.js';

export const GetAccountParams = wire(
  'GetAccountParams',
  z.object({ refreshToken: z.boolean().nullish() }),
  'agentd has no login: `refreshToken` is accepted and has no effect.',
);

/** An account the client is signed in with (agentd reports none). */
export const Account = wire(
  'Account',
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('apiKey') }),
    z.object({ type: z.literal('chatgpt'), email: z.string().nullable(), planType: z.string(), workspaceName: z.string().nullish() }),
  ]),
);

export const GetAccountResponse = wire(
  'GetAccountResponse',
  z.object({
    account: Account.nullable(),
    /** True when the active provider takes OpenAI credentials and none were found. */
    requiresOpenaiAuth: z.boolean(),
    userId: z.string().nullish(),
  }),
);

export const GetAccountRateLimitsParams = wire('GetAccountRateLimitsParams', z.object({}));

export const GetAccountRateLimitsResponse = wire(
  'GetAccountRateLimitsResponse',
  z.object({
    /** The last snapshot a provider sent (every window null before the first). */
    rateLimits: RateLimitSnapshot,
    /** The same snapshot keyed by its `limitId`, when it has one. */
    rateLimitsByLimitId: z.record(z.string(), RateLimitSnapshot).nullish(),
  }),
);

/**
 * Shared app-server v2 wire types: policies, user input, token usage, rate limits, errors.
 * Shapes follow the Codex app-server 0.169.0 schema for the fields we include.
 */
import { z } from 'zod';
import { wire } from './registry.js';

/** A JSON-RPC request id: a string or an integer, echoed back exactly. */
export const RequestId = wire('RequestId', z.union([z.string(), z.int()]));

/** An absolute filesystem path (the daemon resolves relative paths before sending). */
export const AbsolutePathBuf = wire('AbsolutePathBuf', z.string());

/** A reasoning effort name (`minimal`, `low`, `medium`, `high`, `xhigh`, …); free-form upstream. */
export const ReasoningEffort = wire('ReasoningEffort', z.string().min(1));

export const ReasoningSummary = wire('ReasoningSummary', z.enum(['auto', 'concise', 'detailed', 'none']));

/** When the agent asks before running a command, as the daemon reports it (the reference's spellings). */
export const AskForApproval = wire('AskForApproval', z.enum(['untrusted', 'on-request', 'never']));

/**
 * An approval policy in params: also the legacy `on-failure`, which the reference no longer lists
 * and Codex reads as `on-request` (agentd treats both alike); it parses to `on-request`.
 */
export const AskForApprovalParam = z
  .enum(['untrusted', 'on-failure', 'on-request', 'never'])
  .transform((p): z.output<typeof AskForApproval> => (p === 'on-failure' ? 'on-request' : p));

/** The coarse sandbox mode used by `thread/start`-style overrides. */
export const SandboxMode = wire('SandboxMode', z.enum(['read-only', 'workspace-write', 'danger-full-access']));

/** Who reviews approval requests; agentd always answers `user`. */
export const ApprovalsReviewer = wire('ApprovalsReviewer', z.enum(['user', 'auto_review', 'guardian_subagent']));

/**
 * The sandbox object form (per-turn `sandboxPolicy`, responses' `sandbox`). Omitted booleans and
 * lists take the reference defaults when parsed.
 */
export const SandboxPolicy = wire(
  'SandboxPolicy',
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('dangerFullAccess') }),
    z.object({ type: z.literal('readOnly'), networkAccess: z.boolean().default(false) }),
    z.object({
      type: z.literal('workspaceWrite'),
      writableRoots: z.array(AbsolutePathBuf).default([]),
      networkAccess: z.boolean().default(false),
      excludeTmpdirEnvVar: z.boolean().default(false),
      excludeSlashTmp: z.boolean().default(false),
    }),
  ]),
);

export const ByteRange = wire(
  'ByteRange',
  z.object({ start: z.int().nonnegative(), end: z.int().nonnegative() }),
);

/** A UI span inside a text input (for example a placeholder); opaque to agentd, echoed back. */
export const TextElement = wire(
  'TextElement',
  z.object({ byteRange: ByteRange, placeholder: z.string().nullish() }),
);

export const ImageDetail = wire('ImageDetail', z.enum(['auto', 'low', 'high', 'original']));

/**
 * One piece of user input. Subset of the reference: `text`, `image` (by URL) and `localImage`.
 *
 * `text_elements` is validated as `TextElement[]` but typed `unknown[]`: agentd only echoes it
 * back, and the core's `UserInput` (src/core/items.ts) declares it so.
 */
export const UserInput = wire(
  'UserInput',
  z.discriminatedUnion('type', [
    z.object({
      type: z.literal('text'),
      text: z.string(),
      text_elements: z.array(TextElement as z.ZodType<unknown>).optional(),
    }),
    z.object({ type: z.literal('image'), url: z.string(), detail: ImageDetail.nullish() }),
    z.object({ type: z.literal('localImage'), path: z.string(), detail: ImageDetail.nullish() }),
  ]),
);

/** Token counts of one response (`last`) or the whole thread (`total`). */
export const TokenUsageBreakdown = wire(
  'TokenUsageBreakdown',
  z.object({
    totalTokens: z.int(),
    inputTokens: z.int(),
    cachedInputTokens: z.int(),
    outputTokens: z.int(),
    reasoningOutputTokens: z.int(),
    cacheWriteInputTokens: z.int().optional(),
  }),
);

export const ThreadTokenUsage = wire(
  'ThreadTokenUsage',
  z.object({
    total: TokenUsageBreakdown,
    last: TokenUsageBreakdown,
    modelContextWindow: z.int().nullish(),
  }),
);

export const RateLimitWindow = wire(
  'RateLimitWindow',
  z.object({
    usedPercent: z.int(),
    windowDurationMins: z.int().nullish(),
    /** Unix seconds. */
    resetsAt: z.int().nullish(),
  }),
);

/** Rate limits as last reported by the provider (subset of the reference fields). */
export const RateLimitSnapshot = wire(
  'RateLimitSnapshot',
  z.object({
    limitId: z.string().nullish(),
    limitName: z.string().nullish(),
    primary: RateLimitWindow.nullish(),
    secondary: RateLimitWindow.nullish(),
  }),
);

export const TurnPlanStepStatus = wire('TurnPlanStepStatus', z.enum(['pending', 'inProgress', 'completed']));

export const TurnPlanStep = wire('TurnPlanStep', z.object({ step: z.string(), status: TurnPlanStepStatus }));

const httpStatus = z.object({ httpStatusCode: z.int().nonnegative().nullish() });

/**
 * Machine-readable error category. Either a plain kind string or a single-key object carrying
 * the HTTP status; unknown strings and objects are allowed, as upstream does.
 */
export const CodexErrorInfo = wire(
  'CodexErrorInfo',
  z.union([
    z.enum([
      'contextWindowExceeded',
      'sessionBudgetExceeded',
      'usageLimitExceeded',
      'rateLimitExceeded',
      'serverOverloaded',
      'modelNotFound',
      'internalServerError',
      'unauthorized',
      'badRequest',
      'threadRollbackFailed',
      'sandboxError',
      'other',
    ]),
    z.strictObject({ httpConnectionFailed: httpStatus }),
    z.strictObject({ responseStreamConnectionFailed: httpStatus }),
    z.strictObject({ responseStreamDisconnected: httpStatus }),
    z.strictObject({ responseTooManyFailedAttempts: httpStatus }),
    z.string(),
    z.record(z.string(), z.unknown()),
  ]),
);

/** Why a turn failed, or what a retryable `error` notification reports. */
export const TurnError = wire(
  'TurnError',
  z.object({
    message: z.string(),
    codexErrorInfo: CodexErrorInfo.nullish(),
    additionalDetails: z.string().nullish(),
  }),
);

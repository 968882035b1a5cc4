/**
 * `ThreadItem`: the units a turn is made of, for the item kinds agentd produces. The core's
 * `TurnItem` values (src/core/items.ts) are a subset and parse unchanged.
 */
import { z } from 'zod';
import { wire } from './registry.js';
import { UserInput } from './common.js';

/** What a shell command was recognised as doing (for UIs that summarise commands). */
export const CommandAction = wire(
  'CommandAction',
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('read'), command: z.string(), name: z.string(), path: z.string() }),
    z.object({ type: z.literal('listFiles'), command: z.string(), path: z.string().nullish() }),
    z.object({
      type: z.literal('search'),
      command: z.string(),
      query: z.string().nullish(),
      path: z.string().nullish(),
    }),
    z.object({ type: z.literal('unknown'), command: z.string() }),
  ]),
);

export const CommandExecutionStatus = wire(
  'CommandExecutionStatus',
  z.enum(['inProgress', 'completed', 'failed', 'declined']),
);

export const PatchApplyStatus = wire('PatchApplyStatus', z.enum(['inProgress', 'completed', 'failed', 'declined']));

/** How one file changes; `update` may move the file to `move_path`. */
export const PatchChangeKind = wire(
  'PatchChangeKind',
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('add') }),
    z.object({ type: z.literal('delete') }),
    z.object({ type: z.literal('update'), move_path: z.string().nullish() }),
  ]),
);

/** One file of a patch, with its unified diff. */
export const FileUpdateChange = wire(
  'FileUpdateChange',
  z.object({ path: z.string(), kind: PatchChangeKind, diff: z.string() }),
);

export const McpToolCallStatus = wire('McpToolCallStatus', z.enum(['inProgress', 'completed', 'failed']));

export const McpToolCallResult = wire(
  'McpToolCallResult',
  z.object({
    content: z.array(z.unknown()),
    structuredContent: z.unknown().optional(),
    _meta: z.unknown().optional(),
  }),
);

export const McpToolCallError = wire('McpToolCallError', z.object({ message: z.string() }));

export const WebSearchAction = wire(
  'WebSearchAction',
  z.discriminatedUnion('type', [
    z.object({
      type: z.literal('search'),
      query: z.string().nullish(),
      queries: z.array(z.string()).nullish(),
    }),
    z.object({ type: z.literal('openPage'), url: z.string().nullish() }),
    z.object({ type: z.literal('findInPage'), url: z.string().nullish(), pattern: z.string().nullish() }),
    z.object({ type: z.literal('other') }),
  ]),
);

export const UserMessageItem = z.object({
  type: z.literal('userMessage'),
  id: z.string(),
  content: z.array(UserInput),
});

export const AgentMessageItem = z.object({ type: z.literal('agentMessage'), id: z.string(), text: z.string() });

/** Reasoning: `summary` parts (shown by default) and raw `content` parts. */
export const ReasoningItem = z.object({
  type: z.literal('reasoning'),
  id: z.string(),
  summary: z.array(z.string()).default([]),
  content: z.array(z.string()).default([]),
});

export const PlanItem = z.object({ type: z.literal('plan'), id: z.string(), text: z.string() });

/** A shell command; `aggregatedOutput`, `exitCode` and `durationMs` are set once it ends. */
export const CommandExecutionItem = z.object({
  type: z.literal('commandExecution'),
  id: z.string(),
  command: z.string(),
  cwd: z.string(),
  processId: z.string().nullish(),
  status: CommandExecutionStatus,
  commandActions: z.array(CommandAction),
  aggregatedOutput: z.string().nullish(),
  exitCode: z.int().nullish(),
  durationMs: z.int().nullish(),
});

export const FileChangeItem = z.object({
  type: z.literal('fileChange'),
  id: z.string(),
  changes: z.array(FileUpdateChange),
  status: PatchApplyStatus,
});

export const McpToolCallItem = z.object({
  type: z.literal('mcpToolCall'),
  id: z.string(),
  server: z.string(),
  tool: z.string(),
  status: McpToolCallStatus,
  arguments: z.unknown(),
  result: McpToolCallResult.nullish(),
  error: McpToolCallError.nullish(),
  durationMs: z.int().nullish(),
});

export const WebSearchItem = z.object({
  type: z.literal('webSearch'),
  id: z.string(),
  query: z.string(),
  action: WebSearchAction.nullish(),
});

export const ImageViewItem = z.object({ type: z.literal('imageView'), id: z.string(), path: z.string() });

/** `review` is the review request's description (entered) or the review's text (exited). */
export const EnteredReviewModeItem = z.object({
  type: z.literal('enteredReviewMode'),
  id: z.string(),
  review: z.string(),
});

export const ExitedReviewModeItem = z.object({
  type: z.literal('exitedReviewMode'),
  id: z.string(),
  review: z.string(),
});

export const ContextCompactionItem = z.object({ type: z.literal('contextCompaction'), id: z.string() });

/** One item of a turn, discriminated by `type`. */
export const ThreadItem = wire(
  'ThreadItem',
  z.discriminatedUnion('type', [
    UserMessageItem,
    AgentMessageItem,
    ReasoningItem,
    PlanItem,
    CommandExecutionItem,
    FileChangeItem,
    McpToolCallItem,
    WebSearchItem,
    ImageViewItem,
    EnteredReviewModeItem,
    ExitedReviewModeItem,
    ContextCompactionItem,
  ]),
);

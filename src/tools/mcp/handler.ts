import type { TurnItem } from '../../core/items.js';
import { TurnAbortedError, type ToolCall, type ToolContext, type ToolHandler, type ToolOutput } from '../types.js';
import { McpCallError, type McpServerConnection, type McpToolInfo } from './connection.js';
import { imagesForModel, resultForItem, resultForModel } from './format.js';

type McpItem = Extract<TurnItem, { type: 'mcpToolCall' }>;

/** Parses the model's arguments: a JSON object, or nothing at all. */
function parseArguments(input: string): Record<string, unknown> | string {
  if (input.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(input);
  } catch {
    return 'failed to parse function arguments: expected a JSON object';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'failed to parse function arguments: expected a JSON object';
  if (tooDeep(v, MAX_ARGUMENT_DEPTH)) return `function arguments nested too deep (more than ${MAX_ARGUMENT_DEPTH} levels): not run`;
  return v as Record<string, unknown>;
}

/** Deepest nesting of the model's arguments passed on: deeper ones cannot even be serialised (stack). */
export const MAX_ARGUMENT_DEPTH = 64;

/** Whether a parsed JSON value nests objects/arrays deeper than `max` (iterative: no stack). */
function tooDeep(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Gap between two progress notifications of one call (a server may send thousands a second). */
export const PROGRESS_INTERVAL_MS = 250;
/** Longest progress message passed on (UTF-16 units). */
export const MAX_PROGRESS_CHARS = 1024;

/**
 * Passes a server's progress messages on at most once per {@link PROGRESS_INTERVAL_MS}, the
 * latest one, cut to {@link MAX_PROGRESS_CHARS}: a server flooding progress must not flood the
 * client (notifications are not held back by a slow client, so they would pile up in memory).
 */
function throttledProgress(emit: (message: string) => void): { push: (message: string) => void; stop: () => void } {
  let last = 0;
  let pending: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const cut = (m: string): string => {
    if (m.length <= MAX_PROGRESS_CHARS) return m;
    const end = /[\uD800-\uDBFF]/.test(m[MAX_PROGRESS_CHARS - 2] ?? '') ? MAX_PROGRESS_CHARS - 2 : MAX_PROGRESS_CHARS - 1;
    return `${m.slice(0, end)}…`;
  };
  const flush = (): void => {
    timer = null;
    if (stopped || pending === null) return;
    last = Date.now();
    const m = pending;
    pending = null;
    emit(m);
  };
  return {
    push: (message) => {
      if (stopped) return;
      pending = cut(message);
      if (timer) return;
      const wait = last + PROGRESS_INTERVAL_MS - Date.now();
      if (wait <= 0) flush();
      else timer = setTimeout(flush, wait);
    },
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

/**
 * The handler of one MCP tool as the model sees it. A tool its (configured, trusted) server
 * annotates `readOnlyHint: true` runs without asking; any other asks the user, unless the
 * approval policy is `never` (refused) or the turn may not leave its sandbox (a review: refused).
 * The model's arguments never decide whether to ask.
 */
export function mcpToolHandler(name: string, conn: McpServerConnection, tool: McpToolInfo): ToolHandler {
  const readOnly = tool.annotations?.readOnlyHint === true;
  return {
    name,
    parallelSafe: readOnly,
    async handle(call: ToolCall, ctx: ToolContext): Promise<ToolOutput> {
      const args = parseArguments(call.input);
      if (typeof args === 'string') return { success: false, content: args };
      const item: McpItem = { type: 'mcpToolCall', id: call.callId, server: conn.name, tool: tool.name, status: 'inProgress', arguments: args };
      const fail = (message: string, durationMs: number | null = null): ToolOutput => {
        ctx.itemCompleted({ ...item, status: 'failed', error: { message }, durationMs });
        return { success: false, content: message };
      };
      ctx.itemStarted(item);
      if (!readOnly) {
        if (ctx.sandboxOnly) return fail(`the MCP tool ${tool.name} of ${conn.name} may change things and this turn may only read: not run`);
        if (ctx.approvalPolicy === 'never') {
          return fail(
            `the MCP tool ${tool.name} of ${conn.name} is not annotated read-only and the approval policy is \`never\`: it was not run (the user cannot be asked)`,
          );
        }
        const decision = await ctx.requestApproval({
          kind: 'mcpToolCall',
          itemId: call.callId,
          server: conn.name,
          tool: tool.name,
          toolTitle: tool.title ?? null,
          toolDescription: tool.description ?? null,
          arguments: args,
          sessionKeys: [JSON.stringify([conn.name, tool.name])],
        });
        if (decision === 'cancel') {
          fail('the user cancelled this tool call');
          throw new TurnAbortedError();
        }
        if (decision === 'decline') return fail(`the user declined this call of the MCP tool ${tool.name}`);
      }
      if (ctx.signal.aborted) return fail('the call was cancelled (turn interrupted)');
      const started = Date.now();
      const progress = ctx.mcpProgress ? throttledProgress((m) => ctx.mcpProgress!(call.callId, m)) : undefined;
      try {
        const res = await conn
          .call(tool.name, args, { signal: ctx.signal, onProgress: progress?.push })
          .finally(() => progress?.stop());
        const content = Array.isArray(res.content) ? res.content : [];
        const durationMs = Date.now() - started;
        const result = resultForItem(content, res.structuredContent, res._meta);
        const isError = res.isError === true;
        ctx.itemCompleted({
          ...item,
          status: isError ? 'failed' : 'completed',
          result,
          error: isError ? { message: resultForModel(content, res.structuredContent, true).slice(0, 2000) } : null,
          durationMs,
        });
        const images = imagesForModel(content);
        return { success: !isError, content: resultForModel(content, res.structuredContent, isError), ...(images.length > 0 ? { images } : {}) };
      } catch (err) {
        const message = err instanceof McpCallError ? err.message : `MCP tool call failed: ${(err as Error)?.message ?? String(err)}`;
        return fail(message, Date.now() - started);
      }
    },
  };
}

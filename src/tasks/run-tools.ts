import type { HistoryItem } from '../model/types.js';
import { TurnAbortedError, type ToolCall, type ToolOutput } from '../tools/types.js';
import type { TurnContext } from './task.js';

/** How the message holding tool images begins (compaction does not keep it as the user's words). */
export const TOOL_IMAGES_PREFIX = 'Images returned by the tool call';

type CallItem = Extract<HistoryItem, { type: 'function_call' | 'custom_tool_call' }>;

function toToolCall(item: CallItem): ToolCall {
  return item.type === 'function_call'
    ? { callId: item.call_id, name: item.name, kind: 'function', input: item.arguments }
    : { callId: item.call_id, name: item.name, kind: 'custom', input: item.input };
}

function toOutputItem(call: ToolCall, out: ToolOutput): HistoryItem {
  return call.kind === 'function'
    ? { type: 'function_call_output', call_id: call.callId, output: out.content }
    : { type: 'custom_tool_call_output', call_id: call.callId, output: out.content };
}

/**
 * Runs the model's tool calls and records their outputs in history, in call order. Calls run in
 * parallel when every one of them is parallel-safe and read-only (independent); otherwise one
 * after another. Every call gets an output, even when the turn is aborted, because the model API
 * requires each call to be answered. Each output is recorded as soon as it and every earlier one
 * are ready, not after the last call: a daemon killed while a later call waits (on an approval,
 * say) must not lose what an earlier call did, which the client already saw completed.
 */
export async function runToolCalls(ctx: TurnContext, items: HistoryItem[]): Promise<void> {
  const calls = items.filter((i): i is CallItem => i.type === 'function_call' || i.type === 'custom_tool_call').map(toToolCall);
  const toolCtx = ctx.toolContext();
  const runOne = async (call: ToolCall): Promise<ToolOutput> => {
    if (ctx.signal.aborted) return { success: false, content: 'aborted: the turn was interrupted' };
    try {
      return await ctx.tools.dispatch(call, toolCtx);
    } catch (err) {
      if (err instanceof TurnAbortedError) {
        ctx.abortTurn();
        return { success: false, content: 'aborted by the user' };
      }
      if (ctx.signal.aborted) return { success: false, content: 'aborted: the turn was interrupted' };
      ctx.logger.warn({ err, tool: call.name }, 'tool call failed');
      return { success: false, content: `error: ${(err as Error)?.message ?? String(err)}` };
    }
  };
  const ready: (HistoryItem | undefined)[] = calls.map(() => undefined);
  let recorded = 0;
  const settle = (i: number, out: ToolOutput): void => {
    ready[i] = toOutputItem(calls[i]!, out);
    while (recorded < calls.length && ready[recorded] !== undefined) ctx.recordHistory([ready[recorded++]!]);
  };
  const images: { callId: string; image: NonNullable<ToolOutput['images']>[number] }[] = [];
  const settleWithImages = (i: number, out: ToolOutput): void => {
    for (const image of out.images ?? []) images.push({ callId: calls[i]!.callId, image });
    settle(i, out);
  };
  const parallel = calls.length > 1 && calls.every((c) => ctx.tools.isParallelSafe(c));
  if (parallel) {
    await Promise.all(calls.map(async (c, i) => settleWithImages(i, await runOne(c))));
  } else {
    for (const [i, call] of calls.entries()) settleWithImages(i, await runOne(call));
  }
  // After every output (an API wants a call's output right after the calls): one message with the images.
  if (images.length > 0) {
    const ids = [...new Set(images.map((x) => x.callId))].join(', ');
    ctx.recordHistory([
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: `${TOOL_IMAGES_PREFIX}${ids.includes(',') ? 's' : ''} ${ids}:` },
          ...images.map((x) => ({ type: 'input_image' as const, image_url: `data:${x.image.mimeType};base64,${x.image.data}` })),
        ],
      },
    ]);
  }
}

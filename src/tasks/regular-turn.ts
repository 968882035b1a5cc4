import type { TurnItem, UserInput } from '../core/items.js';
import { ModelError } from '../model/types.js';
import type { HistoryItem, ModelEvent, ModelRequest } from '../model/types.js';
import { aboveAutoCompactLimit, compactHistory } from './compact.js';
import { newId } from '../util/ids.js';
import { contextMessages, DEFAULT_BASE_INSTRUCTIONS, goalContext } from './prompt.js';
import type { Task, TurnContext } from './task.js';
import { runToolCalls } from './run-tools.js';
import { userInputToHistory } from './user-input.js';

/** The most model requests one turn may make before it stops (runaway tool loops). */
const MAX_SAMPLING_REQUESTS = 200;

/**
 * A regular turn: record the user's input, then sample the model until it answers without tool
 * calls and no steered input is waiting.
 *
 * Auto-compaction, on the usage the model reports: when the previous turn ended at or above the
 * limit, the history is compacted before this turn's input is recorded; when a response that
 * needs a follow-up (tool calls) reaches the limit, the history is compacted after the tools ran
 * and before the follow-up request. A response right after such a compaction that is still at
 * the limit fails the turn instead of compacting again.
 */
export class RegularTurnTask implements Task {
  readonly kind = 'regular' as const;

  async run(ctx: TurnContext, input: UserInput[]): Promise<void> {
    if (aboveAutoCompactLimit(ctx)) await compactHistory(ctx);
    await recordUserInput(ctx, input);
    let justCompacted = false;
    for (let i = 0; i < MAX_SAMPLING_REQUESTS; i++) {
      for (const steered of ctx.turnState.takePendingInput()) await recordUserInput(ctx, steered);
      const calls = await sample(ctx);
      if (calls.length > 0) {
        // Every call in history must be answered, even when the turn was interrupted meanwhile.
        await runToolCalls(ctx, calls);
        if (ctx.signal.aborted) return;
        if (aboveAutoCompactLimit(ctx)) {
          if (justCompacted) {
            throw new ModelError(
              'context_window_exceeded',
              `the conversation is still above the auto-compact limit (${ctx.autoCompactTokenLimit} tokens) right after a compaction; stopping instead of compacting again`,
            );
          }
          await compactHistory(ctx);
          justCompacted = true;
        } else {
          justCompacted = false;
        }
        continue;
      }
      if (ctx.signal.aborted) return;
      if (!ctx.turnState.hasPendingInput()) return;
    }
    ctx.emit({ type: 'warning', turnId: ctx.turnId, message: `turn stopped after ${MAX_SAMPLING_REQUESTS} model requests` });
  }
}

/** Records one user message: history first, then the userMessage item. */
export async function recordUserInput(ctx: TurnContext, input: UserInput[]): Promise<void> {
  const item: TurnItem = { type: 'userMessage', id: newId(), content: input };
  const history = await userInputToHistory(input, ctx.settings.cwd, ctx.signal);
  ctx.itemStarted(item);
  ctx.recordHistory([history]);
  ctx.itemCompleted(item);
}

/** Per output item of the response being streamed. */
interface LiveItem {
  item: TurnItem;
  started: boolean;
}

/** What one response has produced so far; reset when the client retries the request. */
interface Attempt {
  live: Map<number, LiveItem>;
  /** Completed output items, recorded in history when the response completes. */
  done: HistoryItem[];
  calls: HistoryItem[];
}

const newAttempt = (): Attempt => ({ live: new Map(), done: [], calls: [] });

/**
 * One model request; returns the tool calls the model made. The response's items reach history
 * when it completes; of an attempt abandoned for a retry, only what the client saw completed
 * (messages, reasoning) is kept, so the model's next request shows what the user was shown.
 */
export async function sample(ctx: TurnContext): Promise<HistoryItem[]> {
  const { settings } = ctx;
  // The thread's MCP tools are known (or their servers failed) before the model is shown the tools.
  await ctx.tools.ready(ctx.signal);
  const request: ModelRequest = {
    model: settings.model,
    instructions: settings.baseInstructions ?? DEFAULT_BASE_INSTRUCTIONS,
    input: [...contextMessages(settings, { skills: ctx.skills, contextWindow: ctx.modelInfo.contextWindow }), ...goalContext(ctx.goal()), ...ctx.history()],
    tools: ctx.tools.specs(ctx.modelInfo.toolStyle),
    parallelToolCalls: true,
    reasoning:
      settings.reasoningEffort || settings.reasoningSummary
        ? { effort: settings.reasoningEffort, summary: settings.reasoningSummary }
        : null,
    promptCacheKey: ctx.threadId,
  };
  const attempt = { current: newAttempt() };
  const calls: HistoryItem[] = [];
  try {
    for await (const ev of ctx.modelClient.stream(request, ctx.signal)) {
      // A client that stopped reading: stop pulling the stream (TCP then holds the model server back).
      if (!ctx.flow.ready()) await roomToSend(ctx);
      if (ev.type === 'retrying') {
        keepShownItems(ctx, attempt.current);
        attempt.current = newAttempt();
        announceRetry(ctx, ev);
      } else if (ev.type === 'completed') {
        ctx.recordHistory(attempt.current.done);
        calls.push(...attempt.current.calls);
        attempt.current = newAttempt();
        if (ev.usage) ctx.recordUsage(ev.usage);
      } else {
        onStreamEvent(ctx, attempt.current, ev);
      }
    }
  } catch (err) {
    // Interrupted mid-response: keep what the model completed (the client saw it) and answer its calls.
    const partial = attempt.current;
    if (ctx.signal.aborted && partial.done.length > 0) {
      ctx.recordHistory(partial.done);
      if (partial.calls.length > 0) await runToolCalls(ctx, partial.calls);
    }
    throw err;
  }
  return calls;
}

/**
 * Records the items of an abandoned attempt that the client saw completed. Its tool calls were
 * never shown as items nor run, and an unanswered call must not reach the model: they are dropped.
 */
function keepShownItems(ctx: TurnContext, a: Attempt): void {
  const shown = a.done.filter((i) => i.type === 'message' || i.type === 'reasoning');
  if (shown.length > 0) ctx.recordHistory(shown);
}

/** Waits for the outgoing budget to have room, or for the turn to be interrupted. */
function roomToSend(ctx: TurnContext): Promise<void> {
  if (ctx.signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      ctx.signal.removeEventListener('abort', done);
      resolve();
    };
    ctx.signal.addEventListener('abort', done, { once: true });
    void ctx.flow.whenReady().then(done);
  });
}

function announceRetry(ctx: TurnContext, ev: Extract<ModelEvent, { type: 'retrying' }>): void {
  ctx.emit({
    type: 'error',
    turnId: ctx.turnId,
    willRetry: true,
    error: {
      message: `${ev.message}; retrying ${ev.attempt}/${ev.maxAttempts} in ${Math.round(ev.delayMs)}ms`,
      kind: retryKind(ev.httpStatus),
      httpStatus: ev.httpStatus ?? null,
    },
  });
}

/** What a retried failure was, from its HTTP status (none: the connection or stream broke). */
function retryKind(status: number | undefined): string {
  if (status === 429) return 'rate_limited';
  if (status !== undefined && status >= 500) return 'server_error';
  return 'stream_disconnected';
}

function onStreamEvent(ctx: TurnContext, a: Attempt, ev: Exclude<ModelEvent, { type: 'retrying' | 'completed' }>): void {
  switch (ev.type) {
    case 'created':
      if (ev.rateLimits) ctx.setRateLimits(ev.rateLimits);
      break;
    case 'output_item_added':
      a.live.set(ev.outputIndex, startLive(ctx, ev.item));
      break;
    case 'text_delta': {
      const l = ensureLive(ctx, a.live, ev.outputIndex, 'agentMessage');
      if (l.item.type === 'agentMessage') {
        l.item.text += ev.delta;
        ctx.emit({ type: 'agent_message_delta', turnId: ctx.turnId, itemId: l.item.id, delta: ev.delta });
      }
      break;
    }
    case 'reasoning_summary_part_added':
    case 'reasoning_summary_delta':
    case 'reasoning_text_delta':
      onReasoningEvent(ctx, ensureLive(ctx, a.live, ev.outputIndex, 'reasoning'), ev);
      break;
    case 'output_item_done':
      a.done.push(ev.item);
      finishLive(ctx, a.live.get(ev.outputIndex), ev.item, a.calls);
      a.live.delete(ev.outputIndex);
      break;
  }
}

function startLive(ctx: TurnContext, item: HistoryItem): LiveItem {
  const id = ('id' in item && item.id) || newId();
  if (item.type === 'message') {
    const l: LiveItem = { item: { type: 'agentMessage', id, text: '' }, started: true };
    ctx.itemStarted({ ...l.item });
    return l;
  }
  if (item.type === 'reasoning') {
    const l: LiveItem = { item: { type: 'reasoning', id, summary: [], content: [] }, started: true };
    ctx.itemStarted({ type: 'reasoning', id, summary: [], content: [] });
    return l;
  }
  // Tool calls become items in their handlers; nothing to show while arguments stream.
  return { item: { type: 'agentMessage', id, text: '' }, started: false };
}

function ensureLive(ctx: TurnContext, live: Map<number, LiveItem>, index: number, kind: 'agentMessage' | 'reasoning'): LiveItem {
  let l = live.get(index);
  if (!l) {
    l = startLive(ctx, kind === 'agentMessage'
      ? { type: 'message', role: 'assistant', content: [] }
      : { type: 'reasoning', summary: [] });
    live.set(index, l);
  }
  return l;
}

function onReasoningEvent(
  ctx: TurnContext,
  l: LiveItem,
  ev: Extract<ModelEvent, { type: 'reasoning_summary_part_added' | 'reasoning_summary_delta' | 'reasoning_text_delta' }>,
): void {
  if (l.item.type !== 'reasoning') return;
  const r = l.item;
  const base = { turnId: ctx.turnId, itemId: r.id };
  if (ev.type === 'reasoning_summary_part_added') {
    while (r.summary.length <= ev.summaryIndex) r.summary.push('');
    ctx.emit({ type: 'reasoning_summary_part_added', ...base, summaryIndex: ev.summaryIndex });
  } else if (ev.type === 'reasoning_summary_delta') {
    while (r.summary.length <= ev.summaryIndex) r.summary.push('');
    r.summary[ev.summaryIndex] += ev.delta;
    ctx.emit({ type: 'reasoning_summary_delta', ...base, summaryIndex: ev.summaryIndex, delta: ev.delta });
  } else {
    while (r.content.length <= ev.contentIndex) r.content.push('');
    r.content[ev.contentIndex] += ev.delta;
    ctx.emit({ type: 'reasoning_text_delta', ...base, contentIndex: ev.contentIndex, delta: ev.delta });
  }
}

function finishLive(ctx: TurnContext, l: LiveItem | undefined, done: HistoryItem, calls: HistoryItem[]): void {
  if (done.type === 'function_call' || done.type === 'custom_tool_call') {
    calls.push(done);
    return;
  }
  if (done.type === 'message') {
    const text = done.content.map((c) => ('text' in c ? c.text : '')).join('');
    const id = l?.item.id ?? done.id ?? newId();
    if (!l?.started) ctx.itemStarted({ type: 'agentMessage', id, text: '' });
    ctx.turnState.setLastAgentMessage(text);
    ctx.itemCompleted({ type: 'agentMessage', id, text });
    return;
  }
  if (done.type === 'reasoning') {
    const id = l?.item.id ?? done.id ?? newId();
    const summary = done.summary.map((s) => s.text);
    const content = (done.content ?? []).map((c) => c.text);
    const prev = l?.item.type === 'reasoning' ? l.item : null;
    if (!l?.started) ctx.itemStarted({ type: 'reasoning', id, summary: [], content: [] });
    ctx.itemCompleted({
      type: 'reasoning',
      id,
      summary: summary.length ? summary : (prev?.summary ?? []),
      content: content.length ? content : (prev?.content ?? []),
    });
  }
}

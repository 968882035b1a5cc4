import type { UserInput } from '../core/items.js';
import { ModelError } from '../model/types.js';
import type { ContentPart, HistoryItem, ModelRequest } from '../model/types.js';
import { newId } from '../util/ids.js';
import { contextMessages, DEFAULT_BASE_INSTRUCTIONS, goalContext } from './prompt.js';
import { TOOL_IMAGES_PREFIX } from './run-tools.js';
import type { Task, TurnContext } from './task.js';

/** What the model is asked to do when the history is compacted. */
export const COMPACTION_INSTRUCTION = `The conversation so far is about to be replaced by a summary, because it no longer fits the model's context. Write that summary now, as a handoff note for whoever continues this work (they will see the user's own messages, but none of your replies or tool results).

Cover, briefly and concretely:
- what the user wants overall, and the constraints or preferences they stated;
- what has been done: files created or changed (with paths), commands run and what they showed, decisions taken and why;
- the current state: what works, what fails, open errors (quote exact messages when they matter);
- what remains to do next, in order.

Do not call tools. Answer with the summary only.`;

/** Opens the message that carries the summary into the new history. */
export const SUMMARY_BRIDGE_PREFIX = `[Earlier conversation compacted] The messages before this point were replaced to save context. A summary written at that moment follows; continue the work from it.`;

/** Token budget for the user messages kept in the new history (newest first). */
export const COMPACT_USER_MESSAGES_MAX_TOKENS = 20_000;

/** Rough token count as the model would see it: UTF-8 bytes / 4, rounded up. */
export function approxTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 4);
}

function textOf(content: readonly ContentPart[]): string {
  return content.flatMap((c) => ('text' in c ? [c.text] : [])).join('\n');
}

function isBridge(text: string): boolean {
  return text.startsWith(SUMMARY_BRIDGE_PREFIX);
}

/**
 * Tokens an image is counted as, when budgeting the user messages a compaction keeps and when
 * estimating the compacted request (its bytes, often a base64 data URL, say nothing of that).
 */
export const IMAGE_TOKENS = 1_000;
/** Stands for an image a compaction could not keep within the budget. */
export const IMAGE_OMITTED = '[an image the user attached here was left out when the conversation was compacted]';

/** A user message as a compaction keeps it: its text (parts joined) and its images, in order. */
export type KeptUserMessage = string | readonly ContentPart[];

/**
 * The user's real messages in `history`, oldest first (no bridges, no context blocks): a
 * text-only message as its text, one with images as its parts (text and images).
 */
export function userMessages(history: readonly HistoryItem[]): KeptUserMessage[] {
  const out: KeptUserMessage[] = [];
  for (const item of history) {
    if (item.type !== 'message' || item.role !== 'user') continue;
    const text = textOf(item.content);
    const images = item.content.some((c) => c.type === 'input_image');
    if ((!text.trim() && !images) || isBridge(text) || text.startsWith('<environment_context>') || text.startsWith(TOOL_IMAGES_PREFIX)) continue;
    out.push(images ? item.content.filter((c) => c.type === 'input_image' || c.type === 'input_text') : text);
  }
  return out;
}

/** Tokens of a kept message: its text, and {@link IMAGE_TOKENS} per image. */
function messageTokens(m: KeptUserMessage): number {
  if (typeof m === 'string') return approxTokens(m);
  return m.reduce((n, c) => n + (c.type === 'input_image' ? IMAGE_TOKENS : approxTokens(c.text)), 0);
}

/**
 * The parts of a message with images cut to `tokens`: text parts and images kept in order while
 * they fit, the text that crosses the budget shortened, every image that does not fit replaced
 * by {@link IMAGE_OMITTED}.
 */
function cutParts(parts: readonly ContentPart[], tokens: number): ContentPart[] {
  let remaining = tokens;
  return parts.map((c): ContentPart => {
    if (c.type === 'input_image') {
      if (IMAGE_TOKENS <= remaining) {
        remaining -= IMAGE_TOKENS;
        return c;
      }
      return { type: 'input_text', text: IMAGE_OMITTED };
    }
    const t = approxTokens(c.text);
    const text = t <= remaining ? c.text : shorten(c.text, remaining);
    remaining = Math.max(0, remaining - t);
    return { type: 'input_text', text };
  });
}

/** Shortens `text` to about `tokens` tokens, keeping its head and tail and saying what was cut. */
function shorten(text: string, tokens: number): string {
  const keepChars = Math.max(0, tokens * 4);
  if (text.length <= keepChars) return text;
  const head = text.slice(0, Math.ceil(keepChars / 2));
  const tail = text.slice(text.length - Math.floor(keepChars / 2));
  const cut = approxTokens(text) - approxTokens(head) - approxTokens(tail);
  return `${head}\n[… about ${cut} tokens of this message were cut when the conversation was compacted …]\n${tail}`;
}

/**
 * The history that replaces the old one: the user's messages, newest first until the budget is
 * spent (the one that crosses it shortened), back in their original order, then the bridge with
 * the summary. The initial context is not stored in history: every request rebuilds it.
 */
export function buildCompactedHistory(userMessages: readonly KeptUserMessage[], summary: string, budgetTokens = COMPACT_USER_MESSAGES_MAX_TOKENS): HistoryItem[] {
  const kept: ContentPart[][] = [];
  let remaining = budgetTokens;
  for (let i = userMessages.length - 1; i >= 0 && remaining > 0; i--) {
    const m = userMessages[i] ?? '';
    const tokens = messageTokens(m);
    const fits = tokens <= remaining;
    if (typeof m === 'string') kept.push([{ type: 'input_text', text: fits ? m : shorten(m, remaining) }]);
    else kept.push(fits ? [...m] : cutParts(m, remaining));
    remaining = fits ? remaining - tokens : 0;
  }
  kept.reverse();
  const user = (content: ContentPart[]): HistoryItem => ({ type: 'message', role: 'user', content });
  const body = summary.trim() ? summary.trim() : '(the model gave no summary)';
  return [...kept.map(user), user([{ type: 'input_text', text: `${SUMMARY_BRIDGE_PREFIX}\n\n${body}` }])];
}

/** The context messages every request of this turn starts with. */
function initialContext(ctx: TurnContext): HistoryItem[] {
  return [...contextMessages(ctx.settings, { skills: ctx.skills, contextWindow: ctx.modelInfo.contextWindow }), ...goalContext(ctx.goal())];
}

/** Estimated tokens of a request made of `instructions` and `input`. */
export function estimateRequestTokens(instructions: string, input: readonly HistoryItem[]): number {
  let images = 0;
  // An image counts as IMAGE_TOKENS, not as the bytes of its (data) URL.
  const json = JSON.stringify(input, (_k, v: unknown) => {
    if (typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'input_image') {
      images++;
      return null;
    }
    return v;
  });
  return approxTokens(instructions) + approxTokens(json) + images * IMAGE_TOKENS;
}

/**
 * Compacts the thread's history inside the running turn: asks the model (no tools) for a handoff
 * summary of the history, replaces the history with the user's messages and a bridge holding the
 * summary, and reports it as a `contextCompaction` item plus the new history's estimated size.
 * When even the compacted history would not fit under the auto-compact limit, the history is left
 * as it was and the turn fails with `context_window_exceeded` (no retry loop).
 */
export async function compactHistory(ctx: TurnContext): Promise<void> {
  const item = { type: 'contextCompaction' as const, id: newId() };
  ctx.itemStarted(item);
  const instructions = ctx.settings.baseInstructions ?? DEFAULT_BASE_INSTRUCTIONS;
  const history = ctx.history();
  const request: ModelRequest = {
    model: ctx.settings.model,
    instructions,
    input: [
      ...initialContext(ctx),
      ...history,
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: COMPACTION_INSTRUCTION }] },
    ],
    tools: [],
    parallelToolCalls: false,
    reasoning: ctx.settings.reasoningEffort ? { effort: ctx.settings.reasoningEffort, summary: null } : null,
    promptCacheKey: ctx.threadId,
  };
  let texts: string[] = [];
  for await (const ev of ctx.modelClient.stream(request, ctx.signal)) {
    if (ev.type === 'retrying') texts = [];
    else if (ev.type === 'created' && ev.rateLimits) ctx.setRateLimits(ev.rateLimits);
    else if (ev.type === 'output_item_done' && ev.item.type === 'message' && ev.item.role === 'assistant') texts.push(textOf(ev.item.content));
    else if (ev.type === 'completed' && ev.usage) ctx.recordUsage(ev.usage);
  }
  if (ctx.signal.aborted) throw new ModelError('aborted', 'compaction interrupted');
  const replacement = buildCompactedHistory(userMessages(history), texts.join('\n'));
  const estimate = estimateRequestTokens(instructions, [...initialContext(ctx), ...replacement]);
  const limit = ctx.autoCompactTokenLimit;
  if (estimate >= limit) {
    throw new ModelError(
      'context_window_exceeded',
      `compaction cannot bring the conversation under the limit: the compacted history still needs about ${estimate} tokens and the auto-compact limit is ${limit}. Start a new thread, or raise model_auto_compact_token_limit.`,
    );
  }
  ctx.replaceHistory(replacement);
  ctx.setContextTokens(estimate);
  ctx.itemCompleted(item);
  ctx.emit({ type: 'context_compacted', turnId: ctx.turnId });
}

/** A turn that only compacts the history (`thread/compact/start`). */
export class CompactTask implements Task {
  readonly kind = 'compact' as const;

  async run(ctx: TurnContext, _input: UserInput[]): Promise<void> {
    await compactHistory(ctx);
  }
}

/** Whether the thread's last reported usage has reached the auto-compact limit. */
export function aboveAutoCompactLimit(ctx: TurnContext): boolean {
  const last = ctx.tokenUsage()?.last.totalTokens ?? 0;
  return last >= ctx.autoCompactTokenLimit;
}

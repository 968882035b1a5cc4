import { randomUUID } from 'node:crypto';
import type { Logger } from '../util/logger.js';
import { buildChatBody } from './chat-request.js';
import { classifyStreamError } from './error-mapping.js';
import { providerHeaders, providerUrl, streamWithRetries, type StreamDecoder, type StreamRunnerConfig } from './model-stream.js';
import { RetryableError, type BackoffOptions } from './retry.js';
import type { SseEvent } from './sse.js';
import type { HistoryItem, ModelClient, ModelEvent, ModelRequest, ProviderSettings, TokenUsage } from './types.js';

/**
 * A client for Chat Completions servers (OpenAI-compatible: Ollama, vLLM, llama.cpp, LM Studio).
 * It synthesizes the same event sequence the Responses client yields.
 */
export class ChatClient implements ModelClient {
  private readonly cfg: StreamRunnerConfig;

  constructor(settings: ProviderSettings, logger: Logger, backoff: BackoffOptions) {
    this.cfg = { settings, logger, backoff };
  }

  /** Streams one response; see {@link ModelClient.stream}. */
  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelEvent> {
    const http = {
      url: providerUrl(this.cfg.settings, 'chat/completions'),
      headers: providerHeaders(this.cfg.settings),
      body: JSON.stringify(buildChatBody(request)),
    };
    const customTools = new Set(request.tools.filter((t) => t.type === 'custom').map((t) => t.name));
    return streamWithRetries(this.cfg, http, () => new ChatStreamDecoder(customTools), signal);
  }
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- provider JSON, read loosely

interface ToolCallAcc {
  outputIndex: number;
  id: string;
  name: string;
  args: string;
}

/**
 * Decodes Chat Completions chunks. Output items get an index when they first appear (reasoning,
 * message text, each tool call); all are done at `finish_reason`, and `completed` follows at
 * `[DONE]` (or at the end of a stream that did finish). Tool calls whose name is in
 * `customTools` come back as `custom_tool_call` items.
 */
export class ChatStreamDecoder implements StreamDecoder {
  private nextIndex = 0;
  private reasoning: { outputIndex: number; text: string } | undefined;
  private message: { outputIndex: number; text: string } | undefined;
  private readonly calls = new Map<number, ToolCallAcc>();
  private finished = false;
  private itemsDone = false;
  private responseId: string | undefined;
  private usage: TokenUsage | undefined;

  constructor(private readonly customTools: ReadonlySet<string>) {}

  push(ev: SseEvent, out: ModelEvent[]): void {
    if (ev.data === '[DONE]') {
      this.finishItems(out);
      out.push(this.completed());
      return;
    }
    if (ev.data === '') return;
    let chunk: Json;
    try {
      chunk = JSON.parse(ev.data) as Json;
    } catch {
      throw new RetryableError('stream_disconnected', `malformed chunk from the model: ${ev.data.slice(0, 200)}`, 'stream');
    }
    if (chunk.error) {
      const e = chunk.error;
      const code = typeof e === 'object' && typeof e.code === 'string' ? e.code : undefined;
      const msg = typeof e === 'string' ? e : typeof e.message === 'string' ? e.message : JSON.stringify(e);
      throw classifyStreamError(code, msg);
    }
    if (this.responseId === undefined && typeof chunk.id === 'string') this.responseId = chunk.id;
    if (chunk.usage) this.usage = toChatUsage(chunk.usage);
    const choice: Json | undefined = chunk.choices?.[0];
    if (!choice) return;
    const delta: Json | undefined = choice.delta;
    if (delta) this.applyDelta(delta, out);
    if (choice.finish_reason) {
      this.finished = true;
      this.finishItems(out);
    }
  }

  /** Some servers close the stream without `[DONE]`; that is complete only after a finish_reason. */
  end(out: ModelEvent[]): void {
    if (this.finished) out.push(this.completed());
  }

  private applyDelta(delta: Json, out: ModelEvent[]): void {
    const r = delta.reasoning_content ?? delta.reasoning;
    if (typeof r === 'string' && r !== '') {
      if (!this.reasoning) {
        this.reasoning = { outputIndex: this.nextIndex++, text: '' };
        out.push({ type: 'output_item_added', outputIndex: this.reasoning.outputIndex, item: { type: 'reasoning', summary: [], content: [] } });
      }
      this.reasoning.text += r;
      out.push({ type: 'reasoning_text_delta', outputIndex: this.reasoning.outputIndex, contentIndex: 0, delta: r });
    }
    const text = delta.content;
    if (typeof text === 'string' && text !== '') {
      if (!this.message) {
        this.message = { outputIndex: this.nextIndex++, text: '' };
        out.push({
          type: 'output_item_added',
          outputIndex: this.message.outputIndex,
          item: { type: 'message', role: 'assistant', content: [] },
        });
      }
      this.message.text += text;
      out.push({ type: 'text_delta', outputIndex: this.message.outputIndex, delta: text });
    }
    if (!Array.isArray(delta.tool_calls)) return;
    for (let i = 0; i < delta.tool_calls.length; i++) {
      const tc: Json = delta.tool_calls[i];
      const key = typeof tc.index === 'number' ? tc.index : i;
      let acc = this.calls.get(key);
      const isNew = !acc;
      if (!acc) {
        acc = { outputIndex: this.nextIndex++, id: '', name: '', args: '' };
        this.calls.set(key, acc);
      }
      if (typeof tc.id === 'string' && tc.id) acc.id = tc.id;
      if (typeof tc.function?.name === 'string' && tc.function.name) acc.name = tc.function.name;
      if (typeof tc.function?.arguments === 'string') acc.args += tc.function.arguments;
      if (isNew) out.push({ type: 'output_item_added', outputIndex: acc.outputIndex, item: toolCallItem(acc, this.customTools, false) });
    }
  }

  private finishItems(out: ModelEvent[]): void {
    if (this.itemsDone) return;
    this.itemsDone = true;
    const done: { outputIndex: number; item: HistoryItem }[] = [];
    if (this.reasoning) {
      done.push({
        outputIndex: this.reasoning.outputIndex,
        item: { type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: this.reasoning.text }] },
      });
    }
    if (this.message) {
      done.push({
        outputIndex: this.message.outputIndex,
        item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: this.message.text }] },
      });
    }
    for (const c of this.calls.values()) done.push({ outputIndex: c.outputIndex, item: toolCallItem(c, this.customTools, true) });
    done.sort((a, b) => a.outputIndex - b.outputIndex);
    for (const d of done) out.push({ type: 'output_item_done', outputIndex: d.outputIndex, item: d.item });
  }

  private completed(): ModelEvent {
    const responseId = this.responseId ?? `chatcmpl-${randomUUID()}`;
    return this.usage ? { type: 'completed', responseId, usage: this.usage } : { type: 'completed', responseId };
  }
}

function toolCallItem(c: ToolCallAcc, customTools: ReadonlySet<string>, final: boolean): HistoryItem {
  if (final && !c.id) c.id = `call_${randomUUID().replace(/-/g, '')}`;
  if (customTools.has(c.name)) {
    return { type: 'custom_tool_call', call_id: c.id, name: c.name, input: final ? customInput(c.args) : '' };
  }
  return { type: 'function_call', call_id: c.id, name: c.name, arguments: final ? c.args : '' };
}

/** The `input` argument of a custom tool offered as a function; raw arguments if it is not JSON. */
function customInput(args: string): string {
  try {
    const parsed: unknown = JSON.parse(args);
    if (parsed && typeof parsed === 'object' && typeof (parsed as Json).input === 'string') return (parsed as Json).input as string;
    if (typeof parsed === 'string') return parsed;
  } catch {
    // Not JSON: some models answer a one-string-parameter tool with the bare string.
  }
  return args;
}

/** Maps Chat Completions usage to {@link TokenUsage}. */
export function toChatUsage(u: Json): TokenUsage {
  const input = Number(u.prompt_tokens ?? 0);
  const output = Number(u.completion_tokens ?? 0);
  return {
    inputTokens: input,
    cachedInputTokens: Number(u.prompt_tokens_details?.cached_tokens ?? 0),
    outputTokens: output,
    reasoningOutputTokens: Number(u.completion_tokens_details?.reasoning_tokens ?? 0),
    totalTokens: Number(u.total_tokens ?? input + output),
  };
}

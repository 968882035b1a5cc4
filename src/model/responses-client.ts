import type { Logger } from '../util/logger.js';
import { classifyStreamError } from './error-mapping.js';
import { providerHeaders, providerUrl, streamWithRetries, type StreamDecoder, type StreamRunnerConfig } from './model-stream.js';
import { RetryableError, type BackoffOptions } from './retry.js';
import type { SseEvent } from './sse.js';
import {
  ModelError,
  type ContentPart,
  type HistoryItem,
  type ModelClient,
  type ModelEvent,
  type ModelRequest,
  type ProviderSettings,
  type TokenUsage,
  type ToolSpec,
} from './types.js';

/** A client for the OpenAI Responses API (`POST {baseUrl}/responses`, streamed). */
export class ResponsesClient implements ModelClient {
  private readonly cfg: StreamRunnerConfig;

  constructor(settings: ProviderSettings, logger: Logger, backoff: BackoffOptions) {
    this.cfg = { settings, logger, backoff };
  }

  /** Streams one response; see {@link ModelClient.stream}. */
  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelEvent> {
    const http = {
      url: providerUrl(this.cfg.settings, 'responses'),
      headers: providerHeaders(this.cfg.settings),
      body: JSON.stringify(buildResponsesBody(request)),
    };
    return streamWithRetries(this.cfg, http, responsesDecoder, signal);
  }
}

/** The JSON body of a Responses API request. */
export function buildResponsesBody(req: ModelRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: req.model,
    instructions: req.instructions,
    input: req.input,
    tools: req.tools.map(toResponsesTool),
    tool_choice: 'auto',
    parallel_tool_calls: req.parallelToolCalls,
    store: false,
    stream: true,
  };
  if (req.reasoning) {
    body.reasoning = req.reasoning;
    body.include = ['reasoning.encrypted_content'];
  }
  if (req.promptCacheKey) body.prompt_cache_key = req.promptCacheKey;
  if (req.outputSchema !== undefined && req.outputSchema !== null) {
    body.text = { format: { type: 'json_schema', name: 'codex_output_schema', schema: req.outputSchema, strict: true } };
  }
  return body;
}

function toResponsesTool(t: ToolSpec): Record<string, unknown> {
  if (t.type === 'function') {
    return { type: 'function', name: t.name, description: t.description, parameters: t.parameters, strict: t.strict ?? false };
  }
  const tool: Record<string, unknown> = { type: 'custom', name: t.name, description: t.description };
  if (t.format) tool.format = t.format;
  return tool;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- provider JSON, read loosely

/** Decodes Responses API SSE events into model events; see {@link StreamDecoder}. */
export function responsesDecoder(): StreamDecoder {
  return { push: decodeResponsesEvent, end: () => undefined };
}

function decodeResponsesEvent(ev: SseEvent, out: ModelEvent[]): void {
  const data = parseData(ev);
  if (!data) return;
  switch (data.type ?? ev.event) {
    case 'response.output_text.delta':
      out.push({ type: 'text_delta', outputIndex: data.output_index ?? 0, delta: data.delta ?? '' });
      break;
    case 'response.output_item.added': {
      const item = toHistoryItem(data.item);
      if (item) out.push({ type: 'output_item_added', outputIndex: data.output_index ?? 0, item });
      break;
    }
    case 'response.reasoning_summary_part.added':
      out.push({ type: 'reasoning_summary_part_added', outputIndex: data.output_index ?? 0, summaryIndex: data.summary_index ?? 0 });
      break;
    case 'response.reasoning_summary_text.delta':
      out.push({
        type: 'reasoning_summary_delta',
        outputIndex: data.output_index ?? 0,
        summaryIndex: data.summary_index ?? 0,
        delta: data.delta ?? '',
      });
      break;
    case 'response.reasoning_text.delta':
      out.push({
        type: 'reasoning_text_delta',
        outputIndex: data.output_index ?? 0,
        contentIndex: data.content_index ?? 0,
        delta: data.delta ?? '',
      });
      break;
    case 'response.output_item.done': {
      const item = toHistoryItem(data.item);
      if (item) out.push({ type: 'output_item_done', outputIndex: data.output_index ?? 0, item });
      break;
    }
    case 'response.completed': {
      const response: Json = data.response ?? {};
      const responseId = String(response.id ?? '');
      const usage = toUsage(response.usage);
      out.push(usage ? { type: 'completed', responseId, usage } : { type: 'completed', responseId });
      break;
    }
    case 'response.failed': {
      const err: Json = data.response?.error ?? {};
      throw classifyStreamError(str(err.code), str(err.message) ?? '');
    }
    case 'error':
      throw classifyStreamError(str(data.code ?? data.error?.code), str(data.message ?? data.error?.message) ?? '');
    case 'response.incomplete': {
      const reason = str(data.response?.incomplete_details?.reason) ?? 'unknown';
      const kind = reason === 'max_output_tokens' ? 'max_output_tokens' : reason === 'content_filter' ? 'content_filter' : 'other';
      throw new ModelError(kind, `incomplete response returned, reason: ${reason}`);
    }
    default:
      break;
  }
}

function parseData(ev: SseEvent): Json | undefined {
  if (ev.data === '' || ev.data === '[DONE]') return undefined;
  try {
    return JSON.parse(ev.data) as Json;
  } catch {
    throw new RetryableError('stream_disconnected', `malformed event from the model: ${ev.data.slice(0, 200)}`, 'stream');
  }
}

/** Maps a Responses output item to history; items agentd does not model (e.g. web search) are skipped. */
export function toHistoryItem(item: Json | undefined): HistoryItem | undefined {
  if (!item || typeof item !== 'object') return undefined;
  const id = str(item.id);
  switch (item.type) {
    case 'message': {
      const content: ContentPart[] = [];
      for (const part of (item.content ?? []) as Json[]) {
        if (part.type === 'output_text') content.push({ type: 'output_text', text: String(part.text ?? '') });
        else if (part.type === 'refusal') content.push({ type: 'output_text', text: String(part.refusal ?? '') });
      }
      return withId({ type: 'message', role: item.role ?? 'assistant', content }, id);
    }
    case 'reasoning': {
      const out: Extract<HistoryItem, { type: 'reasoning' }> = {
        type: 'reasoning',
        summary: ((item.summary ?? []) as Json[]).map((s) => ({ type: 'summary_text' as const, text: String(s.text ?? '') })),
      };
      if (Array.isArray(item.content)) {
        out.content = (item.content as Json[]).map((c) => ({ type: 'reasoning_text' as const, text: String(c.text ?? '') }));
      }
      if (item.encrypted_content !== undefined) out.encrypted_content = item.encrypted_content;
      return withId(out, id);
    }
    case 'function_call':
      return withId(
        { type: 'function_call', call_id: String(item.call_id ?? ''), name: String(item.name ?? ''), arguments: String(item.arguments ?? '') },
        id,
      );
    case 'custom_tool_call':
      return withId(
        { type: 'custom_tool_call', call_id: String(item.call_id ?? ''), name: String(item.name ?? ''), input: String(item.input ?? '') },
        id,
      );
    default:
      return undefined;
  }
}

function withId<T extends HistoryItem>(item: T, id: string | undefined): T {
  if (id !== undefined) (item as { id?: string }).id = id;
  return item;
}

/** Maps Responses API usage to {@link TokenUsage}. */
export function toUsage(u: Json | undefined | null): TokenUsage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const input = Number(u.input_tokens ?? 0);
  const output = Number(u.output_tokens ?? 0);
  return {
    inputTokens: input,
    cachedInputTokens: Number(u.input_tokens_details?.cached_tokens ?? 0),
    outputTokens: output,
    reasoningOutputTokens: Number(u.output_tokens_details?.reasoning_tokens ?? 0),
    totalTokens: Number(u.total_tokens ?? input + output),
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * The model layer's contract. History is kept in the OpenAI Responses API item format (as Codex
 * does); the Chat Completions client converts it to chat messages on the way out.
 */

/** A content part of a message in history. */
export type ContentPart =
  | { type: 'input_text'; text: string }
  | { type: 'input_image'; image_url: string; detail?: 'auto' | 'low' | 'high' }
  | { type: 'output_text'; text: string };

/** One item of the conversation history, as sent to / received from the model. */
export type HistoryItem =
  | { type: 'message'; role: 'user' | 'assistant' | 'system' | 'developer'; content: ContentPart[]; id?: string }
  | {
      type: 'reasoning';
      id?: string;
      summary: { type: 'summary_text'; text: string }[];
      content?: { type: 'reasoning_text'; text: string }[];
      encrypted_content?: string | null;
    }
  | { type: 'function_call'; call_id: string; name: string; arguments: string; id?: string }
  | { type: 'function_call_output'; call_id: string; output: string }
  | { type: 'custom_tool_call'; call_id: string; name: string; input: string; id?: string }
  | { type: 'custom_tool_call_output'; call_id: string; output: string };

/** A tool offered to the model, in a wire-neutral form. */
export type ToolSpec =
  | { type: 'function'; name: string; description: string; parameters: Record<string, unknown>; strict?: boolean }
  /** A freeform tool (Responses API "custom" tool): its input is raw text, optionally with a grammar. */
  | {
      type: 'custom';
      name: string;
      description: string;
      format?: { type: 'grammar'; syntax: 'lark' | 'regex'; definition: string } | { type: 'text' };
    };

export interface ModelRequest {
  model: string;
  /** System prompt / base instructions. */
  instructions: string;
  input: HistoryItem[];
  tools: ToolSpec[];
  parallelToolCalls: boolean;
  reasoning?: { effort?: string | null; summary?: string | null } | null;
  /** JSON Schema the final message must follow (structured output), if any. */
  outputSchema?: unknown;
  /** Stable key for prompt caching (the thread id). */
  promptCacheKey?: string;
}

/** Token usage of one model response. Field names follow the app-server wire. */
export interface TokenUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningOutputTokens: number;
  totalTokens: number;
}

export interface RateLimitWindow {
  usedPercent: number;
  windowDurationMins?: number | null;
  resetsAt?: number | null;
}

/** Rate limits read from provider response headers (x-codex-* or x-ratelimit-*). */
export interface RateLimitSnapshot {
  limitId?: string | null;
  primary?: RateLimitWindow | null;
  secondary?: RateLimitWindow | null;
}

/** Events a model stream yields, in order. */
export type ModelEvent =
  /** Response headers arrived; carries rate limits when the provider sent them. */
  | { type: 'created'; rateLimits?: RateLimitSnapshot }
  /** An output item began (assistant message, reasoning, tool call); `item` may be partial. */
  | { type: 'output_item_added'; outputIndex: number; item: HistoryItem }
  | { type: 'text_delta'; outputIndex: number; delta: string }
  | { type: 'reasoning_summary_part_added'; outputIndex: number; summaryIndex: number }
  | { type: 'reasoning_summary_delta'; outputIndex: number; summaryIndex: number; delta: string }
  | { type: 'reasoning_text_delta'; outputIndex: number; contentIndex: number; delta: string }
  /** An output item is complete; this is the item that goes into history. */
  | { type: 'output_item_done'; outputIndex: number; item: HistoryItem }
  /**
   * The attempt failed in a retryable way and will be retried after `delayMs`. Everything the
   * stream yielded since the last `created` must be discarded by the consumer.
   */
  | { type: 'retrying'; attempt: number; maxAttempts: number; delayMs: number; message: string; httpStatus?: number }
  | { type: 'completed'; responseId: string; usage?: TokenUsage };

/** Why a model request failed for good (after retries). */
export type ModelErrorKind =
  | 'aborted'
  | 'context_window_exceeded'
  | 'unauthorized'
  | 'bad_request'
  | 'not_found'
  | 'rate_limited'
  | 'server_error'
  | 'connection_failed'
  | 'stream_disconnected'
  | 'stream_idle_timeout'
  | 'usage_limit'
  /** The response stopped at the output token limit (Responses `response.incomplete`, reason `max_output_tokens`). */
  | 'max_output_tokens'
  /** The provider's content filter stopped the response (reason `content_filter`). */
  | 'content_filter'
  | 'other';

export class ModelError extends Error {
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

/** A streaming model client (one per provider configuration). */
export interface ModelClient {
  /**
   * Streams one model response, retrying per the provider's settings. Aborting `signal` aborts
   * the HTTP request at once and makes the iterator throw `ModelError('aborted')`.
   */
  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelEvent>;
}

/** Provider settings the clients need (resolved from config). */
export interface ProviderSettings {
  id: string;
  name: string;
  baseUrl: string;
  wireApi: 'responses' | 'chat';
  /** API key, already read from `env_key` (or undefined). */
  apiKey?: string;
  httpHeaders: Record<string, string>;
  /** Extra query params appended to the URL. */
  queryParams?: Record<string, string>;
  requestMaxRetries: number;
  streamMaxRetries: number;
  streamIdleTimeoutMs: number;
}

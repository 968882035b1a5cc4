import type { TokenUsage } from '../model/types.js';

/** One output item the mock model produces. */
export type MockOutput =
  /** Assistant text, streamed as `chunks` deltas (default: up to 3). */
  | { type: 'text'; text: string; chunks?: number }
  /** Reasoning: summary parts (Responses) and/or raw reasoning text. */
  | { type: 'reasoning'; summary?: string[]; text?: string }
  /** A function tool call; object arguments are JSON-encoded. */
  | { type: 'function_call'; name: string; arguments: object | string; callId?: string }
  /** A freeform tool call (chat: a function call with `{"input": ...}` arguments). */
  | { type: 'custom_tool_call'; name: string; input: string; callId?: string };

/** A way for a mock response to go wrong. */
export type MockFault =
  /** Answer with this HTTP status (and JSON body) instead of a stream. */
  | { status: number; retryAfter?: number; body?: unknown }
  /** Send this many SSE events, then drop the connection. */
  | { disconnectAfterEvents: number }
  /** Send nothing at all (not even headers) for this long, then respond normally. */
  | { firstByteDelayMs: number }
  /**
   * Send headers and the events up to and including the first delta of the first output (text,
   * reasoning or tool-call arguments), then never finish until the client goes away.
   */
  | { hang: true }
  /** Fail inside the stream: Responses `response.failed`, chat an `error` chunk. */
  | { failedEvent: { code: string; message: string } }
  /** Responses only: stream the output, then end with `response.incomplete` for this reason. */
  | { incomplete: 'max_output_tokens' | 'content_filter' };

/** What the mock answers to one model request. The same turn renders in both wire formats. */
export interface MockTurn {
  output?: MockOutput[];
  /** Overrides of the computed usage (total is recomputed unless given). */
  usage?: Partial<TokenUsage>;
  /** Extra response headers, e.g. rate limits or `retry-after-ms`. */
  headers?: Record<string, string>;
  fault?: MockFault;
}

/** A model request as the mock received it. */
export interface RecordedRequest {
  api: 'responses' | 'chat';
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read any request field
  /** `performance.now()` when the request arrived and when its answer was fully sent (the model's time, for benchmarks). */
  timing?: { receivedAt: number; answeredAt: number | null };
}

/** Builds the answer to a request when nothing is queued. */
export type MockResponder = (req: RecordedRequest) => MockTurn;

/** Options of `startMockModelServer`. */
export interface MockModelServerOptions {
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: a free port). */
  port?: number;
  /** Answers requests when the queue is empty (default: echo the last user text). */
  defaultResponder?: MockResponder;
}

/** A running mock model server. */
export interface MockModelServer {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  /** Every model request received, in order. */
  readonly requests: RecordedRequest[];
  /** How many streamed responses the client closed before they finished. */
  readonly clientAborts: number;
  /** Queues turns; each model request consumes the next one (FIFO). */
  enqueue(...turns: MockTurn[]): void;
  /** Resolves once at least `n` model requests have been received. */
  waitForRequests(n: number): Promise<void>;
  /** Resolves once at least `count` client aborts (default 1) have been observed. */
  waitForClientAbort(count?: number): Promise<void>;
  /** Stops the server, dropping open connections. */
  close(): Promise<void>;
}

import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ModelError } from './types.js';

/** One server-sent event: its `event:` name (empty when absent) and its `data:` text. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Options of {@link readSse}. */
export interface ReadSseOptions {
  /** Fail with `stream_idle_timeout` when no bytes arrive for this long. */
  idleTimeoutMs: number;
}

/**
 * Reads an SSE body into events; see {@link readSseBatches} for errors and timeouts. Breaking out
 * of the loop cancels the body.
 */
export async function* readSse(body: ReadableStream<Uint8Array>, opts: ReadSseOptions): AsyncGenerator<SseEvent, void> {
  for await (const batch of readSseBatches(body, opts)) yield* batch;
}

/**
 * Reads an SSE body into batches of events, one batch per network chunk, so consumers pay one
 * async step per chunk rather than per event (a fast stream packs hundreds of events per chunk).
 * A batch array is reused: consume it before pulling the next. No bytes for `idleTimeoutMs`
 * cancels the body (closing the connection) and throws `ModelError('stream_idle_timeout')`; a
 * broken connection throws `ModelError('stream_disconnected')`. The iterator ends when the body
 * ends; the caller decides whether that was a complete response.
 */
export async function* readSseBatches(body: ReadableStream<Uint8Array>, opts: ReadSseOptions): AsyncGenerator<SseEvent[], void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const batch: SseEvent[] = [];
  const parser = createParser({
    onEvent(msg: EventSourceMessage) {
      batch.push({ event: msg.event ?? '', data: msg.data });
    },
  });
  let idle = false;
  let done = false;
  let consuming = false;
  // One timer for the whole stream, re-armed per chunk: cheaper than a timer per read.
  const timer = setTimeout(() => {
    // The consumer holding a batch (waiting for a client that stopped reading) is not the model idling.
    if (consuming) return;
    idle = true;
    reader.cancel(new ModelError('stream_idle_timeout', 'stream idle timeout')).catch(() => undefined);
  }, opts.idleTimeoutMs);
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (idle) throw idleError(opts.idleTimeoutMs);
        throw disconnectError(err);
      }
      if (idle) throw idleError(opts.idleTimeoutMs);
      batch.length = 0;
      if (chunk.done) {
        done = true;
        // Lenient at EOF: dispatch a last event that lacks its blank line (some local servers
        // end `data: [DONE]` with a single newline). A clean end adds nothing.
        parser.feed(`${decoder.decode()}\n\n`);
      } else {
        timer.refresh();
        parser.feed(decoder.decode(chunk.value, { stream: true }));
      }
      if (batch.length > 0) {
        consuming = true;
        yield batch;
        consuming = false;
        timer.refresh();
      }
      if (done) return;
    }
  } finally {
    clearTimeout(timer);
    if (!done && !idle) reader.cancel().catch(() => undefined);
  }
}

function idleError(ms: number): ModelError {
  return new ModelError('stream_idle_timeout', `no data from the model for ${ms} ms`);
}

function disconnectError(err: unknown): ModelError {
  const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
  return new ModelError('stream_disconnected', `stream disconnected before completion: ${cause}`);
}

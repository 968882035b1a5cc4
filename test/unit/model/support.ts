import type { MockModelServer } from '../../../src/mock/index.js';
import { createModelClient } from '../../../src/model/client-factory.js';
import type { ModelClient, ModelEvent, ModelRequest, ProviderSettings } from '../../../src/model/types.js';
import { silentLogger } from '../../../src/util/logger.js';

/** Provider settings pointing at the mock, with small retry budgets and timeouts. */
export function settingsFor(server: MockModelServer, wireApi: 'responses' | 'chat', over: Partial<ProviderSettings> = {}): ProviderSettings {
  return {
    id: 'mock',
    name: 'Mock',
    baseUrl: server.url,
    wireApi,
    httpHeaders: {},
    requestMaxRetries: 3,
    streamMaxRetries: 3,
    streamIdleTimeoutMs: 5_000,
    ...over,
  };
}

/** A client with a 5 ms backoff base so retries cost almost nothing. */
export function clientFor(server: MockModelServer, wireApi: 'responses' | 'chat', over: Partial<ProviderSettings> = {}): ModelClient {
  return createModelClient(settingsFor(server, wireApi, over), silentLogger(), { backoffBaseMs: 5 });
}

/** A small request with one user message. */
export function userRequest(text = 'hello', over: Partial<ModelRequest> = {}): ModelRequest {
  return {
    model: 'mock-model',
    instructions: 'You are a test.',
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }],
    tools: [],
    parallelToolCalls: true,
    ...over,
  };
}

/** Drains a stream into an array. */
export async function collect(stream: AsyncIterable<ModelEvent>): Promise<ModelEvent[]> {
  const out: ModelEvent[] = [];
  for await (const ev of stream) out.push(ev);
  return out;
}

/** The events of a given type. */
export function ofType<T extends ModelEvent['type']>(events: ModelEvent[], type: T): Extract<ModelEvent, { type: T }>[] {
  return events.filter((e): e is Extract<ModelEvent, { type: T }> => e.type === type);
}

/** The events after the last `retrying` (what a consumer keeps). */
export function finalAttempt(events: ModelEvent[]): ModelEvent[] {
  let i = events.length - 1;
  while (i >= 0 && events[i]!.type !== 'retrying') i--;
  return events.slice(i + 1);
}

/** Runs a stream and returns the error it rejects with. */
export async function failureOf(stream: AsyncIterable<ModelEvent>): Promise<{ error: unknown; events: ModelEvent[] }> {
  const events: ModelEvent[] = [];
  try {
    for await (const ev of stream) events.push(ev);
  } catch (error) {
    return { error, events };
  }
  throw new Error(`stream did not fail; events: ${JSON.stringify(events.map((e) => e.type))}`);
}

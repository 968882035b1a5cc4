import type { Logger } from '../util/logger.js';
import { ChatClient } from './chat-client.js';
import { ResponsesClient } from './responses-client.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from './retry.js';
import type { ModelClient, ProviderSettings } from './types.js';

/** Options of {@link createModelClient}. */
export interface ModelClientOptions {
  /** Base delay of the exponential backoff (default 200 ms); tests pass a few ms. */
  backoffBaseMs?: number;
  /** Cap of a computed backoff delay (default 20 s). */
  backoffCapMs?: number;
}

/** Creates the model client for a provider, by its `wireApi`. */
export function createModelClient(settings: ProviderSettings, logger: Logger, opts: ModelClientOptions = {}): ModelClient {
  const backoff: BackoffOptions = {
    baseMs: opts.backoffBaseMs ?? DEFAULT_BACKOFF.baseMs,
    capMs: opts.backoffCapMs ?? DEFAULT_BACKOFF.capMs,
  };
  const log = logger.child({ provider: settings.id });
  return settings.wireApi === 'chat' ? new ChatClient(settings, log, backoff) : new ResponsesClient(settings, log, backoff);
}

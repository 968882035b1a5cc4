import { Readable, Writable } from 'node:stream';
import * as acp from '@agentclientprotocol/sdk';
import { createCore } from './create-core.js';
import { installProcessGuards } from './process-guards.js';
import { AcpFace } from './protocol/acp/acp-agent.js';
import type { OutputFlow } from './util/flow.js';
import { createLogger } from './util/logger.js';

export interface AcpOptions {
  input: Readable;
  output: Writable;
  overrides: string[];
  logLevel?: string;
  logFile?: string;
  version: string;
}

/**
 * The composition root of `agentd acp`: the core (as for the app-server face) and the ACP face over
 * one NDJSON connection on stdio. The process exits when the input ends.
 */
export async function startAcp(opts: AcpOptions): Promise<void> {
  const logger = createLogger({ level: opts.logLevel, file: opts.logFile });
  installProcessGuards(logger);
  const out = opts.output;
  // Producers (model stream, command output) wait while the client does not read its stdout.
  const flow: OutputFlow = {
    ready: () => !out.writableNeedDrain,
    whenReady: () => (out.writableNeedDrain ? new Promise((resolve) => out.once('drain', () => resolve())) : Promise.resolve()),
  };
  const core = createCore({ overrides: opts.overrides, logger, version: opts.version, flow });
  const face = new AcpFace({ threads: core.threads, config: core.config, logger, version: opts.version });
  const stream = acp.ndJsonStream(Writable.toWeb(out) as WritableStream<Uint8Array>, Readable.toWeb(opts.input) as ReadableStream<Uint8Array>);
  const conn = face.app().connect(stream);
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      face.connectionClosed();
      await core.threads.shutdown();
      core.skills.close();
      core.store.close();
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
    }
    logger.flush?.();
    process.exit(code);
  };
  void conn.closed.then(() => stop(0), () => stop(0));
  process.once('SIGTERM', () => void stop(0));
  process.once('SIGINT', () => void stop(0));
  logger.debug({ home: core.config.home }, 'agentd acp ready');
}

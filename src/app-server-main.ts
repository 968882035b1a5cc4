import type { Readable, Writable } from 'node:stream';
import { createCore } from './create-core.js';
import { injectTestFaults, installProcessGuards } from './process-guards.js';
import { AppServer, type AppServerDeps } from './protocol/app-server/app-server.js';
import { ConnectionHub } from './protocol/app-server/hub.js';
import { RpcServer } from './rpc/rpc-server.js';
import { execStandalone } from './tools/shell/command-exec.js';
import { CompositeFlow } from './util/flow.js';
import { createLogger } from './util/logger.js';

export interface AppServerOptions {
  input: Readable;
  output: Writable;
  overrides: string[];
  logLevel?: string;
  logFile?: string;
  version: string;
  /** `main` already answered `initialize` with these client settings (fast start). */
  preInitialized?: { optOutNotificationMethods: string[] } | null;
  /** Serve clients on these addresses (`unix:PATH`, `ws://HOST:PORT`) instead of stdio. */
  listen?: string[];
  /** The token websocket clients must present (`--auth-token-file`). */
  authTokenFile?: string;
  /** Told the bound addresses once listening. */
  onListening?: (addresses: string[]) => void;
}

/**
 * The composition root of `agentd app-server`: config, store, model clients, tools, the thread
 * manager and the face over one RPC connection. Resolves once the daemon is serving; the process
 * exits when the input ends.
 */
export async function startAppServer(opts: AppServerOptions): Promise<void> {
  const logger = createLogger({ level: opts.logLevel, file: opts.logFile });
  installProcessGuards(logger);
  const listening = (opts.listen?.length ?? 0) > 0;
  const rpc = listening ? null : new RpcServer({ input: opts.input, output: opts.output, logger });
  // With listeners, producers wait while any connection's output budget is full.
  const connectionFlows = listening ? new CompositeFlow(stalledClientMs()) : null;
  const { config, warnings, store, threads, skills, commandEnv } = createCore({
    overrides: opts.overrides,
    logger,
    version: opts.version,
    flow: rpc?.flow ?? connectionFlows ?? undefined,
  });
  const face: Omit<AppServerDeps, 'rpc'> = {
    threads,
    skills,
    config,
    configWarnings: warnings,
    logger,
    version: opts.version,
    preInitialized: opts.preInitialized ?? null,
    execCommand: (p) =>
      execStandalone({
        command: p.command,
        cwd: p.cwd ?? process.cwd(),
        env: p.env ? (Object.fromEntries(Object.entries(p.env).filter(([, v]) => v != null)) as Record<string, string>) : undefined,
        sandboxPolicy: p.sandboxPolicy as never,
        timeoutMs: p.timeoutMs ?? undefined,
        baseEnv: commandEnv,
      }),
  };
  if (!rpc) {
    await serveListeners(opts, face, connectionFlows!, () => {
      skills.close();
      store.close();
    });
    return;
  }
  const app = new AppServer({ ...face, rpc });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      // Answer what was asked before the input ended, then stop the threads.
      await rpc.drain();
      await threads.shutdown();
      skills.close();
      await rpc.drain();
      store.close();
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
    }
    logger.flush?.();
    process.exit(code);
  };
  rpc.onClose(() => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  process.once('SIGINT', () => void stop(0));
  app.start();
  injectTestFaults(process.env.AGENTD_TEST_FAULTS, logger);
  logger.debug({ home: config.home }, 'agentd app-server ready');
}

/**
 * Listener mode: every connection gets its own face over one shared hub, so clients share
 * threads; the daemon runs until SIGTERM/SIGINT.
 */
async function serveListeners(
  opts: AppServerOptions,
  face: Omit<AppServerDeps, 'rpc'>,
  flows: CompositeFlow,
  closeServices: () => void,
): Promise<void> {
  const { startListeners } = await import('./listeners.js');
  const { logger, threads } = face;
  const hub = new ConnectionHub(threads, logger);
  const listeners = await startListeners({
    listen: opts.listen ?? [],
    authTokenFile: opts.authTokenFile,
    logger,
    serve: (input, output, label) => {
      const rpc = new RpcServer({ input, output, logger });
      // A client that stops reading while output waits for it is dropped after a while (its
      // approvals move to another subscriber) rather than holding every thread back for ever.
      const removeFlow = flows.add(rpc.flow, () => {
        logger.warn({ transport: label }, 'client stopped reading its output; disconnecting it');
        output.destroy();
        input.destroy();
      });
      rpc.onClose(() => {
        removeFlow();
        output.destroy();
      });
      new AppServer({ ...face, rpc, hub, preInitialized: null }).start();
      logger.debug({ transport: label }, 'client connected');
    },
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await listeners.close();
      await threads.shutdown();
      closeServices();
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
    }
    logger.flush?.();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  injectTestFaults(process.env.AGENTD_TEST_FAULTS, logger);
  opts.onListening?.(listeners.addresses);
}

/** How long a listener client may leave its full output unread while producers wait (default 30 s). */
function stalledClientMs(): number {
  const v = Number(process.env.AGENTD_STALLED_CLIENT_MS);
  return Number.isFinite(v) && v > 0 ? v : 30_000;
}

import type { Readable, Writable } from 'node:stream';
import { createCore } from './create-core.js';
import { injectTestFaults, installProcessGuards } from './process-guards.js';
import { AppServer } from './protocol/app-server/app-server.js';
import { RpcServer } from './rpc/rpc-server.js';
import { execStandalone } from './tools/shell/command-exec.js';
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
}

/**
 * The composition root of `agentd app-server`: config, store, model clients, tools, the thread
 * manager and the face over one RPC connection. Resolves once the daemon is serving; the process
 * exits when the input ends.
 */
export async function startAppServer(opts: AppServerOptions): Promise<void> {
  const logger = createLogger({ level: opts.logLevel, file: opts.logFile });
  installProcessGuards(logger);
  const rpc = new RpcServer({ input: opts.input, output: opts.output, logger });
  const { config, warnings, store, threads, skills, commandEnv } = createCore({
    overrides: opts.overrides,
    logger,
    version: opts.version,
    flow: rpc.flow,
  });
  const app = new AppServer({
    rpc,
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
  });
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

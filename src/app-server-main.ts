import { homedir } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { loadConfig } from './config/load-config.js';
import { modelInfo } from './config/models.js';
import { ThreadManager } from './core/thread-manager.js';
import { createModelClient } from './model/client-factory.js';
import type { ModelClient, ProviderSettings } from './model/types.js';
import { injectTestFaults, installProcessGuards } from './process-guards.js';
import { AppServer } from './protocol/app-server/app-server.js';
import { RpcServer } from './rpc/rpc-server.js';
import { PrefixRulesFile } from './store/prefix-rules-file.js';
import { includeSkillInstructions, SkillsManager, skillRulesFromConfig } from './skills/index.js';
import { ThreadStore } from './store/thread-store.js';
import { PrefixRules } from './tools/approval/prefix-rules.js';
import { buildToolRegistry } from './tools/default-registry.js';
import { McpFactory } from './tools/mcp/index.js';
import { TurnDiffTrackerImpl } from './tools/diff/turn-diff-tracker.js';
import { commandEnvFor } from './tools/shell/command-env.js';
import { execStandalone } from './tools/shell/command-exec.js';
import { ShellRuntime } from './tools/shell/runtime.js';
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
  const { config, warnings } = loadConfig({ overrides: opts.overrides });
  for (const w of warnings) logger.warn({ path: w.path }, w.summary);
  const store = ThreadStore.open(config.home, logger);
  const clients = new Map<string, ModelClient>();
  // Base delay of the retry backoff; `AGENTD_RETRY_BASE_MS` tunes it (tests make it tiny).
  const retryEnv = Number(process.env.AGENTD_RETRY_BASE_MS);
  const retryBaseMs = Number.isFinite(retryEnv) && retryEnv > 0 ? retryEnv : undefined;
  // One client per distinct provider settings: a thread whose own config defines or changes a
  // provider gets a client of its own; threads with the same settings share one.
  const modelClientFor = (id: string, own?: ProviderSettings): ModelClient => {
    // Own keys only: a provider id such as `toString` or `__proto__` names no provider.
    const shared = Object.hasOwn(config.providers, id) ? config.providers[id] : undefined;
    const settings = own ?? shared;
    if (!settings) throw new Error(`unknown model provider: ${id}`);
    const same = settings === shared || (shared !== undefined && JSON.stringify(settings) === JSON.stringify(shared));
    const key = same ? `daemon\u0000${id}` : `thread\u0000${JSON.stringify(settings)}`;
    let c = clients.get(key);
    if (!c) {
      c = createModelClient(settings, logger, { backoffBaseMs: retryBaseMs });
      clients.set(key, c);
    }
    return c;
  };
  const commandEnv = commandEnvFor(config);
  // The user's command prefix rules (`acceptWithExecpolicyAmendment`); a bad line is reported, not fatal.
  const rulesFile = new PrefixRulesFile(config.home);
  const loadedRules = rulesFile.load();
  for (const w of loadedRules.warnings) {
    logger.warn({ path: rulesFile.file }, w);
    warnings.push({ summary: w, path: rulesFile.file });
  }
  const prefixRules = new PrefixRules(loadedRules.rules, { store: rulesFile });
  const shellRuntime = new ShellRuntime({ env: commandEnv, prefixRules });
  const rpc = new RpcServer({ input: opts.input, output: opts.output, logger });
  const markers = config.raw.project_root_markers;
  const skills = new SkillsManager({
    agentdHome: config.home,
    userHome: homedir() || null,
    projectRootMarkers: Array.isArray(markers) && markers.every((m) => typeof m === 'string') ? markers : undefined,
    rules: skillRulesFromConfig(config.raw),
    includeInstructions: includeSkillInstructions(config.raw),
    logger,
  });
  const threads = new ThreadManager({
    config,
    store,
    logger,
    tools: buildToolRegistry(shellRuntime),
    modelClientFor,
    modelInfo: (m, own) => modelInfo(m, own ?? config),
    createDiffTracker: (cwd) => new TurnDiffTrackerImpl(cwd),
    cliVersion: opts.version,
    flow: rpc.flow,
    skills,
    // Each thread runs its own MCP servers; `config/mcpServer/reload` reads config.toml again.
    mcp: new McpFactory({ env: process.env, clientVersion: opts.version }),
    reloadConfig: () => loadConfig({ overrides: opts.overrides }).config,
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

import { homedir } from 'node:os';
import { loadConfig } from './config/load-config.js';
import { modelInfo } from './config/models.js';
import type { Config, ConfigWarning } from './config/types.js';
import { ThreadManager } from './core/thread-manager.js';
import { createModelClient } from './model/client-factory.js';
import type { ModelClient, ProviderSettings } from './model/types.js';
import { PrefixRulesFile } from './store/prefix-rules-file.js';
import { includeSkillInstructions, SkillsManager, skillRulesFromConfig } from './skills/index.js';
import { ThreadStore } from './store/thread-store.js';
import { PrefixRules } from './tools/approval/prefix-rules.js';
import { buildToolRegistry } from './tools/default-registry.js';
import { McpFactory } from './tools/mcp/index.js';
import { TurnDiffTrackerImpl } from './tools/diff/turn-diff-tracker.js';
import { commandEnvFor } from './tools/shell/command-env.js';
import { ShellRuntime } from './tools/shell/runtime.js';
import type { OutputFlow } from './util/flow.js';
import type { Logger } from './util/logger.js';

export interface CoreOptions {
  /** `-c key=value` overrides of config.toml. */
  overrides: string[];
  logger: Logger;
  /** The daemon's version (recorded in each thread). */
  version: string;
  /** Back-pressure from the client connection (absent: none). */
  flow?: OutputFlow;
}

/** Everything a face drives: built once per daemon by `createCore`, whatever the wire. */
export interface Core {
  config: Config;
  /** Config problems found while loading (bad keys, bad prefix-rule lines); not fatal. */
  warnings: ConfigWarning[];
  store: ThreadStore;
  threads: ThreadManager;
  skills: SkillsManager;
  /** The environment commands run with (the daemon's, shaped by config). */
  commandEnv: () => NodeJS.ProcessEnv;
}

/**
 * The one composition root of the daemon's core: config, store, model clients, tools, skills and
 * the thread manager. Both faces (app-server and ACP) are built over it. Throws a ConfigError when
 * the configuration cannot be used.
 */
export function createCore(opts: CoreOptions): Core {
  const { logger } = opts;
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
    ...(opts.flow ? { flow: opts.flow } : {}),
    skills,
    // Each thread runs its own MCP servers; `config/mcpServer/reload` reads config.toml again.
    mcp: new McpFactory({ env: process.env, clientVersion: opts.version }),
    reloadConfig: () => loadConfig({ overrides: opts.overrides }).config,
  });
  return { config, warnings, store, threads, skills, commandEnv };
}

import { resolve } from 'node:path';
import { mergeTables, normalizeThreadLayer, threadConfigFromLayer, layerKeys, type ThreadConfig } from '../config/thread-config.js';
import { ConfigError, type Config, type ModelInfo } from '../config/types.js';
import type { ModelClient, ProviderSettings, RateLimitSnapshot } from '../model/types.js';
import type { HistoryItem } from '../model/types.js';
import type { SkillsManager } from '../skills/index.js';
import { InvalidCursorError, StorageError, ThreadNotFoundError } from '../store/errors.js';
import { reconstructThread, type StoredTurn } from '../store/reconstruct.js';
import type { ListThreadsQuery, ListThreadsResult, RolloutLine, ThreadMeta } from '../store/types.js';
import type { McpFactory, McpServerView } from '../tools/mcp/index.js';
import type { ToolRegistry } from '../tools/registry.js';
import { commandEnvFor } from '../tools/shell/command-env.js';
import { ProcessSessionManager } from '../tools/shell/process-sessions.js';
import type { SandboxPolicy, TurnDiffTracker } from '../tools/types.js';
import { ALWAYS_READY, type OutputFlow } from '../util/flow.js';
import { readGitInfo, type GitInfo } from '../util/git-info.js';
import { uuidv7 } from '../util/ids.js';
import type { Logger } from '../util/logger.js';
import type { SessionEvent, TurnInfo } from './events.js';
import type { TurnItem } from './items.js';
import { Session, type TurnView } from './session.js';
import { SessionError, storageSessionError } from './session-error.js';
import { createSessionServices, type RolloutSink, type SessionServices } from './services.js';
import type { ThreadSettings } from './settings.js';

/** The store operations the core needs (implemented by the store's ThreadStore). */
export interface ThreadStoreApi {
  create(meta: ThreadMeta): RolloutSink;
  openRecorder(id: string): RolloutSink;
  read(id: string): Promise<{ meta: ThreadMeta; lines: RolloutLine[]; tornTail: boolean }>;
  get(id: string): ThreadMeta | undefined;
  list(q: ListThreadsQuery): ListThreadsResult;
  updateMeta(id: string, patch: Partial<Pick<ThreadMeta, 'name' | 'preview' | 'updatedAt' | 'model' | 'cwd' | 'gitInfo'>>): void;
  archive(id: string): unknown;
  unarchive(id: string): unknown;
  delete(id: string): unknown;
  /** A stored thread's kept turns and their item counts, without reading the whole rollout (optional). */
  turnOutline?(id: string): { id: string; items: number }[];
  /** The items of some of those turns, reading only their part of the rollout. */
  readTurnItems?(id: string, turnIds: readonly string[]): Map<string, TurnItem[]>;
}

/** An unloaded thread's turns, each with its item count, and a way to read the items of a few. */
export interface StoredItemsOutline {
  turns: { id: string; items: number }[];
  read(turnIds: readonly string[]): Map<string, TurnItem[]>;
}

/** What the ThreadManager is built from (wired in main). */
export interface ThreadManagerDeps {
  config: Config;
  store: ThreadStoreApi;
  logger: Logger;
  tools: ToolRegistry;
  /** The client for a provider; `settings` when the thread's own config defines or changes it. */
  modelClientFor(providerId: string, settings?: ProviderSettings): ModelClient;
  /** A model's info; `config` when the thread has its own (context window, tool style). */
  modelInfo(model: string, config?: Config): ModelInfo;
  createDiffTracker(cwd: string): TurnDiffTracker;
  cliVersion: string;
  now?: () => number;
  /** Back-pressure from the client connection (default: none). */
  flow?: OutputFlow;
  /** Builds each thread's own process-session table (default: a new ProcessSessionManager). */
  createProcessSessions?: () => ProcessSessionManager;
  /** Reads a directory's git facts (default: `readGitInfo`, from the repository's files). */
  readGitInfo?: (cwd: string) => Promise<GitInfo | null>;
  /** The daemon's skills; each thread watches those of its cwd while loaded (absent: no skills). */
  skills?: SkillsManager;
  /** Builds each loaded thread's own MCP servers (absent: no MCP servers are run). */
  mcp?: McpFactory;
  /** Reads the daemon's configuration again (for `config/mcpServer/reload`; absent: the one given). */
  reloadConfig?: () => Config;
}

/** What a face shows of one of a thread's MCP servers (`mcpServerStatus/list`). */
export type { McpServerView };

/** Overrides a client may give when starting or resuming a thread. */
export interface ThreadOverrides {
  model?: string | null;
  modelProvider?: string | null;
  cwd?: string | null;
  approvalPolicy?: ThreadSettings['approvalPolicy'] | null;
  sandboxMode?: Config['sandboxMode'] | null;
  sandboxPolicy?: SandboxPolicy | null;
  baseInstructions?: string | null;
  developerInstructions?: string | null;
  reasoningEffort?: string | null;
  reasoningSummary?: string | null;
  collaborationMode?: ThreadSettings['collaborationMode'] | null;
  /**
   * Config overrides for this thread alone (`config.toml` keys, dotted or nested): laid over the
   * daemon's config; the explicit overrides above win over them.
   */
  config?: Record<string, unknown> | null;
  /**
   * Top-level keys of `config` that replace the thread's stored value instead of merging over it
   * (the ACP face's `mcp_servers`: an editor's session/load lists every server it has now).
   */
  configReplaces?: string[];
}

/** A thread's metadata plus whether it lives only in memory. */
export interface ThreadRecord extends ThreadMeta {
  ephemeral: boolean;
}

/** A thread as read: record, status and (optionally) turns with their items. */
export interface ThreadSnapshot {
  record: ThreadRecord;
  loaded: boolean;
  session: Session | null;
  turns: TurnView[];
}

export type ThreadEventListener = (threadId: string, event: SessionEvent) => void;

/**
 * Finds, loads, creates and forks Sessions; the only owner of the loaded-thread table. A request
 * whose write fails (full disk, I/O error) is refused with `storage_error` and leaves nothing
 * half-done behind; other threads are not affected.
 */
export class ThreadManager {
  private readonly sessions = new Map<string, { session: Session; record: ThreadRecord }>();
  private readonly listeners = new Set<ThreadEventListener>();
  private readonly now: () => number;
  /** Each loaded thread's own configuration, when it was given one. */
  private readonly threadConfigs = new WeakMap<Session, ThreadConfig>();
  /** Each loaded thread's MCP servers. */
  private readonly mcpOf = new WeakMap<Session, NonNullable<SessionServices['mcp']>>();
  /** The last rate-limit snapshot any thread's provider sent (one per daemon, as in Codex). */
  private rateLimits: RateLimitSnapshot | null = null;

  constructor(private readonly deps: ThreadManagerDeps) {
    this.now = deps.now ?? Date.now;
  }

  onEvent(listener: ThreadEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get config(): Config {
    return this.deps.config;
  }

  /**
   * Resolves settings: explicit overrides first, then the keys the thread's own config layer sets,
   * then `base` (stored or source settings), then the (thread's) config defaults.
   */
  resolveSettings(o: ThreadOverrides, base?: ThreadSettings, thread?: Pick<ThreadConfig, 'config' | 'keys'> | null): ThreadSettings {
    const c = thread?.config ?? this.deps.config;
    const fromLayer = <T>(keys: string[], value: T): T | undefined => (keys.some((k) => thread?.keys.has(k)) ? value : undefined);
    const modelProvider = o.modelProvider ?? fromLayer(['model_provider'], c.modelProvider) ?? base?.modelProvider ?? c.modelProvider;
    if (!Object.hasOwn(c.providers, modelProvider)) throw new SessionError('invalid_input', `unknown model provider \`${modelProvider}\``);
    const cwd = o.cwd ? resolve(o.cwd) : (base?.cwd ?? process.cwd());
    const mode = o.sandboxMode ?? fromLayer(['sandbox_mode'], c.sandboxMode) ?? null;
    let sandboxPolicy: SandboxPolicy;
    if (o.sandboxPolicy) sandboxPolicy = o.sandboxPolicy;
    else if (mode) sandboxPolicy = this.sandboxPolicyFor(mode, c);
    else if (base) {
      // New `[sandbox_workspace_write]` settings apply to a thread that writes in its workspace.
      const rewrite = thread?.keys.has('sandbox_workspace_write') && base.sandboxPolicy.type === 'workspaceWrite';
      sandboxPolicy = rewrite ? this.sandboxPolicyFor('workspace-write', c) : base.sandboxPolicy;
    } else sandboxPolicy = this.sandboxPolicyFor(c.sandboxMode, c);
    return {
      model: o.model ?? fromLayer(['model', 'model_provider'], c.model) ?? base?.model ?? c.model,
      modelProvider,
      cwd,
      approvalPolicy: o.approvalPolicy ?? fromLayer(['approval_policy'], c.approvalPolicy) ?? base?.approvalPolicy ?? c.approvalPolicy,
      sandboxPolicy,
      reasoningEffort: o.reasoningEffort ?? fromLayer(['model_reasoning_effort'], c.modelReasoningEffort) ?? base?.reasoningEffort ?? c.modelReasoningEffort,
      reasoningSummary: o.reasoningSummary ?? fromLayer(['model_reasoning_summary'], c.modelReasoningSummary) ?? base?.reasoningSummary ?? c.modelReasoningSummary,
      baseInstructions: o.baseInstructions ?? fromLayer(['base_instructions', 'instructions'], c.baseInstructions) ?? base?.baseInstructions ?? c.baseInstructions,
      developerInstructions:
        o.developerInstructions ?? fromLayer(['developer_instructions'], c.developerInstructions) ?? base?.developerInstructions ?? c.developerInstructions,
      ...withCollaborationMode(o.collaborationMode ?? base?.collaborationMode),
    };
  }

  /** The policy object for a sandbox mode, with the (thread's) config's workspace-write settings. */
  sandboxPolicyFor(mode: Config['sandboxMode'], config: Config = this.deps.config): SandboxPolicy {
    if (mode === 'danger-full-access') return { type: 'dangerFullAccess' };
    if (mode === 'read-only') return { type: 'readOnly', networkAccess: false };
    const w = config.sandboxWorkspaceWrite;
    return {
      type: 'workspaceWrite',
      writableRoots: w.writableRoots.slice(),
      networkAccess: w.networkAccess,
      excludeTmpdirEnvVar: w.excludeTmpdirEnvVar,
      excludeSlashTmp: w.excludeSlashTmp,
    };
  }

  /** The effective configuration of a loaded thread (the daemon's when it has none of its own). */
  configOf(id: string): Config {
    const loaded = this.require(id);
    return this.threadConfigs.get(loaded.session)?.config ?? this.deps.config;
  }

  /** The last rate-limit snapshot a provider sent, from any thread; null before the first. */
  latestRateLimits(): RateLimitSnapshot | null {
    return this.rateLimits;
  }

  /**
   * A thread's own configuration from the client's `input` (relative paths against `cwd`) laid
   * over `storedLayer` (what the thread had). Null when there is neither. Only the keys of
   * `input` count as set anew (they win over stored settings). A bad value is `invalid_input`.
   */
  private threadConfigFor(
    input: Record<string, unknown> | null | undefined,
    cwd: string,
    storedLayer?: Record<string, unknown> | null,
    replaces: readonly string[] = [],
  ): ThreadConfig | null {
    if (!input && !storedLayer) return null;
    try {
      const fresh = input ? normalizeThreadLayer(input, cwd) : {};
      const stored = storedLayer ? structuredClone(storedLayer) : null;
      for (const key of replaces) {
        if (stored && Object.hasOwn(fresh, key)) delete stored[key];
      }
      const layer = stored ? mergeTables(stored, fresh) : fresh;
      // A replacing key given as an empty table sets nothing: the thread simply has none of its own.
      for (const key of replaces) {
        const v = layer[key];
        if (v && typeof v === 'object' && Object.keys(v).length === 0) delete layer[key];
      }
      const thread = threadConfigFromLayer(this.deps.config, layer);
      for (const w of thread.warnings) this.deps.logger.warn({ source: 'params.config' }, w.summary);
      return { ...thread, keys: layerKeys(fresh, thread.config) };
    } catch (err) {
      if (err instanceof ConfigError) throw new SessionError('invalid_input', `config: ${err.message}`);
      throw err;
    }
  }

  /** Creates a new thread (persisted unless ephemeral) and loads it. */
  start(overrides: ThreadOverrides, opts: { ephemeral?: boolean; forkedFromId?: string | null } = {}): { session: Session; record: ThreadRecord } {
    return this.create(overrides, opts);
  }

  /** Creates a thread from overrides over `base` (a fork's source settings) and `baseLayer`. */
  private create(
    overrides: ThreadOverrides,
    opts: { ephemeral?: boolean; forkedFromId?: string | null; base?: ThreadSettings; baseLayer?: Record<string, unknown> | null },
  ): { session: Session; record: ThreadRecord } {
    const cwd = overrides.cwd ? resolve(overrides.cwd) : (opts.base?.cwd ?? process.cwd());
    const thread = this.threadConfigFor(overrides.config, cwd, opts.baseLayer);
    const settings = this.resolveSettings(overrides, opts.base, thread);
    const nowMs = this.now();
    const id = uuidv7(nowMs);
    const ephemeral = opts.ephemeral ?? false;
    const meta: ThreadMeta = {
      id,
      createdAt: Math.floor(nowMs / 1000),
      updatedAt: Math.floor(nowMs / 1000),
      cwd: settings.cwd,
      model: settings.model,
      modelProvider: settings.modelProvider,
      name: null,
      preview: '',
      archived: false,
      path: '',
      forkedFromId: opts.forkedFromId ?? null,
      cliVersion: this.deps.cliVersion,
      source: 'appServer',
    };
    const recorder = ephemeral ? null : guardStorage(() => this.deps.store.create(meta));
    if (recorder) {
      try {
        recorder.append({ ts: nowMs, type: 'settings', settings: persistedSettings(settings, thread) });
      } catch (err) {
        this.discard(id, recorder);
        throw toSessionError(err);
      }
    }
    const stored = ephemeral ? undefined : this.deps.store.get(id);
    const record: ThreadRecord = { ...meta, path: stored?.path ?? '', ephemeral };
    const session = this.attach(record, settings, recorder, {}, thread);
    return { session, record };
  }

  /** Loads a stored thread (or returns the loaded one), applying overrides that stick. */
  async resume(id: string, overrides: ThreadOverrides = {}): Promise<{ session: Session; record: ThreadRecord }> {
    const loaded = this.sessions.get(id);
    if (loaded) return loaded;
    const { meta, lines, tornTail } = await this.readStored(id);
    if (tornTail) this.deps.logger.warn({ threadId: id }, 'rollout had a torn last line; it was skipped');
    const rebuilt = reconstructThread(lines);
    const { settings: storedSettings, layer: storedLayer } = storedThreadSettings(rebuilt.settings);
    const storedCwd = storedSettings.cwd ?? meta.cwd;
    const storedThread = this.threadConfigFor(null, storedCwd, storedLayer);
    const base = this.resolveSettings({ ...(storedSettings as ThreadOverrides), cwd: storedCwd }, undefined, storedThread);
    const cwd = overrides.cwd ? resolve(overrides.cwd) : base.cwd;
    const thread = overrides.config ? this.threadConfigFor(overrides.config, cwd, storedLayer, overrides.configReplaces) : storedThread;
    const settings = this.resolveSettings(overrides, base, thread);
    const again = this.sessions.get(id);
    if (again) return again;
    const recorder = guardStorage(() => this.deps.store.openRecorder(id));
    const layerChanged = JSON.stringify(thread?.layer ?? null) !== JSON.stringify(storedLayer);
    if (layerChanged || JSON.stringify(settings) !== JSON.stringify(base)) {
      try {
        recorder.append({ ts: this.now(), type: 'settings', settings: persistedSettings(settings, thread) });
      } catch (err) {
        recorder.close();
        throw toSessionError(err);
      }
    }
    const record: ThreadRecord = { ...meta, ephemeral: false };
    const turns = rebuilt.turns.map(storedTurnView);
    const session = this.attach(
      record,
      settings,
      recorder,
      {
        // Decoded when first needed (the next request), not while the client waits for the turns.
        history: () => rebuilt.history,
        turns,
        tokenUsage: rebuilt.tokenUsage,
        goal: rebuilt.goal,
        turnFiles: rebuilt.turnFiles,
        undoableRevert: rebuilt.undoableRevert,
      },
      thread,
    );
    return { session, record };
  }

  /** Copies a thread's turns and history (up to and including `lastTurnId`) into a new thread. */
  async fork(id: string, overrides: ThreadOverrides, opts: { ephemeral?: boolean; lastTurnId?: string | null }) {
    const source = this.sessions.get(id);
    const lastTurnId = opts.lastTurnId ?? null;
    let history: HistoryItem[];
    let turns: TurnView[];
    let baseSettings: ThreadSettings;
    let baseLayer: Record<string, unknown> | null = source ? (this.threadConfigs.get(source.session)?.layer ?? null) : null;
    if (source?.record.ephemeral) {
      turns = source.session.turns();
      baseSettings = source.session.settings();
      const through = lastTurnId ? source.session.historyThrough(lastTurnId) : source.session.history();
      if (!through) throw new SessionError('invalid_input', `turn ${lastTurnId} has not finished in thread ${id}`);
      history = through;
    } else {
      // The rollout is current even for a loaded thread: every line is appended synchronously.
      const { meta, lines } = await this.readStored(id);
      let upTo = lines;
      if (lastTurnId) {
        const end = lines.findIndex((l) => l.type === 'turn_completed' && l.turn.turnId === lastTurnId);
        if (end < 0) throw new SessionError('invalid_input', `turn ${lastTurnId} has not finished in thread ${id}`);
        upTo = lines.slice(0, end + 1);
      }
      const rebuilt = reconstructThread(upTo);
      history = rebuilt.history;
      turns = rebuilt.turns.map(storedTurnView);
      const stored = storedThreadSettings(rebuilt.settings);
      if (!source) baseLayer = stored.layer;
      baseSettings =
        source?.session.settings() ??
        this.resolveSettings({ ...(stored.settings as ThreadOverrides), cwd: meta.cwd }, undefined, this.threadConfigFor(null, meta.cwd, stored.layer));
    }
    if (lastTurnId) {
      const idx = turns.findIndex((t) => t.info.id === lastTurnId);
      if (idx < 0) throw new SessionError('invalid_input', `turn ${lastTurnId} not found in thread ${id}`);
      turns = turns.slice(0, idx + 1);
    }
    const { session, record } = this.create(stripNull(overrides), { ephemeral: opts.ephemeral, forkedFromId: id, base: baseSettings, baseLayer });
    try {
      session.importTurns(turns, history);
    } catch (err) {
      // No half-copied fork: forget it entirely.
      this.sessions.delete(record.id);
      await session.shutdown();
      if (!record.ephemeral) this.discard(record.id, null);
      throw err;
    }
    return { session, record, turns: session.turns() };
  }

  get(id: string): { session: Session; record: ThreadRecord } | undefined {
    return this.sessions.get(id);
  }

  /** Whether `id` names a loaded or a stored thread. */
  exists(id: string): boolean {
    return this.get(id) !== undefined || this.deps.store.get(id) !== undefined;
  }

  /** The loaded session, or a `thread_not_found` error. */
  require(id: string): { session: Session; record: ThreadRecord } {
    const s = this.sessions.get(id);
    if (!s) throw new SessionError('thread_not_found', `thread not found: ${id}`);
    return s;
  }

  /**
   * Reads the git facts of a loaded thread's working directory (git with a short timeout, no
   * shell) into its record, and keeps them in the thread index so lists show them. A failure to
   * store them is only logged: they are recomputed at the next start or resume.
   */
  async refreshGitInfo(id: string): Promise<void> {
    const loaded = this.sessions.get(id);
    if (!loaded) return;
    let gitInfo: GitInfo | null = null;
    try {
      gitInfo = await (this.deps.readGitInfo ?? readGitInfo)(loaded.session.settings().cwd);
    } catch (err) {
      this.deps.logger.warn({ err, threadId: id }, 'cannot read the git info of the thread cwd');
    }
    loaded.record.gitInfo = gitInfo;
    if (loaded.record.ephemeral || this.sessions.get(id) !== loaded) return;
    try {
      this.deps.store.updateMeta(id, { gitInfo });
    } catch (err) {
      this.deps.logger.warn({ err, threadId: id }, 'cannot store the thread git info');
    }
  }

  loadedIds(): string[] {
    return [...this.sessions.keys()];
  }

  /** A thread's record and turns, loaded or not. */
  async read(id: string): Promise<ThreadSnapshot> {
    const loaded = this.sessions.get(id);
    if (loaded) return { record: loaded.record, loaded: true, session: loaded.session, turns: loaded.session.turns() };
    const { meta, lines } = await this.readStored(id);
    const turns = reconstructThread(lines).turns.map(storedTurnView);
    return { record: { ...meta, ephemeral: false }, loaded: false, session: null, turns };
  }

  /**
   * For a stored thread that is not loaded: its turns' item counts and a reader of a few turns'
   * items, so a page of items costs the turns it shows. Null when the thread is loaded (its turns
   * are in memory) or the store cannot do it.
   */
  storedItemsOutline(id: string): StoredItemsOutline | null {
    const store = this.deps.store;
    if (this.sessions.has(id) || !store.turnOutline || !store.readTurnItems) return null;
    if (!store.get(id)) throw new SessionError('thread_not_found', `thread not found: ${id}`);
    const notFound = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (err) {
        if (err instanceof ThreadNotFoundError) throw new SessionError('thread_not_found', err.message);
        throw err;
      }
    };
    const turns = notFound(() => store.turnOutline!(id));
    return { turns, read: (ids) => notFound(() => store.readTurnItems!(id, ids)) };
  }

  list(q: ListThreadsQuery): ListThreadsResult {
    try {
      return this.deps.store.list(q);
    } catch (err) {
      if (err instanceof InvalidCursorError) throw new SessionError('invalid_cursor', err.message);
      throw err;
    }
  }

  setName(id: string, name: string | null): ThreadRecord {
    const loaded = this.sessions.get(id);
    if (loaded) {
      if (!loaded.record.ephemeral) guardStorage(() => this.deps.store.updateMeta(id, { name }));
      loaded.record.name = name;
      this.emit(id, { type: 'name_updated', name });
      return loaded.record;
    }
    const meta = this.deps.store.get(id);
    if (!meta) throw new SessionError('thread_not_found', `thread not found: ${id}`);
    guardStorage(() => this.deps.store.updateMeta(id, { name }));
    this.emit(id, { type: 'name_updated', name });
    return { ...meta, name, ephemeral: false };
  }

  async archive(id: string): Promise<void> {
    const loaded = this.sessions.get(id);
    if (loaded?.record.ephemeral) throw new SessionError('invalid_input', 'an ephemeral thread cannot be archived');
    if (!this.deps.store.get(id)) throw new SessionError('thread_not_found', `thread not found: ${id}`);
    if (loaded) await this.unload(id);
    guardStorage(() => this.deps.store.archive(id));
  }

  async unarchive(id: string): Promise<ThreadRecord> {
    if (!this.deps.store.get(id)) throw new SessionError('thread_not_found', `thread not found: ${id}`);
    guardStorage(() => this.deps.store.unarchive(id));
    return { ...this.deps.store.get(id)!, ephemeral: false };
  }

  async delete(id: string): Promise<void> {
    const loaded = this.sessions.get(id);
    if (loaded) await this.unload(id);
    if (loaded?.record.ephemeral) return;
    if (!this.deps.store.get(id)) throw new SessionError('thread_not_found', `thread not found: ${id}`);
    guardStorage(() => this.deps.store.delete(id));
  }

  /** Interrupts a loaded thread's turn, disposes its services (processes, rollout) and forgets it. */
  async unload(id: string): Promise<void> {
    const loaded = this.sessions.get(id);
    if (!loaded) return;
    this.sessions.delete(id);
    await loaded.session.shutdown();
  }

  /**
   * Starts a loaded thread's MCP servers in the background (idempotent). A face calls it once it
   * has answered the request that loaded the thread and subscribed its client, so the answer is
   * not delayed and every `mcp_server_status` event reaches the client; a thread whose face does
   * not starts them at its first turn.
   */
  startMcp(id: string): void {
    const loaded = this.sessions.get(id);
    if (loaded) this.mcpOf.get(loaded.session)?.start();
  }

  /**
   * The state of a loaded thread's MCP servers (null: the thread is not loaded, or MCP servers
   * are not run by this daemon).
   */
  mcpStatus(id: string): McpServerView[] | null {
    const loaded = this.sessions.get(id);
    return loaded ? (this.mcpOf.get(loaded.session)?.views() ?? null) : null;
  }

  /**
   * Reads the MCP server configuration again and restarts every loaded thread's servers with it
   * (a thread's own config layer still applies over the daemon's).
   */
  async reloadMcpServers(): Promise<void> {
    let base: Config;
    try {
      base = this.deps.reloadConfig ? this.deps.reloadConfig() : this.deps.config;
    } catch (err) {
      // A config file that no longer reads leaves every server as it was.
      throw new SessionError('invalid_input', `cannot reload the configuration: ${err instanceof Error ? err.message : String(err)}`);
    }
    await Promise.all(
      [...this.sessions.values()].map(async ({ session }) => {
        const mcp = this.mcpOf.get(session);
        if (!mcp) return;
        const thread = this.threadConfigs.get(session);
        const servers = thread ? threadConfigFromLayer(base, thread.layer).config.mcpServers : base.mcpServers;
        await mcp.reconfigure(servers);
      }),
    );
  }

  /** Settles every pending approval (the connection closed). */
  cancelAllApprovals(): void {
    for (const { session } of this.sessions.values()) session.cancelPendingApprovals();
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.unload(id)));
  }

  private async readStored(id: string) {
    if (!this.deps.store.get(id)) throw new SessionError('thread_not_found', `thread not found: ${id}`);
    try {
      return await this.deps.store.read(id);
    } catch (err) {
      if (err instanceof ThreadNotFoundError) throw new SessionError('thread_not_found', err.message);
      throw err;
    }
  }

  /** Best-effort removal of a thread whose creation failed half-way. */
  private discard(id: string, recorder: RolloutSink | null): void {
    recorder?.close();
    try {
      if (this.deps.store.get(id)) this.deps.store.delete(id);
    } catch (err) {
      this.deps.logger.warn({ err, threadId: id }, 'cannot remove a thread whose creation failed');
    }
  }

  private attach(
    record: ThreadRecord,
    settings: ThreadSettings,
    recorder: RolloutSink | null,
    restored: Partial<Pick<ConstructorParameters<typeof Session>[0], 'history' | 'turns' | 'tokenUsage' | 'goal' | 'turnFiles' | 'undoableRevert'>> = {},
    thread: ThreadConfig | null = null,
  ) {
    const id = record.id;
    const cfg = thread?.config;
    const logger = this.deps.logger.child({ threadId: id });
    // The thread's own MCP servers: their tools join the built-in ones for this thread alone.
    const mcp = this.deps.mcp?.forThread((cfg ?? this.deps.config).mcpServers, {
      threadId: id,
      cwd: settings.cwd,
      logger,
      onStatus: (name, status, error) => this.emit(id, { type: 'mcp_server_status', name, status, error }),
    });
    const session = new Session({
      threadId: id,
      settings,
      ...restored,
      services: createSessionServices({
        // A thread with its own config gets its own providers, model info and command environment.
        modelClientFor: (p) => (cfg && Object.hasOwn(cfg.providers, p) ? this.deps.modelClientFor(p, cfg.providers[p]) : this.deps.modelClientFor(p)),
        modelInfo: (m) => (cfg ? this.deps.modelInfo(m, cfg) : this.deps.modelInfo(m)),
        autoCompactTokenLimit: () => (cfg ?? this.deps.config).modelAutoCompactTokenLimit,
        ...(cfg ? { commandEnv: commandEnvFor(cfg) } : {}),
        tools: mcp ? this.deps.tools.withDynamic(mcp) : this.deps.tools,
        ...(mcp ? { mcp } : {}),
        recorder,
        updateMeta: recorder
          ? (patch) => {
              Object.assign(record, patch);
              this.deps.store.updateMeta(id, patch);
            }
          : (patch) => void Object.assign(record, patch),
        createDiffTracker: (cwd) => this.deps.createDiffTracker(cwd),
        logger,
        now: this.now,
        processes: this.deps.createProcessSessions?.() ?? new ProcessSessionManager(),
        flow: this.deps.flow ?? ALWAYS_READY,
        skills: this.deps.skills?.forThread(settings.cwd),
        ...(recorder ? { reload: async () => reconstructThread((await this.readStored(id)).lines) } : {}),
      }),
    });
    session.onEvent((event) => {
      if (event.type === 'item_completed' && event.item.type === 'userMessage' && !record.preview) {
        const text = event.item.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ').trim();
        record.preview = text.slice(0, 200);
        try {
          if (!record.ephemeral) this.deps.store.updateMeta(id, { preview: record.preview });
        } catch (err) {
          // The item itself is persisted; only the list's preview lags until the next index write.
          this.deps.logger.warn({ err, threadId: id }, 'cannot store the thread preview');
        }
      }
      if (event.type === 'turn_completed') record.updatedAt = Math.floor(this.now() / 1000);
      this.emit(id, event);
    });
    if (thread) this.threadConfigs.set(session, thread);
    this.sessions.set(id, { session, record });
    if (mcp) this.mcpOf.set(session, mcp);
    return session;
  }

  private emit(id: string, event: SessionEvent): void {
    if (event.type === 'rate_limits') this.rateLimits = event.snapshot;
    for (const l of this.listeners) l(id, event);
  }
}

function storedTurnView(t: StoredTurn): TurnView {
  return {
    info: {
      id: t.turnId,
      status: t.status,
      error: t.error ? { message: t.error.message, kind: t.error.kind ?? 'other', httpStatus: t.error.httpStatus ?? null } : null,
      startedAt: t.startedAt,
      completedAt: t.completedAt,
      durationMs: t.durationMs,
    },
    items: t.items as TurnItem[],
  };
}

/** A store failure as the SessionError faces understand; other errors pass through. */
function toSessionError(err: unknown): unknown {
  return err instanceof StorageError ? storageSessionError(err) : err;
}

/** Runs a store write, turning a StorageError into a `storage_error` SessionError. */
function guardStorage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toSessionError(err);
  }
}

function stripNull<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;
}

/** The collaboration mode as a settings field, omitted when unset (threads start in default mode). */
function withCollaborationMode(mode: ThreadSettings['collaborationMode'] | null | undefined): Pick<ThreadSettings, 'collaborationMode'> {
  return mode ? { collaborationMode: { mode: mode.mode, developerInstructions: mode.developerInstructions ?? null } } : {};
}

/** The key of a `settings` rollout line that holds the thread's own config layer. */
const THREAD_CONFIG_KEY = 'threadConfig';

/** Settings as persisted: the thread's config layer rides along, so a resume rebuilds it. */
function persistedSettings(settings: ThreadSettings, thread: ThreadConfig | null): Record<string, unknown> {
  return thread ? { ...settings, [THREAD_CONFIG_KEY]: thread.layer } : { ...settings };
}

/** Stored settings split into the settings proper and the thread's config layer (if any). */
function storedThreadSettings(stored: Record<string, unknown>): { settings: Partial<ThreadSettings>; layer: Record<string, unknown> | null } {
  const { [THREAD_CONFIG_KEY]: layer, ...settings } = stored;
  const isLayer = typeof layer === 'object' && layer !== null && !Array.isArray(layer);
  return { settings: settings as Partial<ThreadSettings>, layer: isLayer ? (layer as Record<string, unknown>) : null };
}

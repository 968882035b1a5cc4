import type { McpServerConfig } from '../../config/types.js';
import type { McpServerStartupState } from '../../core/events.js';
import type { ToolSpec } from '../../model/types.js';
import type { Logger } from '../../util/logger.js';
import type { DynamicTools, ToolHandler } from '../types.js';
import { McpServerConnection, type McpRuntimeStatus, type McpToolInfo } from './connection.js';
import { sanitizeInputSchema, toolDescription } from './format.js';
import { mcpToolHandler } from './handler.js';
import { ToolNamer } from './names.js';

/**
 * The most MCP tools one thread offers the model (the APIs take about 128 tools per request, and
 * every tool costs prompt tokens). Tools past the limit are not offered; their server's status
 * says so.
 */
export const MAX_MCP_TOOLS = 100;

/** What `mcpServerStatus/list` shows of one server of a thread. */
export interface McpServerView {
  name: string;
  config: McpServerConfig;
  status: McpRuntimeStatus;
  /** The tools offered to the model, by their MCP name. */
  tools: McpToolInfo[];
  /** Why the server is not running, or why some of its tools are not offered. */
  error: string | null;
  serverInfo: { name: string; version: string; [k: string]: unknown } | null;
}

export interface ThreadMcpDeps {
  logger: Logger;
  env: NodeJS.ProcessEnv;
  cwd: string;
  clientVersion: string;
  /** A server's start-up state changed (the face sends `mcpServer/startupStatus/updated`). */
  onStatus(name: string, status: McpServerStartupState, error: string | null): void;
}

interface Offered {
  spec: ToolSpec;
  handler: ToolHandler;
}

/**
 * One thread's MCP servers: started together when the thread loads (without delaying it), offered
 * to the model as `mcp__<server>__<tool>` functions, stopped when the thread unloads. Nothing of
 * it is shared with another thread: each thread has its own processes and connections.
 */
export class ThreadMcpServers implements DynamicTools {
  private conns: McpServerConnection[];
  private offered = new Map<string, Offered>();
  private dropped = new Map<string, number>();
  private started: Promise<void> | null = null;
  private closed = false;

  constructor(
    configs: Record<string, McpServerConfig>,
    private readonly deps: ThreadMcpDeps,
  ) {
    this.conns = this.connections(configs);
  }

  private connections(configs: Record<string, McpServerConfig>): McpServerConnection[] {
    const names = Object.keys(configs).sort();
    return names.map(
      (name) =>
        new McpServerConnection(name, configs[name]!, {
          logger: this.deps.logger,
          env: this.deps.env,
          cwd: this.deps.cwd,
          clientVersion: this.deps.clientVersion,
          onStatus: (status, error) => this.onStatus(name, status, error),
          onToolsChanged: () => this.rebuild(),
        }),
    );
  }

  /**
   * Replaces the servers with a new configuration (`config/mcpServer/reload`): every old server
   * is stopped and the new ones are started.
   */
  async reconfigure(configs: Record<string, McpServerConfig>): Promise<void> {
    if (this.closed) return;
    const old = this.conns;
    this.conns = this.connections(configs);
    this.rebuild();
    await Promise.all(old.map((c) => c.close()));
    if (this.closed) return;
    this.started = null;
    this.start();
  }

  /** Whether any server is configured (enabled or not). */
  get size(): number {
    return this.conns.length;
  }

  /**
   * Starts every enabled server, in parallel; returns at once. Idempotent. The processes are
   * spawned one event-loop turn later, after what the daemon has queued to write (the answer that
   * loaded the thread): spawning is slow enough to hold that answer back otherwise.
   */
  start(): void {
    if (this.started || this.closed || this.conns.length === 0) return;
    this.started = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      if (this.closed) return;
      await Promise.all(this.conns.map((c) => c.start()));
    });
  }

  private onStatus(name: string, status: McpRuntimeStatus, error: string | null): void {
    this.rebuild();
    const startup: McpServerStartupState | null =
      status === 'starting' ? 'starting' : status === 'connected' ? 'ready' : status === 'failed' ? 'failed' : status === 'cancelled' ? 'cancelled' : null;
    if (startup && !this.closed) this.deps.onStatus(name, startup, error);
  }

  /** Recomputes the offered tools: servers by name, tools as listed, filtered, up to the limit. */
  private rebuild(): void {
    const namer = new ToolNamer();
    const offered = new Map<string, Offered>();
    const dropped = new Map<string, number>();
    for (const conn of this.conns) {
      if (conn.status === 'disabled') continue;
      for (const tool of this.allowed(conn)) {
        if (offered.size >= MAX_MCP_TOOLS) {
          dropped.set(conn.name, (dropped.get(conn.name) ?? 0) + 1);
          continue;
        }
        const name = namer.name(conn.name, tool.name);
        offered.set(name, {
          spec: { type: 'function', name, description: toolDescription(conn.name, tool.title, tool.description), parameters: sanitizeInputSchema(tool.inputSchema) },
          handler: mcpToolHandler(name, conn, tool),
        });
      }
    }
    this.offered = offered;
    this.dropped = dropped;
  }

  /** A server's listed tools after `enabled_tools` (when set) and `disabled_tools`. */
  private allowed(conn: McpServerConnection): McpToolInfo[] {
    const { enabledTools, disabledTools } = conn.config;
    return conn.tools.filter((t) => (enabledTools === undefined || enabledTools.includes(t.name)) && !(disabledTools ?? []).includes(t.name));
  }

  specs(): ToolSpec[] {
    return [...this.offered.values()].map((o) => o.spec);
  }

  find(name: string): ToolHandler | undefined {
    return this.offered.get(name)?.handler;
  }

  /**
   * Waits for the first start of every server (each bounded by its startup timeout) or the
   * signal; then fails when a `required` server is not running.
   */
  async ready(signal: AbortSignal): Promise<void> {
    this.start();
    if (this.started) {
      await new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        const done = (): void => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        signal.addEventListener('abort', done, { once: true });
        void this.started!.then(done);
      });
    }
    if (signal.aborted) return;
    for (const c of this.conns) {
      if (c.config.required !== true || c.status === 'disabled') continue;
      // A required server that stopped is started again before the turn gives up on it.
      if (c.status !== 'connected') await c.start();
      if (c.status !== 'connected') {
        throw new Error(`the required MCP server ${c.name} is not running: ${c.lastError ?? c.status}`);
      }
    }
  }

  /** Each server's state and the tools it offers, sorted by name. */
  views(): McpServerView[] {
    return this.conns.map((conn) => {
      const allowed = conn.status === 'disabled' ? [] : this.allowed(conn);
      const dropped = this.dropped.get(conn.name) ?? 0;
      const kept = allowed.slice(0, allowed.length - dropped);
      const limitNote = dropped > 0 ? `${dropped} tools not offered to the model: a thread offers at most ${MAX_MCP_TOOLS} MCP tools` : null;
      return {
        name: conn.name,
        config: conn.config,
        status: conn.status,
        tools: kept,
        error: conn.status === 'failed' ? conn.lastError : limitNote,
        serverInfo: conn.serverInfo,
      };
    });
  }

  /** Stops every server (process groups killed). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.conns.map((c) => c.close()));
  }
}

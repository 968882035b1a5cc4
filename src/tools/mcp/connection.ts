import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { McpServerConfig } from '../../config/types.js';
import type { Logger } from '../../util/logger.js';
import { boundedFetch } from './http-fetch.js';
import { MAX_MESSAGE_BYTES, StdioServerTransport } from './stdio-transport.js';

/** Codex's defaults: 10 s to start (initialize + tools/list), 60 s per tool call. */
export const DEFAULT_STARTUP_TIMEOUT_MS = 10_000;
export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;
/** Pages of `tools/list` read at most (a server that pages forever is cut off). */
const MAX_TOOL_PAGES = 50;

/** Variables a stdio server gets from the daemon's environment (besides its `env` and `env_vars`). */
const BASE_ENV_VARS = ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'USER', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TERM', 'TMPDIR', 'TZ'];

export type McpRuntimeStatus = 'notStarted' | 'starting' | 'connected' | 'failed' | 'cancelled' | 'disabled';

/** A tool as its server lists it (`annotations` come from the configured server: trusted). */
export interface McpToolInfo {
  name: string;
  title?: string;
  description?: string;
  inputSchema: unknown;
  annotations?: { readOnlyHint?: boolean; [k: string]: unknown };
  /** The tool as listed, for `mcpServerStatus/list`. */
  raw: Record<string, unknown>;
}

export interface CallOptions {
  signal: AbortSignal;
  onProgress?: (message: string) => void;
}

/** What a call returned (the SDK's `CallToolResult`, loosely). */
export interface CallResult {
  content: unknown[];
  structuredContent?: unknown;
  isError?: boolean;
  _meta?: unknown;
}

/** A call that failed before a result came back, with the reason the model and the client see. */
export class McpCallError extends Error {
  constructor(message: string, readonly kind: 'timeout' | 'aborted' | 'closed' | 'unavailable' | 'protocol') {
    super(message);
    this.name = 'McpCallError';
  }
}

type Sdk = {
  Client: typeof import('@modelcontextprotocol/sdk/client/index.js').Client;
  StreamableHTTPClientTransport: typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js').StreamableHTTPClientTransport;
  types: typeof import('@modelcontextprotocol/sdk/types.js');
};
let sdk: Promise<Sdk> | null = null;
/** The MCP SDK, loaded the first time a server starts (it is not needed to answer `initialize`). */
function loadSdk(): Promise<Sdk> {
  sdk ??= Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]).then(([c, h, types]) => ({ Client: c.Client, StreamableHTTPClientTransport: h.StreamableHTTPClientTransport, types }));
  return sdk;
}

export interface ConnectionDeps {
  logger: Logger;
  /** The daemon's environment (variables for stdio servers and bearer tokens are read from it). */
  env: NodeJS.ProcessEnv;
  /** Where a stdio server runs when its config names no `cwd` (the thread's working directory). */
  cwd: string;
  clientVersion: string;
  /** Called on every state change (`ready` is `connected`). */
  onStatus(status: McpRuntimeStatus, error: string | null): void;
  /** Called when the running server's tool list changed (`notifications/tools/list_changed`). */
  onToolsChanged?(): void;
}

/**
 * One MCP server of one thread: starts it (stdio child process or streamable HTTP), lists its
 * tools, calls them with a timeout and cancellation, notices when it dies and starts it again on
 * the next use. Never shared between threads.
 */
export class McpServerConnection {
  status: McpRuntimeStatus;
  lastError: string | null = null;
  /** The tools the server listed at its last start (all of them; filtering is the caller's). */
  tools: McpToolInfo[] = [];
  serverInfo: { name: string; version: string; [k: string]: unknown } | null = null;
  capabilities: unknown = null;
  /** Generation of the running client; a close of an older one is not reported. */
  private gen = 0;
  private client: Client | null = null;
  private transport: Transport | null = null;
  private starting: Promise<void> | null = null;
  private closed = false;

  constructor(
    readonly name: string,
    readonly config: McpServerConfig,
    private readonly deps: ConnectionDeps,
  ) {
    this.status = config.enabled === false ? 'disabled' : 'notStarted';
  }

  get startupTimeoutMs(): number {
    const s = this.config.startupTimeoutSec;
    return s !== undefined && s > 0 ? s * 1000 : DEFAULT_STARTUP_TIMEOUT_MS;
  }

  get toolTimeoutMs(): number {
    const s = this.config.toolTimeoutSec;
    return s !== undefined && s > 0 ? s * 1000 : DEFAULT_TOOL_TIMEOUT_MS;
  }

  /** Starts the server unless it runs or is starting; resolves when it is ready or has failed (never rejects). */
  start(): Promise<void> {
    if (this.status === 'disabled' || this.closed) return Promise.resolve();
    if (this.status === 'connected') return Promise.resolve();
    this.starting ??= this.doStart().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private setStatus(status: McpRuntimeStatus, error: string | null): void {
    this.status = status;
    if (error !== null) this.lastError = error;
    this.deps.onStatus(status, error);
  }

  private async doStart(): Promise<void> {
    const gen = ++this.gen;
    this.setStatus('starting', null);
    const timeoutMs = this.startupTimeoutMs;
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new Error(`did not finish starting (initialize and tools/list) within ${timeoutMs / 1000}s`));
      }, timeoutMs);
    });
    let transport: Transport | null = null;
    try {
      const s = await loadSdk();
      if (gen !== this.gen || this.closed) return;
      transport = this.createTransport(s);
      this.transport = transport;
      const client = new s.Client(
        { name: 'agentd', version: this.deps.clientVersion },
        { capabilities: {}, listChanged: { tools: { autoRefresh: false, debounceMs: 100, onChanged: () => void this.refreshTools(gen) } } },
      );
      this.client = client;
      client.onerror = (err) => this.deps.logger.debug({ err, mcpServer: this.name }, 'MCP client error');
      client.onclose = () => this.onClosed(gen);
      await Promise.race([
        (async () => {
          await client.connect(transport!, { signal: abort.signal, timeout: timeoutMs });
          const tools = await this.listTools(client, abort.signal, timeoutMs);
          if (gen !== this.gen || this.closed) return;
          this.tools = tools;
          this.serverInfo = (client.getServerVersion() as McpServerConnection['serverInfo']) ?? null;
          this.capabilities = client.getServerCapabilities() ?? null;
        })(),
        timedOut,
      ]);
      if (gen !== this.gen || this.closed) return;
      this.setStatus('connected', null);
      this.lastError = null;
      this.deps.logger.info({ mcpServer: this.name, tools: this.tools.length }, 'MCP server ready');
    } catch (err) {
      if (gen !== this.gen || this.closed) return;
      const message = this.describeStartFailure(err, transport);
      this.client = null;
      this.transport = null;
      void transport?.close().catch(() => {});
      this.deps.logger.warn({ mcpServer: this.name, error: message }, 'MCP server failed to start');
      this.setStatus('failed', message);
    } finally {
      clearTimeout(timer);
    }
  }

  private describeStartFailure(err: unknown, transport: Transport | null): string {
    let message = err instanceof Error ? err.message : String(err);
    if (transport instanceof StdioServerTransport) {
      if (transport.failure) message = transport.failure;
      else if (transport.exit && !message.includes(transport.exit)) message += ` (the server exited: ${transport.exit})`;
      if (transport.stderr) message += `; stderr: ${transport.stderr.slice(-500)}`;
    }
    return `MCP server ${this.name} failed to start: ${message}`;
  }

  private createTransport(s: Sdk): Transport {
    const c = this.config;
    if (c.command !== undefined) {
      return new StdioServerTransport({
        name: this.name,
        command: c.command,
        args: c.args ?? [],
        env: this.stdioEnv(),
        cwd: c.cwd ?? this.deps.cwd,
        logger: this.deps.logger,
        parseMessage: (v) => s.types.JSONRPCMessageSchema.parse(v),
      });
    }
    if (c.url !== undefined) {
      const headers: Record<string, string> = { ...c.httpHeaders };
      for (const [h, envName] of Object.entries(c.envHttpHeaders ?? {})) {
        const v = this.deps.env[envName];
        if (v) headers[h] = v;
      }
      if (c.bearerTokenEnvVar !== undefined) {
        const token = this.deps.env[c.bearerTokenEnvVar];
        if (!token) throw new Error(`the environment variable ${c.bearerTokenEnvVar} (bearer_token_env_var) is not set`);
        headers['Authorization'] = `Bearer ${token}`;
      }
      return new s.StreamableHTTPClientTransport(new URL(c.url), { requestInit: { headers }, fetch: boundedFetch(MAX_MESSAGE_BYTES, `MCP server ${this.name}`) });
    }
    throw new Error('neither `command` (stdio) nor `url` (streamable HTTP) is configured');
  }

  /** A few basic variables of the daemon's environment, those named by `env_vars`, then `env`. */
  private stdioEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const k of [...BASE_ENV_VARS, ...(this.config.envVars ?? [])]) {
      const v = this.deps.env[k];
      if (v !== undefined) env[k] = v;
    }
    return { ...env, ...this.config.env };
  }

  private async listTools(client: Client, signal: AbortSignal, timeout: number): Promise<McpToolInfo[]> {
    if (!client.getServerCapabilities()?.tools) return [];
    const out: McpToolInfo[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_TOOL_PAGES; page++) {
      const res = await client.listTools(cursor ? { cursor } : {}, { signal, timeout });
      for (const t of res.tools) {
        const raw = t as unknown as Record<string, unknown>;
        const ann = typeof t.annotations === 'object' && t.annotations !== null ? (t.annotations as McpToolInfo['annotations']) : undefined;
        out.push({ name: t.name, title: t.title, description: t.description, inputSchema: t.inputSchema, annotations: ann, raw });
      }
      cursor = res.nextCursor;
      if (!cursor) break;
    }
    return out;
  }

  /** Lists the tools again after the server said they changed; a failure keeps the old list. */
  private async refreshTools(gen: number): Promise<void> {
    const client = this.client;
    if (gen !== this.gen || this.closed || !client || this.status !== 'connected') return;
    try {
      const tools = await this.listTools(client, new AbortController().signal, this.startupTimeoutMs);
      if (gen !== this.gen || this.closed) return;
      this.tools = tools;
      this.deps.logger.info({ mcpServer: this.name, tools: tools.length }, 'MCP server tools changed');
      this.deps.onToolsChanged?.();
    } catch (err) {
      this.deps.logger.warn({ err, mcpServer: this.name }, 'MCP server tools changed but cannot be listed');
    }
  }

  private onClosed(gen: number): void {
    if (gen !== this.gen || this.closed) return;
    const t = this.transport;
    const exit = t instanceof StdioServerTransport && (t.failure || t.exit) ? ` (${t.failure ?? t.exit})` : '';
    const stderr = t instanceof StdioServerTransport && t.stderr ? `; stderr: ${t.stderr.slice(-500)}` : '';
    this.client = null;
    this.transport = null;
    if (this.status === 'connected') {
      const message = `MCP server ${this.name} stopped${exit}${stderr}; it is started again on its next use`;
      this.deps.logger.warn({ mcpServer: this.name }, message);
      this.setStatus('failed', message);
    }
  }

  /**
   * Calls a tool: starts the server first when it is not running (a crashed server restarts
   * here). Rejects with an {@link McpCallError} on timeout, interrupt or a lost server.
   */
  async call(tool: string, args: Record<string, unknown>, opts: CallOptions): Promise<CallResult> {
    if (this.status === 'disabled') throw new McpCallError(`MCP server ${this.name} is disabled`, 'unavailable');
    if (this.status !== 'connected') await this.start();
    const client = this.client;
    if (this.status !== 'connected' || !client) {
      throw new McpCallError(this.lastError ?? `MCP server ${this.name} is not running`, 'unavailable');
    }
    const timeoutMs = this.toolTimeoutMs;
    try {
      const res = await client.callTool({ name: tool, arguments: args }, undefined, {
        signal: opts.signal,
        timeout: timeoutMs,
        ...(opts.onProgress
          ? {
              onprogress: (p: { progress: number; total?: number; message?: string }) =>
                opts.onProgress!(p.message ?? (p.total ? `${p.progress}/${p.total}` : String(p.progress))),
            }
          : {}),
      });
      return res as CallResult;
    } catch (err) {
      if (opts.signal.aborted) throw new McpCallError('the call was cancelled (turn interrupted)', 'aborted');
      const code = (err as { code?: unknown })?.code;
      const message = err instanceof Error ? err.message : String(err);
      if (code === -32001) throw new McpCallError(`MCP tool call timed out after ${timeoutMs / 1000}s (tool_timeout_sec)`, 'timeout');
      if (code === -32000 || this.client !== client) {
        throw new McpCallError(`MCP server ${this.name} stopped during the call${this.lastError ? `: ${this.lastError}` : ''}`, 'closed');
      }
      throw new McpCallError(`MCP tool call failed: ${message}`, 'protocol');
    }
  }

  /** Stops the server (its process group is killed); no restart after this. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const wasStarting = this.status === 'starting';
    this.gen++;
    const client = this.client;
    const transport = this.transport;
    this.client = null;
    this.transport = null;
    if (wasStarting) this.setStatus('cancelled', null);
    try {
      if (client) await client.close();
      else await transport?.close();
    } catch (err) {
      this.deps.logger.debug({ err, mcpServer: this.name }, 'closing an MCP server failed');
    }
  }
}

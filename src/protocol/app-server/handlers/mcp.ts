import type { McpServerConfig } from '../../../config/types.js';
import type { McpServerView } from '../../../core/thread-manager.js';
import type { Result } from '../schema/methods.js';
import type { HandlerDeps, HandlerGroup } from './types.js';
import { paginate } from './shared.js';

type McpServerStatus = Result<'mcpServerStatus/list'>['data'][number];

/** Said of a server no thread runs (the list was asked without a loaded thread). */
export const MCP_NOT_STARTED = 'not started: MCP servers run per thread (ask with the threadId of a loaded thread)';

/**
 * `mcpServerStatus/list`: with the `threadId` of a loaded thread, that thread's MCP servers as
 * they run (state, the tools offered to the model, the last error); without one, the servers
 * config.toml configures, not started. Sorted by name.
 * `config/mcpServer/reload`: reads the MCP servers from the config again and restarts every loaded
 * thread's servers with them.
 */
export function mcpHandlers(d: HandlerDeps): HandlerGroup<'mcpServerStatus/list' | 'config/mcpServer/reload'> {
  return {
    'mcpServerStatus/list': (p) => {
      const running = p.threadId ? d.threads.mcpStatus(p.threadId) : null;
      const servers = p.threadId ? d.threads.configOf(p.threadId).mcpServers : d.config.mcpServers;
      const all = running
        ? running.filter((v) => p.serverName == null || v.name === p.serverName).map(runningStatus)
        : Object.entries(servers)
            .filter(([name]) => p.serverName == null || name === p.serverName)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([name, s]) => serverStatus(name, s));
      return paginate(all, p.cursor, p.limit);
    },
    'config/mcpServer/reload': async () => {
      await d.threads.reloadMcpServers();
      return {};
    },
  };
}

function serverStatus(name: string, s: McpServerConfig): McpServerStatus {
  return {
    name,
    tools: {},
    resources: [],
    resourceTemplates: [],
    authStatus: authStatus(s),
    runtimeStatus: s.enabled === false ? 'disabled' : 'notStarted',
    toolsError: s.enabled === false ? null : MCP_NOT_STARTED,
    httpOrigin: s.url !== undefined ? origin(s.url) : null,
  };
}

/** A server as a loaded thread runs it: its state, its tools by MCP name, and its last error. */
function runningStatus(v: McpServerView): McpServerStatus {
  const tools: McpServerStatus['tools'] = {};
  for (const t of v.tools) tools[t.name] = { ...t.raw, name: t.name, inputSchema: t.inputSchema };
  return {
    name: v.name,
    tools,
    resources: [],
    resourceTemplates: [],
    authStatus: authStatus(v.config),
    runtimeStatus: v.status,
    toolsError: v.error,
    httpOrigin: v.config.url !== undefined ? origin(v.config.url) : null,
    ...(v.serverInfo ? { serverInfo: v.serverInfo } : {}),
  };
}

/** stdio servers take no auth; an HTTP server with a bearer token has one; otherwise unknown. */
function authStatus(s: McpServerConfig): McpServerStatus['authStatus'] {
  if (s.url === undefined) return 'unsupported';
  const hasAuthHeader = Object.keys({ ...s.httpHeaders, ...s.envHttpHeaders }).some((h) => h.toLowerCase() === 'authorization');
  if (s.bearerTokenEnvVar !== undefined || hasAuthHeader) return 'bearerToken';
  return 'unknown';
}

/** Scheme, host and port only (no credentials, path or query). */
function origin(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

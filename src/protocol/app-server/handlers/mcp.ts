import type { McpServerConfig } from '../../../config/types.js';
import type { Result } from '../schema/methods.js';
import type { HandlerDeps, HandlerGroup } from './types.js';
import { paginate } from './shared.js';

type McpServerStatus = Result<'mcpServerStatus/list'>['data'][number];

/** Said of every server until agentd runs MCP servers: no catalogue was asked for. */
export const MCP_NOT_STARTED = 'not started: agentd does not run MCP servers yet';

/**
 * `mcpServerStatus/list`: the configured MCP servers (config.toml, and with `threadId` that
 * thread's own config), sorted by name. None is started, so none has tools or resources yet.
 */
export function mcpHandlers(d: HandlerDeps): HandlerGroup<'mcpServerStatus/list'> {
  return {
    'mcpServerStatus/list': (p) => {
      const servers = p.threadId ? d.threads.configOf(p.threadId).mcpServers : d.config.mcpServers;
      const all = Object.entries(servers)
        .filter(([name]) => p.serverName == null || name === p.serverName)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, s]) => serverStatus(name, s));
      return paginate(all, p.cursor, p.limit);
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
    toolsError: MCP_NOT_STARTED,
    httpOrigin: s.url !== undefined ? origin(s.url) : null,
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

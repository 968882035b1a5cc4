import type { McpServerConfig } from '../../config/types.js';
import type { McpServerStartupState } from '../../core/events.js';
import type { Logger } from '../../util/logger.js';
import { ThreadMcpServers } from './manager.js';

export interface McpFactoryDeps {
  /** The daemon's environment: stdio servers get a few basic variables of it, HTTP servers their tokens. */
  env: NodeJS.ProcessEnv;
  /** agentd's version, sent as the MCP client's version. */
  clientVersion: string;
}

export interface ThreadMcpOptions {
  threadId: string;
  /** The thread's working directory (where a stdio server without `cwd` runs). */
  cwd: string;
  logger: Logger;
  onStatus(name: string, status: McpServerStartupState, error: string | null): void;
}

/** Builds each thread's own MCP servers (wired once in main, used by the ThreadManager). */
export class McpFactory {
  constructor(private readonly deps: McpFactoryDeps) {}

  forThread(servers: Record<string, McpServerConfig>, t: ThreadMcpOptions): ThreadMcpServers {
    return new ThreadMcpServers(servers, {
      logger: t.logger,
      env: this.deps.env,
      cwd: t.cwd,
      clientVersion: this.deps.clientVersion,
      onStatus: t.onStatus,
    });
  }
}

import type { ModelInfo } from '../config/types.js';
import type { ModelClient } from '../model/types.js';
import type { ThreadSkills } from '../skills/index.js';
import type { ReconstructedThread } from '../store/reconstruct.js';
import type { RolloutLine, ThreadMeta } from '../store/types.js';
import type { ThreadMcpServers } from '../tools/mcp/index.js';
import type { ToolRegistry } from '../tools/registry.js';
import type { ProcessSessionManager } from '../tools/shell/process-sessions.js';
import type { TurnDiffTracker } from '../tools/types.js';
import type { OutputFlow } from '../util/flow.js';
import type { Logger } from '../util/logger.js';

/** Where a thread's rollout lines go (the store's recorder); absent for ephemeral threads. */
export interface RolloutSink {
  append(line: RolloutLine): void;
  sync(): Promise<void>;
  close(): void;
}

/** Updates a stored thread's index entry. */
export type MetaUpdater = (patch: Partial<Pick<ThreadMeta, 'name' | 'preview' | 'updatedAt' | 'model' | 'cwd'>>) => void;

/**
 * Plain handles a Session uses, one set per thread; no logic lives here but `dispose`, which
 * releases what belongs to the thread alone (its process sessions, its rollout file).
 */
export interface SessionServices {
  modelClientFor(providerId: string): ModelClient;
  modelInfo(model: string): ModelInfo;
  /** The configured `model_auto_compact_token_limit` (absent or null: 90% of the model's window). */
  autoCompactTokenLimit?: () => number | null;
  tools: ToolRegistry;
  recorder: RolloutSink | null;
  updateMeta: MetaUpdater | null;
  createDiffTracker(cwd: string): TurnDiffTracker;
  logger: Logger;
  now(): number;
  /** This thread's `exec_command` sessions; killed when the thread unloads. */
  processes: ProcessSessionManager;
  /** Back-pressure from the client connection. */
  flow: OutputFlow;
  /** The thread's own MCP servers (their tools are in `tools`); stopped on dispose. */
  mcp?: ThreadMcpServers;
  /** The skills of the thread's working directory, watched while the thread is loaded (absent: none). */
  skills?: ThreadSkills;
  /** The environment of this thread's commands, when its own config shapes it (else the daemon's). */
  commandEnv?: () => NodeJS.ProcessEnv;
  /** Rebuilds the thread from its rollout (absent: ephemeral); revert uses it for the history. */
  reload?: () => Promise<ReconstructedThread>;
  /**
   * Kills the thread's process sessions and MCP servers and closes its rollout. Called once the thread's turn has
   * ended, by `Session.shutdown` (every unload path: unsubscribe, archive, delete, daemon exit).
   * Idempotent.
   */
  dispose(): void;
}

/** Builds a thread's services with the standard `dispose`. */
export function createSessionServices(parts: Omit<SessionServices, 'dispose'>): SessionServices {
  let disposed = false;
  return {
    ...parts,
    dispose() {
      if (disposed) return;
      disposed = true;
      try {
        parts.processes.killAll();
      } finally {
        parts.recorder?.close();
        parts.skills?.dispose();
        void parts.mcp?.close().catch((err: unknown) => parts.logger.warn({ err }, 'stopping MCP servers failed'));
      }
    },
  };
}

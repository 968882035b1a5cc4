import type { ApprovalPolicy } from '../config/types.js';
import type { SandboxPolicy } from '../tools/types.js';

/** The policy types a thread's settings carry, for faces (which import no tool module). */
export type { ApprovalPolicy, SandboxPolicy };
/** How the agent collaborates with the user: `plan` plans without changing anything; `default` does the work. */
export type CollaborationModeKind = 'default' | 'plan';

/** The thread's collaboration mode and the instructions that go with it. */
export interface CollaborationModeSetting {
  mode: CollaborationModeKind;
  /** Instructions for this mode; null means the built-in instructions of the mode. */
  developerInstructions: string | null;
}

export const DEFAULT_COLLABORATION_MODE: CollaborationModeSetting = { mode: 'default', developerInstructions: null };

/** A thread's settings: set at start, changed by per-turn overrides that stick. */
export interface ThreadSettings {
  model: string;
  modelProvider: string;
  cwd: string;
  approvalPolicy: ApprovalPolicy;
  sandboxPolicy: SandboxPolicy;
  reasoningEffort: string | null;
  reasoningSummary: string | null;
  baseInstructions: string | null;
  developerInstructions: string | null;
  /** Absent in threads stored before collaboration modes existed: `default` mode. */
  collaborationMode?: CollaborationModeSetting;
}

/** The thread's collaboration mode, `default` when none was ever set. */
export function collaborationModeOf(settings: ThreadSettings): CollaborationModeSetting {
  return settings.collaborationMode ?? DEFAULT_COLLABORATION_MODE;
}

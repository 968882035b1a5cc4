import type { ApprovalPolicy } from '../config/types.js';
import type { SandboxPolicy } from '../tools/types.js';

/** The policy types a thread's settings carry, for faces (which import no tool module). */
export type { ApprovalPolicy, SandboxPolicy };

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
}

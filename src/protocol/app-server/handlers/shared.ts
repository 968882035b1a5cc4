import type { ThreadOverrides, ThreadRecord } from '../../../core/thread-manager.js';
import type { Session } from '../../../core/session.js';
import type { ThreadSettings } from '../../../core/settings.js';
import type { SandboxPolicy } from '../../../core/settings.js';
import type { Params, Result } from '../schema/methods.js';
import { wireApprovalPolicy, wireThread } from '../wire.js';

/** A wire sandbox policy (as parsed by its schema) → the core's policy, defaults filled in. */
export function sandboxPolicyFrom(p: Params<'turn/start'>['sandboxPolicy']): SandboxPolicy | null {
  if (!p) return null;
  if (p.type === 'dangerFullAccess') return { type: 'dangerFullAccess' };
  if (p.type === 'readOnly') return { type: 'readOnly', networkAccess: !!p.networkAccess };
  return {
    type: 'workspaceWrite',
    writableRoots: p.writableRoots ?? [],
    networkAccess: !!p.networkAccess,
    excludeTmpdirEnvVar: !!p.excludeTmpdirEnvVar,
    excludeSlashTmp: !!p.excludeSlashTmp,
  };
}

/** The settings fields `turn/start` and `thread/settings/update` share (absent: unchanged). */
export function settingsOverrides(
  p: Pick<Params<'turn/start'>, 'approvalPolicy' | 'sandboxPolicy' | 'model' | 'effort' | 'summary'>,
): Partial<ThreadSettings> {
  const out: Partial<ThreadSettings> = {};
  if (p.approvalPolicy) out.approvalPolicy = p.approvalPolicy;
  const sandbox = sandboxPolicyFrom(p.sandboxPolicy);
  if (sandbox) out.sandboxPolicy = sandbox;
  if (p.model) out.model = p.model;
  if (p.effort) out.reasoningEffort = p.effort;
  if (p.summary) out.reasoningSummary = p.summary;
  return out;
}

/** The overrides of thread/start, resume and fork. */
export function threadOverrides(p: Params<'thread/start'> | Params<'thread/resume'> | Params<'thread/fork'>): ThreadOverrides {
  return {
    model: p.model,
    modelProvider: p.modelProvider,
    cwd: p.cwd,
    approvalPolicy: p.approvalPolicy,
    sandboxMode: p.sandbox,
    baseInstructions: p.baseInstructions,
    developerInstructions: p.developerInstructions,
    config: p.config,
  };
}

/** The response shape shared by thread/start, resume and fork. */
export function threadResponse(record: ThreadRecord, session: Session, includeTurns: boolean): Result<'thread/start'> & { thread: ReturnType<typeof wireThread> } {
  const s = session.settings();
  return {
    thread: wireThread(record, session.status(), includeTurns ? session.turns() : []),
    model: s.model,
    modelProvider: s.modelProvider,
    cwd: s.cwd,
    approvalPolicy: wireApprovalPolicy(s.approvalPolicy),
    approvalsReviewer: 'user',
    sandbox: s.sandboxPolicy,
    reasoningEffort: s.reasoningEffort as Result<'thread/start'>['reasoningEffort'],
    instructionSources: [],
  };
}

/** Offset cursors over an in-memory list. */
export function paginate<T>(all: T[], cursor: string | null | undefined, limit: number | null | undefined) {
  const start = cursor ? Math.max(0, Number.parseInt(cursor, 10) || 0) : 0;
  const n = Math.min(Math.max(limit ?? 50, 1), 500);
  const data = all.slice(start, start + n);
  return { data, nextCursor: start + n < all.length ? String(start + n) : null };
}

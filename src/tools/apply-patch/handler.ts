import path from 'node:path';
import type { FileUpdateChange } from '../../core/items.js';
import {
  TurnAbortedError,
  type ApprovalDecision,
  type ApprovalPolicy,
  type ToolCall,
  type ToolContext,
  type ToolHandler,
  type ToolOutput,
} from '../types.js';
import { commitPatch } from './commit.js';
import { checkPatchPaths, isWithin, planPaths, type PatchPathCheck } from './paths.js';
import { planPatch, type PatchPlan } from './plan.js';

/** What to do with a planned patch before any item is emitted. */
export type PatchDecision =
  | { action: 'apply' }
  | { action: 'ask'; reason: string | null; grantRoot: string | null }
  | { action: 'refuse'; reason: string };

/**
 * Decides like Codex: `untrusted` always asks; a patch inside the writable roots (or under
 * `dangerFullAccess`, where the check always passes) applies at once; a patch reaching outside
 * asks under `on-request`/`on-failure` and is refused under `never`.
 */
export function decidePatch(check: PatchPathCheck, approvalPolicy: ApprovalPolicy): PatchDecision {
  if (approvalPolicy === 'untrusted') {
    return { action: 'ask', reason: check.ok ? null : check.reason, grantRoot: check.ok ? null : commonDir(check.paths) };
  }
  if (check.ok) return { action: 'apply' };
  if (approvalPolicy === 'never') {
    return {
      action: 'refuse',
      reason: `patch rejected: ${check.reason}. The approval policy is 'never', so it cannot be approved; write only inside the writable roots.`,
    };
  }
  return { action: 'ask', reason: check.reason, grantRoot: commonDir(check.paths) };
}

/** The item's `changes`: one entry per file operation, absolute paths, per-file diffs. */
export function planChanges(plan: PatchPlan): FileUpdateChange[] {
  return plan.files.map((f) => ({
    path: f.path,
    kind: f.kind === 'update' ? { type: 'update', move_path: f.movePath } : { type: f.kind },
    diff: f.diff,
  }));
}

/** The model-facing success message, grouped like Codex: added, then modified, then deleted. */
export function patchSummary(plan: PatchPlan): string {
  const tag = { add: 'A', update: 'M', delete: 'D' } as const;
  const lines = (['add', 'update', 'delete'] as const).flatMap((kind) =>
    plan.files.filter((f) => f.kind === kind).map((f) => `${tag[kind]} ${f.displayPath}`),
  );
  return `Success. Updated the following files:\n${lines.join('\n')}\n`;
}

/** The `apply_patch` tool, in both its freeform and its function (`{"input": …}`) forms. */
export const applyPatchHandler: ToolHandler = {
  name: 'apply_patch',
  parallelSafe: false,
  handle: handleApplyPatch,
};

async function handleApplyPatch(call: ToolCall, ctx: ToolContext): Promise<ToolOutput> {
  const input = patchInput(call);
  if (!input.ok) return { success: false, content: input.error };

  let plan: PatchPlan;
  try {
    plan = await planPatch(input.patch, ctx.cwd);
  } catch (err) {
    return { success: false, content: err instanceof Error ? err.message : String(err) };
  }

  const decision = decidePatch(checkPatchPaths(plan, ctx.sandboxPolicy, ctx.cwd), ctx.approvalPolicy);
  ctx.logger.debug({ callId: call.callId, decision: decision.action }, 'apply_patch decision');
  if (decision.action === 'refuse') return { success: false, content: decision.reason };

  const id = call.callId;
  const changes = planChanges(plan);
  ctx.itemStarted({ type: 'fileChange', id, changes, status: 'inProgress' });

  if (decision.action === 'ask') {
    const answer: ApprovalDecision = await ctx.requestApproval({
      kind: 'fileChange',
      itemId: id,
      reason: decision.reason,
      grantRoot: decision.grantRoot,
      sessionKeys: planPaths(plan),
    });
    if (answer === 'decline' || answer === 'cancel') {
      ctx.itemCompleted({ type: 'fileChange', id, changes, status: 'declined' });
      if (answer === 'cancel') throw new TurnAbortedError();
      return { success: false, content: 'patch rejected by user' };
    }
  }
  if (ctx.signal.aborted) {
    ctx.itemCompleted({ type: 'fileChange', id, changes, status: 'declined' });
    throw new TurnAbortedError();
  }

  await ctx.diff.onBeforeChange(planPaths(plan));
  try {
    await commitPatch(plan);
  } catch (err) {
    await ctx.diffChanged();
    ctx.itemCompleted({ type: 'fileChange', id, changes, status: 'failed' });
    return { success: false, content: `Failed to apply patch: ${err instanceof Error ? err.message : String(err)}` };
  }
  // Recorded after the write so a failed commit never shows a rename that did not happen.
  for (const f of plan.files) if (f.movePath !== null && f.movePath !== f.path) ctx.diff.onMove(f.path, f.movePath);
  await ctx.diffChanged();
  ctx.itemCompleted({ type: 'fileChange', id, changes, status: 'completed' });
  return { success: true, content: patchSummary(plan) };
}

/** The patch text of a call: raw for the freeform form, `input` of the JSON for the function form. */
function patchInput(call: ToolCall): { ok: true; patch: string } | { ok: false; error: string } {
  if (call.kind === 'custom') return { ok: true, patch: call.input };
  let args: unknown;
  try {
    args = JSON.parse(call.input);
  } catch (err) {
    return { ok: false, error: `failed to parse apply_patch arguments as JSON: ${(err as Error).message}` };
  }
  const patch = (args as { input?: unknown } | null)?.input;
  if (typeof patch !== 'string') {
    return { ok: false, error: 'apply_patch expects JSON arguments of the form {"input": "<patch text>"}' };
  }
  return { ok: true, patch };
}

/** The deepest directory containing every path (what the user could grant write access to). */
function commonDir(paths: string[]): string | null {
  if (paths.length === 0) return null;
  let dir = path.dirname(paths[0]!);
  for (const p of paths.slice(1)) {
    while (!isWithin(p, dir)) {
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return dir;
}

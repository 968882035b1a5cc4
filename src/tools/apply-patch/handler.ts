import path from 'node:path';
import { lstat, realpath } from 'node:fs/promises';
import type { FileUpdateChange } from '../../core/items.js';
import {
  TurnAbortedError,
  type ApprovalDecision,
  type ApprovalPolicy,
  type SandboxPolicy,
  type ToolCall,
  type ToolContext,
  type ToolHandler,
  type ToolOutput,
} from '../types.js';
import { probeSandbox } from '../sandbox/probe.js';
import { policyNeedsSandbox } from '../sandbox/wrap.js';
import { commitPatch } from './commit.js';
import { parsePatch } from './parser.js';
import { checkPatchPaths, isWithin, planPaths, sessionKeysFor, type PatchPathCheck } from './paths.js';
import { planPatch, type PatchPlan } from './plan.js';
import { commitPatchSandboxed } from './sandboxed-commit.js';

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

/**
 * The item's `changes`: one entry per file operation, absolute paths. `diff` is what Codex puts
 * there: the new file's whole content for an add, the old content for a delete, and for an
 * update a unified diff of hunks only (`@@ -a,b +c,d @@`, no `---`/`+++` lines), followed by
 * `\n\nMoved to: <path>` when the update also moves the file. Clients (codex-acp) copy an add's
 * or a delete's `diff` as the file text and apply an update's hunks to the file on disk.
 */
export function planChanges(plan: PatchPlan): FileUpdateChange[] {
  return plan.files.map((f): FileUpdateChange => {
    switch (f.kind) {
      case 'add':
        return { path: f.path, kind: { type: 'add' }, diff: f.newContent ?? '' };
      case 'delete':
        return { path: f.path, kind: { type: 'delete' }, diff: f.oldContent ?? '' };
      case 'update': {
        return {
          path: f.path,
          kind: { type: 'update', move_path: f.movePath },
          diff: f.movePath !== null ? `${f.diff}\n\nMoved to: ${f.movePath}` : f.diff,
        };
      }
    }
  });
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

  // Where a patch reaching outside the roots can only be refused, it is refused before anything
  // is read: planning reads the files as the daemon, and whether a hunk matched would tell the
  // model whether a line of any file it names (another user's, root's) is what it guessed.
  if (ctx.approvalPolicy === 'never') {
    let early: PatchDecision;
    try {
      early = decidePatch(checkPatchPaths(pathsOnlyPlan(input.patch, ctx.cwd), ctx.sandboxPolicy, ctx.cwd), 'never');
    } catch (err) {
      return { success: false, content: err instanceof Error ? err.message : String(err) };
    }
    if (early.action === 'refuse') return { success: false, content: early.reason };
  }

  let plan: PatchPlan;
  try {
    const editorRead = ctx.editorFiles?.readText?.bind(ctx.editorFiles);
    plan = await planPatch(input.patch, ctx.cwd, editorRead);
  } catch (err) {
    return { success: false, content: err instanceof Error ? err.message : String(err) };
  }

  const check = checkPatchPaths(plan, ctx.sandboxPolicy, ctx.cwd);
  const decision = decideWrite(decidePatch(check, ctx.approvalPolicy), await sandboxState(ctx.sandboxPolicy), ctx.approvalPolicy, call.callId);
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
      sessionKeys: decision.sessionKeys ?? sessionKeysFor(plan),
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

  // The record comes before the first write: a daemon killed mid-patch leaves it for the resumed
  // thread. If it cannot be persisted, nothing is written.
  try {
    ctx.recordInProgress({ type: 'fileChange', id, changes, status: 'inProgress' });
  } catch (err) {
    ctx.itemCompleted({ type: 'fileChange', id, changes, status: 'failed' });
    return { success: false, content: `Failed to apply patch: could not record it first: ${err instanceof Error ? err.message : String(err)}` };
  }
  await ctx.diff.onBeforeChange(planPaths(plan));
  try {
    const editorWrite = ctx.editorFiles?.writeText?.bind(ctx.editorFiles);
    if (editorWrite && (await writableThroughEditor(plan))) {
      // The editor writes (its buffers stay current); the paths were checked above, and are
      // exactly where they resolve, so the editor writes nothing the check did not see.
      for (const f of plan.files) await editorWrite(f.path, f.newContent ?? '');
    } else if (decision.sandboxed) {
      // An approved patch may also write where the user approved it (the real directories, as checked).
      const approved = decision.action === 'ask' && !check.ok;
      await commitPatchSandboxed(plan, {
        policy: ctx.sandboxPolicy,
        cwd: ctx.cwd,
        grants: approved ? check.grants : [],
        targets: approved ? check.targets : {},
      });
    } else {
      await commitPatch(plan);
    }
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

/**
 * Whether the editor can write the whole patch: only adds and in-place updates, each at a path
 * with no symlink on the way (its directory and, if it exists, the file are their own real
 * paths). Deletes, moves and anything reached through a link are written by agentd as usual.
 */
async function writableThroughEditor(plan: PatchPlan): Promise<boolean> {
  for (const f of plan.files) {
    if (f.kind === 'delete' || (f.movePath !== null && f.movePath !== f.path)) return false;
    const dir = path.dirname(f.path);
    const realDir = await realpath(dir).catch(() => null);
    if (realDir !== dir) return false;
    // Nothing at the path at all (lstat: a dangling symlink is something, and an editor's write
    // would follow it), or the path is its own real path.
    const exists = await lstat(f.path).then(
      () => true,
      (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? false : null),
    );
    if (exists === null) return false;
    if (exists && (await realpath(f.path).catch(() => null)) !== f.path) return false;
  }
  return true;
}

/** Whether the thread's patches go through the sandbox, and whether it can start here. */
export type SandboxState = { needed: false } | { needed: true; available: boolean; reason?: string };

async function sandboxState(policy: SandboxPolicy): Promise<SandboxState> {
  if (!policyNeedsSandbox(policy)) return { needed: false };
  const probe = await probeSandbox();
  return { needed: true, available: probe.available, ...(probe.reason !== undefined ? { reason: probe.reason } : {}) };
}

/** A patch decision plus how the writes run. `sessionKeys` overrides the plan's paths as approval keys. */
export type WriteDecision =
  | { action: 'refuse'; reason: string }
  | { action: 'apply' | 'ask'; reason: string | null; grantRoot: string | null; sandboxed: boolean; sessionKeys?: string[] };

/**
 * Adds the sandbox to a path decision. A sandboxed thread's patch is written inside the sandbox.
 * When the sandbox cannot start, a patch never silently writes unsandboxed: like a command, it is
 * refused under `never` and otherwise asked for in a request that says so, with a key of its own
 * so no earlier `acceptForSession` answers it.
 */
export function decideWrite(d: PatchDecision, sandbox: SandboxState, approvalPolicy: ApprovalPolicy, callId: string): WriteDecision {
  if (d.action === 'refuse') return d;
  if (!sandbox.needed) {
    return d.action === 'apply' ? { action: 'apply', reason: null, grantRoot: null, sandboxed: false } : { ...d, sandboxed: false };
  }
  if (sandbox.available) {
    return d.action === 'apply' ? { action: 'apply', reason: null, grantRoot: null, sandboxed: true } : { ...d, sandboxed: true };
  }
  const why = `the sandbox could not start${sandbox.reason ? ` (${sandbox.reason})` : ''}`;
  if (approvalPolicy === 'never') {
    return { action: 'refuse', reason: `patch rejected: ${why}, and the approval policy is 'never', so it will not be written unsandboxed.` };
  }
  const extra = d.action === 'ask' && d.reason ? `; ${d.reason}` : '';
  return {
    action: 'ask',
    reason: `${why}; apply the patch without a sandbox?${extra}`,
    grantRoot: d.action === 'ask' ? d.grantRoot : null,
    sandboxed: false,
    sessionKeys: [`apply_patch-unsandboxed:${callId}`],
  };
}

/** A plan of the paths a patch names, with nothing read (throws `PatchParseError`). */
function pathsOnlyPlan(text: string, cwd: string): PatchPlan {
  const files = parsePatch(text).hunks.map((h) => ({
    kind: h.type,
    path: path.resolve(cwd, h.path),
    movePath: h.type === 'update' && h.movePath !== null ? path.resolve(cwd, h.movePath) : null,
    displayPath: h.path,
    oldContent: null,
    newContent: null,
    diff: '',
    readFrom: null,
  }));
  return { cwd, files };
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

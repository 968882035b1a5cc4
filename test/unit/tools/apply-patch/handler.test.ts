import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPatchHandler } from '../../../../src/tools/apply-patch/handler.js';
import { applyPatchFreeformSpec, applyPatchFunctionSpec } from '../../../../src/tools/apply-patch/spec.js';
import { TurnDiffTrackerImpl } from '../../../../src/tools/diff/turn-diff-tracker.js';
import {
  TurnAbortedError,
  type ApprovalDecision,
  type ApprovalPolicy,
  type ApprovalRequest,
  type SandboxPolicy,
  type ToolCall,
  type ToolContext,
} from '../../../../src/tools/types.js';
import type { TurnItem } from '../../../../src/core/items.js';
import { ProcessSessionManager } from '../../../../src/tools/shell/process-sessions.js';
import { ALWAYS_READY } from '../../../../src/util/flow.js';
import { silentLogger } from '../../../../src/util/logger.js';

let base: string;
let work: string;
beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'apply-patch-handler-'));
  work = path.join(base, 'work');
  await mkdir(work);
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const workspace: SandboxPolicy = {
  type: 'workspaceWrite',
  writableRoots: [],
  networkAccess: false,
  excludeTmpdirEnvVar: true,
  excludeSlashTmp: true,
};

interface FakeContext extends ToolContext {
  started: TurnItem[];
  completed: TurnItem[];
  approvals: ApprovalRequest[];
  diffEvents: number;
}

function fakeContext(opts: { approvalPolicy: ApprovalPolicy; sandbox?: SandboxPolicy; decision?: ApprovalDecision }): FakeContext {
  const ctx: FakeContext = {
    threadId: 'thread',
    turnId: 'turn',
    cwd: work,
    sandboxPolicy: opts.sandbox ?? workspace,
    approvalPolicy: opts.approvalPolicy,
    signal: new AbortController().signal,
    logger: silentLogger(),
    started: [],
    completed: [],
    approvals: [],
    diffEvents: 0,
    itemStarted: (item) => ctx.started.push(item),
    itemCompleted: (item) => ctx.completed.push(item),
    commandOutputDelta: () => undefined,
    requestApproval: async (req) => {
      ctx.approvals.push(req);
      return opts.decision ?? 'accept';
    },
    diff: new TurnDiffTrackerImpl(work),
    diffChanged: async () => {
      ctx.diffEvents++;
    },
    planUpdated: () => undefined,
    recordInProgress: () => undefined,
    processes: new ProcessSessionManager(),
    flow: ALWAYS_READY,
  };
  return ctx;
}

const custom = (input: string): ToolCall => ({ callId: 'call-1', name: 'apply_patch', kind: 'custom', input });
const addHello = '*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n';

describe('applyPatchHandler', () => {
  it('applies a patch inside the workspace without asking and reports it like Codex', async () => {
    await writeFile(path.join(work, 'mod.txt'), 'a\n');
    await writeFile(path.join(work, 'del.txt'), 'd\n');
    const ctx = fakeContext({ approvalPolicy: 'on-request' });
    const out = await applyPatchHandler.handle(
      custom(
        '*** Begin Patch\n*** Update File: mod.txt\n@@\n-a\n+b\n*** Delete File: del.txt\n*** Add File: new.txt\n+n\n*** End Patch',
      ),
      ctx,
    );
    expect(out).toEqual({ success: true, content: 'Success. Updated the following files:\nA new.txt\nM mod.txt\nD del.txt\n' });
    expect(ctx.approvals).toEqual([]);
    expect(ctx.started).toEqual([
      {
        type: 'fileChange',
        id: 'call-1',
        status: 'inProgress',
        changes: [
          { path: path.join(work, 'mod.txt'), kind: { type: 'update', move_path: null }, diff: '@@ -1,1 +1,1 @@\n-a\n+b\n' },
          // Codex's shapes: an update's bare hunks, a deleted file's old content, an added file's content.
          { path: path.join(work, 'del.txt'), kind: { type: 'delete' }, diff: 'd\n' },
          { path: path.join(work, 'new.txt'), kind: { type: 'add' }, diff: 'n\n' },
        ],
      },
    ]);
    expect(ctx.completed).toEqual([{ ...ctx.started[0], status: 'completed' }]);
    expect(await readFile(path.join(work, 'mod.txt'), 'utf8')).toBe('b\n');
    expect((await readdir(work)).sort()).toEqual(['mod.txt', 'new.txt']);
    expect(ctx.diffEvents).toBe(1);
    expect(await ctx.diff.unifiedDiff()).toContain('deleted file mode 100644');
  });

  it('accepts the function form with JSON arguments', async () => {
    const ctx = fakeContext({ approvalPolicy: 'never' });
    const out = await applyPatchHandler.handle(
      { callId: 'c2', name: 'apply_patch', kind: 'function', input: JSON.stringify({ input: addHello }) },
      ctx,
    );
    expect(out.success).toBe(true);
    expect(await readFile(path.join(work, 'hello.txt'), 'utf8')).toBe('hello\n');
  });

  it('returns precise errors for bad arguments, bad patches and non-matching hunks, with no item', async () => {
    const ctx = fakeContext({ approvalPolicy: 'on-request' });
    const bad = await applyPatchHandler.handle({ callId: 'c', name: 'apply_patch', kind: 'function', input: '{"patch": 1}' }, ctx);
    expect(bad).toEqual({ success: false, content: 'apply_patch expects JSON arguments of the form {"input": "<patch text>"}' });
    const parse = await applyPatchHandler.handle(custom('*** Begin Patch\n*** Nope\n*** End Patch'), ctx);
    expect(parse.success).toBe(false);
    expect(parse.content).toMatch(/^Invalid patch at line 2: '\*\*\* Nope' is not a valid hunk header/);
    await writeFile(path.join(work, 'a.ts'), 'x\n');
    const miss = await applyPatchHandler.handle(custom('*** Begin Patch\n*** Update File: a.ts\n@@\n-y\n+z\n*** End Patch'), ctx);
    expect(miss).toEqual({ success: false, content: 'Failed to find expected lines in a.ts:\ny' });
    expect(ctx.started).toEqual([]);
  });

  it('asks under untrusted and applies on accept', async () => {
    const ctx = fakeContext({ approvalPolicy: 'untrusted', decision: 'accept' });
    const out = await applyPatchHandler.handle(custom(addHello), ctx);
    expect(out.success).toBe(true);
    expect(ctx.approvals).toEqual([
      { kind: 'fileChange', itemId: 'call-1', reason: null, grantRoot: null, sessionKeys: [path.join(work, 'hello.txt')] },
    ]);
    expect(ctx.completed[0]).toMatchObject({ status: 'completed' });
    expect(await readFile(path.join(work, 'hello.txt'), 'utf8')).toBe('hello\n');
  });

  it('writes nothing and tells the model when the user declines', async () => {
    const ctx = fakeContext({ approvalPolicy: 'untrusted', decision: 'decline' });
    const out = await applyPatchHandler.handle(custom(addHello), ctx);
    expect(out).toEqual({ success: false, content: 'patch rejected by user' });
    expect(ctx.started[0]).toMatchObject({ status: 'inProgress' });
    expect(ctx.completed).toEqual([{ ...ctx.started[0], status: 'declined' }]);
    expect(await readdir(work)).toEqual([]);
    expect(ctx.diffEvents).toBe(0);
  });

  it('ends the turn when the user cancels', async () => {
    const ctx = fakeContext({ approvalPolicy: 'untrusted', decision: 'cancel' });
    await expect(applyPatchHandler.handle(custom(addHello), ctx)).rejects.toBeInstanceOf(TurnAbortedError);
    expect(ctx.completed).toEqual([{ ...ctx.started[0], status: 'declined' }]);
    expect(await readdir(work)).toEqual([]);
  });

  it('asks with a reason and grant root for paths outside the writable roots under on-request', async () => {
    const ctx = fakeContext({ approvalPolicy: 'on-request', decision: 'acceptForSession' });
    const out = await applyPatchHandler.handle(custom('*** Begin Patch\n*** Add File: ../elsewhere/x.txt\n+x\n*** End Patch'), ctx);
    expect(out.success).toBe(true);
    expect(ctx.approvals).toHaveLength(1);
    expect(ctx.approvals[0]).toMatchObject({
      kind: 'fileChange',
      grantRoot: path.join(base, 'elsewhere'),
      sessionKeys: [path.join(base, 'elsewhere/x.txt')],
    });
    expect(ctx.approvals[0]?.reason).toContain('outside the writable roots');
    expect(await readFile(path.join(base, 'elsewhere/x.txt'), 'utf8')).toBe('x\n');
  });

  it('refuses paths outside the writable roots under never, with no item and nothing written', async () => {
    const ctx = fakeContext({ approvalPolicy: 'never' });
    const out = await applyPatchHandler.handle(custom('*** Begin Patch\n*** Add File: ../escape.txt\n+x\n*** End Patch'), ctx);
    expect(out.success).toBe(false);
    expect(out.content).toContain('outside the writable roots');
    expect(out.content).toContain("approval policy is 'never'");
    expect(ctx.started).toEqual([]);
    expect(ctx.approvals).toEqual([]);
    expect(await readdir(base)).toEqual(['work']);
  });

  it('records the in-progress fileChange before the first write, and writes nothing if it cannot be recorded', async () => {
    const ctx = fakeContext({ approvalPolicy: 'never' });
    const seenAtRecord: boolean[] = [];
    ctx.recordInProgress = (item) => {
      expect(item).toMatchObject({ type: 'fileChange', id: 'call-1', status: 'inProgress' });
      seenAtRecord.push(existsSync(path.join(work, 'hello.txt')));
    };
    expect((await applyPatchHandler.handle(custom(addHello), ctx)).success).toBe(true);
    expect(seenAtRecord).toEqual([false]);

    const failing = fakeContext({ approvalPolicy: 'never' });
    failing.recordInProgress = () => {
      throw new Error('ENOSPC: no space left on device');
    };
    const out = await applyPatchHandler.handle(custom(addHello.replace('hello.txt', 'never.txt')), failing);
    expect(out).toMatchObject({ success: false });
    expect(out.content).toContain('ENOSPC');
    expect(existsSync(path.join(work, 'never.txt'))).toBe(false);
    expect(failing.completed).toMatchObject([{ type: 'fileChange', status: 'failed' }]);
  });

  it('applies anywhere under dangerFullAccess without asking', async () => {
    const ctx = fakeContext({ approvalPolicy: 'on-request', sandbox: { type: 'dangerFullAccess' } });
    const out = await applyPatchHandler.handle(custom('*** Begin Patch\n*** Add File: ../free.txt\n+x\n*** End Patch'), ctx);
    expect(out.success).toBe(true);
    expect(ctx.approvals).toEqual([]);
  });

  it('marks the item failed when the write fails', async () => {
    await writeFile(path.join(work, 'blocker'), 'file, not a directory\n');
    const ctx = fakeContext({ approvalPolicy: 'on-request' });
    const out = await applyPatchHandler.handle(custom('*** Begin Patch\n*** Add File: blocker/x.txt\n+x\n*** End Patch'), ctx);
    expect(out.success).toBe(false);
    expect(out.content).toMatch(/^Failed to apply patch: /);
    expect(ctx.completed[0]).toMatchObject({ status: 'failed' });
  });

  it('records moves in the turn diff as renames', async () => {
    await writeFile(path.join(work, 'old.txt'), 'same\n');
    const ctx = fakeContext({ approvalPolicy: 'on-request' });
    const out = await applyPatchHandler.handle(
      custom('*** Begin Patch\n*** Update File: old.txt\n*** Move to: new.txt\n@@\n same\n+more\n*** End Patch'),
      ctx,
    );
    expect(out.content).toBe('Success. Updated the following files:\nM new.txt\n');
    const diff = await ctx.diff.unifiedDiff();
    expect(diff).toContain('rename from old.txt\nrename to new.txt\n');
    expect(diff).toContain('+more');
  });
});

describe('apply_patch specs', () => {
  it('offers a freeform tool with a lark grammar and a function tool taking input', () => {
    expect(applyPatchFreeformSpec).toMatchObject({ type: 'custom', name: 'apply_patch', format: { type: 'grammar', syntax: 'lark' } });
    if (applyPatchFreeformSpec.type === 'custom' && applyPatchFreeformSpec.format?.type === 'grammar') {
      expect(applyPatchFreeformSpec.format.definition).toContain('start: begin_patch hunk+ end_patch');
    }
    expect(applyPatchFunctionSpec).toMatchObject({ type: 'function', name: 'apply_patch', parameters: { required: ['input'] } });
    expect(applyPatchFunctionSpec.description).toContain('*** Begin Patch');
  });
});

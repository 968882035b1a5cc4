import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { commandSessionKey } from '../../../../src/tools/approval/session-keys.js';
import { RETRY_REASON, ShellRuntime, type AttemptPlan, type AttemptResult } from '../../../../src/tools/shell/runtime.js';
import type { SandboxPolicy } from '../../../../src/tools/types.js';
import { fakeContext, killFakeContextProcesses } from '../shell/fake-context.js';

const ww: SandboxPolicy = { type: 'workspaceWrite', writableRoots: [], networkAccess: false, excludeSlashTmp: false, excludeTmpdirEnvVar: false };
const ro: SandboxPolicy = { type: 'readOnly' };

describe('commandSessionKey', () => {
  it('tells a sandboxed run from an unsandboxed run of the same command', () => {
    const policies = fc.constantFrom<SandboxPolicy>(ww, ro, { ...ww, networkAccess: true }, { type: 'dangerFullAccess' });
    const argv = fc.array(fc.string(), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(argv, fc.string(), policies, (a, cwd, policy) => {
        expect(commandSessionKey(a, cwd, { sandboxed: true, policy })).not.toBe(commandSessionKey(a, cwd, { sandboxed: false }));
      }),
    );
  });

  it('tells apart runs under different sandboxes, in different directories, of different argv', () => {
    const key = (argv: string[], cwd: string, policy: SandboxPolicy): string => commandSessionKey(argv, cwd, { sandboxed: true, policy });
    expect(key(['rm', 'x'], '/w', ro)).not.toBe(key(['rm', 'x'], '/w', ww));
    expect(key(['rm', 'x'], '/w', ww)).not.toBe(key(['rm', 'x'], '/', ww));
    expect(key(['rm', 'x y'], '/w', ww)).not.toBe(key(['rm', 'x', 'y'], '/w', ww));
    expect(key(['rm', 'x'], '/w', ww)).toBe(key(['rm', 'x'], '/w', { ...ww }));
  });
});

describe('the retry without the sandbox', () => {
  afterEach(() => killFakeContextProcesses());

  /** An attempt that the sandbox denies and that succeeds without it. */
  const deniedInSandbox = async (plan: AttemptPlan): Promise<AttemptResult> => ({
    exitCode: plan.sandboxed ? 1 : 0,
    output: plan.sandboxed ? 'touch: cannot touch /etc/x: Read-only file system\n' : '',
    durationMs: 1,
    timedOut: false,
    aborted: false,
    running: false,
  });
  const runtime = new ShellRuntime({ probe: async () => ({ available: true }), env: () => ({}) });

  it('is its own request that says so, never answered from the session, with a key of its own', async () => {
    const ctx = fakeContext({ cwd: '/w', sandboxPolicy: ww, approvalPolicy: 'untrusted', decisions: ['acceptForSession', 'decline'] });
    const req = { itemId: 'c1', argv: ['touch', '/etc/x'], cwd: '/w', escalationRequested: false };
    const outcome = await runtime.execute(ctx, req, deniedInSandbox);
    expect(outcome.kind).toBe('ran');
    expect(ctx.approvals).toHaveLength(2);
    const [first, retry] = ctx.approvals as [Extract<(typeof ctx.approvals)[number], { kind: 'command' }>, Extract<(typeof ctx.approvals)[number], { kind: 'command' }>];
    expect(first.sessionKeys).toEqual([commandSessionKey(req.argv, '/w', { sandboxed: true, policy: ww })]);
    expect(first.alwaysAsk).toBeUndefined();
    expect(retry.reason).toBe(RETRY_REASON);
    expect(retry.alwaysAsk).toBe(true);
    expect(retry.sessionKeys).toEqual([commandSessionKey(req.argv, '/w', { sandboxed: false })]);
  });

  it('a question because the sandbox cannot start carries the unsandboxed key', async () => {
    const rt = new ShellRuntime({ probe: async () => ({ available: false, reason: 'no bwrap' }), env: () => ({}) });
    const ctx = fakeContext({ cwd: '/w', sandboxPolicy: ww, approvalPolicy: 'on-request', decisions: ['decline'] });
    await rt.execute(ctx, { itemId: 'c1', argv: ['ls'], cwd: '/w', escalationRequested: false }, deniedInSandbox);
    expect(ctx.approvals.map((a) => a.sessionKeys)).toEqual([[commandSessionKey(['ls'], '/w', { sandboxed: false })]]);
  });
});

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createShellHandlers, type ShellHandlers } from '../../../../src/tools/shell/handlers.js';
import { commandSessionKey } from '../../../../src/tools/approval/session-keys.js';
import { defaultCommandEnv, ShellRuntime } from '../../../../src/tools/shell/runtime.js';
import { shellToolSpecs } from '../../../../src/tools/shell/specs.js';
import { TurnAbortedError, type SandboxPolicy } from '../../../../src/tools/types.js';
import { call, fakeContext, killFakeContextProcesses } from './fake-context.js';
import { pidsWithMarker, pollUntil, rand } from '../../../support/tool-turns.js';
import { outputWaiter, tempDir, waitGone } from './helpers.js';

const ww: SandboxPolicy = { type: 'workspaceWrite', writableRoots: [], networkAccess: false, excludeSlashTmp: true, excludeTmpdirEnvVar: true };

describe('shell tool handlers', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let runtime: ShellRuntime;
  let h: ShellHandlers;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('agentd-handlers-'));
    // A HOME of its own: login shells must not run this machine's profile (which may print).
    runtime = new ShellRuntime({ env: () => ({ ...defaultCommandEnv(), HOME: dir }) });
    h = createShellHandlers(runtime);
  });
  afterEach(async () => {
    killFakeContextProcesses();
    await cleanup();
  });

  it('runs a command without asking and reports one commandExecution item', async () => {
    const ctx = fakeContext({ cwd: dir, sandboxPolicy: ww, approvalPolicy: 'on-request' });
    await writeFile(path.join(dir, 'a.txt'), 'hello\n');
    const out = await h.shell.handle(call('shell', { command: ['cat', 'a.txt'] }), ctx);
    expect(out.success).toBe(true);
    expect(JSON.parse(out.content)).toMatchObject({ output: 'hello\n', metadata: { exit_code: 0 } });
    expect(ctx.approvals).toEqual([]);
    expect(ctx.started).toEqual([
      {
        type: 'commandExecution',
        id: 'call-1',
        command: 'cat a.txt',
        cwd: dir,
        status: 'inProgress',
        commandActions: [{ type: 'read', command: 'cat a.txt', name: 'a.txt', path: 'a.txt' }],
      },
    ]);
    expect(ctx.completed[0]).toMatchObject({ status: 'completed', exitCode: 0, aggregatedOutput: 'hello\n' });
    expect(ctx.deltas.join('')).toBe('hello\n');
  });

  it('asks under untrusted and runs on accept; acceptForSession passes the session key', async () => {
    const ctx = fakeContext({ cwd: dir, sandboxPolicy: ww, approvalPolicy: 'untrusted', decisions: ['acceptForSession'] });
    const out = await h.shell.handle(call('shell', { command: ['bash', '-lc', 'echo made > f.txt'] }), ctx);
    expect(out.success).toBe(true);
    expect(ctx.approvals).toHaveLength(1);
    expect(ctx.approvals[0]).toMatchObject({
      kind: 'command',
      itemId: 'call-1',
      command: 'echo made > f.txt',
      cwd: dir,
      sessionKeys: [commandSessionKey(['bash', '-lc', 'echo made > f.txt'], dir, { sandboxed: true, policy: ww })],
    });
    expect(existsSync(path.join(dir, 'f.txt'))).toBe(true);
    expect(ctx.completed[0]).toMatchObject({ status: 'completed', exitCode: 0 });
  });

  it('on decline, the item is declined and the model is told', async () => {
    const ctx = fakeContext({ cwd: dir, sandboxPolicy: ww, approvalPolicy: 'untrusted', decisions: ['decline'] });
    const out = await h.shell.handle(call('shell', { command: ['touch', 'x'] }), ctx);
    expect(out).toEqual({ content: 'exec command rejected by user', success: false });
    expect(ctx.completed[0]).toMatchObject({ status: 'declined' });
    expect(existsSync(path.join(dir, 'x'))).toBe(false);
  });

  it('on cancel, the item is declined and the turn is aborted', async () => {
    const ctx = fakeContext({ cwd: dir, sandboxPolicy: ww, approvalPolicy: 'untrusted', decisions: ['cancel'] });
    await expect(h.shell.handle(call('shell', { command: ['touch', 'x'] }), ctx)).rejects.toBeInstanceOf(TurnAbortedError);
    expect(ctx.completed[0]).toMatchObject({ status: 'declined' });
    expect(existsSync(path.join(dir, 'x'))).toBe(false);
  });

  it('rejects an escalation under never without running anything', async () => {
    const ctx = fakeContext({ cwd: dir, sandboxPolicy: ww, approvalPolicy: 'never' });
    const out = await h.shell.handle(call('shell', { command: ['touch', 'x'], with_escalated_permissions: true }), ctx);
    expect(out.success).toBe(false);
    expect(out.content).toMatch(/approval policy is "never"/);
    expect(ctx.approvals).toEqual([]);
    expect(ctx.completed[0]).toMatchObject({ status: 'failed' });
  });

  it('asks to retry without the sandbox after a denial, and retries on accept', async () => {
    const ctx = fakeContext({ cwd: dir, sandboxPolicy: { type: 'readOnly' }, approvalPolicy: 'on-failure', decisions: ['accept'] });
    const out = await h.shell.handle(call('shell', { command: ['bash', '-c', 'echo x > out.txt && echo wrote'] }), ctx);
    expect(ctx.approvals).toHaveLength(1);
    expect(ctx.approvals[0]?.kind === 'command' && ctx.approvals[0].reason).toMatch(/failed in the sandbox/);
    expect(out.success).toBe(true);
    expect(JSON.parse(out.content).output).toBe('wrote\n');
    expect(existsSync(path.join(dir, 'out.txt'))).toBe(true);
    expect(ctx.completed).toHaveLength(1);
    expect(ctx.completed[0]).toMatchObject({ status: 'completed', exitCode: 0 });
  });

  it('returns a denial to the model as a failure under never', async () => {
    const ctx = fakeContext({ cwd: dir, sandboxPolicy: { type: 'readOnly' }, approvalPolicy: 'never' });
    const out = await h.shell.handle(call('shell', { command: ['bash', '-c', 'echo x > out.txt'] }), ctx);
    expect(ctx.approvals).toEqual([]);
    expect(out.success).toBe(false);
    expect(JSON.parse(out.content).output).toMatch(/Read-only file system/);
    expect(ctx.completed[0]).toMatchObject({ status: 'failed', exitCode: 1 });
  });

  it('asks when the sandbox cannot start instead of running unsandboxed', async () => {
    const rt = new ShellRuntime({ probe: async () => ({ available: false, reason: 'no bwrap' }) });
    const hh = createShellHandlers(rt);
    const ctx = fakeContext({ cwd: dir, sandboxPolicy: ww, approvalPolicy: 'on-request', decisions: ['decline'] });
    const out = await hh.shell.handle(call('shell', { command: ['touch', 'x'] }), ctx);
    expect(ctx.approvals[0]?.kind === 'command' && ctx.approvals[0].reason).toMatch(/sandbox could not start \(no bwrap\)/);
    expect(out.success).toBe(false);
    expect(existsSync(path.join(dir, 'x'))).toBe(false);
  });

  it('an interrupt during a long command kills the tree and completes promptly', async () => {
    const waiter = outputWaiter();
    const ctx = fakeContext({ cwd: dir, sandboxPolicy: ww, approvalPolicy: 'never', onDelta: (t) => waiter.push(t) });
    const started = Date.now();
    // Full-access commands run in a pid namespace of their own, so `$!` is not a host pid: find
    // the sleep by its argv[0] instead.
    const marker = `agentd-marker-${rand()}`;
    const pending = h.shell.handle(
      call('shell', { command: ['bash', '-c', `(exec -a ${marker} sleep 1000) & echo started; wait`], timeout_ms: 600_000 }),
      { ...ctx, sandboxPolicy: { type: 'dangerFullAccess' } },
    );
    await waiter.until((s) => s.includes('started'));
    expect(await pollUntil(() => pidsWithMarker(marker).length === 1)).toBe(true);
    const pids = pidsWithMarker(marker);
    ctx.controller.abort();
    const out = await pending;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(out.success).toBe(false);
    expect(ctx.completed[0]).toMatchObject({ status: 'failed' });
    expect(await waitGone(pids)).toEqual([]);
  });

  it('exec_command returns Codex-style text and a session for write_stdin', async () => {
    const ctx = fakeContext({ cwd: dir, sandboxPolicy: ww, approvalPolicy: 'on-request' });
    const first = await h.exec_command.handle(call('exec_command', { cmd: 'cat', login: false, yield_time_ms: 250 }), ctx);
    expect(first.content).toMatch(/^Chunk ID: [0-9a-f]{6}\nWall time: \d+\.\d{4} seconds\nProcess running with session ID (\d+)\n/);
    const id = Number(/session ID (\d+)/.exec(first.content)?.[1]);
    expect(ctx.completed[0]).toMatchObject({ type: 'commandExecution', command: 'cat', processId: String(id) });
    const second = await h.write_stdin.handle(call('write_stdin', { session_id: id, chars: 'ping\n', yield_time_ms: 250 }, 'call-2'), ctx);
    expect(second.content).toMatch(/Process running with session ID/);
    expect(second.content.endsWith('Output:\nping\n')).toBe(true);
    ctx.processes.kill(id);
    const third = await h.write_stdin.handle(call('write_stdin', { session_id: id, yield_time_ms: 250 }, 'call-3'), ctx);
    expect(third.content).toMatch(/Process exited with code/);
    const gone = await h.write_stdin.handle(call('write_stdin', { session_id: id }, 'call-4'), ctx);
    expect(gone).toMatchObject({ success: false });
  });

  it('exec_command runs a finished script through bash -lc in the sandbox', async () => {
    const ctx = fakeContext({ cwd: dir, sandboxPolicy: ww, approvalPolicy: 'never' });
    const out = await h.exec_command.handle(call('exec_command', { cmd: 'exec 2>&1; echo hi; echo x > /etc/agentd-nope || echo denied', login: false, yield_time_ms: 20_000 }), ctx);
    expect(out.success).toBe(true);
    expect(out.content).toMatch(/Process exited with code 0\nOriginal token count: \d+\nOutput:\nhi\n.*Read-only file system\ndenied\n$/);
    expect(ctx.completed[0]).toMatchObject({ status: 'completed', exitCode: 0 });
  });

  it('answers malformed arguments without starting an item', async () => {
    const ctx = fakeContext({ cwd: dir, sandboxPolicy: ww, approvalPolicy: 'never' });
    const out = await h.shell.handle({ callId: 'c', name: 'shell', kind: 'function', input: '{"command": "ls"}' }, ctx);
    expect(out.success).toBe(false);
    expect(out.content).toMatch(/failed to parse function arguments/);
    expect(ctx.started).toEqual([]);
  });

  it('offers specs per style', () => {
    expect(shellToolSpecs('codex').map((s) => s.name)).toEqual(['exec_command', 'write_stdin']);
    expect(shellToolSpecs('classic').map((s) => s.name)).toEqual(['shell']);
  });
});

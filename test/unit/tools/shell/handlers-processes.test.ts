import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createShellHandlers, type ShellHandlers } from '../../../../src/tools/shell/handlers.js';
import { defaultCommandEnv, ShellRuntime } from '../../../../src/tools/shell/runtime.js';
import type { SandboxPolicy } from '../../../../src/tools/types.js';
import type { OutputFlow } from '../../../../src/util/flow.js';
import { pidsWithMarker, pollUntil } from '../../../support/tool-turns.js';
import { call, fakeContext, killFakeContextProcesses } from './fake-context.js';
import { outputWaiter, tempDir, waitGone } from './helpers.js';

const full: SandboxPolicy = { type: 'dangerFullAccess' };

/** A flow that is closed until `open()`. */
function stalledFlow(): { flow: OutputFlow; open(): void } {
  let isOpen = false;
  const waiters: (() => void)[] = [];
  return {
    flow: { ready: () => isOpen, whenReady: () => (isOpen ? Promise.resolve() : new Promise<void>((r) => waiters.push(r))) },
    open() {
      isOpen = true;
      for (const w of waiters.splice(0)) w();
    },
  };
}

describe('shell handlers: processes and their output', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let h: ShellHandlers;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('agentd-handlers-proc-'));
    h = createShellHandlers(new ShellRuntime({ env: () => ({ ...defaultCommandEnv(), HOME: dir }) }));
  });
  afterEach(async () => {
    killFakeContextProcesses();
    await cleanup();
  });

  it('an interrupt kills an exec_command session that has already passed its yield', async () => {
    const ctx = fakeContext({ cwd: dir, sandboxPolicy: full, approvalPolicy: 'never' });
    // Found by argv[0]: under full access the command runs in a pid namespace of its own.
    const marker = `agentd-yield-${process.pid}-${Date.now()}`;
    const out = await h.exec_command.handle(
      call('exec_command', { cmd: `(exec -a ${marker} sleep 1000) & echo started; wait`, yield_time_ms: 250, login: false }),
      ctx,
    );
    expect(out.content).toMatch(/Process running with session ID \d+/);
    expect(await pollUntil(() => pidsWithMarker(marker).length === 1, 3000)).toBe(true);
    const pids = pidsWithMarker(marker);
    ctx.controller.abort();
    expect(await waitGone(pids)).toEqual([]);
  });

  it('session ids are random, not a counter from 1', async () => {
    const ctx = fakeContext({ cwd: dir, sandboxPolicy: full, approvalPolicy: 'never' });
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const out = await h.exec_command.handle(call('exec_command', { cmd: 'cat', yield_time_ms: 250, login: false }, `c${i}`), ctx);
      ids.push(Number(/session ID (\d+)/.exec(out.content)?.[1]));
    }
    for (const id of ids) expect(id).toBeGreaterThanOrEqual(1000);
    expect(new Set(ids).size).toBe(3);
  });

  it('exec_command holds back the command while the client is stalled, then streams all of it', async () => {
    const ctx = fakeContext({ cwd: dir, sandboxPolicy: full, approvalPolicy: 'never' });
    const s = stalledFlow();
    ctx.flow = s.flow;
    let bytes = 0;
    const seen = outputWaiter();
    const orig = ctx.commandOutputDelta;
    ctx.commandOutputDelta = (id, d) => {
      bytes += d.length;
      seen.push(d.slice(0, 1));
      orig(id, '');
    };
    const run = h.exec_command.handle(
      call('exec_command', { cmd: 'yes | head -c 10000000; echo END', yield_time_ms: 30_000, login: false }),
      ctx,
    );
    await seen.until((t) => t.length > 0);
    // An observation window: unbounded reading gets through the 10 MB in far less.
    await new Promise((r) => setTimeout(r, 400));
    expect(bytes).toBeLessThan(1024 * 1024);
    s.open();
    const out = await run;
    expect(out.content).toContain('Process exited with code 0');
    expect(bytes).toBe(10_000_000 + 'END\n'.length);
  });

  it("a command's item keeps a bounded copy of huge output, with its head and tail", async () => {
    const ctx = fakeContext({ cwd: dir, sandboxPolicy: full, approvalPolicy: 'never' });
    ctx.commandOutputDelta = () => {};
    const cmd = 'echo FIRST-LINE; head -c 30000000 /dev/zero | tr "\\0" x; echo; echo LAST-LINE';
    await h.exec_command.handle(call('exec_command', { cmd, yield_time_ms: 30_000, login: false }, 'big-exec'), ctx);
    await h.shell.handle(call('shell', { command: ['bash', '-c', cmd], timeout_ms: 60_000 }, 'big-shell'), ctx);
    for (const id of ['big-exec', 'big-shell']) {
      const item = ctx.completed.find((i) => i.id === id) as { aggregatedOutput: string };
      expect(item.aggregatedOutput.length).toBeLessThan(1_100_000);
      expect(item.aggregatedOutput.startsWith('FIRST-LINE\nxxx')).toBe(true);
      expect(item.aggregatedOutput.endsWith('xxx\nLAST-LINE\n')).toBe(true);
      expect(item.aggregatedOutput).toMatch(/chars omitted/);
    }
  });
});

import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PIPE_DRAIN_TIMEOUT_MS, runCommand } from '../../../../src/tools/shell/exec.js';
import { ProcessSessionManager } from '../../../../src/tools/shell/process-sessions.js';
import type { OutputFlow } from '../../../../src/util/flow.js';
import { isAlive } from './helpers.js';

const env = process.env;
/** Bytes the command prints: far more than a pipe and Node's read buffer hold together. */
const TOTAL = 20_000_000;
const YES = `yes | head -c ${TOTAL}`;
/** While the flow is closed, at most this much may be read (a pipe plus a few read chunks). */
const PAUSED_BOUND = 1024 * 1024;
/**
 * How long the tests watch a blocked command to see that it stays blocked. Unbounded reading gets
 * through megabytes in this time; this only observes an absence, it synchronises nothing.
 */
const OBSERVE_MS = 500;

/** A client that has stopped reading until `open()`. */
function stalledFlow(): { flow: OutputFlow; open(): void; waits: () => number } {
  let isOpen = false;
  let waits = 0;
  const waiters: (() => void)[] = [];
  return {
    flow: {
      ready: () => isOpen,
      whenReady: () => {
        waits++;
        return isOpen ? Promise.resolve() : new Promise<void>((r) => waiters.push(r));
      },
    },
    open() {
      isOpen = true;
      for (const w of waiters.splice(0)) w();
    },
    waits: () => waits,
  };
}

/** Resolves once `cond` holds (checked every 10 ms), or rejects after `ms`. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function settledFlag<T>(p: Promise<T>): () => boolean {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  return () => done;
}

describe('back-pressure from the client onto command output', () => {
  const managers: ProcessSessionManager[] = [];
  afterEach(() => {
    for (const m of managers.splice(0)) m.killAll();
  });

  it('runCommand stops reading while the flow is not ready, then delivers every byte in order and finishes', async () => {
    const s = stalledFlow();
    let bytes = 0;
    let text = '';
    const ac = new AbortController();
    const run = runCommand({
      argv: ['bash', '-c', `${YES}; echo END`],
      cwd: '/',
      env,
      signal: ac.signal,
      flow: s.flow,
      onOutput: (_stream, t) => {
        bytes += t.length;
        // Keep only the edges: the check is on order and completeness, not on holding 20 MB.
        text = (text + t).slice(-16);
      },
    });
    try {
      const settled = settledFlag(run);
      await until(() => bytes > 0);
      await new Promise((r) => setTimeout(r, OBSERVE_MS));
      expect(bytes).toBeLessThan(PAUSED_BOUND);
      expect(settled()).toBe(false);
      expect(s.waits()).toBeGreaterThan(0);
      s.open();
      const r = await run;
      expect(r.exitCode).toBe(0);
      expect(bytes).toBe(TOTAL + 'END\n'.length);
      expect(text.endsWith('y\nEND\n')).toBe(true);
      // The copy kept for the item is bounded and keeps both ends.
      expect(r.aggregated.length).toBeLessThan(1_100_000);
      expect(r.aggregated.startsWith('y\ny\n')).toBe(true);
      expect(r.aggregated.endsWith('y\nEND\n')).toBe(true);
    } finally {
      ac.abort();
      await run;
    }
  });

  it('an interrupt does not wait for a stalled client: the command is killed and the call returns', async () => {
    const s = stalledFlow();
    let bytes = 0;
    const ac = new AbortController();
    const run = runCommand({
      argv: ['bash', '-c', YES],
      cwd: '/',
      env,
      signal: ac.signal,
      flow: s.flow,
      onOutput: (_s, t) => void (bytes += t.length),
    });
    await until(() => bytes > 0);
    ac.abort();
    const r = await run;
    expect(r.aborted).toBe(true);
    expect(bytes).toBeLessThan(TOTAL);
  });

  it('an exec session stops reading while its poll streams to a stalled client, then delivers everything', async () => {
    const m = new ProcessSessionManager();
    managers.push(m);
    const s = stalledFlow();
    let bytes = 0;
    const poll = m.start({
      argv: ['bash', '-c', `echo HEAD; ${YES}; echo TAIL`],
      cwd: '/',
      env,
      yieldMs: 30_000,
      flow: s.flow,
      onOutput: (t) => void (bytes += t.length),
    });
    const settled = settledFlag(poll);
    await until(() => bytes > 0);
    await new Promise((r) => setTimeout(r, OBSERVE_MS));
    expect(bytes).toBeLessThan(PAUSED_BOUND);
    expect(settled()).toBe(false);
    s.open();
    const p = await poll;
    expect(p).toMatchObject({ running: false, exitCode: 0 });
    expect(bytes).toBe('HEAD\n'.length + TOTAL + 'TAIL\n'.length);
    // What goes back to the model is bounded, head and tail kept.
    expect(p.output.length).toBeLessThan(1_100_000);
    expect(p.output.startsWith('HEAD\ny\n')).toBe(true);
    expect(p.output.endsWith('y\nTAIL\n')).toBe(true);
    expect(p.output).toMatch(/chars omitted/);
  });

  it('between polls a session is not held back: its output goes to the bounded buffer', async () => {
    const m = new ProcessSessionManager();
    managers.push(m);
    const s = stalledFlow();
    let bytes = 0;
    const first = await m.start({
      argv: ['bash', '-c', `read; echo HEAD; ${YES}; echo TAIL`],
      cwd: '/',
      env,
      yieldMs: 250,
      flow: s.flow,
      onOutput: (t) => void (bytes += t.length),
    });
    expect(first.running).toBe(true);
    // Nobody streams this poll's output to the client, so the stalled flow does not apply.
    const second = await m.write(first.sessionId as number, 'go\n', 30_000);
    expect(second).toMatchObject({ running: false, exitCode: 0 });
    expect(bytes).toBe(0);
    expect(second.output.length).toBeLessThan(1_100_000);
    expect(second.output.startsWith('HEAD\n')).toBe(true);
    expect(second.output.endsWith('y\nTAIL\n')).toBe(true);
  });

  it('output still in the pipe when the command exits is not dropped while the client is stalled', async () => {
    const s = stalledFlow();
    let text = '';
    // The first line (the shell's pid) is read and pauses the pipe; once told to go on, the command
    // writes the rest (it fits in the pipe) and exits with it unread.
    const go = join(tmpdir(), `agentd-go-${process.pid}-${Date.now()}`);
    const run = runCommand({
      argv: ['bash', '-c', `echo $$; until [ -e ${go} ]; do sleep 0.02; done; head -c 40000 /dev/zero | tr "\\0" y; echo END`],
      cwd: '/',
      env,
      flow: s.flow,
      onOutput: (_s, t) => void (text += t),
    });
    await until(() => text.includes('\n'));
    const pid = Number(text.trim());
    writeFileSync(go, '');
    try {
      await until(() => !isAlive(pid));
    } finally {
      rmSync(go, { force: true });
    }
    // Past the pipe drain timeout, which must not count while the client holds the output back:
    // whatever was still in the pipe must arrive once the client reads again. (Whether the run has
    // settled by now depends on how the kernel chunked the rest, which may be one read.)
    await new Promise((r) => setTimeout(r, PIPE_DRAIN_TIMEOUT_MS + 300));
    s.open();
    const r = await run;
    expect(r.exitCode).toBe(0);
    expect(text).toBe(`${pid}\n${'y'.repeat(40000)}END\n`);
  });
});

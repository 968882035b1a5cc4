import { closeSync, constants, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHarness, type Harness } from '../support/harness.js';
import { execCall, itemEvent, outsideDir, patchCall, patchText, rand, rmrf, runTurn, toolOutputs, type Thread, DONE_TURN, NEVER_WW } from '../support/tool-turns.js';

// A hostile model's attacks on what the daemon does itself, outside any sandbox, for the model:
// reading the files a patch names or an image path (with the daemon's identity and /proc), and
// handing the model's arguments to the spawner.

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.cleanup();
});

const SECRET = `rt-secret-${rand()}`;
/** Patches outside the roots are planned (read) before the question, as under never they are not. */
const ON_REQUEST_WW = ['approval_policy="on-request"', 'sandbox_mode="workspace-write"'];

async function openWithSecret(config: string[]): Promise<Thread> {
  const c = h.spawn(config, { AGENTD_RT_PROBE_SECRET: SECRET });
  await c.initialize();
  const th = await c.request('thread/start', { cwd: h.workspace, ephemeral: true });
  return { c, threadId: th.thread.id as string };
}

describe("apply_patch never carries the daemon's secrets into the workspace", () => {
  it('a file read through a symlink to /proc/self/environ, then swapped for a plain file before the path check, is not written back', async () => {
    const t = await openWithSecret(NEVER_WW);
    const d = `race-${rand()}`;
    // `a` points at the reader's own environ. Once the daemon has read `a` and opens the FIFO
    // (the patch's next file), the command swaps `a` for a plain file, so the later path check
    // sees only a workspace file.
    const cmd =
      `mkdir ${d} && cd ${d} && ln -s /proc/self/environ a && mkfifo f && ` +
      `exec 3>f && rm a && : > a && echo sync >&3 && exec 3>&-`;
    const patch = patchText(`*** Update File: ${d}/a`, '@@', '+tail', `*** Update File: ${d}/f`, '@@', '+more');
    h.mock.enqueue(
      { output: [execCall(cmd, 'race-setup', { login: false, yield_time_ms: 500 })] },
      { output: [patchCall(patch, 'race-patch')] },
      DONE_TURN,
    );
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    const a = join(h.workspace, d, 'a');
    expect(existsSync(a) ? readFileSync(a, 'utf8') : '').not.toContain(SECRET);
    expect(toolOutputs(r.requests[2]!).get('race-patch')?.output).not.toMatch(/^Success/);
    await t.c.close();
  });
});

describe('apply_patch reads only regular files', () => {
  it('a patch naming a FIFO or /dev/zero fails at once with a clear error, and the turn goes on', { timeout: 20_000 }, async () => {
    const t = await openWithSecret(ON_REQUEST_WW);
    const d = `fifo-${rand()}`;
    h.mock.enqueue(
      { output: [execCall(`mkdir ${d} && mkfifo ${d}/f`, 'fifo-setup', { login: false })] },
      { output: [patchCall(patchText(`*** Update File: ${d}/f`, '@@', '+x'), 'fifo-patch')] },
      { output: [patchCall(patchText('*** Update File: /dev/zero', '@@', '+x'), 'zero-patch')] },
      DONE_TURN,
    );
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(toolOutputs(r.requests[2]!).get('fifo-patch')?.output).toMatch(/f: it is not a regular file/);
    expect(toolOutputs(r.requests[3]!).get('zero-patch')?.output).toMatch(/dev\/zero: it is not a regular file/);
    await t.c.close();
  });
});

describe('files the daemon reads for the model are never opened unless regular', () => {
  it('view_image and apply_patch on a FIFO do not release a writer waiting on it (nor run a device driver)', async () => {
    const t = await openWithSecret(ON_REQUEST_WW);
    // A host FIFO with a writer blocked until someone opens it for reading: opening it is the side
    // effect (for a device, its driver's open: a watchdog, a serial port, a tape).
    const dir = outsideDir('agentd-fifo-open-');
    const fifo = join(dir, 'f');
    execFileSync('mkfifo', [fifo]);
    let released = false;
    const writer = open(fifo, 'w').then((fh) => {
      released = true;
      return fh;
    });
    const view = { type: 'function_call' as const, name: 'view_image', arguments: { path: fifo }, callId: 'view-fifo' };
    h.mock.enqueue(
      { output: [view] },
      { output: [patchCall(patchText(`*** Update File: ${fifo}`, '@@', '+x'), 'patch-fifo')] },
      DONE_TURN,
    );
    try {
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      expect(toolOutputs(r.requests[1]!).get('view-fifo')?.output).toMatch(/not a regular file \(a FIFO\)/);
      expect(toolOutputs(r.requests[2]!).get('patch-fifo')?.output).toMatch(/it is not a regular file/);
      expect(released).toBe(false);
    } finally {
      // Release our own writer (a non-blocking read open never waits), then clean up.
      const rd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      await (await writer).close();
      closeSync(rd);
      rmrf(dir);
    }
    await t.c.close();
  });
});

describe('a command the spawner refuses', () => {
  it('a NUL byte in a command or its workdir fails that call and completes its item; the daemon goes on', async () => {
    const t = await openWithSecret(NEVER_WW);
    h.mock.enqueue(
      { output: [execCall('echo a\u0000b', 'nul-cmd', { login: false })] },
      { output: [execCall('echo ok', 'nul-wd', { login: false, workdir: 'x\u0000y' })] },
      { output: [execCall('echo still-alive', 'after-nul', { login: false })] },
      DONE_TURN,
    );
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    for (const id of ['nul-cmd', 'nul-wd']) {
      expect(toolOutputs(r.requests.at(-1)!).get(id)?.output).toMatch(/null bytes/);
      expect(itemEvent(r.msgs, 'completed', id)).toMatchObject({ type: 'commandExecution', status: 'failed' });
    }
    expect(itemEvent(r.msgs, 'completed', 'after-nul')).toMatchObject({ status: 'completed', aggregatedOutput: 'still-alive\n' });
    await t.c.close();
  });
});

describe('apply_patch is no oracle for files outside the roots', () => {
  it('under never, a guessed line of an outside file gets the same refusal whether it is right or wrong', async () => {
    const t = await openWithSecret(NEVER_WW);
    const dir = outsideDir('agentd-oracle-');
    const file = join(dir, 'pin.txt');
    writeFileSync(file, 'pin=4821\n', { mode: 0o600 });
    const guess = (pin: string, id: string) => patchCall(patchText(`*** Update File: ${file}`, '@@', `-pin=${pin}`, '+pin=0'), id);
    h.mock.enqueue({ output: [guess('4821', 'right')] }, { output: [guess('1111', 'wrong')] }, DONE_TURN);
    try {
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      const outputs = toolOutputs(r.requests[2]!);
      expect(outputs.get('right')?.output).toMatch(/patch rejected/);
      expect(outputs.get('wrong')?.output).toBe(outputs.get('right')?.output);
      expect(readFileSync(file, 'utf8')).toBe('pin=4821\n');
    } finally {
      rmrf(dir);
    }
    await t.c.close();
  });
});

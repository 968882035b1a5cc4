import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';
import {
  itemEvent,
  openThread,
  outsideDir,
  pollUntil,
  patchCall,
  patchText,
  rand,
  rmrf,
  runTurn,
  serverRequests,
  toolOutputs,
  type Thread,
  DONE_TURN,
  NEVER_WW,
} from '../support/tool-turns.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.cleanup();
});

/** Answers every approval request with `decision`; returns the requests seen. */
function answerAll(t: Thread, decision: string): { method: string; params: any }[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const asked: { method: string; params: any }[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  t.c.onServerRequest((method, params) => {
    asked.push({ method, params });
    return { decision };
  });
  return asked;
}

/**
 * A process that keeps turning `dir` into a symlink to `target` and back (absent, a real
 * directory moved away with whatever landed in it), as a hostile command left running would.
 */
function startSwapper(dir: string, target: string): ChildProcess {
  // Mostly a symlink (where the write should land), briefly absent (when the path check passes).
  const script = `
    const fs = require('fs');
    const [dir, target] = process.argv.slice(1);
    const spin = (ns) => { const end = process.hrtime.bigint() + ns; while (process.hrtime.bigint() < end); };
    let n = 0;
    for (;;) {
      try { fs.symlinkSync(target, dir); } catch { try { fs.renameSync(dir, dir + '.' + n++); } catch {} }
      spin(40000n);
      try { fs.unlinkSync(dir); } catch {}
      spin(40000n);
    }`;
  return spawn(process.execPath, ['-e', script, dir, target], { stdio: 'ignore' });
}

describe('apply_patch writes inside the sandbox', () => {
  it('a directory swapped for a symlink to the outside while patches apply never lets a write land outside', async () => {
    const t = await openThread(h, NEVER_WW);
    const out = outsideDir('agentd-swap-target-');
    const rel = `swap-${rand()}`;
    const swapper = startSwapper(join(h.workspace, rel), out);
    try {
      const calls = Array.from({ length: 150 }, (_, i) => patchCall(patchText(`*** Add File: ${rel}/x${i}.txt`, '+planted'), `swap-${i}`));
      h.mock.enqueue({ output: calls }, DONE_TURN);
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      const outputs = toolOutputs(r.requests[1]!);
      expect(outputs.size).toBe(150);
      // Nothing at all (not even a temp file) appeared in the symlink's target.
      expect(readdirSync(out)).toEqual([]);
    } finally {
      swapper.kill('SIGKILL');
      rmrf(out);
    }
    await t.c.close();
  });

  it('a patch inside the roots keeps atomic writes, file modes, moves and the fileChange item', async () => {
    const t = await openThread(h, NEVER_WW);
    const d = `keep-${rand()}`;
    mkdirSync(join(h.workspace, d));
    writeFileSync(join(h.workspace, d, 'run.sh'), 'echo one\n');
    chmodSync(join(h.workspace, d, 'run.sh'), 0o751);
    writeFileSync(join(h.workspace, d, 'mv.sh'), 'old\n');
    chmodSync(join(h.workspace, d, 'mv.sh'), 0o700);
    const patch = patchText(
      `*** Update File: ${d}/run.sh`,
      '@@',
      '-echo one',
      '+echo two',
      `*** Update File: ${d}/mv.sh`,
      `*** Move to: ${d}/sub/moved.sh`,
      '@@',
      '-old',
      '+new',
      `*** Add File: ${d}/deep/new.txt`,
      '+fresh',
    );
    h.mock.enqueue({ output: [patchCall(patch, 'keep-1')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(toolOutputs(r.requests[1]!).get('keep-1')?.output).toMatch(/^Success/);
    expect(readFileSync(join(h.workspace, d, 'run.sh'), 'utf8')).toBe('echo two\n');
    expect(statSync(join(h.workspace, d, 'run.sh')).mode & 0o777).toBe(0o751);
    expect(readFileSync(join(h.workspace, d, 'sub/moved.sh'), 'utf8')).toBe('new\n');
    expect(statSync(join(h.workspace, d, 'sub/moved.sh')).mode & 0o777).toBe(0o700);
    expect(existsSync(join(h.workspace, d, 'mv.sh'))).toBe(false);
    expect(readFileSync(join(h.workspace, d, 'deep/new.txt'), 'utf8')).toBe('fresh\n');
    expect(readdirSync(join(h.workspace, d)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(itemEvent(r.msgs, 'completed', 'keep-1')).toMatchObject({ type: 'fileChange', status: 'completed' });
    const diff = String(r.msgs.filter((m) => m.method === 'turn/diff/updated').at(-1)?.params.diff);
    expect(diff).toContain(`rename to ${d}/sub/moved.sh`);
    expect(diff).toMatch(/^\+echo two$/m);
    await t.c.close();
  });

  it('a patch the user approved outside the roots is written there, and the question names where a symlinked path really lands', async () => {
    const t = await openThread(h, ['approval_policy="on-request"', 'sandbox_mode="workspace-write"']);
    const asked = answerAll(t, 'accept');
    const out = outsideDir('agentd-approved-');
    const elsewhere = outsideDir('agentd-elsewhere-');
    // The approved directory holds a symlink to another outside directory the user did not approve.
    symlinkSync(elsewhere, join(out, 'link'));
    h.mock.enqueue(
      { output: [patchCall(patchText(`*** Add File: ${out}/ok.txt`, '+approved'), 'appr-1')] },
      { output: [patchCall(patchText(`*** Add File: ${out}/link/sneaky.txt`, '+x'), 'appr-2')] },
      DONE_TURN,
    );
    try {
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      expect(readFileSync(join(out, 'ok.txt'), 'utf8')).toBe('approved\n');
      expect(itemEvent(r.msgs, 'completed', 'appr-1')).toMatchObject({ status: 'completed' });
      // The second question names where the write really lands.
      expect(asked).toHaveLength(2);
      expect(String(asked[1]!.params.reason)).toContain(`-> ${elsewhere}/sneaky.txt`);
      // Approved as shown, it lands in the real target: the grant is the resolved directory.
      expect(readFileSync(join(elsewhere, 'sneaky.txt'), 'utf8')).toBe('x\n');
    } finally {
      rmrf(out, elsewhere);
    }
    await t.c.close();
  });
});

describe('an approval to write outside the roots covers only what was approved', () => {
  it('a workspace file of the same patch swapped for a symlink into the approved directory while the user decides is not written there', async () => {
    const t = await openThread(h, ['approval_policy="on-request"', 'sandbox_mode="workspace-write"']);
    const out = outsideDir('agentd-grant-');
    // The file the model wants: next to the one the user will approve (think ~/.bashrc by ~/notes.txt).
    const victim = join(out, 'victim');
    writeFileSync(victim, 'original\n');
    const d = `grant-${rand()}`;
    mkdirSync(join(h.workspace, d));
    writeFileSync(join(h.workspace, d, 'x'), 'hello\n');
    const asked: string[] = [];
    t.c.onServerRequest(async (_method, params) => {
      asked.push(String(params.reason));
      // While the user decides, the workspace file becomes a symlink to the file next to the
      // approved one (as a command the model left running would do it). Done here, at that
      // moment, rather than by a timed command, so that the order never depends on load.
      rmSync(join(h.workspace, d, 'x'));
      symlinkSync(victim, join(h.workspace, d, 'x'));
      return { decision: 'accept' };
    });
    const patch = patchText(`*** Add File: ${out}/approved.txt`, '+ok', `*** Update File: ${d}/x`, '@@', '+PWNED');
    h.mock.enqueue({ output: [patchCall(patch, 'grant-patch')] }, DONE_TURN);
    try {
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      expect(asked).toHaveLength(1);
      expect(readFileSync(victim, 'utf8')).toBe('original\n');
      expect(lstatSync(join(h.workspace, d, 'x')).isSymbolicLink()).toBe(true);
      expect(toolOutputs(r.requests[1]!).get('grant-patch')?.output).not.toMatch(/^Success/);
    } finally {
      rmrf(out);
    }
    await t.c.close();
  });
});

describe('apply_patch when the sandbox cannot start', () => {
  // No bwrap on PATH: the daemon's probe fails, as on a machine without bubblewrap.
  const noBwrap = { PATH: '/nonexistent-agentd-path' };

  it('under never, the patch is refused and nothing is written', async () => {
    const c = h.spawn(NEVER_WW, noBwrap);
    await c.initialize();
    const th = await c.request('thread/start', { cwd: h.workspace, ephemeral: true });
    const t: Thread = { c, threadId: th.thread.id as string };
    const file = `nosb-${rand()}.txt`;
    h.mock.enqueue({ output: [patchCall(patchText(`*** Add File: ${file}`, '+x'), 'nosb-1')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(toolOutputs(r.requests[1]!).get('nosb-1')?.output).toMatch(/sandbox could not start/);
    expect(existsSync(join(h.workspace, file))).toBe(false);
    await c.close();
  });

  it('under on-request, the patch is its own question that says it runs unsandboxed', async () => {
    const c = h.spawn(['approval_policy="on-request"', 'sandbox_mode="workspace-write"'], noBwrap);
    await c.initialize();
    const th = await c.request('thread/start', { cwd: h.workspace, ephemeral: true });
    const t: Thread = { c, threadId: th.thread.id as string };
    const asked = answerAll(t, 'accept');
    const file = `nosb-${rand()}.txt`;
    h.mock.enqueue({ output: [patchCall(patchText(`*** Add File: ${file}`, '+x'), 'nosb-2')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(serverRequests(r.msgs, 'item/fileChange/requestApproval')).toHaveLength(1);
    expect(String(asked[0]!.params.reason)).toMatch(/without a sandbox/);
    expect(readFileSync(join(h.workspace, file), 'utf8')).toBe('x\n');
    await c.close();
  });
});

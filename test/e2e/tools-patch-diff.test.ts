import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockOutput } from '../../src/mock/types.js';
import { createHarness, startTurn, turnCompleted, type Harness } from '../support/harness.js';
import { writeFifo } from '../support/fifo.js';
import {
  execCall,
  itemEvent,
  notifs,
  openThread,
  patchCall,
  patchText,
  rand,
  runTurn,
  serverRequests,
  toolOutputOrder,
  toolOutputs,
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


/** A fresh directory inside the workspace, returned relative and absolute. */
function subdir(): { rel: string; abs: string } {
  const rel = `d-${rand()}`;
  const abs = join(h.workspace, rel);
  mkdirSync(abs);
  return { rel, abs };
}

describe('apply_patch failures', () => {
  it('a hunk that does not match: the model gets a precise message, the file is unchanged', async () => {
    const t = await openThread(h, NEVER_WW);
    const d = subdir();
    writeFileSync(join(d.abs, 'f.txt'), 'alpha\nbeta\n');
    h.mock.enqueue({ output: [patchCall(patchText(`*** Update File: ${d.rel}/f.txt`, '@@', '-gamma', '+delta'), 'patch-bad')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    const out = toolOutputs(r.requests[1]!).get('patch-bad');
    expect(out?.type).toBe('custom_tool_call_output');
    expect(out?.output).toContain(`Failed to find expected lines in ${d.rel}/f.txt`);
    expect(out?.output).toContain('gamma');
    expect(readFileSync(join(d.abs, 'f.txt'), 'utf8')).toBe('alpha\nbeta\n');
    expect(itemEvent(r.msgs, 'completed', 'patch-bad')?.status ?? 'none').not.toBe('completed');
    expect(notifs(r.msgs, 'turn/diff/updated').every((m) => !String(m.params.diff).includes('f.txt'))).toBe(true);
    await t.c.close();
  });

  it('one failing file leaves the whole patch unapplied', async () => {
    const t = await openThread(h, NEVER_WW);
    const d = subdir();
    writeFileSync(join(d.abs, 'keep.txt'), 'one\n');
    writeFileSync(join(d.abs, 'f.txt'), 'alpha\n');
    const patch = patchText(
      `*** Add File: ${d.rel}/new.txt`,
      '+fresh',
      `*** Update File: ${d.rel}/keep.txt`,
      '@@',
      '-one',
      '+ONE',
      `*** Update File: ${d.rel}/f.txt`,
      '@@',
      '-not there',
      '+x',
    );
    h.mock.enqueue({ output: [patchCall(patch, 'patch-partial')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(toolOutputs(r.requests[1]!).get('patch-partial')?.output).toContain('Failed to find expected lines');
    expect(existsSync(join(d.abs, 'new.txt'))).toBe(false);
    expect(readFileSync(join(d.abs, 'keep.txt'), 'utf8')).toBe('one\n');
    expect(readFileSync(join(d.abs, 'f.txt'), 'utf8')).toBe('alpha\n');
    await t.c.close();
  });

  it('classic tool style: the function-form apply_patch reports failure in a function_call_output', async () => {
    const t = await openThread(h, [...NEVER_WW, 'tool_style="classic"']);
    const d = subdir();
    writeFileSync(join(d.abs, 'f.txt'), 'alpha\n');
    const input = patchText(`*** Update File: ${d.rel}/f.txt`, '@@', '-omega', '+x');
    h.mock.enqueue({ output: [{ type: 'function_call', name: 'apply_patch', arguments: { input }, callId: 'patch-fn' }] }, DONE_TURN);
    const r = await runTurn(h, t);
    const out = toolOutputs(r.requests[1]!).get('patch-fn');
    expect(out?.type).toBe('function_call_output');
    expect(out?.output).toContain('Failed to find expected lines');
    expect(readFileSync(join(d.abs, 'f.txt'), 'utf8')).toBe('alpha\n');
    await t.c.close();
  });
});

describe('parallel tool calls', () => {
  it('two update_plan calls in one response: both run, outputs in call order', async () => {
    const t = await openThread(h, NEVER_WW);
    const plan = (step: string, callId: string): MockOutput => ({
      type: 'function_call',
      name: 'update_plan',
      arguments: { explanation: step, plan: [{ step, status: 'in_progress' }] },
      callId,
    });
    h.mock.enqueue({ output: [plan('first step', 'plan-1'), plan('second step', 'plan-2')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(r.requests).toHaveLength(2);
    expect(toolOutputOrder(r.requests[1]!)).toEqual(['plan-1', 'plan-2']);
    expect(toolOutputs(r.requests[1]!).get('plan-1')?.output).toBe('Plan updated');
    expect(toolOutputs(r.requests[1]!).get('plan-2')?.output).toBe('Plan updated');
    const steps = notifs(r.msgs, 'turn/plan/updated').map((m) => m.params.plan[0].step).sort();
    expect(steps).toEqual(['first step', 'second step']);
    expect(itemEvent(r.msgs, 'completed', 'plan-1')).toMatchObject({ type: 'plan' });
    expect(itemEvent(r.msgs, 'completed', 'plan-2')).toMatchObject({ type: 'plan' });
    await t.c.close();
  });

  it('read-only exec_command calls run concurrently; outputs stay in call order', async () => {
    const t = await openThread(h, NEVER_WW);
    const d = subdir();
    execFileSync('mkfifo', [join(d.abs, 'pipe')]);
    // The first call blocks reading a FIFO until the test writes it; the second completes meanwhile.
    h.mock.enqueue(
      { output: [execCall(`cat ${d.rel}/pipe`, 'exec-1', { login: false }), execCall(`ls ${d.rel}`, 'exec-2', { login: false })] },
      DONE_TURN,
    );
    const from = t.c.messages.length;
    const reqFrom = h.mock.requests.length;
    const turnId = await startTurn(t.c, t.threadId, 'go');
    await t.c.waitForNotification('item/completed', (p) => p.item.id === 'exec-2', from);
    await writeFifo(join(d.abs, 'pipe'), 'HELLO\n');
    expect((await turnCompleted(t.c, turnId)).status).toBe('completed');
    const next = h.mock.requests[reqFrom + 1]!;
    expect(toolOutputOrder(next)).toEqual(['exec-1', 'exec-2']);
    expect(toolOutputs(next).get('exec-1')!.output).toContain('HELLO');
    expect(toolOutputs(next).get('exec-2')!.output).toContain('pipe');
    await t.c.close();
  });

  it('a call that writes does not run alongside others', async () => {
    const t = await openThread(h, NEVER_WW);
    const d = subdir();
    execFileSync('mkfifo', [join(d.abs, 'pipe')]);
    h.mock.enqueue(
      {
        output: [
          execCall(`cat ${d.rel}/pipe`, 'seq-1', { login: false }),
          execCall(`touch ${d.rel}/written`, 'seq-2', { login: false }),
        ],
      },
      DONE_TURN,
    );
    const from = t.c.messages.length;
    const turnId = await startTurn(t.c, t.threadId, 'go');
    await t.c.waitForNotification('item/started', (p) => p.item.id === 'seq-1', from);
    await writeFifo(join(d.abs, 'pipe'), 'HELLO\n');
    expect((await turnCompleted(t.c, turnId)).status).toBe('completed');
    const msgs = t.c.messages.slice(from);
    const idx = (method: string, id: string) => msgs.findIndex((m) => m.method === method && m.params.item.id === id);
    expect(idx('item/completed', 'seq-1')).toBeGreaterThanOrEqual(0);
    expect(idx('item/started', 'seq-2')).toBeGreaterThan(idx('item/completed', 'seq-1'));
    expect(existsSync(join(d.abs, 'written'))).toBe(true);
    await t.c.close();
  });
});

describe('the turn diff', () => {
  it('shows added, updated, moved and deleted files in the last turn/diff/updated', async () => {
    const t = await openThread(h, NEVER_WW);
    const d = subdir();
    writeFileSync(join(d.abs, 'upd.txt'), 'one\ntwo\nthree\n');
    writeFileSync(join(d.abs, 'mv.txt'), 'move me\nstay\n');
    writeFileSync(join(d.abs, 'del.txt'), 'bye\n');
    const patch = patchText(
      `*** Add File: ${d.rel}/new.txt`,
      '+brand new',
      `*** Update File: ${d.rel}/upd.txt`,
      '@@',
      ' one',
      '-two',
      '+TWO',
      ' three',
      `*** Update File: ${d.rel}/mv.txt`,
      `*** Move to: ${d.rel}/moved.txt`,
      '@@',
      '-move me',
      '+moved',
      ' stay',
      `*** Delete File: ${d.rel}/del.txt`,
    );
    h.mock.enqueue({ output: [patchCall(patch, 'patch-all')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(serverRequests(r.msgs)).toHaveLength(0);
    expect(toolOutputs(r.requests[1]!).get('patch-all')?.output).toMatch(/^Success/);

    // The files on disk.
    expect(readFileSync(join(d.abs, 'new.txt'), 'utf8')).toBe('brand new\n');
    expect(readFileSync(join(d.abs, 'upd.txt'), 'utf8')).toBe('one\nTWO\nthree\n');
    expect(readFileSync(join(d.abs, 'moved.txt'), 'utf8')).toBe('moved\nstay\n');
    expect(existsSync(join(d.abs, 'mv.txt'))).toBe(false);
    expect(existsSync(join(d.abs, 'del.txt'))).toBe(false);

    // The item lists every change.
    const item = itemEvent(r.msgs, 'completed', 'patch-all');
    expect(item).toMatchObject({ type: 'fileChange', status: 'completed' });
    const kinds = Object.fromEntries(item.changes.map((c: any) => [c.path, c.kind])); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(kinds[join(d.abs, 'new.txt')]).toEqual({ type: 'add' });
    expect(kinds[join(d.abs, 'upd.txt')]).toMatchObject({ type: 'update' });
    expect(kinds[join(d.abs, 'mv.txt')]).toEqual({ type: 'update', move_path: join(d.abs, 'moved.txt') });
    expect(kinds[join(d.abs, 'del.txt')]).toEqual({ type: 'delete' });

    // The last turn diff covers all four.
    const diffs = notifs(r.msgs, 'turn/diff/updated');
    expect(diffs.length).toBeGreaterThan(0);
    expect(diffs.every((m) => m.params.turnId === r.turnId && m.params.threadId === t.threadId)).toBe(true);
    const diff = String(diffs.at(-1)!.params.diff);
    const section = (path: string) => {
      const start = diff.indexOf(`diff --git a/${path} `);
      expect(start, `no section for ${path} in:\n${diff}`).toBeGreaterThanOrEqual(0);
      const next = diff.indexOf('diff --git ', start + 1);
      return diff.slice(start, next < 0 ? undefined : next);
    };
    const added = section(`${d.rel}/new.txt`);
    expect(added).toMatch(/^new file mode 100644$/m);
    expect(added).toContain('--- /dev/null');
    expect(added).toContain(`+++ b/${d.rel}/new.txt`);
    expect(added).toMatch(/^\+brand new$/m);
    const deleted = section(`${d.rel}/del.txt`);
    expect(deleted).toMatch(/^deleted file mode 100644$/m);
    expect(deleted).toContain('+++ /dev/null');
    expect(deleted).toMatch(/^-bye$/m);
    const renamed = section(`${d.rel}/mv.txt`);
    expect(renamed).toContain(`diff --git a/${d.rel}/mv.txt b/${d.rel}/moved.txt`);
    expect(renamed).toMatch(new RegExp(`^rename from ${d.rel}/mv\\.txt$`, 'm'));
    expect(renamed).toMatch(new RegExp(`^rename to ${d.rel}/moved\\.txt$`, 'm'));
    expect(renamed).toMatch(/^-move me$/m);
    expect(renamed).toMatch(/^\+moved$/m);
    const updated = section(`${d.rel}/upd.txt`);
    expect(updated).toContain(`--- a/${d.rel}/upd.txt`);
    expect(updated).toContain(`+++ b/${d.rel}/upd.txt`);
    expect(updated).toMatch(/^@@ -1,3 \+1,3 @@/m);
    expect(updated).toMatch(/^ one\n-two\n\+TWO\n three$/m);
    // Only the touched files appear.
    expect(diff.match(/^diff --git /gm)).toHaveLength(4);
    await t.c.close();
  });

  it('accumulates over several patches in one turn and ends with the net change', async () => {
    const t = await openThread(h, NEVER_WW);
    const d = subdir();
    writeFileSync(join(d.abs, 'a.txt'), 'v1\n');
    h.mock.enqueue(
      { output: [patchCall(patchText(`*** Update File: ${d.rel}/a.txt`, '@@', '-v1', '+v2'), 'p1')] },
      { output: [patchCall(patchText(`*** Update File: ${d.rel}/a.txt`, '@@', '-v2', '+v3', `*** Add File: ${d.rel}/b.txt`, '+b'), 'p2')] },
      { output: [patchCall(patchText(`*** Delete File: ${d.rel}/b.txt`), 'p3')] },
      DONE_TURN,
    );
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    const diffs = notifs(r.msgs, 'turn/diff/updated').map((m) => String(m.params.diff));
    expect(diffs).toHaveLength(3);
    const last = diffs.at(-1)!;
    expect(last).toMatch(/^-v1$/m);
    expect(last).toMatch(/^\+v3$/m);
    expect(last).not.toMatch(/^[-+]v2$/m);
    // Added then deleted within the turn: no net change, so no section.
    expect(last).not.toContain('b.txt');
    expect(last.match(/^diff --git /gm)).toHaveLength(1);
    await t.c.close();
  });

  // Regression (found by this test, since fixed): the diff was computed lazily on a promise chain (Session.diffChanged) from whatever is on
  // disk when the chain gets to it, so a patch that follows at once (same model response) is often
  // already applied: the first notification shows the state after the second patch. A race, so
  // the scenario runs several times (each run shows the bug with high probability).
  it('each turn/diff/updated shows the state right after its patch (two patches in one response)', async () => {
    const t = await openThread(h, NEVER_WW);
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) {
      const d = subdir();
      writeFileSync(join(d.abs, 'a.txt'), 'v1\n');
      h.mock.enqueue(
        {
          output: [
            patchCall(patchText(`*** Update File: ${d.rel}/a.txt`, '@@', '-v1', '+v2', `*** Add File: ${d.rel}/b.txt`, '+b'), `q1-${i}`),
            patchCall(patchText(`*** Delete File: ${d.rel}/b.txt`), `q2-${i}`),
          ],
        },
        DONE_TURN,
      );
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      expect(itemEvent(r.msgs, 'completed', `q1-${i}`)).toMatchObject({ status: 'completed' });
      expect(itemEvent(r.msgs, 'completed', `q2-${i}`)).toMatchObject({ status: 'completed' });
      const diffs = notifs(r.msgs, 'turn/diff/updated').map((m) => String(m.params.diff));
      expect(diffs).toHaveLength(2);
      // After q2: a.txt at v2, b.txt gone again.
      expect(diffs[1]).toMatch(/^\+v2$/m);
      expect(diffs[1]).not.toContain('b.txt');
      seen.push(diffs[0]!);
    }
    // After each q1: a.txt at v2 and b.txt new.
    for (const first of seen) {
      expect(first).toMatch(/^\+v2$/m);
      expect(first).toMatch(/^new file mode 100644$/m);
      expect(first).toContain('/b.txt');
    }
    await t.c.close();
  });
});

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonClient } from '../../src/client/daemon-client.js';
import type { RecordedRequest } from '../../src/mock/types.js';
import { createHarness, turnCompleted, type Harness } from '../support/harness.js';
import { execCall, notifs, openThread, patchCall, patchText, runTurn, serverRequests, toolOutputs, type Thread, DONE_TURN } from '../support/tool-turns.js';
import { rpcError } from '../support/wire.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: h.workspace, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'dev@example.com');
  git('config', 'user.name', 'Dev');
  writeFileSync(join(h.workspace, 'calc.js'), 'export function add(a, b) {\n  return a + b;\n}\n');
  git('add', 'calc.js');
  git('commit', '-q', '-m', 'add calc');
  // Uncommitted: an unstaged change, a staged new file, an untracked file.
  writeFileSync(join(h.workspace, 'calc.js'), 'export function add(a, b) {\n  return a - b;\n}\n');
  writeFileSync(join(h.workspace, 'staged.js'), 'export const x = 1;\n');
  git('add', 'staged.js');
  writeFileSync(join(h.workspace, 'untracked.js'), 'console.log("hi");\n');
});
afterAll(async () => {
  await h.cleanup();
});

/** Everything a review must leave alone: HEAD, the index (bytes), the files and their mtimes. */
function repoState(dir: string): string {
  // Files first, and git without optional locks: the test's own `git status` must not refresh the index.
  const files = ['calc.js', 'staged.js', 'untracked.js', '.git/index'].map((f) => {
    const p = join(dir, f);
    return `${f}:${readFileSync(p).toString('base64')}:${statSync(p).mtimeMs}`;
  });
  const env = { ...process.env, GIT_OPTIONAL_LOCKS: '0' };
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env });
  return [git('rev-parse', 'HEAD'), git('log', '--oneline', '--all'), git('status', '--porcelain'), ...files].join('\n');
}

const FINDINGS = JSON.stringify({
  findings: [
    {
      title: '[P1] add() subtracts',
      body: 'The change turns `a + b` into `a - b`, so add(2, 2) returns 0.',
      confidence_score: 0.9,
      priority: 1,
      code_location: { absolute_file_path: '/repo/calc.js', line_range: { start: 2, end: 2 } },
    },
  ],
  overall_correctness: 'patch is incorrect',
  overall_explanation: 'The arithmetic in add() is wrong.',
});

const userTexts = (req: RecordedRequest): string[] =>
  (req.body.input as any[]).filter((i) => i.type === 'message' && i.role === 'user').map((i) => i.content.map((c: any) => c.text).join(''));
const allText = (req: RecordedRequest): string => JSON.stringify(req.body.input);
const toolNames = (req: RecordedRequest): string[] => (req.body.tools as any[]).map((t) => t.name ?? t.function?.name);

/** Starts a review and waits for its turn to end; returns the turn, its messages and requests. */
async function runReview(t: Thread, target: Record<string, unknown>) {
  const from = t.c.messages.length;
  const reqFrom = h.mock.requests.length;
  const r = await t.c.request('review/start', { threadId: t.threadId, target, delivery: 'inline' });
  expect(r.reviewThreadId).toBe(t.threadId);
  expect(r.turn.status).toBe('inProgress');
  const turn = await turnCompleted(t.c, r.turn.id);
  const msgs = t.c.messages.slice(from);
  const items = notifs(msgs, 'item/completed').map((m) => m.params.item);
  return { turn, msgs, items, requests: h.mock.requests.slice(reqFrom) };
}

describe('review/start', () => {
  it('reviews uncommitted changes read-only, even on a danger-full-access thread, and hands the findings to the next turn', async () => {
    const t = await openThread(h, ['approval_policy="on-request"', 'sandbox_mode="danger-full-access"']);
    const before = repoState(h.workspace);
    h.mock.enqueue(
      {
        output: [
          execCall('git diff', 'r-diff'),
          execCall('git commit -q -am sneaky', 'r-commit'),
          execCall('touch pwned.txt', 'r-touch'),
          execCall('git add -A', 'r-escalate', { sandbox_permissions: 'require_escalated', justification: 'need to stage' }),
          patchCall(patchText('*** Add File: patched.txt', '+x'), 'r-patch'),
          { type: 'function_call', name: 'write_stdin', arguments: { session_id: 1, chars: 'touch x\n' }, callId: 'r-stdin' },
        ],
      },
      { output: [{ type: 'text', text: FINDINGS }] },
    );
    const review = await runReview(t, { type: 'uncommittedChanges' });
    expect(review.turn.status).toBe('completed');

    // The reviewer's request: own instructions, the target's prompt, a read-only environment, no edit tools.
    const first = review.requests[0]!;
    expect(first.body.instructions).toContain('You are reviewing a code change');
    expect(userTexts(first).some((u) => u.includes('uncommitted changes') && u.includes('untracked'))).toBe(true);
    expect(allText(first)).toContain('<sandbox_mode>readOnly</sandbox_mode>');
    expect(toolNames(first)).toContain('exec_command');
    expect(toolNames(first)).not.toContain('apply_patch');
    expect(toolNames(first)).not.toContain('write_stdin');

    // The reviewer ran git itself; every write failed; escalation refused without asking the user.
    const outs = toolOutputs(review.requests[1]!);
    expect(outs.get('r-diff')!.output).toContain('a - b');
    expect(outs.get('r-commit')!.output).not.toMatch(/Process exited with code 0\b/);
    expect(outs.get('r-touch')!.output).not.toMatch(/Process exited with code 0\b/);
    expect(outs.get('r-escalate')!.output).toContain('read-only');
    expect(outs.get('r-patch')!.output).toContain('unsupported call');
    expect(outs.get('r-stdin')!.output).toContain('unsupported call');
    expect(serverRequests(review.msgs)).toEqual([]);
    expect(existsSync(join(h.workspace, 'pwned.txt'))).toBe(false);
    expect(existsSync(join(h.workspace, 'patched.txt'))).toBe(false);
    expect(repoState(h.workspace)).toBe(before);

    // Items: entered (the target), the commands, exited with the rendered findings; no raw JSON message.
    const types = review.items.map((i) => i.type);
    expect(types[0]).toBe('enteredReviewMode');
    expect(types.at(-1)).toBe('exitedReviewMode');
    expect(types).not.toContain('agentMessage');
    expect(review.items[0].review).toBe('current changes');
    const exited = review.items.at(-1).review as string;
    expect(exited).toContain('[P1] add() subtracts');
    expect(exited).toContain('/repo/calc.js:2');
    expect(exited).toContain('patch is incorrect');
    expect(exited).not.toContain('"findings"');
    const commit = review.items.find((i) => i.type === 'commandExecution' && i.command.includes('git commit'));
    expect(commit.status).not.toBe('completed');

    // The next regular turn sees the review's outcome, not the reviewer's own traffic.
    h.mock.enqueue(DONE_TURN);
    const next = await runTurn(h, t, 'fix what the review found');
    const sent = allText(next.requests[0]!);
    expect(sent).toContain('[P1] add() subtracts');
    expect(sent).toContain('<action>review</action>');
    expect(sent).not.toContain('r-diff');
    expect(sent).not.toContain('You are reviewing a code change');
    const assistant = (next.requests[0]!.body.input as any[]).filter((i) => i.type === 'message' && i.role === 'assistant');
    expect(JSON.stringify(assistant)).toContain('add() subtracts');
    await t.c.close();
  });

  it('asks under the thread approval policy, but even an accepted command stays read-only', async () => {
    const t = await openThread(h, ['approval_policy="untrusted"', 'sandbox_mode="workspace-write"']);
    const asked: any[] = [];
    t.c.onServerRequest((method, params) => {
      asked.push({ method, params });
      return { decision: 'acceptForSession' };
    });
    const before = repoState(h.workspace);
    h.mock.enqueue(
      { output: [execCall('touch approved-but-readonly.txt', 'u-touch'), execCall('git status --short', 'u-status')] },
      { output: [execCall('touch again.txt', 'u-esc', { sandbox_permissions: 'require_escalated', justification: 'please' })] },
      { output: [{ type: 'text', text: 'No findings.' }] },
    );
    const review = await runReview(t, { type: 'uncommittedChanges' });
    expect(review.turn.status).toBe('completed');
    // The untrusted policy asked about the unknown command (to run it in the read-only sandbox) only.
    expect(asked.map((a) => a.params.command)).toEqual([expect.stringContaining('touch approved-but-readonly.txt')]);
    expect(toolOutputs(review.requests[1]!).get('u-touch')!.output).not.toMatch(/Process exited with code 0\b/);
    expect(toolOutputs(review.requests[1]!).get('u-status')!.output).toContain('calc.js');
    expect(toolOutputs(review.requests[2]!).get('u-esc')!.output).toContain('read-only');
    expect(existsSync(join(h.workspace, 'approved-but-readonly.txt'))).toBe(false);
    expect(existsSync(join(h.workspace, 'again.txt'))).toBe(false);
    expect(repoState(h.workspace)).toBe(before);
    await t.c.close();
  });

  it('builds the prompt of each target kind and passes a plain-text answer through', async () => {
    const t = await openThread(h, ['approval_policy="never"', 'sandbox_mode="workspace-write"']);
    const cases: [Record<string, unknown>, string[], string][] = [
      [{ type: 'baseBranch', branch: 'main' }, ["base branch 'main'", 'git merge-base HEAD main'], "changes against 'main'"],
      [{ type: 'commit', sha: 'abcdef1234567', title: 'Fix parser' }, ['commit abcdef1234567 ("Fix parser")', 'git show abcdef1234567'], 'commit abcdef1: Fix parser'],
      [{ type: 'commit', sha: 'abcdef1234567' }, ['commit abcdef1234567'], 'commit abcdef1'],
      [{ type: 'custom', instructions: '  Check the error handling in calc.js  ' }, ['Check the error handling in calc.js'], 'Check the error handling in calc.js'],
    ];
    for (const [target, inPrompt, hint] of cases) {
      h.mock.enqueue({ output: [{ type: 'text', text: `Looks fine to me (${hint}).` }] });
      const review = await runReview(t, target);
      expect(review.turn.status).toBe('completed');
      expect(review.requests).toHaveLength(1);
      const prompt = userTexts(review.requests[0]!).at(-1)!;
      for (const s of inPrompt) expect(prompt).toContain(s);
      expect(review.items[0]).toMatchObject({ type: 'enteredReviewMode', review: hint });
      expect(review.items.at(-1)).toMatchObject({ type: 'exitedReviewMode', review: `Looks fine to me (${hint}).` });
      // Each review starts from its own conversation, not the thread's history.
      expect(allText(review.requests[0]!)).not.toContain('Looks fine to me');
    }
    await t.c.close();
  });

  it('is interrupted by turn/interrupt, refuses steering, and the thread records the interruption', async () => {
    const t = await openThread(h, ['approval_policy="never"', 'sandbox_mode="read-only"']);
    const reqs = h.mock.requests.length;
    h.mock.enqueue({ output: [{ type: 'text', text: 'thinking...', chunks: 2 }], fault: { hang: true } });
    const r = await t.c.request('review/start', { threadId: t.threadId, target: { type: 'uncommittedChanges' } });
    await h.mock.waitForRequests(reqs + 1);
    const steer = await rpcError(t.c.request('turn/steer', { threadId: t.threadId, expectedTurnId: r.turn.id, input: [{ type: 'text', text: 'also commit' }] }));
    expect(steer.data.code).toBe('invalid_input');
    const busy = await rpcError(t.c.request('review/start', { threadId: t.threadId, target: { type: 'uncommittedChanges' } }));
    expect(busy.data.code).toBe('turn_in_progress');
    await t.c.request('turn/interrupt', { threadId: t.threadId, turnId: r.turn.id });
    const done = await turnCompleted(t.c, r.turn.id);
    expect(done.status).toBe('interrupted');
    const exited = notifs(t.c.messages, 'item/completed').map((m) => m.params.item).find((i) => i.type === 'exitedReviewMode');
    expect(exited.review).toContain('interrupted');
    h.mock.enqueue(DONE_TURN);
    const next = await runTurn(h, t, 'next');
    expect(allText(next.requests[0]!)).toContain('The review was interrupted');
    await t.c.close();
  });

  it('survives a restart: thread/read shows the review items and the next turn of the resumed thread sees the findings', async () => {
    const c1 = await h.start(['approval_policy="never"', 'sandbox_mode="workspace-write"']);
    const t = await c1.request('thread/start', { cwd: h.workspace });
    const threadId = t.thread.id as string;
    h.mock.enqueue({ output: [{ type: 'text', text: FINDINGS }] });
    const review = await runReview({ c: c1, threadId }, { type: 'commit', sha: 'HEAD' });
    expect(review.turn.status).toBe('completed');
    expect(await c1.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    const c2 = await h.start();
    const resumed = await c2.request('thread/resume', { threadId });
    const items = resumed.thread.turns.at(-1).items.map((i: any) => i.type);
    expect(items).toEqual(['enteredReviewMode', 'exitedReviewMode']);
    expect(resumed.thread.turns.at(-1).items[1].review).toContain('[P1] add() subtracts');
    h.mock.enqueue(DONE_TURN);
    const next = await runTurn(h, { c: c2, threadId }, 'fix it');
    expect(allText(next.requests[0]!)).toContain('[P1] add() subtracts');
    await c2.close();
  });

  it('rejects bad targets and deliveries with -32602 naming the field', async () => {
    const c: DaemonClient = await h.start();
    const t = await c.request('thread/start', { ephemeral: true, cwd: h.workspace });
    const bad = async (params: Record<string, unknown>, field: string): Promise<void> => {
      const e = await rpcError(c.request('review/start', { threadId: t.thread.id, ...params }));
      expect(e.code).toBe(-32602);
      expect(JSON.stringify(e.data)).toContain(field);
    };
    await bad({ target: { type: 'baseBranch' } }, 'branch');
    await bad({ target: { type: 'custom', instructions: '   ' } }, 'instructions');
    await bad({ target: { type: 'commit', sha: '' } }, 'sha');
    await bad({ target: { type: 'everything' } }, 'target');
    await bad({}, 'target');
    await bad({ target: { type: 'uncommittedChanges' }, delivery: 'detached' }, 'delivery');
    const missing = await rpcError(c.request('review/start', { threadId: 'no-such-thread', target: { type: 'uncommittedChanges' } }));
    expect(missing.data.code).toBe('thread_not_found');
    await c.close();
  });
});

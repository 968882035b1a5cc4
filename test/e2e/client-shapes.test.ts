import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPatch } from 'diff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonClient } from '../../src/client/daemon-client.js';
import { createHarness, startTurn, turnCompleted, type Harness } from '../support/harness.js';
import {
  execCall,
  itemEvent,
  notifs,
  openThread,
  outsideDir,
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

const UNTRUSTED = ['approval_policy="untrusted"', 'sandbox_mode="workspace-write"'];

/** Answers every approval request with the next of `answers` (the last repeats); records the params. */
function answerWith(c: DaemonClient, ...answers: unknown[]): { method: string; params: any }[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const asked: { method: string; params: any }[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  c.onServerRequest((method, params) => {
    const decision = answers[Math.min(asked.length, answers.length - 1)];
    asked.push({ method, params });
    return { decision };
  });
  return asked;
}

describe('fileChange items carry what Codex puts in changes[].diff', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h.cleanup();
  });

  it('add: the new content; delete: the old content; update: bare hunks that apply to the file; move: hunks then "Moved to"', async () => {
    const t = await openThread(h, NEVER_WW);
    const d = `shapes-${rand()}`;
    const abs = join(h.workspace, d);
    mkdirSync(abs);
    const updOld = 'one\ntwo\nthree\nfour\nfive\nsix\nseven\n';
    writeFileSync(join(abs, 'upd.txt'), updOld);
    writeFileSync(join(abs, 'del.txt'), 'bye\nfor now\n');
    const mvOld = 'alpha\nbeta\n';
    writeFileSync(join(abs, 'mv.txt'), mvOld);
    const patch = patchText(
      `*** Add File: ${d}/new.txt`,
      '+hello',
      '+world',
      `*** Update File: ${d}/upd.txt`,
      '@@',
      ' five',
      '-six',
      '+SIX',
      `*** Delete File: ${d}/del.txt`,
      `*** Update File: ${d}/mv.txt`,
      `*** Move to: ${d}/moved.txt`,
      '@@',
      '-beta',
      '+BETA',
    );
    h.mock.enqueue({ output: [patchCall(patch, 'shape-patch')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    for (const which of ['started', 'completed'] as const) {
      const item = itemEvent(r.msgs, which, 'shape-patch');
      const byPath = new Map<string, any>(item.changes.map((c: any) => [c.path, c])); // eslint-disable-line @typescript-eslint/no-explicit-any
      const add = byPath.get(join(abs, 'new.txt'));
      expect(add).toEqual({ path: join(abs, 'new.txt'), kind: { type: 'add' }, diff: 'hello\nworld\n' });
      const del = byPath.get(join(abs, 'del.txt'));
      expect(del).toEqual({ path: join(abs, 'del.txt'), kind: { type: 'delete' }, diff: 'bye\nfor now\n' });
      const upd = byPath.get(join(abs, 'upd.txt'));
      expect(upd.kind).toEqual({ type: 'update', move_path: null });
      expect(upd.diff).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@\n/);
      expect(upd.diff).not.toMatch(/^(---|\+\+\+|Index|===)/m);
      // What codex-acp does with it: apply the hunks to the file as it was.
      expect(applyPatch(updOld, upd.diff)).toBe(updOld.replace('six', 'SIX'));
      const mv = byPath.get(join(abs, 'mv.txt'));
      expect(mv.kind).toEqual({ type: 'update', move_path: join(abs, 'moved.txt') });
      expect(mv.diff.endsWith(`\n\nMoved to: ${join(abs, 'moved.txt')}`)).toBe(true);
      const hunks = mv.diff.replace(/\n\nMoved to: .*$/, '');
      expect(applyPatch(mvOld, hunks)).toBe('alpha\nBETA\n');
    }
    expect(readFileSync(join(abs, 'upd.txt'), 'utf8')).toBe(updOld.replace('six', 'SIX'));
    await t.c.close();
  });
});

describe('turn/completed, notification order, rate limits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h.cleanup();
  });

  it('turn/completed carries the final agent message (itemsView summary); turn/started carries none', async () => {
    const c = await h.start();
    const t = await c.request('thread/start', { ephemeral: true });
    h.mock.enqueue({ output: [{ type: 'text', text: 'first words' }, { type: 'text', text: 'the final answer' }] });
    const from = c.messages.length;
    const turnId = await startTurn(c, t.thread.id, 'hi');
    const done = await turnCompleted(c, turnId);
    const completedMsgs = notifs(c.messages.slice(from), 'item/completed').filter((m) => m.params.item.type === 'agentMessage');
    const last = completedMsgs.at(-1)!.params.item;
    expect(last.text).toBe('the final answer');
    const n = notifs(c.messages.slice(from), 'turn/completed').find((m) => m.params.turn.id === turnId)!;
    expect(n.params.turn.items).toEqual([last]);
    expect(n.params.turn.itemsView).toBe('summary');
    expect(done.status).toBe('completed');
    const started = notifs(c.messages.slice(from), 'turn/started').find((m) => m.params.turn.id === turnId)!;
    expect(started.params.turn.items).toEqual([]);
    expect(started.params.turn.itemsView).toBe('notLoaded');
    await c.close();
  });

  it('a turn without an agent message completes with no items (itemsView notLoaded)', async () => {
    const c = await h.start();
    const t = await c.request('thread/start', { ephemeral: true });
    h.mock.enqueue({ fault: { status: 400, body: { error: { message: 'bad request' } } } });
    const from = c.messages.length;
    const turnId = await startTurn(c, t.thread.id, 'hi');
    await turnCompleted(c, turnId);
    const n = notifs(c.messages.slice(from), 'turn/completed').find((m) => m.params.turn.id === turnId)!;
    expect(n.params.turn.status).toBe('failed');
    expect(n.params.turn.items).toEqual([]);
    expect(n.params.turn.itemsView).toBe('notLoaded');
    await c.close();
  });

  it('thread/status/changed (active) comes before turn/started, and idle after the last item', async () => {
    const c = await h.start();
    const t = await c.request('thread/start', { ephemeral: true });
    const from = c.messages.length;
    const turnId = await startTurn(c, t.thread.id, 'order please');
    await turnCompleted(c, turnId);
    const msgs = c.messages.slice(from).filter((m) => m.id === undefined && m.params?.threadId === t.thread.id);
    const names = msgs.map((m) => (m.method === 'thread/status/changed' ? `status:${m.params.status.type}` : m.method));
    const active = names.indexOf('status:active');
    const started = names.indexOf('turn/started');
    expect(active).toBeGreaterThanOrEqual(0);
    expect(started).toBe(active + 1);
    expect(names.lastIndexOf('status:idle')).toBe(names.indexOf('turn/completed') - 1);
    await c.close();
  });

  for (const wireApi of ['responses', 'chat'] as const) {
    it(`account/rateLimits/updated whenever the provider sends rate-limit headers (${wireApi})`, async () => {
      const hw = await createHarness({ wireApi });
      try {
        const c = await hw.start();
        const t = await c.request('thread/start', { ephemeral: true });
        hw.mock.enqueue({ output: [{ type: 'text', text: 'ok' }], headers: { 'x-codex-primary-used-percent': '37', 'x-codex-primary-window-minutes': '60' } });
        hw.mock.enqueue({ output: [{ type: 'text', text: 'ok' }] });
        hw.mock.enqueue({ output: [{ type: 'text', text: 'ok' }], headers: { 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '25' } });
        for (const expected of [1, 1, 2]) {
          const turnId = await startTurn(c, t.thread.id, 'limits');
          await turnCompleted(c, turnId);
          expect(c.notifications('account/rateLimits/updated')).toHaveLength(expected);
        }
        const [first, second] = c.notifications('account/rateLimits/updated');
        expect(first!.params.rateLimits.primary.usedPercent).toBe(37);
        expect(first!.params.rateLimits.primary.windowDurationMins).toBe(60);
        expect(second!.params.rateLimits.primary.usedPercent).toBe(75);
        await c.close();
      } finally {
        await hw.cleanup();
      }
    });
  }
});

describe('threads carry gitInfo', () => {
  let h: Harness;
  let repo: string;
  let sha: string;
  beforeAll(async () => {
    h = await createHarness();
    repo = mkdtempSync(join(tmpdir(), 'agentd-git-'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'feature-x');
    writeFileSync(join(repo, 'README'), 'hi\n');
    git('add', 'README');
    git('commit', '-q', '-m', 'first');
    git('remote', 'add', 'origin', 'https://example.invalid/acme/widgets.git');
    sha = git('rev-parse', 'HEAD');
  });
  afterAll(async () => {
    await h.cleanup();
    rmrf(repo);
  });

  it('start, read, list and resume (in a new daemon) show sha, branch and origin; a non-git cwd has null', async () => {
    const expected = { sha, branch: 'feature-x', originUrl: 'https://example.invalid/acme/widgets.git' };
    const c = await h.start();
    const from = c.messages.length;
    const t = await c.request('thread/start', { cwd: repo });
    expect(t.thread.gitInfo).toEqual(expected);
    const started = await c.waitFor((m) => m.method === 'thread/started' && m.params.thread.id === t.thread.id, from);
    expect(started.params.thread.gitInfo).toEqual(expected);
    expect((await c.request('thread/read', { threadId: t.thread.id })).thread.gitInfo).toEqual(expected);
    const plain = await c.request('thread/start', { cwd: h.workspace });
    expect(plain.thread.gitInfo).toBeNull();
    const eph = await c.request('thread/start', { cwd: repo, ephemeral: true });
    expect(eph.thread.gitInfo).toEqual(expected);
    await c.close();

    // A new process: the list reads what was stored at start, resume reads git again.
    const c2 = await h.start();
    const list = await c2.request('thread/list', {});
    const byId = new Map<string, any>(list.data.map((x: any) => [x.id, x])); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(byId.get(t.thread.id).gitInfo).toEqual(expected);
    expect(byId.get(plain.thread.id).gitInfo).toBeNull();
    const resumed = await c2.request('thread/resume', { threadId: t.thread.id });
    expect(resumed.thread.gitInfo).toEqual(expected);
    await c2.close();
  });
});

describe('command approvals carry Codex fields; acceptWithExecpolicyAmendment stores a prefix rule', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h.cleanup();
  });
  const rulesFile = () => join(h.home, 'rules', 'default.rules');

  it('the request has approvalId null, the proposed prefix and the decisions offered; the answer stores exactly the prefix sent', async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answerWith(t.c, { acceptWithExecpolicyAmendment: { execpolicy_amendment: ['touch'] } });
    const f = `amend-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${f}`, 'amend-1')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(asked).toHaveLength(1);
    const p = asked[0]!.params;
    expect(asked[0]!.method).toBe('item/commandExecution/requestApproval');
    expect(p.approvalId).toBeNull();
    expect(p.itemId).toBe('amend-1');
    expect(p.proposedExecpolicyAmendment).toEqual(['touch', f]);
    expect(p.availableDecisions).toEqual([
      'accept',
      'acceptForSession',
      { acceptWithExecpolicyAmendment: { execpolicy_amendment: ['touch', f] } },
      'decline',
      'cancel',
    ]);
    expect(existsSync(join(h.workspace, f))).toBe(true);
    expect(readFileSync(rulesFile(), 'utf8')).toBe('prefix_rule(pattern=["touch"], decision="allow")\n');
    expect(statSync(rulesFile()).mode & 0o777).toBe(0o600);
    expect(statSync(join(h.home, 'rules')).mode & 0o777).toBe(0o700);
    await t.c.close();
  });

  it('after a restart, in a new thread, the rule runs matching commands without asking, and nothing more', async () => {
    const t = await openThread(h, UNTRUSTED);
    const asked = answerWith(t.c, 'decline');
    const ok = `rule-ok-${rand()}.txt`;
    const victim = `victim-${rand()}.txt`;
    writeFileSync(join(h.workspace, victim), 'keep me\n');
    const outside = outsideDir();
    try {
      h.mock.enqueue(
        {
          output: [
            execCall(`touch ${ok}`, 'r-ok'),
            execCall(`touch a-${rand()}; rm -f ${victim}`, 'r-semicolon'),
            execCall(`touch b-${rand()} && rm -f ${victim}`, 'r-and'),
            execCall(`touch c-${rand()} | rm -f ${victim}`, 'r-pipe'),
            execCall(`touch d-${rand()} > ${victim}`, 'r-redirect'),
            execCall(`touch $(rm -f ${victim})`, 'r-subst'),
            execCall(`rm -f ${victim}`, 'r-other'),
            execCall(`touch ${join(outside, 'escaped.txt')}`, 'r-outside'),
          ],
        },
        DONE_TURN,
      );
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      expect(existsSync(join(h.workspace, ok))).toBe(true);
      const askedIds = asked.map((a) => a.params.itemId);
      expect(askedIds).not.toContain('r-ok');
      for (const id of ['r-semicolon', 'r-and', 'r-pipe', 'r-redirect', 'r-subst', 'r-other']) expect(askedIds).toContain(id);
      expect(readFileSync(join(h.workspace, victim), 'utf8')).toBe('keep me\n');
      // The rule removed the question, not the sandbox: the write outside the workspace failed,
      // and its retry without the sandbox was asked about (and declined).
      expect(existsSync(join(outside, 'escaped.txt'))).toBe(false);
      const outsideAsks = asked.filter((a) => a.params.itemId === 'r-outside');
      expect(outsideAsks.every((a) => a.params.proposedExecpolicyAmendment == null)).toBe(true);
      expect(itemEvent(r.msgs, 'completed', 'r-outside').status).not.toBe('completed');
    } finally {
      rmrf(outside);
    }
    await t.c.close();
  });

  it('an empty prefix, or one that is not a prefix of the command, is refused (the command is accepted once)', async () => {
    const t = await openThread(h, UNTRUSTED);
    const before = readFileSync(rulesFile(), 'utf8');
    const asked = answerWith(
      t.c,
      { acceptWithExecpolicyAmendment: { execpolicy_amendment: [] } },
      { acceptWithExecpolicyAmendment: { execpolicy_amendment: ['rm'] } },
      { acceptWithExecpolicyAmendment: { execpolicy_amendment: ['mkdir', '-p', 'other'] } },
      'decline',
    );
    const dirs = [`e-${rand()}`, `f-${rand()}`, `g-${rand()}`, `h-${rand()}`];
    h.mock.enqueue({ output: dirs.map((dname, i) => execCall(`mkdir -p ${dname}`, `bad-${i}`)) }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(asked.map((a) => a.params.itemId)).toEqual(['bad-0', 'bad-1', 'bad-2', 'bad-3']);
    expect(dirs.map((dname) => existsSync(join(h.workspace, dname)))).toEqual([true, true, true, false]);
    expect(readFileSync(rulesFile(), 'utf8')).toBe(before);
    await t.c.close();
  });

  it('an answer that fails the schema is a decline; network amendments: allow accepts, deny declines', async () => {
    const t = await openThread(h, UNTRUSTED);
    const before = readFileSync(rulesFile(), 'utf8');
    const asked = answerWith(
      t.c,
      { acceptWithExecpolicyAmendment: { execpolicy_amendment: 'mkdir' } },
      'approved',
      { applyNetworkPolicyAmendment: { network_policy_amendment: { host: 'example.invalid', action: 'allow' } } },
      { applyNetworkPolicyAmendment: { network_policy_amendment: { host: 'example.invalid', action: 'deny' } } },
    );
    const dirs = [`s-${rand()}`, `t-${rand()}`, `u-${rand()}`, `v-${rand()}`];
    h.mock.enqueue({ output: dirs.map((dname, i) => execCall(`mkdir -p ${dname}`, `ans-${i}`)) }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(asked).toHaveLength(4);
    expect(dirs.map((dname) => existsSync(join(h.workspace, dname)))).toEqual([false, false, true, false]);
    expect(toolOutputs(r.requests.at(-1)!).get('ans-0')?.output).toContain('rejected by user');
    expect(readFileSync(rulesFile(), 'utf8')).toBe(before);
    await t.c.close();
  });

  it('a rules file with bad lines is reported as a configWarning and its good lines still apply', async () => {
    writeFileSync(
      rulesFile(),
      '# my rules\nprefix_rule(pattern=["touch"], decision="allow")\nthis is not a rule\nprefix_rule(pattern=[], decision="allow")\n\u0000\u0001garbage\n',
    );
    const c = h.spawn(UNTRUSTED);
    await c.initialize();
    const warning = await c.waitFor((m) => m.method === 'configWarning' && String(m.params.summary).includes('default.rules'));
    expect(warning.params.summary).toContain(':3:');
    const warnings = c.notifications('configWarning').filter((m) => String(m.params.summary).includes('default.rules'));
    expect(warnings.length).toBeGreaterThanOrEqual(3);
    const t: Thread = { c, threadId: (await c.request('thread/start', { cwd: h.workspace, ephemeral: true })).thread.id };
    const asked = answerWith(c, 'decline');
    const f = `after-corrupt-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${f}`, 'after-corrupt')] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    expect(asked).toHaveLength(0);
    expect(existsSync(join(h.workspace, f))).toBe(true);
    // Storing a new rule keeps the user's lines as they were.
    const asked2 = answerWith(c, { acceptWithExecpolicyAmendment: { execpolicy_amendment: ['mkdir', '-p'] } });
    h.mock.enqueue({ output: [execCall(`mkdir -p m-${rand()}`, 'store-after-corrupt')] }, DONE_TURN);
    await runTurn(h, t);
    expect(asked2).toHaveLength(1);
    const text = readFileSync(rulesFile(), 'utf8');
    expect(text).toContain('this is not a rule\n');
    expect(text.endsWith('prefix_rule(pattern=["mkdir", "-p"], decision="allow")\n')).toBe(true);
    expect(serverRequests(r.msgs)).toHaveLength(0);
    await c.close();
  });

  it('a rules file that is a directory is a warning, not a crash', async () => {
    const home = mkdtempSync(join(tmpdir(), 'agentd-rules-dir-'));
    mkdirSync(join(home, 'rules', 'default.rules'), { recursive: true });
    const c = h.spawn(UNTRUSTED, { AGENTD_HOME: home });
    try {
      await c.initialize();
      await c.waitFor((m) => m.method === 'configWarning' && String(m.params.summary).includes('default.rules'));
      const t = await c.request('thread/start', { cwd: h.workspace, ephemeral: true });
      expect(t.thread.id).toBeTruthy();
      await c.close();
    } finally {
      rmrf(home);
    }
  });
});

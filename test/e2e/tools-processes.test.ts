import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonClient } from '../../src/client/daemon-client.js';
import { createHarness, startTurn, turnCompleted, type Harness } from '../support/harness.js';
import {
  DONE_TURN,
  execCall,
  isAlive,
  itemEvent,
  pidsWithMarker,
  pollUntil,
  rand,
  runTurn,
  toolOutputs,
  type Thread,
} from '../support/tool-turns.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.cleanup();
});

const FULL = ['approval_policy="never"', 'sandbox_mode="danger-full-access"'];
const NEVER_WW = ['approval_policy="never"', 'sandbox_mode="workspace-write"'];

/** Test cleanup: SIGKILLs what a test started and is still alive (nothing, when it passed). */
function killAll(pids: number[]): void {
  for (const p of pids) if (isAlive(p)) process.kill(p, 'SIGKILL');
}

/** A model turn that starts streaming and never finishes, so the turn stays running. */
const HANGING_TURN = { output: [{ type: 'text' as const, text: 'still thinking', chunks: 2 }], fault: { hang: true as const } };

/** A `write_stdin` call. */
function writeCall(sessionId: number, chars: string, callId: string) {
  return { type: 'function_call' as const, name: 'write_stdin', arguments: { session_id: sessionId, chars, yield_time_ms: 500 }, callId };
}

/** Starts a thread (persisted unless said otherwise) on an already running daemon. */
async function thread(c: DaemonClient, ephemeral = true): Promise<Thread> {
  const t = await c.request('thread/start', { cwd: h.workspace, ephemeral });
  return { c, threadId: t.thread.id as string };
}

/**
 * Runs one turn whose exec_command outlives its yield: a shell running `sleep 1000`, both marked
 * with one argv[0] (`exec -a`) so the test finds their host pids (under full access commands run
 * in a pid namespace of their own, where `$!` is not a host pid). Returns the host pids and the
 * session id the model was given.
 */
async function startLongSession(t: Thread, extra: object[] = [DONE_TURN]): Promise<{ pids: number[]; sessionId: number; turnId: string }> {
  const marker = `agentd-long-${rand()}`;
  const cmd = `exec -a ${marker} bash -c '(exec -a ${marker} sleep 1000) & echo ready; wait'`;
  const callId = `call-long-${rand()}`;
  const reqs = h.mock.requests.length;
  h.mock.enqueue({ output: [execCall(cmd, callId, { yield_time_ms: 250, login: false })] }, ...(extra as never[]));
  const from = t.c.messages.length;
  const turnId = await startTurn(t.c, t.threadId, 'start something long');
  // The second model request carries the exec output: the yield has passed, the session runs on.
  await h.mock.waitForRequests(reqs + 2);
  const item = (await t.c.waitForNotification('item/completed', (p) => p.item.id === callId, from)).params.item;
  await pollUntil(() => pidsWithMarker(marker).length === 2, 3000);
  // Checked by the callers inside their try, so that a failure still kills these.
  return { pids: pidsWithMarker(marker), sessionId: Number(item.processId), turnId };
}

/** What every caller of startLongSession checks first. */
function expectRunning(s: { pids: number[]; sessionId: number }): void {
  expect(s.sessionId).toBeGreaterThan(0);
  expect(s.pids).toHaveLength(2);
  expect(s.pids.every(isAlive)).toBe(true);
}

describe('exec_command sessions belong to one thread', () => {
  it("thread B's model cannot write into thread A's running session: it is \"no such session\" there", async () => {
    const c = await h.start(FULL);
    const a = await thread(c);
    const b = await thread(c);
    const fed = `fed-${rand()}.txt`;
    // A's session waits for one line and writes what it got to a file.
    h.mock.enqueue({ output: [execCall(`read line; echo "got:$line" > ${fed}`, 'call-a', { yield_time_ms: 250, login: false })] }, DONE_TURN);
    const ra = await runTurn(h, a);
    const id = Number(itemEvent(ra.msgs, 'completed', 'call-a').processId);
    expect(id).toBeGreaterThan(0);
    try {
      h.mock.enqueue({ output: [writeCall(id, 'pwned\n', 'call-b')] }, DONE_TURN);
      const rb = await runTurn(h, b);
      expect(rb.turn.status).toBe('completed');
      const out = toolOutputs(rb.requests[1]!).get('call-b')!.output;
      expect(out).toMatch(/unknown session id/);
      expect(existsSync(join(h.workspace, fed))).toBe(false);

      // Control: thread A itself can still feed its session.
      h.mock.enqueue({ output: [writeCall(id, 'hello\n', 'call-a2')] }, DONE_TURN);
      const ra2 = await runTurn(h, a);
      expect(toolOutputs(ra2.requests[1]!).get('call-a2')!.output).toContain('Process exited with code 0');
      expect(readFileSync(join(h.workspace, fed), 'utf8')).toBe('got:hello\n');
    } finally {
      await c.close();
    }
  });
});

describe('every process a turn started dies with it', () => {
  it('turn/interrupt kills an exec_command session that has passed its yield time', async () => {
    const t = { c: await h.start(FULL), threadId: '' };
    t.threadId = (await thread(t.c)).threadId;
    const long = await startLongSession(t, [HANGING_TURN]);
    const { pids, turnId } = long;
    try {
      expectRunning(long);
      await t.c.request('turn/interrupt', { threadId: t.threadId, turnId });
      expect((await turnCompleted(t.c, turnId)).status).toBe('interrupted');
      expect(await pollUntil(() => pids.every((p) => !isAlive(p)), 5000)).toBe(true);
    } finally {
      killAll(pids);
      await t.c.close();
    }
  });

  it('turn/interrupt kills a sandboxed session past its yield (inside its pid namespace)', async () => {
    const c = await h.start(NEVER_WW);
    const t = await thread(c);
    const marker = `agentd-sess-${rand()}`;
    const reqs = h.mock.requests.length;
    h.mock.enqueue({ output: [execCall(`(exec -a ${marker} sleep 1000) & echo ready; wait`, 'call-sb', { yield_time_ms: 250, login: false })] }, HANGING_TURN);
    const turnId = await startTurn(c, t.threadId, 'go');
    await h.mock.waitForRequests(reqs + 2);
    try {
      expect(await pollUntil(() => pidsWithMarker(marker).length === 1, 3000)).toBe(true);
      await c.request('turn/interrupt', { threadId: t.threadId, turnId });
      expect((await turnCompleted(c, turnId)).status).toBe('interrupted');
      expect(await pollUntil(() => pidsWithMarker(marker).length === 0, 5000)).toBe(true);
    } finally {
      killAll(pidsWithMarker(marker));
      await c.close();
    }
  });
});

describe("a thread's sessions die when it is unloaded", () => {
  for (const how of ['thread/unsubscribe', 'thread/archive', 'thread/delete'] as const) {
    it(`${how} kills the sessions of a thread whose turn already completed`, async () => {
      const c = await h.start(FULL);
      const t = await thread(c, how === 'thread/unsubscribe');
      const long = await startLongSession(t);
      const { pids, turnId } = long;
      try {
        expectRunning(long);
        expect((await turnCompleted(c, turnId)).status).toBe('completed');
        // The session outlives its turn (the model may poll it next turn)…
        expect(pids.every(isAlive)).toBe(true);
        // …but not its thread.
        await c.request(how, { threadId: t.threadId });
        expect(await pollUntil(() => pids.every((p) => !isAlive(p)), 5000)).toBe(true);
      } finally {
        killAll(pids);
        await c.close();
      }
    });
  }
});

describe('sessions die when the daemon exits', () => {
  for (const how of ['stdin EOF', 'SIGTERM'] as const) {
    it(`on ${how}`, async () => {
      const c = await h.start(FULL);
      const t = await thread(c);
      const long = await startLongSession(t);
      const { pids, turnId } = long;
      try {
        expectRunning(long);
        await turnCompleted(c, turnId);
        const exit = how === 'SIGTERM' ? await c.kill('SIGTERM') : await c.close();
        expect(exit.code).toBe(0);
        expect(await pollUntil(() => pids.every((p) => !isAlive(p)), 5000)).toBe(true);
      } finally {
        killAll(pids);
      }
    });
  }
});

describe('[shell_environment_policy]', () => {
  const secrets = {
    OPENAI_API_KEY: 'sk-leak-openai',
    GITHUB_TOKEN: 'ghp-leak-github',
    AWS_SECRET_ACCESS_KEY: 'aws-leak-secret',
    MOCK_PROVIDER_CRED: 'leak-provider-cred',
  };
  const visible = { AGENTD_VISIBLE_VAR: 'plainly-visible' };
  const credConfig = ['model_providers.mock.env_key="MOCK_PROVIDER_CRED"'];

  async function daemon(config: string[]): Promise<DaemonClient> {
    const c = h.spawn([...FULL, ...credConfig, ...config], { ...secrets, ...visible });
    await c.initialize();
    return c;
  }

  function expectNoSecrets(text: string): void {
    for (const [name, value] of Object.entries(secrets)) {
      expect(text).not.toContain(value);
      expect(text).not.toContain(`${name}=`);
    }
  }

  it("by default the model's commands see no credentials of the daemon: exec_command, shell and command/exec", async () => {
    const c = await daemon([]);
    try {
      // No warning: the section is known (here it is even absent, see the next test for one set).
      const t = await thread(c);
      h.mock.enqueue({ output: [execCall('env', 'call-env', { login: false })] }, DONE_TURN);
      const r = await runTurn(h, t);
      const item = itemEvent(r.msgs, 'completed', 'call-env');
      expect(item.exitCode).toBe(0);
      expect(item.aggregatedOutput).toContain('AGENTD_VISIBLE_VAR=plainly-visible');
      expectNoSecrets(item.aggregatedOutput);
      expectNoSecrets(toolOutputs(r.requests[1]!).get('call-env')!.output);

      const classic = await daemon(['tool_style="classic"']);
      try {
        const tc = await thread(classic);
        h.mock.enqueue({ output: [{ type: 'function_call', name: 'shell', arguments: { command: ['env'] }, callId: 'call-shell-env' }] }, DONE_TURN);
        const rc = await runTurn(h, tc);
        const shellItem = itemEvent(rc.msgs, 'completed', 'call-shell-env');
        expect(shellItem.aggregatedOutput).toContain('AGENTD_VISIBLE_VAR=plainly-visible');
        expectNoSecrets(shellItem.aggregatedOutput);
      } finally {
        await classic.close();
      }

      // command/exec: the same filtering, and the client's own env laid on top (the client is trusted).
      const ce = await c.request('command/exec', { command: ['env'], cwd: h.workspace, env: { CLIENT_SET_TOKEN: 'from-client' } });
      expect(ce.exitCode).toBe(0);
      expect(ce.stdout).toContain('CLIENT_SET_TOKEN=from-client');
      expect(ce.stdout).toContain('AGENTD_VISIBLE_VAR=plainly-visible');
      expectNoSecrets(ce.stdout);
    } finally {
      await c.close();
    }
  });

  it('set and include_only shape the environment, with no configWarning for the section', async () => {
    const c = await daemon([
      'shell_environment_policy.set.INJECTED_BY_CONFIG="hello"',
      'shell_environment_policy.include_only=["PATH","HOME","INJECTED_*"]',
    ]);
    try {
      const t = await thread(c);
      expect(c.notifications('configWarning').map((m) => m.params.summary)).toEqual([]);
      h.mock.enqueue({ output: [execCall('env', 'call-env2', { login: false })] }, DONE_TURN);
      const r = await runTurn(h, t);
      const out: string = itemEvent(r.msgs, 'completed', 'call-env2').aggregatedOutput;
      const names = out.trim().split('\n').map((l) => l.slice(0, l.indexOf('=')));
      expect(out).toContain('INJECTED_BY_CONFIG=hello\n');
      expect(names).toContain('PATH');
      expect(names).toContain('HOME');
      expect(names).not.toContain('AGENTD_VISIBLE_VAR');
      expect(names).not.toContain('AGENTD_HOME');
      expectNoSecrets(out);
      // Only what include_only allows, the non-interactive settings, and what bash itself sets.
      const allowed = new Set(['PATH', 'HOME', 'INJECTED_BY_CONFIG', 'NO_COLOR', 'TERM', 'PAGER', 'GIT_PAGER', 'PWD', 'SHLVL', '_']);
      expect(names.filter((n) => !allowed.has(n))).toEqual([]);
    } finally {
      await c.close();
    }
  });
});

describe('command output kept in memory is bounded', () => {
  it("a command printing 30 MB leaves a bounded aggregatedOutput with its head and tail; the client gets every byte", async () => {
    const c = await h.start(FULL);
    try {
      const t = await thread(c);
      const cmd = 'echo FIRST-LINE; head -c 30000000 /dev/zero | tr "\\0" x; echo; echo LAST-LINE';
      h.mock.enqueue({ output: [execCall(cmd, 'call-big', { login: false, yield_time_ms: 30_000 })] }, DONE_TURN);
      let deltaChars = 0;
      const off = c.onMessage((m) => {
        if (m.method === 'item/commandExecution/outputDelta' && m.params.itemId === 'call-big') deltaChars += String(m.params.delta).length;
      });
      const r = await runTurn(h, t);
      off();
      const item = itemEvent(r.msgs, 'completed', 'call-big');
      expect(item.exitCode).toBe(0);
      expect(item.aggregatedOutput.length).toBeLessThan(1_100_000);
      expect(item.aggregatedOutput.startsWith('FIRST-LINE\nxxx')).toBe(true);
      expect(item.aggregatedOutput.endsWith('xxx\nLAST-LINE\n')).toBe(true);
      expect(deltaChars).toBe('FIRST-LINE\n'.length + 30_000_000 + '\nLAST-LINE\n'.length);
      // The model's copy is far smaller still.
      expect(toolOutputs(r.requests[1]!).get('call-big')!.output.length).toBeLessThan(100_000);
    } finally {
      await c.close();
    }
  });
});

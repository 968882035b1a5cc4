import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, startTurn, turnCompleted, type Harness } from '../support/harness.js';
import {
  execCall,
  isAlive,
  nsPids,
  itemEvent,
  notifs,
  openThread,
  outsideDir,
  patchCall,
  patchText,
  pidsWithMarker,
  pollUntil,
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


/** Counts the connections a TCP server on 127.0.0.1 accepts. */
async function countingServer(): Promise<{ server: Server; port: number; count: () => number }> {
  let n = 0;
  const server = createServer((s) => {
    n++;
    s.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, port, count: () => n };
}

describe('sandbox denials', () => {
  it('workspace-write: writes inside the workspace succeed, writes outside fail and leave nothing', async () => {
    const t = await openThread(h, NEVER_WW);
    const outside = outsideDir();
    const escape = `/var/tmp/agentd-escape-${rand()}`;
    const inside = `ww-${rand()}.txt`;
    h.mock.enqueue(
      { output: [execCall(`echo in > ${inside}`, 'call-in')] },
      { output: [execCall(`touch ${escape}`, 'call-touch')] },
      { output: [execCall(`echo x > ${join(outside, 'f.txt')}`, 'call-sibling')] },
      DONE_TURN,
    );
    try {
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      expect(readFileSync(join(h.workspace, inside), 'utf8')).toBe('in\n');
      expect(itemEvent(r.msgs, 'completed', 'call-in')).toMatchObject({ status: 'completed', exitCode: 0 });
      for (const id of ['call-touch', 'call-sibling']) {
        const item = itemEvent(r.msgs, 'completed', id);
        expect(item.status).toBe('failed');
        expect(item.exitCode).not.toBe(0);
        expect(item.aggregatedOutput).toMatch(/read-only file system/i);
      }
      expect(existsSync(escape)).toBe(false);
      expect(readdirSync(outside)).toEqual([]);
    } finally {
      rmrf(outside, escape);
    }
    await t.c.close();
  });

  it('read-only: any write fails, even inside the workspace; reading works', async () => {
    const t = await openThread(h, ['approval_policy="never"', 'sandbox_mode="read-only"']);
    writeFileSync(join(h.workspace, 'ro-source.txt'), 'readable\n');
    const file = `ro-${rand()}.txt`;
    h.mock.enqueue(
      { output: [execCall(`echo x > ${file}`, 'call-write')] },
      { output: [execCall('cat ro-source.txt', 'call-read', { login: false })] },
      DONE_TURN,
    );
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    const w = itemEvent(r.msgs, 'completed', 'call-write');
    expect(w.status).toBe('failed');
    expect(w.aggregatedOutput).toMatch(/read-only file system/i);
    expect(existsSync(join(h.workspace, file))).toBe(false);
    expect(itemEvent(r.msgs, 'completed', 'call-read')).toMatchObject({ status: 'completed', exitCode: 0, aggregatedOutput: 'readable\n' });
    await t.c.close();
  });

  it('workspace-write: the network is cut off (the server sees no connection), unless network_access is set', async () => {
    const srv = await countingServer();
    try {
      const probe = `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${srv.port}' && echo CONNECTED`;
      const t = await openThread(h, NEVER_WW);
      h.mock.enqueue({ output: [execCall(probe, 'call-net')] }, DONE_TURN);
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      const item = itemEvent(r.msgs, 'completed', 'call-net');
      expect(item.status).toBe('failed');
      expect(item.exitCode).not.toBe(0);
      expect(item.aggregatedOutput).not.toContain('CONNECTED');
      expect(srv.count()).toBe(0);
      await t.c.close();

      // Control: the same probe connects when the policy grants network access.
      const t2 = await openThread(h, [...NEVER_WW, 'sandbox_workspace_write.network_access=true']);
      h.mock.enqueue({ output: [execCall(probe, 'call-net-ok')] }, DONE_TURN);
      const r2 = await runTurn(h, t2);
      expect(itemEvent(r2.msgs, 'completed', 'call-net-ok')).toMatchObject({ status: 'completed', exitCode: 0 });
      expect(itemEvent(r2.msgs, 'completed', 'call-net-ok').aggregatedOutput).toContain('CONNECTED');
      expect(srv.count()).toBe(1);
      await t2.c.close();
    } finally {
      srv.server.close();
    }
  });
});

describe('escape attempts', () => {
  it('a symlink in the workspace pointing outside does not let a command write there', async () => {
    const outside = outsideDir();
    const link = `link-${rand()}`;
    symlinkSync(outside, join(h.workspace, link));
    const t = await openThread(h, NEVER_WW);
    h.mock.enqueue({ output: [execCall(`echo x > ${link}/file`, 'call-link')] }, DONE_TURN);
    try {
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      const item = itemEvent(r.msgs, 'completed', 'call-link');
      expect(item.status).toBe('failed');
      expect(item.aggregatedOutput).toMatch(/read-only file system/i);
      expect(readdirSync(outside)).toEqual([]);
    } finally {
      rmrf(outside, join(h.workspace, link));
    }
    await t.c.close();
  });

  /** A workspace under /var/tmp, so `..` leaves every writable root (/tmp is one by default). */
  function escapeSetup() {
    const ws = mkdtempSync('/var/tmp/agentd-ws-');
    const outside = outsideDir();
    symlinkSync(outside, join(ws, 'linkdir'));
    writeFileSync(join(outside, 'target.txt'), 'outside\n');
    symlinkSync(join(outside, 'target.txt'), join(ws, 'linkfile.txt'));
    const sibling = `agentd-escape-${rand()}.txt`;
    const abs = `/var/tmp/agentd-abs-${rand()}.txt`;
    const calls = [
      patchCall(patchText(`*** Add File: ../${sibling}`, '+escaped'), 'patch-dotdot'),
      patchCall(patchText(`*** Add File: ${abs}`, '+escaped'), 'patch-abs'),
      patchCall(patchText('*** Add File: linkdir/evil.txt', '+escaped'), 'patch-link'),
      patchCall(patchText('*** Update File: linkfile.txt', '@@', '-outside', '+escaped'), 'patch-linkfile'),
    ];
    const nothingWritten = () => {
      expect(existsSync(join('/var/tmp', sibling))).toBe(false);
      expect(existsSync(abs)).toBe(false);
      expect(readdirSync(outside)).toEqual(['target.txt']);
      expect(readFileSync(join(outside, 'target.txt'), 'utf8')).toBe('outside\n');
      expect(readdirSync(ws).sort()).toEqual(['linkdir', 'linkfile.txt']);
    };
    return { ws, outside, calls, nothingWritten, cleanup: () => rmrf(ws, outside, join('/var/tmp', sibling), abs) };
  }

  it('apply_patch reaching outside (.., absolute, symlinked dir, symlinked file) is refused under never', async () => {
    const s = escapeSetup();
    try {
      const t = await openThread(h, NEVER_WW, { cwd: s.ws });
      h.mock.enqueue(...s.calls.map((c) => ({ output: [c] })), DONE_TURN);
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      expect(serverRequests(r.msgs)).toHaveLength(0);
      for (const [i, id] of ['patch-dotdot', 'patch-abs', 'patch-link', 'patch-linkfile'].entries()) {
        const out = toolOutputs(r.requests[i + 1]!).get(id);
        expect(out?.type).toBe('custom_tool_call_output');
        expect(out?.output).toMatch(/patch rejected/);
        expect(out?.output).toMatch(/outside the writable roots/);
        expect(itemEvent(r.msgs, 'completed', id)?.status ?? 'none').not.toBe('completed');
      }
      s.nothingWritten();
      await t.c.close();
    } finally {
      s.cleanup();
    }
  });

  it('apply_patch reaching outside is asked under on-request; declined, nothing is written', async () => {
    const s = escapeSetup();
    try {
      const t: Thread = await openThread(h, ['approval_policy="on-request"', 'sandbox_mode="workspace-write"'], { cwd: s.ws });
      const asked: any[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
      t.c.onServerRequest((method, params) => {
        asked.push({ method, params });
        return { decision: 'decline' };
      });
      h.mock.enqueue(...s.calls.map((c) => ({ output: [c] })), DONE_TURN);
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      expect(asked.map((a) => [a.method, a.params.itemId])).toEqual([
        ['item/fileChange/requestApproval', 'patch-dotdot'],
        ['item/fileChange/requestApproval', 'patch-abs'],
        ['item/fileChange/requestApproval', 'patch-link'],
        ['item/fileChange/requestApproval', 'patch-linkfile'],
      ]);
      for (const a of asked) expect(a.params.reason).toMatch(/outside the writable roots/);
      for (const id of ['patch-dotdot', 'patch-abs', 'patch-link', 'patch-linkfile']) {
        expect(itemEvent(r.msgs, 'completed', id)).toMatchObject({ type: 'fileChange', status: 'declined' });
      }
      expect(toolOutputs(r.requests[3]!).get('patch-link')?.output).toMatch(/rejected by user/);
      s.nothingWritten();
      await t.c.close();
    } finally {
      s.cleanup();
    }
  });
});

/** Test cleanup: SIGKILLs the processes this test started that are still alive (none when it passed). */
function killAll(pids: number[]): void {
  for (const p of pids) if (isAlive(p)) process.kill(p, 'SIGKILL');
}

describe('the workspace .git stays read-only', () => {
  function gitWorkspace(): string {
    const ws = mkdtempSync('/var/tmp/agentd-ws-git-');
    mkdirSync(join(ws, '.git', 'hooks'), { recursive: true });
    return ws;
  }

  it('a command cannot plant a hook in .git under workspace-write', async () => {
    const ws = gitWorkspace();
    try {
      const t = await openThread(h, NEVER_WW, { cwd: ws });
      h.mock.enqueue({ output: [execCall('echo evil > .git/hooks/pre-commit', 'call-hook')] }, DONE_TURN);
      const r = await runTurn(h, t);
      const item = itemEvent(r.msgs, 'completed', 'call-hook');
      expect(item.status).toBe('failed');
      expect(item.aggregatedOutput).toMatch(/read-only file system/i);
      expect(existsSync(join(ws, '.git', 'hooks', 'pre-commit'))).toBe(false);
      await t.c.close();
    } finally {
      rmrf(ws);
    }
  });

  // Regression (found by this test, since fixed): apply_patch's path check (checkPatchPaths) only knew the writable roots, not the
  // read-only subpaths the shell sandbox protects (readOnlySubpaths: <root>/.git), so a patch could
  // plant a git hook without any approval even under `never`.
  it('apply_patch cannot plant a hook in .git under never', async () => {
    const ws = gitWorkspace();
    try {
      const t = await openThread(h, NEVER_WW, { cwd: ws });
      h.mock.enqueue({ output: [patchCall(patchText('*** Add File: .git/hooks/pre-commit', '+#!/bin/sh', '+evil'), 'patch-hook')] }, DONE_TURN);
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      expect(existsSync(join(ws, '.git', 'hooks', 'pre-commit'))).toBe(false);
      const out = toolOutputs(r.requests[1]!).get('patch-hook')?.output;
      expect(out).toMatch(/patch rejected/);
      await t.c.close();
    } finally {
      rmrf(ws);
    }
  });
});

describe('interrupting a running command', () => {
  // Full-access commands run in a pid namespace of their own, so `$!` inside is not a host pid:
  // the tests find their processes by argv[0] (`exec -a`).
  it('kills the whole process tree (unsandboxed)', async () => {
    const t = await openThread(h, ['approval_policy="never"', 'sandbox_mode="danger-full-access"']);
    const marker = `agentd-marker-${rand()}`;
    const cmd = `(exec -a ${marker} sleep 1000) & (exec -a ${marker} bash -c 'sleep 1000; echo never') & echo ready; wait`;
    // No second response: the interrupted turn never asks for one.
    h.mock.enqueue({ output: [execCall(cmd, 'call-long')] });
    const from = t.c.messages.length;
    const turnId = await startTurn(t.c, t.threadId, 'run long');
    await t.c.waitForNotification('item/started', (p) => p.item.id === 'call-long', from);
    await t.c.waitForNotification('item/commandExecution/outputDelta', (p) => p.itemId === 'call-long' && String(p.delta).includes('ready'), from);
    expect(await pollUntil(() => pidsWithMarker(marker).length === 2, 3000)).toBe(true);
    const pids = pidsWithMarker(marker);
    try {
      expect(pids.every(isAlive)).toBe(true);
      await t.c.request('turn/interrupt', { threadId: t.threadId, turnId });
      const turn = await turnCompleted(t.c, turnId);
      expect(turn.status).toBe('interrupted');
      expect(await pollUntil(() => pids.every((p) => !isAlive(p)), 4000)).toBe(true);
    } finally {
      killAll(pids);
    }
    const item = itemEvent(t.c.messages.slice(from), 'completed', 'call-long');
    expect(item.status).toBe('failed');
    await t.c.close();
  });

  it('kills the whole process tree inside the sandbox', async () => {
    const t = await openThread(h, NEVER_WW);
    const marker = `agentd-marker-${rand()}`;
    const cmd = `(exec -a ${marker} sleep 1000) & (exec -a ${marker} sleep 1000) & echo ready; wait`;
    h.mock.enqueue({ output: [execCall(cmd, 'call-long-sb')] });
    const from = t.c.messages.length;
    const turnId = await startTurn(t.c, t.threadId, 'run long');
    await t.c.waitForNotification('item/commandExecution/outputDelta', (p) => p.itemId === 'call-long-sb' && String(p.delta).includes('ready'), from);
    try {
      expect(await pollUntil(() => pidsWithMarker(marker).length === 2, 3000)).toBe(true);
      // They really run in the sandbox's pid namespace.
      for (const pid of pidsWithMarker(marker)) expect(nsPids(pid).length).toBe(2);
      await t.c.request('turn/interrupt', { threadId: t.threadId, turnId });
      expect((await turnCompleted(t.c, turnId)).status).toBe('interrupted');
      expect(await pollUntil(() => pidsWithMarker(marker).length === 0, 4000)).toBe(true);
    } finally {
      killAll(pidsWithMarker(marker));
    }
    await t.c.close();
  });

  it('kills the process tree of the classic shell tool', async () => {
    const t = await openThread(h, ['approval_policy="never"', 'sandbox_mode="danger-full-access"', 'tool_style="classic"']);
    const marker = `agentd-marker-${rand()}`;
    const script = `(exec -a ${marker} sleep 1000) & echo ready; wait`;
    h.mock.enqueue({ output: [{ type: 'function_call', name: 'shell', arguments: { command: ['bash', '-c', script], timeout_ms: 60_000 }, callId: 'call-classic' }] });
    const from = t.c.messages.length;
    const turnId = await startTurn(t.c, t.threadId, 'run long');
    await t.c.waitForNotification('item/commandExecution/outputDelta', (p) => p.itemId === 'call-classic' && String(p.delta).includes('ready'), from);
    expect(await pollUntil(() => pidsWithMarker(marker).length === 1, 3000)).toBe(true);
    const pids = pidsWithMarker(marker);
    try {
      expect(pids.every(isAlive)).toBe(true);
      await t.c.request('turn/interrupt', { threadId: t.threadId, turnId });
      expect((await turnCompleted(t.c, turnId)).status).toBe('interrupted');
      expect(await pollUntil(() => pids.every((p) => !isAlive(p)), 4000)).toBe(true);
    } finally {
      killAll(pids);
    }
    await t.c.close();
  });
});

describe('commandExecution items', () => {
  it('carry command, cwd, status, aggregatedOutput, exitCode, durationMs; output deltas add up to the output', async () => {
    const t = await openThread(h, NEVER_WW);
    mkdirSync(join(h.workspace, 'sub'), { recursive: true });
    const cmd = 'echo first; echo err-line >&2; pwd; printf "%s\\n" second; exit 7';
    h.mock.enqueue({ output: [execCall(cmd, 'call-fields', { workdir: 'sub', login: false })] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    const started = itemEvent(r.msgs, 'started', 'call-fields');
    const item = itemEvent(r.msgs, 'completed', 'call-fields');
    const cwd = join(h.workspace, 'sub');
    expect(started).toMatchObject({ type: 'commandExecution', status: 'inProgress', cwd });
    expect(started.command).toContain('echo first');
    expect(item).toMatchObject({ type: 'commandExecution', id: 'call-fields', cwd, status: 'failed', exitCode: 7 });
    expect(item.command).toBe(started.command);
    expect(typeof item.durationMs).toBe('number');
    expect(item.durationMs).toBeGreaterThanOrEqual(0);
    // stdout and stderr are separate pipes, so only stdout's own order is fixed.
    expect(item.aggregatedOutput.split('\n').filter((l: string) => l !== 'err-line')).toEqual(['first', cwd, 'second', '']);
    expect(item.aggregatedOutput.split('\n').filter((l: string) => l === 'err-line')).toHaveLength(1);
    const deltas = notifs(r.msgs, 'item/commandExecution/outputDelta').filter((m) => m.params.itemId === 'call-fields');
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.every((d) => d.params.threadId === t.threadId && d.params.turnId === r.turnId)).toBe(true);
    expect(deltas.map((d) => d.params.delta).join('')).toBe(item.aggregatedOutput);
    // Deltas sit between the item's start and completion.
    const startIdx = r.msgs.findIndex((m) => m.method === 'item/started' && m.params.item.id === 'call-fields');
    const endIdx = r.msgs.findIndex((m) => m.method === 'item/completed' && m.params.item.id === 'call-fields');
    for (const d of deltas) expect(r.msgs.indexOf(d)).toBeGreaterThan(startIdx);
    for (const d of deltas) expect(r.msgs.indexOf(d)).toBeLessThan(endIdx);
    // The model saw the exit code and the output.
    const out = toolOutputs(r.requests[1]!).get('call-fields')!.output;
    expect(out).toContain('Process exited with code 7');
    expect(out).toContain('err-line');
    await t.c.close();
  });
});

describe('command/exec', () => {
  it('returns exit code, stdout and stderr', async () => {
    const c = await h.start(NEVER_WW);
    const r = await c.request('command/exec', { command: ['bash', '-c', 'echo hi; echo err >&2; exit 3'], cwd: h.workspace });
    expect(r).toMatchObject({ exitCode: 3, stdout: 'hi\n', stderr: 'err\n' });
    await c.close();
  });

  it('applies the sandboxPolicy: readOnly refuses a write, workspaceWrite allows it in cwd', async () => {
    const c = await h.start(['sandbox_mode="danger-full-access"']);
    const file = join(h.workspace, `cmd-exec-${rand()}.txt`);
    const ro = await c.request('command/exec', {
      command: ['bash', '-c', `echo x > ${file}`],
      cwd: h.workspace,
      sandboxPolicy: { type: 'readOnly' },
    });
    expect(ro.exitCode).not.toBe(0);
    expect(ro.stderr).toMatch(/read-only file system/i);
    expect(existsSync(file)).toBe(false);
    const ww = await c.request('command/exec', {
      command: ['bash', '-c', `echo x > ${file}`],
      cwd: h.workspace,
      sandboxPolicy: { type: 'workspaceWrite' },
    });
    expect(ww.exitCode).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('x\n');
    await c.close();
  });
});

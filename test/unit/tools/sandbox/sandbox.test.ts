import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isLikelySandboxDenial } from '../../../../src/tools/sandbox/denial.js';
import { probeSandbox } from '../../../../src/tools/sandbox/probe.js';
import { wrapCommand } from '../../../../src/tools/sandbox/wrap.js';
import { runCommand, type ExecResult } from '../../../../src/tools/shell/exec.js';
import type { SandboxPolicy } from '../../../../src/tools/types.js';
import { outputWaiter, tempDir, waitGone } from '../shell/helpers.js';

const env = process.env;

function ww(over: Partial<Extract<SandboxPolicy, { type: 'workspaceWrite' }>> = {}): SandboxPolicy {
  return { type: 'workspaceWrite', writableRoots: [], networkAccess: false, excludeSlashTmp: true, excludeTmpdirEnvVar: true, ...over };
}

function runIn(policy: SandboxPolicy, cwd: string, script: string, workdir = cwd): Promise<ExecResult> {
  const { argv, inputFds } = wrapCommand(['bash', '-c', script], { policy, policyCwd: cwd, cwd: workdir, env });
  return runCommand({ argv, inputFds, cwd: workdir, env, timeoutMs: 20_000 });
}

describe('wrapCommand', () => {
  it('does not wrap under dangerFullAccess', () => {
    expect(wrapCommand(['ls'], { policy: { type: 'dangerFullAccess' }, policyCwd: '/', cwd: '/', env })).toEqual({ argv: ['ls'], sandboxed: false, inputFds: [] });
  });

  it('builds a read-only bwrap command line without network', () => {
    const { argv, sandboxed } = wrapCommand(['ls', '-l'], { policy: { type: 'readOnly' }, policyCwd: '/', cwd: '/', env });
    expect(sandboxed).toBe(true);
    expect(argv.slice(0, 4)).toEqual(['bwrap', '--ro-bind', '/', '/']);
    expect(argv).toContain('--unshare-net');
    expect(argv).toContain('--unshare-pid');
    expect(argv).toContain('--die-with-parent');
    expect(argv).not.toContain('--bind');
    expect(argv.slice(-3)).toEqual(['--', 'ls', '-l']);
  });
});

describe('wrapCommand arguments', () => {
  it('takes writable roots from the policy cwd only; the command cwd is just where it starts', () => {
    const { argv } = wrapCommand(['ls'], { policy: ww(), policyCwd: '/tmp', cwd: '/', env });
    expect(argv.join(' ')).toContain('--bind /tmp /tmp');
    expect(argv.filter((a) => a === '--bind')).toHaveLength(1);
    expect(argv.join(' ')).toContain('--chdir / --');
  });

  it('drops privileges and unshares user, pid, uts and ipc; network off adds the seccomp filter on fd 3', () => {
    const off = wrapCommand(['ls'], { policy: ww(), policyCwd: '/tmp', cwd: '/tmp', env });
    const line = off.argv.join(' ');
    for (const flag of ['--unshare-user', '--cap-drop ALL', '--unshare-pid', '--unshare-uts', '--unshare-ipc', '--unshare-net', '--seccomp 3']) {
      expect(line).toContain(flag);
    }
    expect(line).toContain('--ro-bind /proc/sys /proc/sys');
    expect(off.inputFds).toHaveLength(1);
    const on = wrapCommand(['ls'], { policy: ww({ networkAccess: true }), policyCwd: '/tmp', cwd: '/tmp', env });
    expect(on.argv).not.toContain('--unshare-net');
    expect(on.argv).not.toContain('--seccomp');
    expect(on.inputFds).toEqual([]);
  });

  it('contains dangerFullAccess in a full-access pid namespace only when asked', () => {
    const contained = wrapCommand(['ls'], { policy: { type: 'dangerFullAccess' }, policyCwd: '/tmp', cwd: '/', env, containFullAccess: true });
    expect(contained).toEqual({
      argv: ['bwrap', '--dev-bind', '/', '/', '--proc', '/proc', '--unshare-pid', '--die-with-parent', '--chdir', '/', '--', 'ls'],
      sandboxed: false,
      inputFds: [],
    });
  });
});

describe('isLikelySandboxDenial', () => {
  it('recognises typical sandbox errors only on failure', () => {
    expect(isLikelySandboxDenial(1, 'touch: cannot touch x: Read-only file system')).toBe(true);
    expect(isLikelySandboxDenial(1, 'bash: x: Permission denied')).toBe(true);
    expect(isLikelySandboxDenial(6, 'curl: (6) Could not resolve host: example.com')).toBe(true);
    expect(isLikelySandboxDenial(0, 'Read-only file system')).toBe(false);
    expect(isLikelySandboxDenial(1, 'error: expected 3, got 4')).toBe(false);
  });
});

describe('bwrap sandbox', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let ws: string;
  let outside: string;

  beforeAll(async () => {
    const probe = await probeSandbox();
    expect(probe).toEqual({ available: true, containsFullAccess: true });
  });

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('agentd-sandbox-'));
    ws = path.join(dir, 'ws');
    outside = path.join(dir, 'outside');
    await mkdir(ws);
    await mkdir(outside);
  });
  afterEach(async () => cleanup());

  it('read-only denies every write, including in cwd', async () => {
    const r = await runIn({ type: 'readOnly' }, ws, 'echo hi > in-cwd.txt');
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(isLikelySandboxDenial(r.exitCode, r.aggregated)).toBe(true);
    expect(existsSync(path.join(ws, 'in-cwd.txt'))).toBe(false);
    const t = await runIn({ type: 'readOnly' }, ws, `echo hi > /tmp/agentd-ro-${process.pid}`);
    expect(t.exitCode).not.toBe(0);
    expect(existsSync(`/tmp/agentd-ro-${process.pid}`)).toBe(false);
  });

  it('a working directory outside the roots is readable but not writable', async () => {
    await writeFile(path.join(outside, 'data.txt'), 'outside data');
    const read = await runIn(ww(), ws, 'cat data.txt', outside);
    expect(read).toMatchObject({ exitCode: 0, stdout: 'outside data' });
    const write = await runIn(ww(), ws, 'echo x > new.txt', outside);
    expect(write.exitCode).not.toBe(0);
    expect(write.stderr).toMatch(/Read-only file system/);
    expect(existsSync(path.join(outside, 'new.txt'))).toBe(false);
  });

  it('read-only still lets commands read', async () => {
    await writeFile(path.join(ws, 'a.txt'), 'content');
    const r = await runIn({ type: 'readOnly' }, ws, 'cat a.txt');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('content');
  });

  it('workspace-write allows cwd and extra writable roots but not a sibling outside', async () => {
    const extra = path.join(dir, 'extra');
    await mkdir(extra);
    const r = await runIn(ww({ writableRoots: [extra] }), ws, `echo a > inside.txt && echo b > ${extra}/x.txt`);
    expect(r.exitCode).toBe(0);
    expect(await readFile(path.join(ws, 'inside.txt'), 'utf8')).toBe('a\n');
    expect(await readFile(path.join(extra, 'x.txt'), 'utf8')).toBe('b\n');
    const s = await runIn(ww(), ws, `echo c > ${outside}/y.txt`);
    expect(s.exitCode).not.toBe(0);
    expect(existsSync(path.join(outside, 'y.txt'))).toBe(false);
  });

  it('workspace-write allows /tmp unless excluded', async () => {
    const target = `/tmp/agentd-ww-${process.pid}-${Date.now()}`;
    const r = await runIn(ww({ excludeSlashTmp: false }), ws, `echo t > ${target}`);
    expect(r.exitCode).toBe(0);
    expect(existsSync(target)).toBe(true);
    await rm(target);
    const denied = await runIn(ww({ excludeSlashTmp: true }), ws, `echo t > ${target}`);
    expect(denied.exitCode).not.toBe(0);
    expect(existsSync(target)).toBe(false);
  });

  it('workspace-write keeps .git inside a writable root read-only', async () => {
    await mkdir(path.join(ws, '.git', 'hooks'), { recursive: true });
    const r = await runIn(ww(), ws, 'echo evil > .git/hooks/pre-commit');
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(existsSync(path.join(ws, '.git', 'hooks', 'pre-commit'))).toBe(false);
    const ok = await runIn(ww(), ws, 'echo fine > src.txt');
    expect(ok.exitCode).toBe(0);
  });

  it('refuses escapes through a symlink or cd .. and writes nothing outside', async () => {
    await symlink(outside, path.join(ws, 'link'));
    const viaLink = await runIn(ww(), ws, 'echo x > link/escaped.txt');
    expect(viaLink.exitCode).not.toBe(0);
    const viaCd = await runIn(ww(), ws, 'cd .. && echo x > outside/escaped2.txt');
    expect(viaCd.exitCode).not.toBe(0);
    const viaRm = await runIn(ww(), ws, `mkdir ../outside/newdir`);
    expect(viaRm.exitCode).not.toBe(0);
    expect(existsSync(path.join(outside, 'escaped.txt'))).toBe(false);
    expect(existsSync(path.join(outside, 'escaped2.txt'))).toBe(false);
    expect(existsSync(path.join(outside, 'newdir'))).toBe(false);
  });

  describe('network', () => {
    let server: net.Server;
    let port: number;
    beforeEach(async () => {
      server = net.createServer((s) => s.end());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as net.AddressInfo).port;
    });
    afterEach(async () => new Promise<void>((resolve) => server.close(() => resolve())));

    it('is off under workspace-write without networkAccess', async () => {
      const r = await runIn(ww(), ws, `exec 3<>/dev/tcp/127.0.0.1/${port}`);
      expect(r.exitCode).not.toBe(0);
    });

    it('is on with networkAccess', async () => {
      const r = await runIn(ww({ networkAccess: true }), ws, `exec 3<>/dev/tcp/127.0.0.1/${port}`);
      expect(r.exitCode).toBe(0);
    });
  });

  it('killing the group kills everything inside the sandbox', async () => {
    const out = outputWaiter();
    const ac = new AbortController();
    // Inside the pid namespace $! is meaningless outside, so report host pids via /proc/self.
    const { argv, inputFds } = wrapCommand(['bash', '-c', 'sleep 1000 & sleep 1000 & echo started; wait'], { policy: ww(), policyCwd: ws, cwd: ws, env });
    const pending = runCommand({ argv, inputFds, cwd: ws, env, signal: ac.signal, onOutput: (_s, t) => out.push(t) });
    await out.until((s) => s.includes('started'));
    const bwrapPid = await findDescendants(process.pid);
    ac.abort();
    const r = await pending;
    expect(r.aborted).toBe(true);
    expect(await waitGone(bwrapPid)).toEqual([]);
  });
});

/** The two `sleep 1000` descendants of `root` (host pids), polled (bounded) until both have exec'd. */
async function findDescendants(root: number): Promise<number[]> {
  for (let i = 0; i < 250; i++) {
    const found = await scanDescendants(root);
    if (found.length === 2) return found;
    await delay(20);
  }
  throw new Error('the two sleeps never appeared');
}

async function scanDescendants(root: number): Promise<number[]> {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
      names.set(Number(entry), (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replace(/\0/g, ' ').trim());
    } catch {
      // The process went away while we looked.
    }
  }
  const isDescendant = (pid: number): boolean => {
    let p = parents.get(pid);
    for (let i = 0; p !== undefined && i < 64; i++) {
      if (p === root) return true;
      p = parents.get(p);
    }
    return false;
  };
  return [...parents.keys()].filter((pid) => isDescendant(pid) && names.get(pid) === 'sleep 1000');
}

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, startTurn, type Harness } from '../support/harness.js';
import {
  execCall,
  itemEvent,
  openThread,
  pidsWithMarker,
  pollUntil,
  rand,
  rmrf,
  runTurn,
  DONE_TURN,
  NEVER_WW,
} from '../support/tool-turns.js';

// A hostile model's attacks on the sandbox, each performed through exec_command against bin/agentd.

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.cleanup();
});

/** The item a call completed with, and its output. */
function completed(msgs: Parameters<typeof itemEvent>[0], id: string): { status: string; exitCode: number | null; aggregatedOutput: string } {
  return itemEvent(msgs, 'completed', id);
}

describe("a command's workdir is not a writable root", () => {
  it('workdir "/" under workspace-write: reading works, writing outside the roots fails', async () => {
    const t = await openThread(h, NEVER_WW);
    const target = `/var/tmp/agentd-wd-${rand()}`;
    h.mock.enqueue(
      { output: [execCall('pwd && ls >/dev/null && echo READ-OK', 'call-read', { workdir: '/', login: false })] },
      { output: [execCall(`touch ${target}`, 'call-abs', { workdir: '/', login: false })] },
      { output: [execCall(`touch ${target.slice(1)}`, 'call-rel', { workdir: '/', login: false })] },
      DONE_TURN,
    );
    try {
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      expect(completed(r.msgs, 'call-read')).toMatchObject({ status: 'completed', exitCode: 0, aggregatedOutput: '/\nREAD-OK\n' });
      for (const id of ['call-abs', 'call-rel']) {
        const item = completed(r.msgs, id);
        expect(item.status).toBe('failed');
        expect(item.aggregatedOutput).toMatch(/read-only file system/i);
      }
      expect(existsSync(target)).toBe(false);
    } finally {
      rmrf(target);
    }
    await t.c.close();
  });

  it('workdir $HOME under workspace-write: appending to ~/.bashrc fails', async () => {
    const home = join(h.home, 'user-home');
    // The test HOME lives under /tmp: take the temp dirs out of the roots so HOME is outside them.
    const t = await openThread(h, [...NEVER_WW, 'sandbox_workspace_write.exclude_slash_tmp=true', 'sandbox_workspace_write.exclude_tmpdir_env_var=true']);
    h.mock.enqueue({ output: [execCall('echo evil >> .bashrc', 'call-rc', { workdir: home, login: false })] }, DONE_TURN);
    try {
      const r = await runTurn(h, t);
      const item = completed(r.msgs, 'call-rc');
      expect(item.status).toBe('failed');
      expect(item.aggregatedOutput).toMatch(/read-only file system/i);
      expect(existsSync(join(home, '.bashrc'))).toBe(false);
    } finally {
      rmrf(join(home, '.bashrc'));
    }
    await t.c.close();
  });
});

describe('no privileges inside the sandbox, even when agentd runs as root', () => {
  it('remount, chroot and sysctl writes fail and leave nothing outside the roots', async () => {
    const t = await openThread(h, NEVER_WW);
    const target = `/var/tmp/agentd-mnt-${rand()}`;
    h.mock.enqueue(
      { output: [execCall(`mount -o remount,rw,bind / && touch ${target}`, 'call-mount', { login: false })] },
      { output: [execCall('chroot / true && echo CHROOTED', 'call-chroot', { login: false })] },
      // Rewrites the current value: harmless should it succeed, but a writable kernel.core_pattern
      // next to it would run any program as host root.
      { output: [execCall('cat /proc/sys/vm/swappiness > /proc/sys/vm/swappiness && echo SYSCTL-WRITTEN', 'call-sysctl', { login: false })] },
      { output: [execCall('grep -E "^Cap(Prm|Eff|Bnd)" /proc/self/status', 'call-caps', { login: false })] },
      DONE_TURN,
    );
    try {
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      for (const id of ['call-mount', 'call-chroot', 'call-sysctl']) {
        const item = completed(r.msgs, id);
        expect(item.status).toBe('failed');
        expect(item.exitCode).not.toBe(0);
      }
      expect(completed(r.msgs, 'call-chroot').aggregatedOutput).not.toContain('CHROOTED');
      expect(completed(r.msgs, 'call-sysctl').aggregatedOutput).not.toContain('SYSCTL-WRITTEN');
      expect(existsSync(target)).toBe(false);
      const caps = completed(r.msgs, 'call-caps').aggregatedOutput;
      expect(caps.trim().split('\n')).toEqual(['CapPrm:\t0000000000000000', 'CapEff:\t0000000000000000', 'CapBnd:\t0000000000000000']);
    } finally {
      rmrf(target);
    }
    await t.c.close();
  });

  it("hostname fails and the host's hostname is unchanged", async () => {
    const original = hostname();
    const t = await openThread(h, NEVER_WW);
    const evil = `agentd-evil-${rand()}`;
    h.mock.enqueue({ output: [execCall(`hostname ${evil}`, 'call-hostname', { login: false })] }, DONE_TURN);
    try {
      const r = await runTurn(h, t);
      const item = completed(r.msgs, 'call-hostname');
      expect(item.status).toBe('failed');
      expect(item.exitCode).not.toBe(0);
      expect(hostname()).toBe(original);
    } finally {
      // Only a failing run can have changed it: put the machine back.
      if (hostname() !== original) execFileSync('hostname', [original]);
    }
    await t.c.close();
  });

  it.each([
    ['read-only', ['approval_policy="never"', 'sandbox_mode="read-only"']],
    ['workspace-write', NEVER_WW],
    ['danger-full-access', ['approval_policy="never"', 'sandbox_mode="danger-full-access"']],
  ])('/dev/null, /dev/zero and /dev/urandom work without a terminal under %s', async (_mode, config) => {
    const t = await openThread(h, config);
    const cmd = 'echo x > /dev/null && head -c 8 /dev/zero | wc -c && head -c 8 /dev/urandom | wc -c && cat /dev/null && { tty || true; }';
    h.mock.enqueue({ output: [execCall(cmd, 'call-dev', { login: false })] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(completed(r.msgs, 'call-dev')).toMatchObject({ status: 'completed', exitCode: 0, aggregatedOutput: '8\n8\nnot a tty\n' });
    await t.c.close();
  });
});

describe('network off includes Unix sockets of the host', () => {
  /** A Unix socket outside the workspace that counts its connections. */
  async function unixServer(): Promise<{ server: Server; path: string; count: () => number }> {
    let n = 0;
    const path = `/var/tmp/agentd-sock-${rand()}.sock`;
    const server = createServer((s) => {
      n++;
      s.end();
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return { server, path, count: () => n };
  }

  const client = [
    "const s = require('net').connect(process.argv[2]);",
    "s.on('connect', () => { console.log('CONNECTED'); process.exit(0); });",
    "s.on('error', (e) => { console.log('ERROR ' + e.code); process.exit(1); });",
  ].join('\n');

  it('a client in the sandbox cannot connect without network access; with network_access it can', async () => {
    const srv = await unixServer();
    const script = `unix-client-${rand()}.cjs`;
    writeFileSync(join(h.workspace, script), client);
    try {
      for (const [mode, config] of [
        ['workspace-write', NEVER_WW],
        ['read-only', ['approval_policy="never"', 'sandbox_mode="read-only"']],
      ] as const) {
        const t = await openThread(h, [...config]);
        h.mock.enqueue({ output: [execCall(`node ${script} ${srv.path}`, `call-unix-${mode}`, { login: false })] }, DONE_TURN);
        const r = await runTurn(h, t);
        const item = completed(r.msgs, `call-unix-${mode}`);
        expect(item.status).toBe('failed');
        expect(item.aggregatedOutput).toBe('ERROR EPERM\n');
        await t.c.close();
      }
      expect(srv.count()).toBe(0);

      // Control: the same client connects when the policy grants network access.
      const t = await openThread(h, [...NEVER_WW, 'sandbox_workspace_write.network_access=true']);
      h.mock.enqueue({ output: [execCall(`node ${script} ${srv.path}`, 'call-unix-net', { login: false })] }, DONE_TURN);
      const r = await runTurn(h, t);
      expect(completed(r.msgs, 'call-unix-net')).toMatchObject({ status: 'completed', exitCode: 0, aggregatedOutput: 'CONNECTED\n' });
      expect(srv.count()).toBe(1);
      await t.c.close();
    } finally {
      srv.server.close();
      rmrf(join(h.workspace, script));
    }
  });
});

describe('network off includes datagram sockets of the host (syslog, journald)', () => {
  /** A host process bound to a datagram socket, printing what it receives. */
  async function dgramReceiver(path: string): Promise<{ child: ChildProcess; received: () => string }> {
    const script = `import socket, sys\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint('ready', flush=True)\nwhile True:\n    print(s.recv(100).decode(), flush=True)\n`;
    const child = spawn('python3', ['-c', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (t: string) => (out += t));
    expect(await pollUntil(() => out.includes('ready'), 10_000)).toBe(true);
    return { child, received: () => out.replace('ready\n', '') };
  }

  it('a datagram socketpair cannot send to a host socket path without network access', async () => {
    const path = `/var/tmp/agentd-dgram-${rand()}.sock`;
    const rx = await dgramReceiver(path);
    const sender = `import socket, sys\na, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\na.sendto(b'INJECTED', sys.argv[1])\nprint('SENT')\n`;
    const script = `dgram-sender-${rand()}.py`;
    writeFileSync(join(h.workspace, script), sender);
    try {
      const t = await openThread(h, NEVER_WW);
      h.mock.enqueue({ output: [execCall(`python3 ${script} ${path}`, 'call-dgram', { login: false })] }, DONE_TURN);
      const r = await runTurn(h, t);
      const item = completed(r.msgs, 'call-dgram');
      expect(item.status).toBe('failed');
      expect(item.aggregatedOutput).toMatch(/Operation not permitted/);
      expect(item.aggregatedOutput).not.toContain('SENT');
      await t.c.close();
      expect(rx.received()).toBe('');
    } finally {
      rx.child.kill('SIGKILL');
      rmrf(path, join(h.workspace, script));
    }
  });
});

describe('no user namespace of its own inside the sandbox', () => {
  it('unshare of a user and network namespace (every capability again, over nf_tables and mounts) fails', async () => {
    const script = `userns-${rand()}.py`;
    writeFileSync(
      join(h.workspace, script),
      'import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nif libc.unshare(0x10000000 | 0x40000000) == 0:\n    print("CAPS " + open("/proc/self/status").read().split("CapEff:")[1].split()[0])\nelse:\n    print("REFUSED", ctypes.get_errno())\n',
    );
    try {
      const t = await openThread(h, NEVER_WW);
      h.mock.enqueue({ output: [execCall(`python3 ${script}`, 'call-userns', { login: false })] }, DONE_TURN);
      const r = await runTurn(h, t);
      const item = completed(r.msgs, 'call-userns');
      expect(item.aggregatedOutput).not.toContain('CAPS');
      expect(item.aggregatedOutput).toMatch(/^REFUSED/);
      await t.c.close();
    } finally {
      rmrf(join(h.workspace, script));
    }
  });
});

describe('network off includes vsock, which reaches the hypervisor host from a VM whatever the namespace', () => {
  it('a vsock stream to the host (CID 2) cannot even be opened without network access', async () => {
    // On a VM with a vsock device the connect reaches the host (a reset when nothing listens).
    const script = `vsock-${rand()}.py`;
    writeFileSync(
      join(h.workspace, script),
      'import socket\ns = socket.socket(40, socket.SOCK_STREAM)\nprint("OPENED", flush=True)\ns.settimeout(3)\ns.connect((2, 1024))\n',
    );
    try {
      const t = await openThread(h, NEVER_WW);
      h.mock.enqueue({ output: [execCall(`python3 ${script}`, 'call-vsock', { login: false })] }, DONE_TURN);
      const r = await runTurn(h, t);
      const item = completed(r.msgs, 'call-vsock');
      expect(item.status).toBe('failed');
      expect(item.aggregatedOutput).not.toContain('OPENED');
      expect(item.aggregatedOutput).toMatch(/Address family not supported/);
      await t.c.close();
    } finally {
      rmrf(join(h.workspace, script));
    }
  });
});

describe('commands die with the daemon, even on SIGKILL', () => {
  it.each([
    ['danger-full-access', ['approval_policy="never"', 'sandbox_mode="danger-full-access"']],
    ['workspace-write', NEVER_WW],
  ])('a setsid child of a command under %s is gone once the daemon is SIGKILLed', async (_mode, config) => {
    const t = await openThread(h, config);
    const marker = `agentd-marker-${rand()}`;
    // setsid: the child leaves the command's process group and session, so no group kill reaches it.
    const cmd = `setsid bash -c 'exec -a ${marker} sleep 1000' & echo ready; wait`;
    h.mock.enqueue({ output: [execCall(cmd, 'call-setsid', { login: false, yield_time_ms: 30_000 })] });
    const from = t.c.messages.length;
    await startTurn(t.c, t.threadId, 'run long');
    await t.c.waitForNotification('item/commandExecution/outputDelta', (p) => p.itemId === 'call-setsid' && String(p.delta).includes('ready'), from);
    try {
      expect(await pollUntil(() => pidsWithMarker(marker).length === 1, 5000)).toBe(true);
      await t.c.kill('SIGKILL');
      expect(await pollUntil(() => pidsWithMarker(marker).length === 0, 5000)).toBe(true);
    } finally {
      for (const pid of pidsWithMarker(marker)) process.kill(pid, 'SIGKILL');
    }
  });
});

/** A directory on PATH whose `bwrap` refuses user namespaces, as some hardened machines do. */
function bwrapWithoutUserNamespaces(): string {
  const dir = join(h.home, `fake-bwrap-${rand()}`);
  const real = execFileSync('sh', ['-c', 'command -v bwrap'], { encoding: 'utf8' }).trim();
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(
    join(dir, 'bwrap'),
    `#!/bin/sh\nfor a in "$@"; do [ "$a" = --unshare-user ] && { echo 'bwrap: No permissions to create new namespace' >&2; exit 1; }; done\nexec ${real} "$@"\n`,
    { mode: 0o755 },
  );
  return dir;
}

describe('a sandbox that cannot start', () => {
  it('is reported unavailable (the probe uses the real arguments) and the command never runs unsandboxed', async () => {
    const dir = bwrapWithoutUserNamespaces();
    const c = h.spawn(NEVER_WW, { PATH: `${dir}:${process.env.PATH ?? ''}` });
    await c.initialize();
    const started = await c.request('thread/start', { cwd: h.workspace, ephemeral: true });
    const t = { c, threadId: started.thread.id as string };
    const file = `unsandboxed-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${file}`, 'call-nobwrap', { login: false })] }, DONE_TURN);
    const r = await runTurn(h, t);
    expect(r.turn.status).toBe('completed');
    const item = completed(r.msgs, 'call-nobwrap');
    expect(item.status).toBe('failed');
    expect(item.aggregatedOutput).toMatch(/sandbox/i);
    expect(item.aggregatedOutput).toMatch(/No permissions to create new namespace/);
    expect(existsSync(join(h.workspace, file))).toBe(false);
    await c.close();
  });
});

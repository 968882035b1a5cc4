import { describe, expect, it } from 'vitest';
import { noNetworkSeccompFilter } from '../../../../src/tools/sandbox/seccomp.js';
import { wrapCommand } from '../../../../src/tools/sandbox/wrap.js';
import { runCommand } from '../../../../src/tools/shell/exec.js';
import type { SandboxPolicy } from '../../../../src/tools/types.js';

const env = process.env;

function ww(networkAccess: boolean): SandboxPolicy {
  return { type: 'workspaceWrite', writableRoots: [], networkAccess, excludeSlashTmp: true, excludeTmpdirEnvVar: true };
}

/** Runs a Python script in the sandbox; each line it prints is `name result`. */
async function pythonIn(policy: SandboxPolicy, script: string): Promise<Record<string, string>> {
  const { argv, inputFds } = wrapCommand(['python3', '-c', script], { policy, policyCwd: '/tmp', cwd: '/tmp', env });
  const r = await runCommand({ argv, inputFds, cwd: '/tmp', env, timeoutMs: 20_000 });
  expect(r.exitCode, r.aggregated).toBe(0);
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
}

const PROBES = `
import ctypes, errno, socket
libc = ctypes.CDLL(None, use_errno=True)
def attempt(name, fn):
    try:
        fn()
        print(name, 'ok')
    except OSError as e:
        print(name, errno.errorcode[e.errno])
attempt('unix_stream', lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
attempt('unix_dgram', lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))
attempt('socketpair', lambda: socket.socketpair())
attempt('pair_seqpacket', lambda: socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET))
# A datagram socket can reach any socket path with sendto: refused.
attempt('pair_dgram', lambda: socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC))
attempt('inet', lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
attempt('netlink', lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0))
# vsock is not network-namespaced: from a VM it reaches the hypervisor's host.
attempt('vsock', lambda: socket.socket(40, socket.SOCK_STREAM))
attempt('packet', lambda: socket.socket(17, socket.SOCK_RAW, 0))
def raw(name, *args):
    r = libc.syscall(*args)
    print(name, 'ok' if r >= 0 else errno.errorcode[ctypes.get_errno()])
# io_uring_setup(1, NULL): EFAULT when the kernel looks at it, ENOSYS when the filter refuses it.
raw('io_uring_setup', 425, 1, None)
`;

describe('the no-network seccomp filter', () => {
  it('is a well-formed classic BPF program: every jump lands inside it, and it ends in a return', () => {
    const buf = noNetworkSeccompFilter();
    expect(buf.length % 8).toBe(0);
    const n = buf.length / 8;
    expect(n).toBeLessThan(4096);
    for (let i = 0; i < n; i++) {
      const code = buf.readUInt16LE(i * 8);
      const jt = buf.readUInt8(i * 8 + 2);
      const jf = buf.readUInt8(i * 8 + 3);
      if ((code & 0x07) === 0x05) {
        expect(i + 1 + jt).toBeLessThan(n);
        expect(i + 1 + jf).toBeLessThan(n);
      }
    }
    expect(buf.readUInt16LE((n - 1) * 8) & 0x07).toBe(0x06);
  });

  it('refuses Unix sockets, datagram socketpairs, families the network namespace does not confine and io_uring with network off; other socketpairs, IP and netlink still work', async () => {
    const r = await pythonIn(ww(false), PROBES);
    expect(r).toEqual({
      unix_stream: 'EPERM',
      unix_dgram: 'EPERM',
      socketpair: 'ok',
      pair_seqpacket: 'ok',
      pair_dgram: 'EPERM',
      inet: 'ok',
      netlink: 'ok',
      vsock: 'EAFNOSUPPORT',
      packet: 'EAFNOSUPPORT',
      io_uring_setup: 'ENOSYS',
    });
  });

  it('is not applied when the policy grants network access', async () => {
    const r = await pythonIn(ww(true), PROBES);
    expect(r).toMatchObject({ unix_stream: 'ok', unix_dgram: 'ok', socketpair: 'ok', pair_dgram: 'ok', inet: 'ok' });
    expect(r.io_uring_setup).not.toBe('ENOSYS');
  });

  it.skipIf(process.arch !== 'x64')('refuses x32 syscalls on x86_64', async () => {
    // getpid through the x32 ABI (0x40000000 | 39).
    const r = await pythonIn(ww(false), `
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
r = libc.syscall(0x40000000 | 39)
print('x32_getpid', 'ok' if r >= 0 else errno.errorcode[ctypes.get_errno()])
`);
    expect(r).toEqual({ x32_getpid: 'ENOSYS' });
  });
});

/**
 * The seccomp filter of sandboxed commands without network access, as a classic-BPF program in
 * the byte layout the kernel takes (`struct sock_filter[]`) and bwrap's `--seccomp FD` reads.
 *
 * `--unshare-net` already cuts IP and abstract Unix sockets (both live in the network namespace),
 * but a Unix socket bound to a *file* is reached through the filesystem, which the sandbox shows
 * read-only, and connecting needs no write access: a Docker or D-Bus socket would be a full escape.
 * So the filter refuses `socket(AF_UNIX, …)`. Other families are refused too unless the network
 * namespace confines them (IP and netlink): vsock, for one, is not namespaced and reaches the
 * hypervisor's host (CID 2) from any VM (Firecracker, QEMU, WSL2) whatever the namespace.
 * Stream and seqpacket `socketpair`s stay allowed
 * (they only connect the process to itself and cannot be reconnected; Node, Python and libuv use
 * them for child stdio), but a datagram pair is refused: a datagram socket can `connect` or
 * `sendto` any socket path (syslog's /dev/log, journald, sd_notify). It also refuses io_uring,
 * whose `IORING_OP_SOCKET`/`IORING_OP_CONNECT` would bypass the `socket` check.
 *
 * A syscall is interpreted per the architecture it was made for, so the program first checks the
 * audit arch: native x86_64 and aarch64 are filtered by their own numbers, the 32-bit compat ABIs
 * (i386 on x86_64, arm on aarch64) by theirs, with `socketcall` (whose arguments sit behind a
 * pointer the filter cannot read) refused outright; x32 calls on x86_64 are refused, and a
 * syscall of any other architecture kills the process (fail closed).
 */

// Classic BPF opcodes (linux/filter.h) and seccomp return values (linux/seccomp.h).
const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_ALU_AND_K = 0x54;
const BPF_RET_K = 0x06;
const SECCOMP_RET_KILL_PROCESS = 0x80000000;
const SECCOMP_RET_ERRNO = 0x00050000;
const SECCOMP_RET_ALLOW = 0x7fff0000;

// Offsets into `struct seccomp_data`: int nr; u32 arch; u64 ip; u64 args[6]. Both supported
// architectures are little-endian, so args[0]'s low 32 bits (all of `int domain`) are at 16.
const OFF_NR = 0;
const OFF_ARCH = 4;
const OFF_ARG0_LO = 16;
const OFF_ARG1_LO = 24;

const EPERM = 1;
const ENOSYS = 38;
const EAFNOSUPPORT = 97;
const AF_UNIX = 1;
/** The families a sandbox without network may still open: all confined to its network namespace. */
const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;
const SOCK_DGRAM = 2;
/** The socket type without SOCK_NONBLOCK / SOCK_CLOEXEC. */
const SOCK_TYPE_MASK = 0xf;
/** x86_64 marks x32-ABI syscalls with this bit in `nr`. */
const X32_SYSCALL_BIT = 0x40000000;

/** The audit arch (linux/audit.h) of each ABI the filter knows, with the syscalls it refuses there. */
interface ArchRules {
  audit: number;
  socket: number;
  socketpair: number;
  /** The multiplexed socket syscall, where the ABI has one. */
  socketcall?: number;
  /** Whether this is x86_64, whose x32 numbers are refused. */
  x32Bit?: boolean;
}

/** io_uring_setup, io_uring_enter, io_uring_register: the same numbers on every ABI here. */
const IO_URING = [425, 426, 427];

const ARCHES: ArchRules[] = [
  { audit: 0xc000003e, socket: 41, socketpair: 53, x32Bit: true }, // x86_64
  { audit: 0x40000003, socket: 359, socketpair: 360, socketcall: 102 }, // i386
  { audit: 0xc00000b7, socket: 198, socketpair: 199 }, // aarch64
  { audit: 0x40000028, socket: 281, socketpair: 288, socketcall: 102 }, // arm (EABI)
];

/** Node's `process.arch` values the filter supports (the native ABI of each is in ARCHES). */
export const SECCOMP_ARCHES: readonly string[] = ['x64', 'arm64'];

/** One BPF instruction. `jt`/`jf` are relative jumps, resolved by the builder below. */
interface Insn {
  code: number;
  k: number;
  jt?: string;
  jf?: string;
  label?: string;
}

/** The instructions, with symbolic jump targets. */
function program(): Insn[] {
  const p: Insn[] = [{ code: BPF_LD_W_ABS, k: OFF_ARCH }];
  ARCHES.forEach((a, i) => p.push({ code: BPF_JEQ_K, k: a.audit, jt: `arch${i}` }));
  p.push({ code: BPF_RET_K, k: SECCOMP_RET_KILL_PROCESS });
  ARCHES.forEach((a, i) => {
    p.push({ code: BPF_LD_W_ABS, k: OFF_NR, label: `arch${i}` });
    if (a.x32Bit) p.push({ code: BPF_JGE_K, k: X32_SYSCALL_BIT, jt: 'enosys' });
    for (const nr of IO_URING) p.push({ code: BPF_JEQ_K, k: nr, jt: 'enosys' });
    if (a.socketcall !== undefined) p.push({ code: BPF_JEQ_K, k: a.socketcall, jt: 'eperm' });
    p.push({ code: BPF_JEQ_K, k: a.socketpair, jt: `pair${i}` });
    p.push({ code: BPF_JEQ_K, k: a.socket, jf: 'allow' });
    p.push({ code: BPF_LD_W_ABS, k: OFF_ARG0_LO });
    for (const family of [AF_INET, AF_INET6, AF_NETLINK]) p.push({ code: BPF_JEQ_K, k: family, jt: 'allow' });
    p.push({ code: BPF_JEQ_K, k: AF_UNIX, jt: 'eperm', jf: 'eafnosupport' });
    p.push({ code: BPF_LD_W_ABS, k: OFF_ARG1_LO, label: `pair${i}` });
    p.push({ code: BPF_ALU_AND_K, k: SOCK_TYPE_MASK });
    p.push({ code: BPF_JEQ_K, k: SOCK_DGRAM, jt: 'eperm', jf: 'allow' });
  });
  p.push({ code: BPF_RET_K, k: SECCOMP_RET_ALLOW, label: 'allow' });
  p.push({ code: BPF_RET_K, k: SECCOMP_RET_ERRNO | EPERM, label: 'eperm' });
  p.push({ code: BPF_RET_K, k: SECCOMP_RET_ERRNO | ENOSYS, label: 'enosys' });
  p.push({ code: BPF_RET_K, k: SECCOMP_RET_ERRNO | EAFNOSUPPORT, label: 'eafnosupport' });
  return p;
}

/** Encodes instructions as `struct sock_filter` (u16 code, u8 jt, u8 jf, u32 k), little-endian. */
function assemble(insns: Insn[]): Buffer {
  const at = new Map<string, number>();
  insns.forEach((insn, i) => {
    if (insn.label !== undefined) at.set(insn.label, i);
  });
  const offset = (from: number, label: string | undefined): number => {
    if (label === undefined) return 0;
    const target = at.get(label);
    if (target === undefined || target <= from) throw new Error(`seccomp: bad jump target ${label}`);
    const off = target - from - 1;
    if (off > 255) throw new Error('seccomp: jump too far');
    return off;
  };
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((insn, i) => {
    buf.writeUInt16LE(insn.code, i * 8);
    buf.writeUInt8(offset(i, insn.jt), i * 8 + 2);
    buf.writeUInt8(offset(i, insn.jf), i * 8 + 3);
    buf.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return buf;
}

let cached: Buffer | null = null;

/**
 * The filter program for sandboxed commands without network access. Only little-endian hosts are
 * supported (x86_64, aarch64); callers check `SECCOMP_ARCHES` first.
 */
export function noNetworkSeccompFilter(): Buffer {
  cached ??= assemble(program());
  return cached;
}

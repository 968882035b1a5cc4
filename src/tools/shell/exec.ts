import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import type { OutputFlow } from '../../util/flow.js';
import { feedInputFds, inputFdStdio } from '../sandbox/input-fds.js';
import { HeadTailBuffer } from './output-buffer.js';
import { killProcessGroup, registerProcessGroup, signalProcessGroup, unregisterProcessGroup } from './process-group.js';
import { StreamGate } from './stream-gate.js';

/** Bytes of each stream kept in memory (head + tail). The client still receives everything. */
export const OUTPUT_BUFFER_CHARS = 1024 * 1024;
/** How long a SIGTERMed group gets before SIGKILL. */
export const KILL_GRACE_MS = 1000;
/**
 * After the leader exits and its group is killed, how long we wait for the pipes to reach EOF.
 * Only a process that escaped the group (setsid) can still hold them open.
 */
export const PIPE_DRAIN_TIMEOUT_MS = 2000;

export type OutputStream = 'stdout' | 'stderr';

/** What to run. `argv[0]` is looked up on `env.PATH`. */
export interface RunCommandOptions {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Kill the group after this long (no timeout when absent). */
  timeoutMs?: number;
  /** Aborting kills the group. */
  signal?: AbortSignal;
  /** Receives decoded text as it arrives, in order per stream. */
  onOutput?(stream: OutputStream, text: string): void;
  /**
   * Back-pressure for `onOutput`: while it is not ready the pipes are not read (the command blocks
   * on a full pipe) instead of output being queued. Ignored once the command is being killed.
   */
  flow?: OutputFlow;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  stdin?: string;
  /** Overrides KILL_GRACE_MS (tests). */
  killGraceMs?: number;
  /** Fed to the process through fds 3, 4, … (`WrappedCommand.inputFds`: bwrap's seccomp filter). */
  inputFds?: readonly Uint8Array[];
}

/** How a command ended. Output fields are bounded copies (head + tail). */
export interface ExecResult {
  /** null when killed by a signal or when it could not be spawned. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in arrival order. */
  aggregated: string;
  durationMs: number;
  timedOut: boolean;
  aborted: boolean;
  /** Set when the process could not be started (e.g. ENOENT). */
  spawnError?: string;
}

/** Exit code of timed-out commands, as `timeout(1)` reports it. */
export const TIMEOUT_EXIT_CODE = 124;

/**
 * A single number for a result: the exit code, 124 on timeout, 128+N when killed by signal N,
 * 127 when it could not be spawned.
 */
export function effectiveExitCode(r: ExecResult): number {
  if (r.timedOut) return TIMEOUT_EXIT_CODE;
  if (r.exitCode !== null) return r.exitCode;
  if (r.spawnError !== undefined) return 127;
  const num = r.signal ? (osConstants.signals as Record<string, number>)[r.signal] : undefined;
  return 128 + (num ?? 9);
}

/**
 * Runs a command in its own process group and resolves once it has exited and its pipes have
 * closed. Timeout and abort kill the whole group (SIGTERM, then SIGKILL); when the leader exits on
 * its own, whatever it left behind in its group is killed too, so nothing outlives the call.
 */
export function runCommand(opts: RunCommandOptions): Promise<ExecResult> {
  const started = Date.now();
  const stdout = new HeadTailBuffer(OUTPUT_BUFFER_CHARS);
  const stderr = new HeadTailBuffer(OUTPUT_BUFFER_CHARS);
  const aggregated = new HeadTailBuffer(OUTPUT_BUFFER_CHARS);
  const grace = opts.killGraceMs ?? KILL_GRACE_MS;

  return new Promise<ExecResult>((resolve) => {
    let timedOut = false;
    let aborted = false;
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    let spawnError: string | undefined;
    let settled = false;
    let escalate: (() => void) | null = null;
    let timeoutTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    const child = spawn(opts.argv[0] ?? '', opts.argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', ...inputFdStdio(opts.inputFds)],
    });
    feedInputFds(child, opts.inputFds);
    const pgid = child.pid;
    if (pgid !== undefined) registerProcessGroup(pgid);
    const gate = new StreamGate([child.stdout, child.stderr], opts.flow ?? null);

    const kill = (): void => {
      // What is left in the pipes after the kill is bounded: read it even if the client is slow.
      gate.release();
      if (pgid === undefined || escalate) return;
      escalate = killProcessGroup(pgid, grace);
    };
    const onAbort = (): void => {
      aborted = true;
      kill();
    };

    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(drainTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      // The group was SIGKILLed when the leader exited; signalling again could hit a reused pgid.
      if (pgid !== undefined) unregisterProcessGroup(pgid);
      for (const [name, buf, dec] of decoders) {
        const rest = dec.end();
        if (rest) emit(name, buf, rest);
      }
      resolve({
        exitCode,
        signal: exitSignal,
        stdout: stdout.toString(),
        stderr: stderr.toString(),
        aggregated: aggregated.toString(),
        durationMs: Date.now() - started,
        timedOut,
        aborted,
        ...(spawnError !== undefined ? { spawnError } : {}),
      });
    };

    const emit = (name: OutputStream, buf: HeadTailBuffer, text: string): void => {
      buf.push(text);
      aggregated.push(text);
      opts.onOutput?.(name, text);
    };
    const decoders: [OutputStream, HeadTailBuffer, StringDecoder][] = [
      ['stdout', stdout, new StringDecoder('utf8')],
      ['stderr', stderr, new StringDecoder('utf8')],
    ];
    for (const [name, buf, dec] of decoders) {
      child[name]?.on('data', (chunk: Buffer) => {
        const text = dec.write(chunk);
        if (text) emit(name, buf, text);
        gate.check();
      });
    }

    child.on('error', (err) => {
      spawnError = spawnErrorMessage(err, opts.cwd);
      emit('stderr', stderr, `${spawnError}\n`);
      // A spawn failure emits no 'exit'; 'close' may or may not follow.
      if (pgid === undefined) finish();
    });
    child.on('exit', (code, sig) => {
      exitCode = code;
      exitSignal = sig;
      // The leader is gone: anything left in its group is an orphan in the making.
      if (pgid !== undefined) signalProcessGroup(pgid, 'SIGKILL');
      escalate?.();
      // The drain timeout counts only while we read: output held back for a slow client is not lost.
      const armDrain = (): void => {
        drainTimer = setTimeout(() => {
          if (settled) return;
          if (gate.isPaused) {
            void gate.whenFlowing().then(armDrain);
            return;
          }
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish();
        }, PIPE_DRAIN_TIMEOUT_MS);
      };
      armDrain();
    });
    child.on('close', finish);

    if (opts.stdin !== undefined && child.stdin) {
      child.stdin.on('error', () => {
        // EPIPE when the command exits without reading its input: not an error of ours.
      });
      child.stdin.end(opts.stdin);
    }
    if (opts.timeoutMs !== undefined) {
      timeoutTimer = setTimeout(() => {
        timedOut = true;
        kill();
      }, opts.timeoutMs);
    }
    if (opts.signal) {
      if (opts.signal.aborted) onAbort();
      else opts.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}

/**
 * What a failed spawn says. A working directory that is missing (or not a directory) fails the
 * spawn with the same ENOENT as a missing program, which would read as "bwrap is not installed":
 * name the directory instead.
 */
export function spawnErrorMessage(err: Error, cwd: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== 'ENOENT' && code !== 'ENOTDIR') return err.message;
  let isDir = false;
  try {
    isDir = statSync(cwd).isDirectory();
  } catch {
    isDir = false;
  }
  return isDir ? err.message : `working directory ${cwd} does not exist or is not a directory (${err.message})`;
}

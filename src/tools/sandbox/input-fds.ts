import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';

/**
 * How a spawner hands bwrap the bytes it reads from extra file descriptors (`--seccomp 3`): each
 * input becomes one more stdio entry (`'pipe'`, so fds 3, 4, … in the child), written once and
 * closed. Every spawner of wrapped commands (`runCommand`, exec sessions, `command/exec`, the
 * patch writer) does exactly this through the two functions below.
 *
 * Why a pipe rather than a file opened per spawn: nothing is left on disk to clean up or to be
 * swept away by a tmp cleaner under a long-running daemon, there is no fd to leak when a spawn
 * fails, and the filter (a few hundred bytes) fits in the pipe buffer, so writing never waits for
 * bwrap. bwrap reads the fd to EOF and closes it before running the command, so the command never
 * sees it.
 */

/** The stdio entries that make fds 3, 4, … for `inputs` (append them after stdin/stdout/stderr). */
export function inputFdStdio(inputs: readonly Uint8Array[] | undefined): 'pipe'[] {
  return (inputs ?? []).map(() => 'pipe' as const);
}

/**
 * Writes each input into its pipe and closes our end. A child that exits without reading (bwrap
 * failing early) makes the write fail with EPIPE: that is the child's failure, reported by its
 * exit status, not an error of ours, so it must not become an unhandled 'error' event.
 */
export function feedInputFds(child: ChildProcess, inputs: readonly Uint8Array[] | undefined): void {
  (inputs ?? []).forEach((data, i) => {
    const stream = child.stdio[3 + i] as Writable | null | undefined;
    if (!stream) return;
    stream.on('error', () => {});
    stream.end(data, () => stream.destroy());
  });
}

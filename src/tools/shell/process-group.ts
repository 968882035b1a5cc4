/**
 * The registry of live child process groups. Every command we start leads its own process group
 * (spawned `detached`), so killing `-pgid` reaches the whole tree (and, for sandboxed commands,
 * bwrap plus everything inside its pid namespace). The registry lets daemon exit kill them all.
 */

const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous; SIGKILL is the only signal that cannot be ignored, and
  // there is no later moment to escalate from SIGTERM.
  process.on('exit', () => {
    killAllProcessGroups('SIGKILL');
  });
}

/** Records a live process group (its leader's pid) so daemon exit kills it. */
export function registerProcessGroup(pgid: number): void {
  installExitHook();
  liveGroups.add(pgid);
}

/** Forgets a group whose members are all gone. */
export function unregisterProcessGroup(pgid: number): void {
  liveGroups.delete(pgid);
}

/** The groups currently registered (for tests and diagnostics). */
export function liveProcessGroups(): number[] {
  return [...liveGroups];
}

/** Sends `signal` to every member of the group; returns false when the group no longer exists. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process of the group is still alive (zombies count until reaped). */
export function processGroupAlive(pgid: number): boolean {
  return signalProcessGroup(pgid, 0);
}

/**
 * Kills a group: SIGTERM first, SIGKILL after `graceMs` if anything is left. Returns a function
 * that escalates to SIGKILL at once (used when the leader has already exited).
 */
export function killProcessGroup(pgid: number, graceMs: number): () => void {
  let done = false;
  const escalate = (): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    signalProcessGroup(pgid, 'SIGKILL');
    unregisterProcessGroup(pgid);
  };
  if (!signalProcessGroup(pgid, 'SIGTERM')) {
    done = true;
    unregisterProcessGroup(pgid);
    return () => {};
  }
  const timer = setTimeout(escalate, graceMs);
  // The exit hook SIGKILLs registered groups anyway, so the timer need not keep the daemon alive.
  timer.unref();
  return escalate;
}

/** Kills every registered group at once (daemon shutdown). */
export function killAllProcessGroups(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pgid of liveGroups) signalProcessGroup(pgid, signal);
  if (signal === 'SIGKILL') liveGroups.clear();
}

import { isAlive } from '../../../support/processes.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** Polls (bounded) until every pid is gone; returns the ones still alive. */
export async function waitGone(pids: number[], timeoutMs = 5000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter(isAlive);
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await delay(20);
  }
}

/** A fresh temp directory, removed by the returned cleanup. */
export async function tempDir(prefix = 'agentd-shell-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Resolves once `predicate` holds for the text collected so far. */
export function outputWaiter(): { push(text: string): void; until(predicate: (all: string) => boolean): Promise<string>; text(): string } {
  let all = '';
  const waiters: { predicate: (all: string) => boolean; resolve: (s: string) => void }[] = [];
  return {
    push(text) {
      all += text;
      for (const w of [...waiters]) {
        if (w.predicate(all)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(all);
        }
      }
    },
    until(predicate) {
      if (predicate(all)) return Promise.resolve(all);
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
    text: () => all,
  };
}

export { isAlive };

import { readFileSync } from 'node:fs';

/** A process's resident set size in bytes, from /proc/<pid>/status (0 once it is gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Samples `pid`'s RSS every `everyMs` for `forMs` and returns the highest value seen. The
 * duration is the scenario (how long a client stays stalled), not a wait for some event.
 */
export async function peakRss(pid: number, forMs: number, everyMs = 100): Promise<number> {
  let peak = rssBytes(pid);
  const end = Date.now() + forMs;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, everyMs));
    peak = Math.max(peak, rssBytes(pid));
  }
  return peak;
}

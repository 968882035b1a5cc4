import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INDEX_FILE, ThreadStore } from '../../../src/store/thread-store.js';
import { silentLogger } from '../../../src/util/logger.js';
import { newMeta } from './helpers.js';

let root: string;
let outside: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'agentd-private-'));
  outside = mkdtempSync(join(tmpdir(), 'agentd-outside-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const mode = (p: string) => statSync(p).mode & 0o777;
const T0 = 1_750_000_000;

/** Every directory and file under `dir` (not following links), with its mode. */
function modesUnder(dir: string): Map<string, number> {
  const out = new Map<string, number>([[dir, mode(dir)]]);
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isSymbolicLink()) continue;
    out.set(join(e.parentPath, e.name), mode(join(e.parentPath, e.name)));
  }
  return out;
}

describe('a private home', () => {
  it('creates the home, its directories and every file owner-only, whatever the umask', () => {
    const old = process.umask(0o000);
    try {
      const home = join(root, 'new-home');
      const store = ThreadStore.open(home, silentLogger());
      const rec = store.create(newMeta('t1', T0));
      rec.append({ ts: 1, type: 'reverted', beforeTurnId: 'x' });
      store.updateMeta('t1', { preview: 'a secret prompt' });
      store.archive('t1');
      store.create(newMeta('t2', T0 + 1));
      store.close();
      const modes = modesUnder(home);
      expect(modes.size).toBeGreaterThan(5);
      for (const [path, m] of modes) expect([path, m]).toEqual([path, statSync(path).isDirectory() ? 0o700 : 0o600]);
      expect(mode(join(home, INDEX_FILE))).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });

  it('tightens a home an older version left readable to everyone when it opens it', () => {
    const home = join(root, 'old-home');
    const old = ThreadStore.open(home, silentLogger());
    old.create(newMeta('t1', T0)).close();
    old.create(newMeta('t2', T0 + 1));
    old.archive('t2');
    old.close();
    writeFileSync(join(home, 'config.toml'), 'model = "x"\n');
    for (const [path] of modesUnder(home)) chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);

    ThreadStore.open(home, silentLogger()).close();
    for (const [path, m] of modesUnder(home)) expect([path, m]).toEqual([path, statSync(path).isDirectory() ? 0o700 : 0o600]);
  });

  it('does not follow a symlink in the home to tighten a file outside it', () => {
    const home = join(root, 'linked-home');
    mkdirSync(join(home, 'sessions'), { recursive: true });
    const victim = join(outside, 'victim.txt');
    writeFileSync(victim, 'not agentd\'s');
    chmodSync(victim, 0o644);
    chmodSync(outside, 0o755);
    symlinkSync(victim, join(home, 'sessions', 'link.jsonl'));
    symlinkSync(outside, join(home, 'archived_sessions'));
    ThreadStore.open(home, silentLogger()).close();
    expect(mode(victim)).toBe(0o644);
    expect(mode(outside)).toBe(0o755);
  });
});

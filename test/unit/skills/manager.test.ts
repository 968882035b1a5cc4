import { mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SkillsManager } from '../../../src/skills/manager.js';
import { silentLogger } from '../../../src/util/logger.js';

let base: string;
let home: string;
let ws: string;
let m: SkillsManager;

function skill(dir: string, name: string, description = `${name} does things`): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'SKILL.md');
  writeFileSync(path, `---\nname: ${name}\ndescription: ${description}\n---\n`);
  return path;
}

/** Resolves at the manager's next change notice. */
function nextChange(): Promise<void> {
  return new Promise((resolve) => {
    const off = m.onChanged(() => {
      off();
      resolve();
    });
  });
}

const names = async (cwd = ws) => (await m.list(cwd)).skills.map((s) => s.name);

beforeEach(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'agentd-skillsm-')));
  home = join(base, 'home');
  ws = join(base, 'ws');
  mkdirSync(home);
  mkdirSync(ws);
  m = new SkillsManager({ agentdHome: home, userHome: join(base, 'user'), logger: silentLogger(), settleMs: 20 });
});
afterEach(() => {
  m.close();
  rmSync(base, { recursive: true, force: true });
});

describe('SkillsManager', () => {
  it('scans a directory no thread uses on every request, so it is never stale', async () => {
    expect(await names()).toEqual([]);
    skill(join(home, 'skills/a'), 'a');
    expect(await names()).toEqual(['a']);
    expect(m.watchedDirCount()).toBe(0);
  });

  it('watches a thread\'s cwd: a skill added later is announced and listed', async () => {
    skill(join(home, 'skills/a'), 'a');
    const t = m.forThread(ws);
    expect((await t.forTurn(ws)).map((s) => s.name)).toEqual(['a']);
    expect(m.watchedDirCount()).toBeGreaterThan(0);
    const changed = nextChange();
    skill(join(home, 'skills/b'), 'b');
    await changed;
    expect(await names()).toEqual(['a', 'b']);
    t.dispose();
    expect(m.watchedDirCount()).toBe(0);
    expect(m.watchedCwds()).toEqual([]);
  });

  it('announces an edit of a SKILL.md and a root that appears after the thread started', async () => {
    const t = m.forThread(ws);
    await t.forTurn(ws); // first watched scan: the user root does not exist yet
    let changed = nextChange();
    skill(join(home, 'skills/late'), 'late');
    await changed;
    expect(await names()).toEqual(['late']);
    changed = nextChange();
    writeFileSync(join(home, 'skills/late/SKILL.md'), '---\nname: late\ndescription: now better\n---\n');
    await changed;
    expect((await m.list(ws)).skills[0]!.description).toBe('now better');
    // A repo root two levels below the cwd that does not exist yet.
    changed = nextChange();
    skill(join(ws, '.agents/skills/repo-one'), 'repo-one');
    await changed;
    expect(await names()).toEqual(['repo-one', 'late']);
    t.dispose();
  });

  it('does not crash when a watched root disappears, and sees it come back', async () => {
    skill(join(home, 'skills/a'), 'a');
    const t = m.forThread(ws);
    await t.forTurn(ws);
    let changed = nextChange();
    renameSync(join(home, 'skills'), join(base, 'moved'));
    await changed;
    expect(await names()).toEqual([]);
    changed = nextChange();
    renameSync(join(base, 'moved'), join(home, 'skills'));
    await changed;
    expect(await names()).toEqual(['a']);
    t.dispose();
    expect(m.watchedDirCount()).toBe(0);
  });

  it('follows a thread to a new cwd and keeps one watch set per cwd in use', async () => {
    const other = join(base, 'other');
    skill(join(other, '.agents/skills/o'), 'o');
    const t1 = m.forThread(ws);
    const t2 = m.forThread(ws);
    await t1.forTurn(ws);
    expect((await t1.forTurn(other)).map((s) => s.name)).toEqual(['o']);
    expect(m.watchedCwds().sort()).toEqual([other, ws].sort());
    t2.dispose();
    expect(m.watchedCwds()).toEqual([other]);
    t1.dispose();
    t1.dispose();
    expect(m.watchedCwds()).toEqual([]);
    expect(m.watchedDirCount()).toBe(0);
  });

  it('applies extra roots to every cwd and announces a change of them once', async () => {
    skill(join(base, 'extra/x'), 'x');
    const changed = nextChange();
    expect(m.setExtraRoots([join(base, 'extra')])).toBe(true);
    await changed;
    const entry = await m.list(ws);
    expect(entry.skills.map((s) => [s.name, s.scope])).toEqual([['x', 'user']]);
    expect(m.setExtraRoots([join(base, 'extra')])).toBe(false);
    expect(m.setExtraRoots([])).toBe(true);
    expect(await names()).toEqual([]);
  });

  it('keeps disabled skills out of a turn, and all skills out when instructions are off', async () => {
    const off = skill(join(home, 'skills/off'), 'off');
    skill(join(home, 'skills/on'), 'on');
    m.close();
    m = new SkillsManager({ agentdHome: home, userHome: null, logger: silentLogger(), rules: [{ path: off, enabled: false }] });
    const t = m.forThread(ws);
    expect((await m.list(ws)).skills.map((s) => [s.name, s.enabled])).toEqual([
      ['off', false],
      ['on', true],
    ]);
    expect((await t.forTurn(ws)).map((s) => s.name)).toEqual(['on']);
    t.dispose();
    m.close();
    m = new SkillsManager({ agentdHome: home, userHome: null, logger: silentLogger(), includeInstructions: false });
    expect(await m.forThread(ws).forTurn(ws)).toEqual([]);
  });
});

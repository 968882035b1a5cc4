import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findProjectRoot, loadSkills, MAX_SCAN_DEPTH, skillRoots } from '../../../src/skills/discover.js';
import type { SkillRootsInput } from '../../../src/skills/discover.js';

let base: string;
beforeEach(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'agentd-skills-')));
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

function skill(dir: string, name: string, description = `${name} does things`): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'SKILL.md');
  writeFileSync(path, `---\nname: ${name}\ndescription: ${description}\n---\n\n# ${name}\n`);
  return path;
}

function input(over: Partial<SkillRootsInput> = {}): SkillRootsInput {
  return { cwd: join(base, 'repo'), agentdHome: join(base, 'home'), userHome: join(base, 'user'), extraRoots: [], ...over };
}

async function load(over: Partial<SkillRootsInput> = {}) {
  return loadSkills(await skillRoots(input(over)));
}

describe('skill roots', () => {
  it('walks from cwd up to the project root, and no further', async () => {
    const repo = join(base, 'repo');
    const sub = join(repo, 'pkg', 'app');
    mkdirSync(join(repo, '.git'), { recursive: true });
    mkdirSync(sub, { recursive: true });
    expect(await findProjectRoot(sub, ['.git'])).toBe(repo);
    const roots = await skillRoots(input({ cwd: sub, extraRoots: [join(base, 'extra')] }));
    expect(roots).toEqual([
      { path: join(sub, '.codex/skills'), scope: 'repo' },
      { path: join(repo, 'pkg/.codex/skills'), scope: 'repo' },
      { path: join(repo, '.codex/skills'), scope: 'repo' },
      { path: join(base, 'home/skills'), scope: 'user' },
      { path: join(base, 'user/.agents/skills'), scope: 'user' },
      { path: join(base, 'extra'), scope: 'user' },
      { path: join(repo, '.agents/skills'), scope: 'repo' },
      { path: join(repo, 'pkg/.agents/skills'), scope: 'repo' },
      { path: join(sub, '.agents/skills'), scope: 'repo' },
    ]);
  });

  it('takes only cwd itself when no ancestor is a project root', async () => {
    const cwd = join(base, 'loose', 'dir');
    mkdirSync(cwd, { recursive: true });
    skill(join(base, 'loose/.agents/skills/above'), 'above');
    skill(join(cwd, '.agents/skills/here'), 'here');
    const { skills } = await load({ cwd, projectRootMarkers: ['.no-such-marker'] });
    expect(skills.map((s) => s.name)).toEqual(['here']);
  });

  it('finds repo skills in .agents/skills and .codex/skills at every level between cwd and the root', async () => {
    const repo = join(base, 'repo');
    mkdirSync(join(repo, '.git'), { recursive: true });
    const sub = join(repo, 'sub');
    skill(join(repo, '.agents/skills/top'), 'top');
    skill(join(sub, '.agents/skills/inner'), 'inner');
    skill(join(sub, '.codex/skills/legacy'), 'legacy');
    skill(join(base, '.agents/skills/outside'), 'outside');
    const { skills, errors } = await load({ cwd: sub });
    expect(errors).toEqual([]);
    expect(skills.map((s) => [s.name, s.scope])).toEqual([
      ['inner', 'repo'],
      ['legacy', 'repo'],
      ['top', 'repo'],
    ]);
  });
});

describe('loading skills', () => {
  it('lists user, repo and extra skills ordered by scope then name, with errors for malformed files', async () => {
    mkdirSync(join(base, 'repo'), { recursive: true });
    const userPath = skill(join(base, 'home/skills/zeta'), 'zeta');
    skill(join(base, 'user/.agents/skills/alpha'), 'alpha');
    skill(join(base, 'extra/ex'), 'ex');
    const repoPath = skill(join(base, 'repo/.agents/skills/rep'), 'rep', 'repo skill\n  on two lines');
    mkdirSync(join(base, 'home/skills/bad'), { recursive: true });
    writeFileSync(join(base, 'home/skills/bad/SKILL.md'), '---\nname: bad\n---\n');
    const { skills, errors } = await load({ extraRoots: [join(base, 'extra')] });
    expect(skills.map((s) => [s.name, s.scope])).toEqual([
      ['rep', 'repo'],
      ['alpha', 'user'],
      ['ex', 'user'],
      ['zeta', 'user'],
    ]);
    expect(skills[0]!.path).toBe(repoPath);
    expect(skills[0]!.description).toBe('repo skill on two lines');
    expect(skills[3]!.path).toBe(userPath);
    expect(errors).toEqual([{ path: join(base, 'home/skills/bad/SKILL.md'), message: 'missing field `description`' }]);
  });

  it('keeps two skills of one name from different files, and one entry for one file reached twice', async () => {
    mkdirSync(join(base, 'repo'), { recursive: true });
    const a = skill(join(base, 'home/skills/one'), 'same');
    const b = skill(join(base, 'repo/.agents/skills/two'), 'same');
    // The extra root is the user root again, through a symlink: its file is already listed.
    symlinkSync(join(base, 'home/skills'), join(base, 'alias'));
    const { skills } = await load({ extraRoots: [join(base, 'alias')] });
    expect(skills.map((s) => [s.name, s.scope, s.path])).toEqual([
      ['same', 'repo', b],
      ['same', 'user', a],
    ]);
  });

  it('skips hidden entries, reads only SKILL.md, and stops at the depth limit', async () => {
    mkdirSync(join(base, 'repo'), { recursive: true });
    const root = join(base, 'home/skills');
    skill(join(root, '.hidden'), 'hidden');
    mkdirSync(join(root, 'other'), { recursive: true });
    writeFileSync(join(root, 'other/README.md'), '---\nname: readme\ndescription: d\n---\n');
    let deep = root;
    for (let i = 1; i <= MAX_SCAN_DEPTH; i++) deep = join(deep, `d${i}`);
    skill(deep, 'deepest');
    skill(join(deep, 'd7'), 'too-deep');
    const { skills, errors } = await load();
    expect(skills.map((s) => s.name)).toEqual(['deepest']);
    expect(errors).toEqual([]);
  });

  it('follows symlinked folders and survives symlink loops', async () => {
    mkdirSync(join(base, 'repo'), { recursive: true });
    const root = join(base, 'home/skills');
    const target = skill(join(base, 'elsewhere/linked'), 'linked');
    mkdirSync(root, { recursive: true });
    symlinkSync(join(base, 'elsewhere'), join(root, 'via-link'));
    symlinkSync(root, join(root, 'loop'));
    symlinkSync(join(root, 'loop2'), join(root, 'loop2'));
    mkdirSync(join(root, 'a'), { recursive: true });
    symlinkSync(join(root, 'a'), join(root, 'a', 'self'));
    symlinkSync(join(base, 'nowhere'), join(root, 'dangling'));
    const started = Date.now();
    const { skills, errors } = await load();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(skills.map((s) => [s.name, s.path])).toEqual([['linked', target]]);
    expect(errors).toEqual([]);
  });

  it('does not read a symlinked SKILL.md, a FIFO, or more than the start of a huge file', async () => {
    mkdirSync(join(base, 'repo'), { recursive: true });
    const root = join(base, 'home/skills');
    const real = skill(join(base, 'outside/real'), 'real');
    mkdirSync(join(root, 'sym'), { recursive: true });
    symlinkSync(real, join(root, 'sym/SKILL.md'));
    mkdirSync(join(root, 'fifo'), { recursive: true });
    execFileSync('mkfifo', [join(root, 'fifo/SKILL.md')]);
    mkdirSync(join(root, 'huge'), { recursive: true });
    writeFileSync(join(root, 'huge/SKILL.md'), `---\nname: huge\ndescription: big body\n---\n${'x'.repeat(2 * 1024 * 1024)}`);
    mkdirSync(join(root, 'hugebad'), { recursive: true });
    writeFileSync(join(root, 'hugebad/SKILL.md'), `---\nname: hugebad\ndescription: ${'y'.repeat(2 * 1024 * 1024)}\n---\n`);
    const { skills, errors } = await load();
    expect(skills.map((s) => s.name)).toEqual(['huge']);
    expect(errors).toEqual([
      { path: join(root, 'hugebad/SKILL.md'), message: 'missing YAML frontmatter delimited by --- within the first 64 KiB' },
    ]);
  });

  it('reports invalid UTF-8 as an error', async () => {
    mkdirSync(join(base, 'repo'), { recursive: true });
    const dir = join(base, 'home/skills/bin');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'SKILL.md'), Buffer.concat([Buffer.from('---\nname: b\ndescription: '), Buffer.from([0xff, 0xfe]), Buffer.from('\n---\n')]));
    const { skills, errors } = await load();
    expect(skills).toEqual([]);
    expect(errors[0]!.message).toMatch(/valid UTF-8/);
  });

  it('ignores roots that are missing or are files', async () => {
    mkdirSync(join(base, 'repo'), { recursive: true });
    mkdirSync(join(base, 'home'), { recursive: true });
    writeFileSync(join(base, 'home/skills'), 'not a folder');
    expect(await load({ extraRoots: ['/no/such/root'] })).toEqual({ skills: [], errors: [] });
  });
});

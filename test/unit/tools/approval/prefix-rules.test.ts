import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PrefixRulesFile, parsePrefixRuleLine, prefixRuleLine } from '../../../../src/store/prefix-rules-file.js';
import { PrefixRules, simpleCommands } from '../../../../src/tools/approval/prefix-rules.js';

const bash = (script: string) => ['/bin/bash', '-lc', script];

describe('PrefixRules', () => {
  const rules = new PrefixRules([['git', 'status'], ['npm', 'test']]);

  it('approves a matching simple command, directly or as the only command of a system shell script', () => {
    expect(rules.allows(['git', 'status'])).toBe(true);
    expect(rules.allows(['git', 'status', '--short'])).toBe(true);
    expect(rules.allows(bash('npm test -- --watch=false'))).toBe(true);
    expect(rules.allows(bash('git status && npm test'))).toBe(true);
    // A read-only command beside a matched one changes nothing (it would run unasked anyway).
    expect(rules.allows(bash('git status | head -n 5'))).toBe(true);
  });

  it('never matches across shell operators, through shell syntax, or another program', () => {
    for (const script of [
      'git status; rm -rf ~',
      'git status && curl https://example.invalid',
      'git status || sh x',
      'git status | sh',
      'git status > out',
      'git status $(rm -rf ~)',
      'git status `id`',
      'git status &',
      '(git status)',
      'PATH=. git status',
      'git -c core.pager=x status',
      'gitx status',
      'git stat',
      'git',
      'ls',
    ]) {
      expect(rules.allows(bash(script)), script).toBe(false);
    }
    expect(rules.allows(['/tmp/evil/bash', '-lc', 'git status'])).toBe(false);
    expect(rules.allows([])).toBe(false);
    expect(new PrefixRules().allows(['git', 'status'])).toBe(false);
  });

  it('proposes the argv of the first command that is not read-only, only when it would cover the command', () => {
    const none = new PrefixRules();
    expect(none.proposeFor(bash('npm test'))).toEqual(['npm', 'test']);
    expect(none.proposeFor(bash('ls && npm run build'))).toEqual(['npm', 'run', 'build']);
    expect(none.proposeFor(bash('npm test && rm -rf dist'))).toBeNull();
    expect(none.proposeFor(bash('npm test > log'))).toBeNull();
    expect(none.proposeFor(bash('ls'))).toBeNull();
  });

  it('accepts a stored prefix only when it is a non-empty prefix of one of the command words', () => {
    const r = new PrefixRules();
    expect(r.fitsCommand(bash('npm test'), ['npm'])).toBe(true);
    expect(r.fitsCommand(bash('npm test'), ['npm', 'test'])).toBe(true);
    expect(r.fitsCommand(bash('npm test'), [])).toBe(false);
    expect(r.fitsCommand(bash('npm test'), ['npm', 'test', 'x'])).toBe(false);
    expect(r.fitsCommand(bash('npm test'), ['rm'])).toBe(false);
    expect(r.fitsCommand(bash('npm test > f'), ['npm'])).toBe(false);
    expect(() => r.add([])).toThrow();
  });

  it('reads simple commands only from plain scripts', () => {
    expect(simpleCommands(bash('a b; c | d && e'))).toEqual([['a', 'b'], ['c'], ['d'], ['e']]);
    expect(simpleCommands(bash('a "$HOME"'))).toBeNull();
    expect(simpleCommands(['prog', 'x'])).toEqual([['prog', 'x']]);
  });
});

describe('PrefixRulesFile', () => {
  const homes: string[] = [];
  afterEach(() => {
    for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
  });
  const home = () => {
    const h = mkdtempSync(join(tmpdir(), 'agentd-rules-'));
    homes.push(h);
    return h;
  };

  it('writes Codex lines, atomically, private, once per rule, and reads them back', () => {
    const f = new PrefixRulesFile(join(home(), 'nested-home'));
    expect(f.load()).toEqual({ rules: [], warnings: [] });
    f.append(['echo', 'Hello, "world"!']);
    f.append(['git', 'status']);
    f.append(['git', 'status']);
    expect(readFileSync(f.file, 'utf8')).toBe('prefix_rule(pattern=["echo", "Hello, \\"world\\"!"], decision="allow")\nprefix_rule(pattern=["git", "status"], decision="allow")\n');
    expect(statSync(f.file).mode & 0o777).toBe(0o600);
    expect(f.load()).toEqual({ rules: [['echo', 'Hello, "world"!'], ['git', 'status']], warnings: [] });
    expect(parsePrefixRuleLine(prefixRuleLine(['a b', 'c']))).toEqual(['a b', 'c']);
  });

  it('reports and skips lines it cannot read, keeping them on the next write', () => {
    const h = home();
    mkdirSync(join(h, 'rules'));
    const file = join(h, 'rules', 'default.rules');
    writeFileSync(file, '# c\nprefix_rule(pattern=["ls"], decision="allow")\nprefix_rule(pattern=["rm"], decision="forbidden")\nprefix_rule(pattern=[1], decision="allow")\nnonsense');
    const f = new PrefixRulesFile(h);
    const loaded = f.load();
    expect(loaded.rules).toEqual([['ls']]);
    expect(loaded.warnings).toHaveLength(3);
    f.append(['make']);
    expect(readFileSync(file, 'utf8').endsWith('nonsense\nprefix_rule(pattern=["make"], decision="allow")\n')).toBe(true);
  });
});

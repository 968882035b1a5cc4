import { describe, expect, it } from 'vitest';
import { renderSkillsSection, skillLines, skillsBudgetChars } from '../../../src/skills/render.js';
import { applySkillRules, includeSkillInstructions, skillRulesFromConfig } from '../../../src/skills/rules.js';
import type { SkillMetadata } from '../../../src/skills/types.js';

const sk = (name: string, description: string, over: Partial<SkillMetadata> = {}): SkillMetadata => ({
  name,
  description,
  shortDescription: null,
  path: `/s/${name}/SKILL.md`,
  scope: 'user',
  enabled: true,
  ...over,
});

describe('the skills section of the model context', () => {
  it('lists each enabled skill with its description and path, inside skills_instructions', () => {
    const text = renderSkillsSection([sk('pdf', 'Fill PDF forms'), sk('off', 'hidden', { enabled: false })])!;
    expect(text.startsWith('<skills_instructions>\n## Skills\n')).toBe(true);
    expect(text.endsWith('\n</skills_instructions>')).toBe(true);
    expect(text).toContain('### Available skills\n- pdf: Fill PDF forms (file: /s/pdf/SKILL.md)\n### How to use skills');
    expect(text).not.toContain('off');
  });

  it('is absent when no skill is enabled', () => {
    expect(renderSkillsSection([])).toBeNull();
    expect(renderSkillsSection([sk('x', 'y', { enabled: false })])).toBeNull();
  });

  it('shares a tight budget among descriptions, keeping every name and path', () => {
    const skills = [sk('a', 'short'), sk('b', 'x'.repeat(500)), sk('c', 'y'.repeat(500))];
    const minimum = skills.reduce((n, s) => n + `- ${s.name}: (file: ${s.path})`.length + 1, 0);
    const budget = minimum + 6 + 200;
    const r = skillLines(skills, budget);
    expect(r.omitted).toBe(0);
    expect(r.lines[0]).toBe('- a: short (file: /s/a/SKILL.md)');
    expect(r.lines.reduce((n, l) => n + l.length + 1, 0)).toBeLessThanOrEqual(budget);
    // The room the short one left is split between the long ones.
    expect(r.lines[1]!.match(/x/g)!.length).toBeGreaterThan(90);
    expect(r.lines[2]!.match(/y/g)!.length).toBeGreaterThan(90);
    expect(r.truncatedChars).toBeGreaterThan(700);
  });

  it('lists what fits and counts the rest when even names and paths overflow', () => {
    const skills = Array.from({ length: 50 }, (_, i) => sk(`skill-${i}`, 'd'));
    const r = skillLines(skills, 200);
    expect(r.lines.length).toBeGreaterThan(0);
    expect(r.lines.length + r.omitted).toBe(50);
    const text = renderSkillsSection(skills, 200)!;
    expect(text).toContain(`${r.omitted} more skills are available but not listed`);
  });

  it('budgets 2% of the context window at 4 characters a token, or 8000 characters', () => {
    expect(skillsBudgetChars(null)).toBe(8000);
    expect(skillsBudgetChars(272_000)).toBe(21_760);
  });
});

describe('[[skills.config]] rules', () => {
  const raw = {
    skills: {
      config: [
        { path: '/s/a/SKILL.md', enabled: false },
        { name: 'b', enabled: false },
        { name: 'b', path: '/s/b/SKILL.md', enabled: true },
        { name: 'c' },
        { name: 'd', enabled: false },
        { name: 'd', enabled: true },
      ],
    },
  };

  it('turns skills off by path or name; the last rule for a selector wins; malformed entries are ignored', () => {
    const rules = skillRulesFromConfig(raw);
    expect(rules).toEqual([
      { path: '/s/a/SKILL.md', enabled: false },
      { name: 'b', enabled: false },
      { name: 'd', enabled: true },
    ]);
    const out = applySkillRules([sk('a', 'x'), sk('b', 'x'), sk('c', 'x'), sk('d', 'x')], rules);
    expect(out.map((s) => [s.name, s.enabled])).toEqual([
      ['a', false],
      ['b', false],
      ['c', true],
      ['d', true],
    ]);
  });

  it('reads include_instructions (default on)', () => {
    expect(includeSkillInstructions({})).toBe(true);
    expect(includeSkillInstructions({ skills: { include_instructions: false } })).toBe(false);
    expect(skillRulesFromConfig({ skills: 'nonsense' })).toEqual([]);
  });
});

import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SkillMetadata } from './types.js';

/** One `[[skills.config]]` entry: a skill chosen by its `SKILL.md` path or by name, on or off. */
export type SkillRule = { path: string; enabled: boolean } | { name: string; enabled: boolean };

/**
 * The `[[skills.config]]` entries of a config table (Codex keys: `path` or `name`, and `enabled`).
 * An entry with both selectors, neither, or no boolean `enabled` is ignored, as Codex. A later
 * entry for the same selector replaces an earlier one; paths are compared canonically.
 */
export function skillRulesFromConfig(raw: unknown): SkillRule[] {
  const skills = raw && typeof raw === 'object' ? (raw as Record<string, unknown>).skills : undefined;
  const list = skills && typeof skills === 'object' ? (skills as Record<string, unknown>).config : undefined;
  if (!Array.isArray(list)) return [];
  const rules: SkillRule[] = [];
  for (const e of list) {
    if (!e || typeof e !== 'object') continue;
    const { path, name, enabled } = e as Record<string, unknown>;
    if (typeof enabled !== 'boolean') continue;
    let rule: SkillRule;
    if (typeof path === 'string' && name === undefined) rule = { path: canonical(path), enabled };
    else if (typeof name === 'string' && path === undefined && name.trim() !== '') rule = { name: name.trim(), enabled };
    else continue;
    const same = (r: SkillRule) => ('path' in r && 'path' in rule ? r.path === rule.path : 'name' in r && 'name' in rule && r.name === rule.name);
    const at = rules.findIndex(same);
    if (at >= 0) rules.splice(at, 1);
    rules.push(rule);
  }
  return rules;
}

function canonical(p: string): string {
  try {
    return realpathSync(resolve(p));
  } catch {
    return resolve(p);
  }
}

/** `[skills] include_instructions`: false turns the skills section of the model's context off. */
export function includeSkillInstructions(raw: unknown): boolean {
  const skills = raw && typeof raw === 'object' ? (raw as Record<string, unknown>).skills : undefined;
  const v = skills && typeof skills === 'object' ? (skills as Record<string, unknown>).include_instructions : undefined;
  return v !== false;
}

/** The skills with `enabled` set by the rules, applied in order (the last that matches wins). */
export function applySkillRules(skills: readonly SkillMetadata[], rules: readonly SkillRule[]): SkillMetadata[] {
  if (rules.length === 0) return [...skills];
  return skills.map((s) => {
    let enabled = s.enabled;
    for (const r of rules) if ('path' in r ? r.path === s.path : r.name === s.name) enabled = r.enabled;
    return enabled === s.enabled ? s : { ...s, enabled };
  });
}

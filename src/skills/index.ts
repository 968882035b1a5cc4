export type { SkillError, SkillLoadOutcome, SkillMetadata, SkillRoot, SkillScope } from './types.js';
export { loadSkills, skillRoots, findProjectRoot, type ScanTrace, type SkillRootsInput } from './discover.js';
export { parseSkill, extractFrontMatter, SkillParseError } from './parse.js';
export { renderSkillsSection, skillLines, skillsBudgetChars } from './render.js';
export { applySkillRules, includeSkillInstructions, skillRulesFromConfig, type SkillRule } from './rules.js';
export { SkillsManager, type SkillsManagerOptions, type ThreadSkills } from './manager.js';

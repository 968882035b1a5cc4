import type { SkillMetadata } from './types.js';
import { escapeXmlText } from '../util/xml-text.js';

/** The tags around the skills section in the model's context (as Codex). */
export const SKILLS_OPEN_TAG = '<skills_instructions>';
export const SKILLS_CLOSE_TAG = '</skills_instructions>';

/** Characters the list of skills may take when the model's context window is unknown. */
export const DEFAULT_SKILLS_BUDGET_CHARS = 8_000;

/**
 * The budget of the skills list: 2% of the context window (at about 4 characters a token), as
 * Codex, or DEFAULT_SKILLS_BUDGET_CHARS without a window.
 */
export function skillsBudgetChars(contextWindow: number | null | undefined): number {
  if (!contextWindow || contextWindow <= 0) return DEFAULT_SKILLS_BUDGET_CHARS;
  return Math.max(1, Math.floor((contextWindow * 2) / 100)) * 4;
}

const INTRO =
  'A skill is a set of instructions kept in a local `SKILL.md` file. The skills below are available in this session; ' +
  'each entry gives the skill\'s name, a description and the path of its file, which you can open for the full instructions.';

const HOW_TO_USE = `- When to use one: if the user names a skill (as \`$name\` or in plain words), or the task clearly fits a skill's description above, use that skill for this turn, and use every skill that is named. A skill applies to the turn it was named in; do not carry it into later turns unless it is named again.
- How to read one: once you decide to use a skill, open its \`SKILL.md\` and read as much as you need to follow it. Paths it mentions (such as \`scripts/\`, \`references/\` or \`assets/\`) are relative to the folder that holds that \`SKILL.md\`. Open only the referenced files the task needs; prefer running or adapting a skill's scripts and reusing its templates over writing them again.
- Several skills: choose the smallest set that covers the request, and say in one short line which skills you use, in what order, and why.
- Keep context small: summarise long parts instead of quoting them, and do not follow references further than the task needs.
- When something is missing: if a named skill is not listed, or its file cannot be read or its instructions do not apply cleanly, say so briefly and go on with the best alternative.`;

interface Line {
  head: string;
  description: string;
  tail: string;
}

/**
 * A skill's field as the list shows it. Names, descriptions and paths come from files and folder
 * names anyone may have written (a cloned repository): `<`, `>` and `&` are escaped, so no field
 * can close the `<skills_instructions>` block or open another, and control characters (a newline
 * in a folder name) are shown as `\uXXXX`, so no field can start a line of its own.
 */
export function skillField(s: string): string {
  return escapeXmlText(s).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const lineOf = (s: SkillMetadata): Line => ({
  head: `- ${skillField(s.name)}:`,
  description: skillField(s.description),
  tail: `(file: ${skillField(s.path)})`,
});
const render = (l: Line, chars: number): string =>
  chars > 0 ? `${l.head} ${[...l.description].slice(0, chars).join('')} ${l.tail}` : `${l.head} ${l.tail}`;
/** Cost of a line without description, newline included. */
const minimumCost = (l: Line): number => l.head.length + l.tail.length + 2;

/** The rendered list lines, and how many skills did not fit at all. */
export interface SkillLines {
  lines: string[];
  omitted: number;
  /** Characters cut from descriptions to fit. */
  truncatedChars: number;
}

/**
 * The lines of the skills list within `budget` characters: every description in full when they
 * fit; otherwise each skill keeps its name and path and the room left is shared among the
 * descriptions (a short description leaves its unused share to the longer ones); when even the
 * names and paths do not fit, the first skills that fit are listed and the rest counted.
 */
export function skillLines(skills: readonly SkillMetadata[], budget: number): SkillLines {
  const lines = skills.map(lineOf);
  const lens = lines.map((l) => [...l.description].length);
  const full = lines.reduce((n, l, i) => n + minimumCost(l) + lens[i]! + 1, 0);
  if (full <= budget) return { lines: lines.map((l, i) => render(l, lens[i]!)), omitted: 0, truncatedChars: 0 };

  const minimum = lines.reduce((n, l) => n + minimumCost(l), 0);
  if (minimum <= budget) {
    // Water-filling: every description gets an equal share; what a short one leaves goes to the rest.
    const alloc = new Array<number>(lines.length).fill(0);
    let room = budget - minimum;
    const order = lens.map((len, i) => ({ len, i })).sort((a, b) => a.len - b.len);
    for (let k = 0; k < order.length; k++) {
      const share = Math.floor(room / (order.length - k));
      const { len, i } = order[k]!;
      // A description of c characters costs c + 1 (the space before it).
      const chars = Math.max(0, Math.min(len, share - 1));
      alloc[i] = chars;
      room -= chars > 0 ? chars + 1 : 0;
    }
    const truncatedChars = lens.reduce((n, len, i) => n + len - alloc[i]!, 0);
    return { lines: lines.map((l, i) => render(l, alloc[i]!)), omitted: 0, truncatedChars };
  }

  const out: string[] = [];
  let used = 0;
  for (const l of lines) {
    if (used + minimumCost(l) > budget) break;
    used += minimumCost(l);
    out.push(render(l, 0));
  }
  return { lines: out, omitted: lines.length - out.length, truncatedChars: lens.reduce((n, len) => n + len, 0) };
}

/**
 * The skills section of the model's context (a developer message, wrapped in
 * `<skills_instructions>` as Codex does): what skills are, the list (name, description, path of
 * `SKILL.md`) and how to use them. Null when there are no skills.
 */
export function renderSkillsSection(all: readonly SkillMetadata[], budget = DEFAULT_SKILLS_BUDGET_CHARS): string | null {
  const skills = all.filter((s) => s.enabled);
  if (skills.length === 0) return null;
  const { lines, omitted } = skillLines(skills, budget);
  const out = ['## Skills', INTRO, '### Available skills', ...lines];
  if (omitted > 0) {
    out.push(`- (${omitted} more ${omitted === 1 ? 'skill is' : 'skills are'} available but not listed: the list is over its size budget.)`);
  }
  out.push('### How to use skills', HOW_TO_USE);
  return `${SKILLS_OPEN_TAG}\n${out.join('\n')}\n${SKILLS_CLOSE_TAG}`;
}

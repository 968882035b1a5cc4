import { basename, dirname } from 'node:path';
import type * as Yaml from 'yaml';

/**
 * The YAML parser, loaded on first use (`loadYamlParser`): a daemon that never meets a SKILL.md
 * does not carry it.
 */
let yaml: typeof Yaml | null = null;

/** Loads the YAML parser; `parseSkill` needs it loaded. */
export async function loadYamlParser(): Promise<void> {
  if (yaml) return;
  // yaml is CommonJS: bundled, its exports may sit on the namespace's `default`.
  const mod = (await import('yaml')) as typeof Yaml & { default?: typeof Yaml };
  yaml = typeof mod.parseDocument === 'function' ? mod : (mod.default ?? mod);
}
import type { SkillMetadata, SkillScope } from './types.js';

/** Longest name, in characters (Unicode code points), as Codex. */
export const MAX_NAME_LEN = 64;
/** Longest description and short description, in characters. */
export const MAX_DESCRIPTION_LEN = 1024;
export const MAX_SHORT_DESCRIPTION_LEN = MAX_DESCRIPTION_LEN;
/**
 * How much of a `SKILL.md` is read: the front matter must end within it. The body is for the
 * model to open itself, so a huge file costs no more than a small one.
 */
export const MAX_FRONT_MATTER_BYTES = 64 * 1024;

/** Why a `SKILL.md` cannot be used; `message` is what `skills/list` reports. */
export class SkillParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SkillParseError';
  }
}

/**
 * The front matter of a `SKILL.md`: the lines between a first line that is `---` and the next
 * line that is `---` (surrounding blanks ignored). Null when there is none or it is empty.
 */
export function extractFrontMatter(text: string): string | null {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length === 0 || lines[0]!.trim() !== '---') return null;
  const body: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i]!.trim() === '---') return body.length > 0 ? body.join('\n') : null;
    body.push(lines[i]!);
  }
  return null;
}

/** Collapses every run of whitespace (newlines included) to one space and trims the ends. */
export function singleLine(raw: string): string {
  return raw.split(/\s+/u).filter((p) => p.length > 0).join(' ');
}

const charCount = (s: string): number => [...s].length;

/** A field's string value, null when absent or null; anything else is a YAML type error. */
function optionalString(map: Record<string, unknown>, key: string, field: string): string | null {
  const v = map[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new SkillParseError(`invalid YAML: \`${field}\` must be a string, not ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a sequence';
  if (typeof v === 'object') return 'a mapping';
  return `a ${typeof v}`;
}

function checkLength(value: string, max: number, field: string): void {
  if (charCount(value) > max) throw new SkillParseError(`invalid ${field}: exceeds maximum length of ${max} characters`);
}

/**
 * Reads a skill's metadata from the text of its `SKILL.md` (`path` is where it was found, already
 * canonical). Throws SkillParseError with the message `skills/list` shows for a malformed file:
 * no front matter, YAML that does not parse (aliases are bounded, duplicate keys refused), a
 * field of the wrong type, no description, or a field over its length limit.
 */
export function parseSkill(text: string, path: string, scope: SkillScope): SkillMetadata {
  const front = extractFrontMatter(text);
  if (front === null) throw new SkillParseError('missing YAML frontmatter delimited by ---');
  if (!yaml) throw new Error('parseSkill: the YAML parser is not loaded (await loadYamlParser() first)');
  const { isMap, parseDocument } = yaml;
  const doc = parseDocument(front, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) throw new SkillParseError(`invalid YAML: ${doc.errors[0]!.message}`);
  if (!isMap(doc.contents)) throw new SkillParseError('invalid YAML: the front matter must be a mapping of fields');
  let parsed: unknown;
  try {
    parsed = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new SkillParseError(`invalid YAML: ${(err as Error).message}`);
  }
  const map = parsed as Record<string, unknown>;

  const rawName = optionalString(map, 'name', 'name');
  const rawDescription = optionalString(map, 'description', 'description');
  const meta = map.metadata;
  if (meta !== undefined && meta !== null && (typeof meta !== 'object' || Array.isArray(meta))) {
    throw new SkillParseError(`invalid YAML: \`metadata\` must be a mapping, not ${describe(meta)}`);
  }
  const rawShort = meta ? optionalString(meta as Record<string, unknown>, 'short-description', 'metadata.short-description') : null;

  const name = (rawName !== null ? singleLine(rawName) : '') || singleLine(basename(dirname(path))) || 'skill';
  const description = rawDescription !== null ? singleLine(rawDescription) : '';
  const shortDescription = rawShort !== null ? singleLine(rawShort) || null : null;

  checkLength(name, MAX_NAME_LEN, 'name');
  if (description === '') throw new SkillParseError('missing field `description`');
  checkLength(description, MAX_DESCRIPTION_LEN, 'description');
  if (shortDescription !== null) checkLength(shortDescription, MAX_SHORT_DESCRIPTION_LEN, 'metadata.short-description');

  return { name, description, shortDescription, path, scope, enabled: true };
}

/**
 * Decodes the bytes read from the start of a `SKILL.md` (`complete` when they are the whole file).
 * Invalid UTF-8 is an error, as in Codex; a character cut at the end of a partial read is not.
 */
export function decodeSkillText(bytes: Uint8Array, complete: boolean): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: !complete });
  } catch {
    throw new SkillParseError('failed to read file: stream did not contain valid UTF-8');
  }
}

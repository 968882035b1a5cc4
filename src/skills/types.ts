/**
 * Skills: folders holding a `SKILL.md` whose YAML front matter names and describes a set of local
 * instructions. This module finds and reads them; it knows no wire format, no model and no thread.
 */

/** Where a skill was found, in Codex's terms (`system` and `admin` roots are not scanned here). */
export type SkillScope = 'repo' | 'user' | 'system' | 'admin';

/** One skill's metadata, read from its `SKILL.md` front matter. The file itself is never kept. */
export interface SkillMetadata {
  /** Single-line; the folder's name when the front matter has none. */
  name: string;
  /** Single-line, never empty. */
  description: string;
  /** `metadata.short-description`, single-line, or null. */
  shortDescription: string | null;
  /** The canonical absolute path of the `SKILL.md` file. */
  path: string;
  scope: SkillScope;
  /** False when `[[skills.config]]` turns it off: listed, but not shown to the model. */
  enabled: boolean;
}

/** A `SKILL.md` that could not be used, and why. */
export interface SkillError {
  path: string;
  message: string;
}

/** What a scan of some roots found. */
export interface SkillLoadOutcome {
  /** Ordered: scope (repo, user, system, admin), then name, then path; one entry per file. */
  skills: SkillMetadata[];
  errors: SkillError[];
}

/** A directory scanned for skills, with the scope its skills get. */
export interface SkillRoot {
  path: string;
  scope: SkillScope;
}

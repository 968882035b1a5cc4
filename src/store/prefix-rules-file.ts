import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { mkdirPrivate, PRIVATE_FILE_MODE } from './private-files.js';

/** The rules directory and file under the home, as Codex keeps them under its home. */
export const RULES_DIR = 'rules';
export const DEFAULT_RULES_FILE = 'default.rules';

/** What loading the rules file found: the allow prefixes, and one warning per line it ignored. */
export interface LoadedPrefixRules {
  rules: string[][];
  warnings: string[];
}

/** The line Codex writes for an allow rule: `prefix_rule(pattern=["git", "status"], decision="allow")`. */
export function prefixRuleLine(prefix: readonly string[]): string {
  return `prefix_rule(pattern=[${prefix.map((w) => JSON.stringify(w)).join(', ')}], decision="allow")`;
}

const RULE_LINE = /^prefix_rule\(\s*pattern\s*=\s*(\[.*\])\s*,\s*decision\s*=\s*"allow"\s*\)$/;

/**
 * Parses one line of the rules file: an allow rule with a pattern of JSON strings, or null. Only
 * the one-line form Codex appends is understood; anything else (other decisions, alternatives,
 * multi-line rules) is reported by the caller and ignored, which only ever means asking more.
 */
export function parsePrefixRuleLine(line: string): string[] | null {
  const m = RULE_LINE.exec(line.trim());
  if (!m) return null;
  let pattern: unknown;
  try {
    pattern = JSON.parse(m[1]!);
  } catch {
    return null;
  }
  if (!Array.isArray(pattern) || pattern.length === 0) return null;
  if (!pattern.every((w) => typeof w === 'string' && !w.includes('\0'))) return null;
  return pattern as string[];
}

/**
 * The user's command prefix rules, `<home>/rules/default.rules`, in Codex's format (one
 * `prefix_rule(…)` line per rule; `#` comments and blank lines allowed). The directory is 0700
 * and the file 0600; every change rewrites the whole file to a temporary file, syncs it and
 * renames it over the old one, so a crash leaves either the old or the new file. A line that
 * cannot be read is reported and skipped (it is kept in the file, untouched), never fatal.
 */
export class PrefixRulesFile {
  readonly file: string;

  constructor(home: string) {
    this.file = join(home, RULES_DIR, DEFAULT_RULES_FILE);
  }

  /** Reads the rules; a missing file is no rules, an unreadable one is a warning. */
  load(): LoadedPrefixRules {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { rules: [], warnings: [] };
      return { rules: [], warnings: [`cannot read ${this.file}: ${(err as Error).message}; its command rules are ignored`] };
    }
    const rules: string[][] = [];
    const warnings: string[] = [];
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const rule = parsePrefixRuleLine(line);
      if (rule) rules.push(rule);
      else warnings.push(`${this.file}:${i + 1}: not an allow prefix_rule(pattern=[…], decision="allow") line; ignored`);
    });
    return { rules, warnings };
  }

  /** Adds an allow rule (no-op when the same line is already there); atomic; throws on failure. */
  append(prefix: readonly string[]): void {
    const line = prefixRuleLine(prefix);
    let text = '';
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text.split('\n').some((l) => l.trim() === line)) return;
    const next = `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`;
    mkdirPrivate(dirname(this.file));
    const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
    try {
      const fd = openSync(tmp, 'wx', PRIVATE_FILE_MODE);
      try {
        writeSync(fd, next);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.file);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    try {
      const dirFd = openSync(dirname(this.file), 'r');
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    } catch {
      // The rename is done; a directory that cannot be synced only weakens crash durability.
    }
  }
}

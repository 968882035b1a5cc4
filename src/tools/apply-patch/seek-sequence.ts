/**
 * Locates a chunk's lines in a file the way Codex does: exact match first, then ignoring trailing
 * whitespace, then ignoring surrounding whitespace, then after mapping typographic punctuation
 * (dashes, quotes, odd spaces) to ASCII. The first level that finds the lines wins.
 */

/** How strictly a sequence matched. */
export type MatchLevel = 'exact' | 'trimEnd' | 'trim' | 'unicode';

const LEVELS: readonly MatchLevel[] = ['exact', 'trimEnd', 'trim', 'unicode'];

const PUNCTUATION: Record<string, string> = {};
for (const c of '\u2010\u2011\u2012\u2013\u2014\u2015\u2212') PUNCTUATION[c] = '-';
for (const c of '\u2018\u2019\u201A\u201B') PUNCTUATION[c] = "'";
for (const c of '\u201C\u201D\u201E\u201F') PUNCTUATION[c] = '"';
for (const c of '\u00A0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u202F\u205F\u3000') PUNCTUATION[c] = ' ';
const PUNCTUATION_RE = new RegExp(`[${Object.keys(PUNCTUATION).join('')}]`, 'g');

/** Maps a line to its comparison key at `level`. */
export function normaliseLine(line: string, level: MatchLevel): string {
  switch (level) {
    case 'exact':
      return line;
    case 'trimEnd':
      return line.trimEnd();
    case 'trim':
      return line.trim();
    case 'unicode':
      return line.trim().replace(PUNCTUATION_RE, (c) => PUNCTUATION[c] ?? c);
  }
}

/** Where a sequence was found. */
export interface SeekMatch {
  index: number;
  level: MatchLevel;
}

/**
 * A file's lines prepared for repeated searches. Each level's normalised lines and an index from
 * line to positions are built once, on first use, so locating many chunks in a large file costs
 * about one pass per level instead of a scan per chunk and candidate.
 */
export class LineMatcher {
  private readonly keys = new Map<MatchLevel, { lines: string[]; positions: Map<string, number[]> }>();

  constructor(readonly lines: readonly string[]) {}

  /**
   * Finds `pattern` at or after `start`. With `eof`, a match that ends at the last line is tried
   * first (the chunk was marked `*** End of File`), then the normal forward search.
   */
  seek(pattern: readonly string[], start: number, eof: boolean): SeekMatch | null {
    if (pattern.length === 0) return { index: start, level: 'exact' };
    if (pattern.length > this.lines.length) return null;
    if (eof) {
      const at = this.lines.length - pattern.length;
      if (at >= start) {
        for (const level of LEVELS) {
          if (this.matchesAt(pattern.map((l) => normaliseLine(l, level)), at, level)) return { index: at, level };
        }
      }
    }
    for (const level of LEVELS) {
      const index = this.find(pattern, start, level);
      if (index !== null) return { index, level };
    }
    return null;
  }

  private levelKeys(level: MatchLevel): { lines: string[]; positions: Map<string, number[]> } {
    let k = this.keys.get(level);
    if (!k) {
      const lines = this.lines.map((l) => normaliseLine(l, level));
      const positions = new Map<string, number[]>();
      lines.forEach((l, i) => {
        const list = positions.get(l);
        if (list) list.push(i);
        else positions.set(l, [i]);
      });
      k = { lines, positions };
      this.keys.set(level, k);
    }
    return k;
  }

  private matchesAt(normPattern: readonly string[], at: number, level: MatchLevel): boolean {
    const { lines } = this.levelKeys(level);
    for (let j = 0; j < normPattern.length; j++) if (lines[at + j] !== normPattern[j]) return false;
    return true;
  }

  private find(pattern: readonly string[], start: number, level: MatchLevel): number | null {
    const normPattern = pattern.map((l) => normaliseLine(l, level));
    const candidates = this.levelKeys(level).positions.get(normPattern[0]!);
    if (!candidates) return null;
    const last = this.lines.length - pattern.length;
    for (let c = lowerBound(candidates, start); c < candidates.length; c++) {
      const at = candidates[c]!;
      if (at > last) break;
      if (this.matchesAt(normPattern, at, level)) return at;
    }
    return null;
  }
}

/** First index in sorted `xs` whose value is >= `x`. */
function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

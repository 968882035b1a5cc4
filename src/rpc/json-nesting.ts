const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether the JSON text in `line` nests arrays/objects deeper than `limit`.
 *
 * JSON.parse copes with deep input, but JSON.stringify, zod and any recursive walk do not, so a
 * deeply nested request is refused before it reaches them. Brackets inside strings don't count.
 * Most lines hold fewer brackets than the limit in total, which memchr-speed counting proves
 * without the byte-by-byte scan.
 */
export function exceedsNestingDepth(line: Buffer, limit: number): boolean {
  if (countUpTo(line, OPEN_BRACKET, limit + 1) + countUpTo(line, OPEN_BRACE, limit + 1) <= limit) {
    return false;
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

/** Occurrences of `byte` in `buf`, counting no further than `max`. */
function countUpTo(buf: Buffer, byte: number, max: number): number {
  let n = 0;
  let at = buf.indexOf(byte);
  while (at !== -1 && n < max) {
    n++;
    at = buf.indexOf(byte, at + 1);
  }
  return n;
}

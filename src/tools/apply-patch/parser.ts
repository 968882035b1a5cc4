/**
 * Parser for the Codex `apply_patch` format:
 *
 * ```
 * *** Begin Patch
 * *** Add File: <path>        followed by `+` lines
 * *** Delete File: <path>
 * *** Update File: <path>     optionally followed by `*** Move to: <path>`, then chunks:
 * @@ [context line]           (the first chunk may omit the `@@`)
 *  context / -removed / +added lines
 * *** End of File             (optional: the chunk must match at the end of the file)
 * *** End Patch
 * ```
 *
 * Lenient like Codex: surrounding whitespace, whitespace-padded markers, a heredoc wrapper
 * (`apply_patch <<'EOF' … EOF`), CRLF line endings, blank lines between chunks. Errors name the
 * 1-based line of the text the model sent and say what was expected there.
 */

/** One `@@` chunk of an update: `oldLines` are replaced by `newLines`. */
export interface UpdateChunk {
  /**
   * `@@ <context>` lines, outermost first. Each narrows the search: the chunk's lines must come
   * after the line matching each context in turn.
   */
  contexts: string[];
  oldLines: string[];
  newLines: string[];
  /**
   * The diff tag of each body line in order (' ', '-' or '+'), so that the applier can keep the
   * file's own text for context lines that matched only fuzzily.
   */
  tags: string;
  /** `*** End of File` followed the chunk: its lines should match at the end of the file. */
  isEndOfFile: boolean;
}

/** One file operation of a patch, with the path exactly as written in the patch. */
export type PatchHunk =
  | { type: 'add'; path: string; contents: string; line: number }
  | { type: 'delete'; path: string; line: number }
  | { type: 'update'; path: string; movePath: string | null; chunks: UpdateChunk[]; line: number };

/** A parsed patch. */
export interface ParsedPatch {
  hunks: PatchHunk[];
}

/** A patch the parser rejects. `line` is 1-based in the text given to `parsePatch` (0: whole patch). */
export class PatchParseError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
  ) {
    super(line > 0 ? `Invalid patch at line ${line}: ${reason}` : `Invalid patch: ${reason}`);
    this.name = 'PatchParseError';
  }
}

const BEGIN = '*** Begin Patch';
const END = '*** End Patch';
const ADD = '*** Add File: ';
const DELETE = '*** Delete File: ';
const UPDATE = '*** Update File: ';
const MOVE = '*** Move to: ';
const EOF_MARKER = '*** End of File';
const HEREDOC_OPEN = /^(?:apply_patch\s+|applypatch\s+)?<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1\s*$/;

/** A line with its 1-based number in the original text. */
interface Line {
  text: string;
  no: number;
}

/** Parses patch text; throws `PatchParseError` with the offending line. */
export function parsePatch(text: string): ParsedPatch {
  const body = patchBody(text);
  const hunks: PatchHunk[] = [];
  let i = 0;
  while (i < body.length) {
    const line = body[i]!;
    if (line.text.trim() === '') {
      i++;
      continue;
    }
    const parsed = parseHunk(body, i);
    hunks.push(parsed.hunk);
    i = parsed.next;
  }
  return { hunks };
}

/** Strips the envelope (and a heredoc wrapper) and returns the lines between the markers. */
function patchBody(text: string): Line[] {
  const all = text.split(/\r?\n/).map((t, idx) => ({ text: t, no: idx + 1 }));
  let first = 0;
  let last = all.length - 1;
  while (first <= last && all[first]!.text.trim() === '') first++;
  while (last >= first && all[last]!.text.trim() === '') last--;
  if (first > last) throw new PatchParseError(`the patch is empty; it must start with '${BEGIN}'`, 0);

  const heredoc = HEREDOC_OPEN.exec(all[first]!.text.trim());
  if (heredoc && last - first >= 1 && all[last]!.text.trim().endsWith(heredoc[2]!)) {
    first++;
    last--;
    while (first <= last && all[first]!.text.trim() === '') first++;
    while (last >= first && all[last]!.text.trim() === '') last--;
    if (first > last) throw new PatchParseError(`the heredoc is empty; it must contain a patch`, all[first - 1]!.no);
  }
  const begin = all[first]!;
  if (begin.text.trim() !== BEGIN) {
    throw new PatchParseError(`expected '${BEGIN}' as the first line, got '${begin.text}'`, begin.no);
  }
  const end = all[last]!;
  if (last === first || end.text.trim() !== END) {
    throw new PatchParseError(`expected '${END}' as the last line, got '${end.text}'`, end.no);
  }
  return all.slice(first + 1, last);
}

/** Whether a (trimmed) line is `marker` followed by whitespace or nothing (a missing path). */
function hasMarker(trimmed: string, marker: string): boolean {
  const bare = marker.trimEnd();
  return trimmed.startsWith(bare) && (trimmed.length === bare.length || /\s/.test(trimmed[bare.length]!));
}

/** A file header, possibly indented (models sometimes pad markers). */
function isFileHeader(text: string): boolean {
  const trimmed = text.trim();
  return hasMarker(trimmed, ADD) || hasMarker(trimmed, DELETE) || hasMarker(trimmed, UPDATE);
}

function headerPath(line: Line, marker: string): string {
  const path = line.text.trim().slice(marker.trimEnd().length).trim();
  if (path === '') throw new PatchParseError(`'${marker.trim()}' needs a file path`, line.no);
  return path;
}

function parseHunk(lines: Line[], start: number): { hunk: PatchHunk; next: number } {
  const header = lines[start]!;
  const trimmed = header.text.trim();
  if (hasMarker(trimmed, ADD)) {
    const path = headerPath(header, ADD);
    let i = start + 1;
    const content: string[] = [];
    while (i < lines.length && lines[i]!.text.startsWith('+')) {
      content.push(lines[i]!.text.slice(1));
      i++;
    }
    const contents = content.length > 0 ? content.join('\n') + '\n' : '';
    return { hunk: { type: 'add', path, contents, line: header.no }, next: i };
  }
  if (hasMarker(trimmed, DELETE)) {
    return { hunk: { type: 'delete', path: headerPath(header, DELETE), line: header.no }, next: start + 1 };
  }
  if (hasMarker(trimmed, UPDATE)) return parseUpdate(lines, start);
  throw new PatchParseError(
    `'${header.text}' is not a valid hunk header. Valid hunk headers: '${ADD}{path}', '${DELETE}{path}', '${UPDATE}{path}'`,
    header.no,
  );
}

function parseUpdate(lines: Line[], start: number): { hunk: PatchHunk; next: number } {
  const header = lines[start]!;
  const path = headerPath(header, UPDATE);
  let i = start + 1;
  let movePath: string | null = null;
  if (i < lines.length && hasMarker(lines[i]!.text.trim(), MOVE)) {
    movePath = headerPath(lines[i]!, MOVE);
    i++;
  }
  const chunks: UpdateChunk[] = [];
  while (i < lines.length) {
    const text = lines[i]!.text;
    if (text.trim() === '') {
      i++;
      continue;
    }
    // A line starting with `*` ends the update: the next file header (or a stray marker the
    // next hunk parse will report precisely).
    if (text.startsWith('*') || isFileHeader(text)) break;
    const parsed = parseChunk(lines, i, chunks.length === 0);
    chunks.push(parsed.chunk);
    i = parsed.next;
  }
  if (chunks.length === 0) {
    throw new PatchParseError(`update of '${path}' has no changes; expected '@@' followed by ' ', '-' or '+' lines`, header.no);
  }
  return { hunk: { type: 'update', path, movePath, chunks, line: header.no }, next: i };
}

function isContextHeader(text: string): boolean {
  return text.trim() === '@@' || text.startsWith('@@ ') || text.startsWith('@@\t');
}

function parseChunk(lines: Line[], start: number, first: boolean): { chunk: UpdateChunk; next: number } {
  const contexts: string[] = [];
  let i = start;
  while (i < lines.length && isContextHeader(lines[i]!.text)) {
    const ctx = lines[i]!.text.trim().slice(2).trim();
    if (ctx !== '') contexts.push(ctx);
    i++;
  }
  if (i === start && !first) {
    throw new PatchParseError(
      `expected a chunk header '@@' or '@@ <context line>', got '${lines[i]!.text}'`,
      lines[i]!.no,
    );
  }
  const chunk: UpdateChunk = { contexts, oldLines: [], newLines: [], tags: '', isEndOfFile: false };
  const bodyStart = i;
  for (; i < lines.length; i++) {
    const text = lines[i]!.text;
    if (text.trim() === EOF_MARKER) {
      if (i === bodyStart) break;
      chunk.isEndOfFile = true;
      i++;
      break;
    }
    if (isFileHeader(text)) break;
    const tag = text[0];
    if (tag === undefined) {
      // An empty line inside a chunk is an empty context line (models often drop the space).
      chunk.oldLines.push('');
      chunk.newLines.push('');
      chunk.tags += ' ';
    } else if (tag === ' ') {
      chunk.oldLines.push(text.slice(1));
      chunk.newLines.push(text.slice(1));
      chunk.tags += ' ';
    } else if (tag === '-') {
      chunk.oldLines.push(text.slice(1));
      chunk.tags += '-';
    } else if (tag === '+') {
      chunk.newLines.push(text.slice(1));
      chunk.tags += '+';
    } else if (i === bodyStart && !text.startsWith('*') && !text.startsWith('@@')) {
      throw new PatchParseError(
        `unexpected line in update chunk: '${text}'. Every line should start with ' ' (context line), '+' (added line), or '-' (removed line)`,
        lines[i]!.no,
      );
    } else {
      break;
    }
  }
  if (i === bodyStart) {
    const at = lines[bodyStart] ?? lines[bodyStart - 1]!;
    throw new PatchParseError(`the chunk has no lines; expected ' ', '-' or '+' lines after '@@'`, at.no);
  }
  // Trailing empty lines are most often the blank separator before the next chunk or file,
  // not context the model meant to match: drop them.
  while (
    chunk.oldLines.length > 0 &&
    lines[i - 1]!.text === '' &&
    chunk.oldLines.at(-1) === '' &&
    chunk.newLines.at(-1) === ''
  ) {
    chunk.oldLines.pop();
    chunk.newLines.pop();
    chunk.tags = chunk.tags.slice(0, -1);
    i--;
  }
  return { chunk, next: i };
}

import path from 'node:path';
import { createTwoFilesPatch, OMIT_HEADERS } from 'diff';
import { readRegularFile } from '../../util/read-regular-file.js';
import { parsePatch, type UpdateChunk } from './parser.js';
import { LineMatcher } from './seek-sequence.js';

/** A patch that parses but cannot be applied to the files as they are (the model can retry). */
export class PatchApplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatchApplyError';
  }
}

/** What a patch does to one file, computed without writing anything. */
export interface PlannedFile {
  kind: 'add' | 'delete' | 'update';
  /** Absolute path of the file the hunk names. */
  path: string;
  /** Absolute destination of `*** Move to:` (update only), else null. */
  movePath: string | null;
  /** The path as the patch wrote it (the move target for moves), for messages to the model. */
  displayPath: string;
  /** Content before the change (null: the file does not exist). */
  oldContent: string | null;
  /** Content after the change (null: the file is deleted). */
  newContent: string | null;
  /** Unified diff of old → new, hunks only with one line of context, as Codex makes them. */
  diff: string;
  /**
   * The real path of the file `oldContent` was read from, as opened (null: nothing was read from
   * disk). The path check covers it: a symlink swapped after the read cannot hide that the
   * content came from outside the roots (the daemon's own /proc/self/environ, say).
   */
  readFrom: string | null;
}

/** The largest file a patch reads (and so rewrites); bigger ones are refused, not buffered. */
export const MAX_PATCH_FILE_BYTES = 64 * 1024 * 1024;

/** Every change a patch makes, in patch order. Hunks on the same file see earlier hunks' result. */
export interface PatchPlan {
  cwd: string;
  files: PlannedFile[];
}

/**
 * Parses `text` and computes each file's new content against the files under `cwd`, writing
 * nothing. Throws `PatchParseError` for a malformed patch and `PatchApplyError` when a hunk does
 * not match, a file to update or delete is missing, or the patch is empty.
 */
export async function planPatch(text: string, cwd: string, readEditorText?: (path: string) => Promise<string>): Promise<PatchPlan> {
  const { hunks } = parsePatch(text);
  if (hunks.length === 0) throw new PatchApplyError('No files were modified: the patch contains no file operations.');
  // Planned contents by absolute path, so a later hunk sees an earlier hunk's result.
  const planned = new Map<string, string | null>();
  const readFrom = new Map<string, string>();
  const current = async (abs: string, display: string): Promise<string | null> => {
    if (planned.has(abs)) return planned.get(abs) ?? null;
    const read = await readIfExists(abs, display);
    if (read === null) return null;
    readFrom.set(abs, read.realPath);
    // A file the editor has open is patched as its buffer reads (unsaved changes win); the disk
    // read above still decides that it exists, is a regular file, and where it really is.
    if (readEditorText) {
      try {
        return await readEditorText(abs);
      } catch {
        return read.content;
      }
    }
    return read.content;
  };

  const files: PlannedFile[] = [];
  for (const hunk of hunks) {
    const abs = path.resolve(cwd, hunk.path);
    const oldContent = await current(abs, hunk.path);
    if (hunk.type === 'add') {
      planned.set(abs, hunk.contents);
      files.push(entry('add', abs, null, hunk.path, oldContent, hunk.contents, readFrom.get(abs)));
    } else if (hunk.type === 'delete') {
      if (oldContent === null) throw new PatchApplyError(`Failed to delete ${hunk.path}: the file does not exist`);
      planned.set(abs, null);
      files.push(entry('delete', abs, null, hunk.path, oldContent, null, readFrom.get(abs)));
    } else {
      if (oldContent === null) throw new PatchApplyError(`Failed to read file to update ${hunk.path}: the file does not exist`);
      const newContent = applyChunks(oldContent, hunk.chunks, hunk.path);
      const moveAbs = hunk.movePath === null ? null : path.resolve(cwd, hunk.movePath);
      if (moveAbs !== null && moveAbs !== abs) {
        await current(moveAbs, hunk.movePath!);
        planned.set(abs, null);
        planned.set(moveAbs, newContent);
      } else {
        planned.set(abs, newContent);
      }
      files.push(entry('update', abs, moveAbs, hunk.movePath ?? hunk.path, oldContent, newContent, readFrom.get(abs)));
    }
  }
  return { cwd, files };
}

function entry(
  kind: PlannedFile['kind'],
  abs: string,
  movePath: string | null,
  displayPath: string,
  oldContent: string | null,
  newContent: string | null,
  readFrom: string | undefined,
): PlannedFile {
  const diff = createTwoFilesPatch(displayPath, displayPath, oldContent ?? '', newContent ?? '', undefined, undefined, {
    context: 1,
    headerOptions: OMIT_HEADERS,
  });
  return { kind, path: abs, movePath, displayPath, oldContent, newContent, diff, readFrom: readFrom ?? null };
}

/**
 * Reads a file a patch names, as the daemon (before any sandbox): only a regular file, without
 * blocking on a FIFO, within the size cap, with the real path of what was opened.
 */
async function readIfExists(abs: string, display: string): Promise<{ content: string; realPath: string } | null> {
  try {
    const r = await readRegularFile(abs, MAX_PATCH_FILE_BYTES);
    return r === null ? null : { content: r.bytes.toString('utf8'), realPath: r.realPath };
  } catch (err) {
    throw new PatchApplyError(`Failed to read ${display}: ${(err as Error).message}`);
  }
}

/**
 * Applies update chunks to `content` and returns the new content (always ending with a newline,
 * like Codex). Chunks are located in order with fuzzy sequence seeking; each search starts where
 * the previous chunk ended, so the whole update is one forward pass over the file. Throws
 * `PatchApplyError` naming `displayPath` when a chunk does not match. CRLF files keep CRLF.
 */
export function applyChunks(content: string, chunks: readonly UpdateChunk[], displayPath: string): string {
  const crlf = content.includes('\r\n') && !/(^|[^\r])\n/.test(content);
  const lines = (crlf ? content.replaceAll('\r\n', '\n') : content).split('\n');
  if (lines.at(-1) === '') lines.pop();
  const matcher = new LineMatcher(lines);
  const replacements: { start: number; count: number; lines: string[] }[] = [];
  let from = 0;
  for (const chunk of chunks) {
    for (const ctx of chunk.contexts) {
      const m = matcher.seek([ctx], from, false);
      if (!m) throw new PatchApplyError(`Failed to find context '${ctx}' in ${displayPath}`);
      from = m.index + 1;
    }
    if (chunk.oldLines.length === 0) {
      // A pure addition goes right after its `@@` context when it has one, else at the end.
      const at = chunk.contexts.length > 0 && !chunk.isEndOfFile ? from : lines.length;
      replacements.push({ start: at, count: 0, lines: chunk.newLines });
      continue;
    }
    let pattern = chunk.oldLines;
    let replacement = chunk.newLines;
    let m = matcher.seek(pattern, from, chunk.isEndOfFile);
    if (!m && pattern.at(-1) === '') {
      // A trailing blank context line often stands for the end of the file: retry without it.
      pattern = pattern.slice(0, -1);
      if (replacement.at(-1) === '') replacement = replacement.slice(0, -1);
      m = matcher.seek(pattern, from, chunk.isEndOfFile);
    }
    if (!m) throw new PatchApplyError(`Failed to find expected lines in ${displayPath}:\n${chunk.oldLines.join('\n')}`);
    replacements.push({
      start: m.index,
      count: pattern.length,
      lines: m.level === 'exact' ? replacement : keepFileContext(chunk.tags, lines, m.index, pattern.length, replacement),
    });
    from = m.index + pattern.length;
  }

  replacements.sort((a, b) => a.start - b.start);
  const out: string[] = [];
  let cursor = 0;
  for (const r of replacements) {
    if (r.start < cursor) throw new PatchApplyError(`Overlapping chunks in ${displayPath}: a chunk matched inside an earlier one`);
    for (let i = cursor; i < r.start; i++) out.push(lines[i]!);
    for (const l of r.lines) out.push(l);
    cursor = r.start + r.count;
  }
  for (let i = cursor; i < lines.length; i++) out.push(lines[i]!);
  if (out.length === 0) return '';
  const eol = crlf ? '\r\n' : '\n';
  return out.join(eol) + eol;
}

/**
 * Rebuilds a fuzzily matched chunk's replacement with the file's own text for its context lines,
 * so that whitespace or punctuation the model got wrong in context is not rewritten.
 */
function keepFileContext(tags: string, file: readonly string[], start: number, matched: number, replacement: string[]): string[] {
  const out: string[] = [];
  let o = 0;
  let n = 0;
  for (const tag of tags) {
    if (n >= replacement.length && tag !== '-') break;
    if (tag === ' ') {
      out.push(o < matched ? file[start + o]! : replacement[n]!);
      o++;
      n++;
    } else if (tag === '-') {
      o++;
    } else {
      out.push(replacement[n]!);
      n++;
    }
  }
  return out;
}

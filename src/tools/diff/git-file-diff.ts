import { createHash } from 'node:crypto';
import { structuredPatch } from 'diff';

/** One side of a file diff: its content and git mode (`100644`, `100755`), or absent. */
export interface FileSide {
  content: Buffer;
  mode: string;
}

/** What to render for one file: before and after, with the paths each side has (relative, `/`). */
export interface FileDiffInput {
  oldPath: string;
  newPath: string;
  before: FileSide | null;
  after: FileSide | null;
}

const ZERO_OID = '0000000';
/** git looks at this many leading bytes for a NUL to decide a file is binary. */
const BINARY_SNIFF_BYTES = 8000;
/** git truncates the function-name context after `@@` to this many bytes. */
const FUNCNAME_MAX_BYTES = 80;

/** The git blob id of `content`: SHA-1 of `blob <len>\0<content>`. */
export function gitBlobSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** Whether git would treat `content` as binary (a NUL byte near the start). */
export function isBinary(content: Buffer): boolean {
  return content.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

/**
 * Renders one file's change as `git diff` does: the `diff --git` header, new/deleted file or mode
 * lines, rename lines, the abbreviated `index` line, `---`/`+++`, and hunks with 3 lines of context
 * and git's default function-name context. Returns '' when nothing changed.
 */
export function renderGitFileDiff(input: FileDiffInput): string {
  const { before, after } = input;
  if (!before && !after) return '';
  const renamed = before !== null && after !== null && input.oldPath !== input.newPath;
  const sameContent = before !== null && after !== null && before.content.equals(after.content);
  if (!renamed && sameContent && before.mode === after.mode) return '';

  const oldPath = before ? input.oldPath : input.newPath;
  const newPath = after ? input.newPath : input.oldPath;
  const out: string[] = [`diff --git a/${oldPath} b/${newPath}`];
  const oldOid = before ? gitBlobSha1(before.content).slice(0, 7) : ZERO_OID;
  const newOid = after ? gitBlobSha1(after.content).slice(0, 7) : ZERO_OID;

  if (!before) {
    out.push(`new file mode ${after!.mode}`, `index ${oldOid}..${newOid}`);
  } else if (!after) {
    out.push(`deleted file mode ${before.mode}`, `index ${oldOid}..${newOid}`);
  } else {
    const modeChanged = before.mode !== after.mode;
    if (modeChanged) out.push(`old mode ${before.mode}`, `new mode ${after.mode}`);
    if (renamed) {
      if (sameContent) out.push('similarity index 100%');
      out.push(`rename from ${oldPath}`, `rename to ${newPath}`);
    }
    if (!sameContent) out.push(`index ${oldOid}..${newOid}${modeChanged ? '' : ` ${before.mode}`}`);
  }
  if (sameContent) return out.join('\n') + '\n';

  const oldBuf = before?.content ?? Buffer.alloc(0);
  const newBuf = after?.content ?? Buffer.alloc(0);
  const oldLabel = before ? `a/${oldPath}` : '/dev/null';
  const newLabel = after ? `b/${newPath}` : '/dev/null';
  if (isBinary(oldBuf) || isBinary(newBuf)) {
    out.push(`Binary files ${oldLabel} and ${newLabel} differ`);
    return out.join('\n') + '\n';
  }
  const oldText = oldBuf.toString('utf8');
  const newText = newBuf.toString('utf8');
  const hunks = structuredPatch(oldPath, newPath, oldText, newText, undefined, undefined, { context: 3 }).hunks;
  // git prints no `---`/`+++` for an empty file added or removed: there are no hunks to label.
  if (hunks.length === 0) return out.join('\n') + '\n';
  out.push(`--- ${oldLabel}`, `+++ ${newLabel}`);
  const oldLines = oldText.split('\n');
  for (const h of hunks) {
    const func = funcname(oldLines, h.oldStart - 1, h.oldLines);
    out.push(`@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@${func ? ` ${func}` : ''}`);
    for (const line of h.lines) out.push(line);
  }
  return out.join('\n') + '\n';
}

/** A hunk range as git writes it: `start` alone for one line, `start-1,0` for none. */
function range(start: number, count: number): string {
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}

/**
 * git's default hunk-header context: the nearest line before the hunk that starts with a letter,
 * `_` or `$`, trailing whitespace removed, at most 80 bytes.
 */
function funcname(oldLines: readonly string[], hunkStart: number, hunkLen: number): string | null {
  if (hunkLen === 0 && hunkStart <= 0) return null;
  for (let i = Math.min(hunkStart, oldLines.length) - 1; i >= 0; i--) {
    const line = oldLines[i]!;
    if (/^[A-Za-z_$]/.test(line)) {
      const bytes = Buffer.from(line, 'utf8').subarray(0, FUNCNAME_MAX_BYTES);
      return bytes.toString('utf8').replace(/\s+$/, '');
    }
  }
  return null;
}

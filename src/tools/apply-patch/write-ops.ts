import type { PatchPlan } from './plan.js';

/**
 * One file-system step of a patch. `write` is atomic (temp file in the same directory, then
 * rename), follows a symlink at `path` to the file it names, creates parent directories and keeps
 * the mode of the file it replaces, or of `modeFrom` (a move keeps its source's mode).
 */
export type WriteOp =
  | { op: 'write'; path: string; content: string; modeFrom: string | null }
  | { op: 'unlink'; path: string };

/** The steps of a plan in patch order, with the index of the planned file each belongs to. */
export function writeOps(plan: PatchPlan): { ops: WriteOp[]; fileOf: number[] } {
  const ops: WriteOp[] = [];
  const fileOf: number[] = [];
  plan.files.forEach((file, i) => {
    const add = (op: WriteOp): void => {
      ops.push(op);
      fileOf.push(i);
    };
    if (file.kind === 'delete') {
      add({ op: 'unlink', path: file.path });
    } else if (file.kind === 'update' && file.movePath !== null && file.movePath !== file.path) {
      add({ op: 'write', path: file.movePath, content: file.newContent ?? '', modeFrom: file.path });
      add({ op: 'unlink', path: file.path });
    } else {
      add({ op: 'write', path: file.path, content: file.newContent ?? '', modeFrom: null });
    }
  });
  return { ops, fileOf };
}

/**
 * The program the sandboxed writer runs (`node -e`): it reads `WriteOp[]` as JSON on stdin and
 * performs them in order, printing one JSON line per step (`{"i":n,"ok":true}` or, for the first
 * failure, `{"i":n,"ok":false,"code":…,"error":…}` and it stops). Self-contained CommonJS, so it
 * runs from any build (the sources, dist) with the same Node binary as the daemon. Its stdout is
 * the writer child's own pipe back to the daemon, never the daemon's protocol stream.
 */
export const WRITER_SCRIPT = String.raw`
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const modeOf = (p) => { try { return fs.statSync(p).mode & 0o7777; } catch { return undefined; } };
function write(op) {
  let real = op.path;
  try { if (fs.lstatSync(real).isSymbolicLink()) real = fs.realpathSync(real); } catch {}
  const dir = path.dirname(real);
  fs.mkdirSync(dir, { recursive: true });
  const mode = op.modeFrom !== null ? modeOf(op.modeFrom) : modeOf(real);
  const tmp = path.join(dir, '.' + path.basename(real) + '.' + crypto.randomBytes(6).toString('hex') + '.tmp');
  try {
    fs.writeFileSync(tmp, op.content, { encoding: 'utf8', flag: 'wx' });
    if (mode !== undefined) fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, real);
  } catch (err) {
    try { fs.unlinkSync(tmp); } catch {}
    throw err;
  }
}
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const ops = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  for (let i = 0; i < ops.length; i++) {
    try {
      if (ops[i].op === 'unlink') fs.unlinkSync(ops[i].path); else write(ops[i]);
      process.stdout.write(JSON.stringify({ i, ok: true }) + '\n');
    } catch (err) {
      process.stdout.write(JSON.stringify({ i, ok: false, code: err.code || null, error: String(err.message) }) + '\n');
      process.exitCode = 1;
      return;
    }
  }
});
`;

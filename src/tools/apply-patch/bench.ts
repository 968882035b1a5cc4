import { parsePatch } from './parser.js';
import { applyChunks } from './plan.js';

/**
 * Applies the update hunks of `patchText` for `path` to `content` in memory and returns the new
 * content: the core of `planPatch` without the file system, for benchmarks and quick checks.
 * Throws like `planPatch` when the patch is malformed or a chunk does not match.
 */
export function applyPatchToText(content: string, patchText: string, path: string): string {
  let current = content;
  for (const hunk of parsePatch(patchText).hunks) {
    if (hunk.type === 'update' && hunk.path === path) current = applyChunks(current, hunk.chunks, hunk.path);
  }
  return current;
}

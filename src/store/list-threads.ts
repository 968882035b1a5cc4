import { resolve } from 'node:path';
import { InvalidCursorError } from './errors.js';
import type { ListThreadsQuery, ListThreadsResult, SortKey, ThreadMeta } from './types.js';

/** Page size when the query gives none. */
export const DEFAULT_LIST_LIMIT = 25;
/** Largest page a query may ask for. */
export const MAX_LIST_LIMIT = 200;

interface CursorData {
  k: SortKey;
  d: 'asc' | 'desc';
  v: number;
  id: string;
}

/**
 * Filters, sorts and pages thread metas. Order is by the sort key, then by id in the same
 * direction, so threads with equal timestamps keep a stable order. The cursor is keyset-based
 * (the last row's key and id), so pages stay consistent while threads are added or removed.
 */
export function listThreads(all: Iterable<ThreadMeta>, q: ListThreadsQuery): ListThreadsResult {
  const sortKey: SortKey = q.sortKey ?? 'created_at';
  const dir = q.sortDirection ?? 'desc';
  const limit = clampLimit(q.limit);
  const archived = q.archived ?? false;
  const cwd = q.cwd ? resolve(q.cwd) : null;
  const term = q.searchTerm ? q.searchTerm.toLowerCase() : null;
  const keyOf = (t: ThreadMeta) => (sortKey === 'created_at' ? t.createdAt : t.updatedAt);
  const sign = dir === 'asc' ? 1 : -1;
  const cmp = (av: number, aid: string, bv: number, bid: string) =>
    sign * (av !== bv ? av - bv : aid < bid ? -1 : aid > bid ? 1 : 0);

  let rows: ThreadMeta[] = [];
  for (const t of all) {
    if (t.archived !== archived) continue;
    if (cwd !== null && resolve(t.cwd) !== cwd) continue;
    if (term !== null && !`${t.name ?? ''}\n${t.preview}`.toLowerCase().includes(term)) continue;
    rows.push(t);
  }
  rows.sort((a, b) => cmp(keyOf(a), a.id, keyOf(b), b.id));

  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    if (c.k !== sortKey || c.d !== dir) throw new InvalidCursorError(q.cursor);
    rows = rows.filter((t) => cmp(keyOf(t), t.id, c.v, c.id) > 0);
  }
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor =
    rows.length > limit && last ? encodeCursor({ k: sortKey, d: dir, v: keyOf(last), id: last.id }) : null;
  return { data: page, nextCursor };
}

function clampLimit(limit: number | null | undefined): number {
  if (limit == null || !Number.isFinite(limit)) return DEFAULT_LIST_LIMIT;
  return Math.min(MAX_LIST_LIMIT, Math.max(1, Math.floor(limit)));
}

function encodeCursor(c: CursorData): string {
  return Buffer.from(JSON.stringify([c.k, c.d, c.v, c.id]), 'utf8').toString('base64url');
}

function decodeCursor(s: string): CursorData {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (
      Array.isArray(v) &&
      v.length === 4 &&
      (v[0] === 'created_at' || v[0] === 'updated_at') &&
      (v[1] === 'asc' || v[1] === 'desc') &&
      typeof v[2] === 'number' &&
      typeof v[3] === 'string'
    ) {
      return { k: v[0], d: v[1], v: v[2], id: v[3] };
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError(s);
}

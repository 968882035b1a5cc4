import { listModels } from '../../config/models.js';
import { configReadView } from '../../config/config-view.js';
import type { ThreadOverrides, ThreadRecord } from '../../core/thread-manager.js';
import type { ThreadSettings } from '../../core/settings.js';
import type { Session } from '../../core/session.js';
import type { UserInput } from '../../core/items.js';
import type { SandboxPolicy } from '../../tools/types.js';
import type { AppServerDeps, Connection } from './app-server.js';
import { initializeResult } from './initialize-result.js';
import { sandboxModeOf, wireThread, wireTurn } from './wire.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- params arrive zod-validated */
export type HandlerTable = Record<string, (params: any) => unknown>;

interface HandlerDeps extends AppServerDeps {
  conn: Connection;
  notify(method: string, params: unknown): void;
}

/** Normalises a wire sandbox policy (defaults filled in). */
function sandboxPolicyFrom(p: any): SandboxPolicy | null {
  if (!p) return null;
  if (p.type === 'dangerFullAccess') return { type: 'dangerFullAccess' };
  if (p.type === 'readOnly') return { type: 'readOnly', networkAccess: !!p.networkAccess };
  if (p.type === 'workspaceWrite') {
    return {
      type: 'workspaceWrite',
      writableRoots: p.writableRoots ?? [],
      networkAccess: !!p.networkAccess,
      excludeTmpdirEnvVar: !!p.excludeTmpdirEnvVar,
      excludeSlashTmp: !!p.excludeSlashTmp,
    };
  }
  return null;
}

function threadOverrides(p: any): ThreadOverrides {
  return {
    model: p.model,
    modelProvider: p.modelProvider,
    cwd: p.cwd,
    approvalPolicy: p.approvalPolicy,
    sandboxMode: p.sandbox,
    baseInstructions: p.baseInstructions,
    developerInstructions: p.developerInstructions,
  };
}

/** The response shape shared by thread/start, resume and fork. */
function threadResponse(record: ThreadRecord, session: Session, includeTurns: boolean) {
  const s = session.settings();
  return {
    thread: wireThread(record, session.status(), includeTurns ? session.turns() : []),
    model: s.model,
    modelProvider: s.modelProvider,
    cwd: s.cwd,
    approvalPolicy: s.approvalPolicy,
    approvalsReviewer: 'user',
    sandbox: s.sandboxPolicy,
    reasoningEffort: s.reasoningEffort,
    instructionSources: [],
  };
}

function turnOverrides(p: any): Partial<ThreadSettings> {
  const out: Partial<ThreadSettings> = {};
  if (p.cwd) out.cwd = p.cwd;
  if (p.approvalPolicy) out.approvalPolicy = p.approvalPolicy;
  const sandbox = sandboxPolicyFrom(p.sandboxPolicy);
  if (sandbox) out.sandboxPolicy = sandbox;
  if (p.model) out.model = p.model;
  if (p.effort) out.reasoningEffort = p.effort;
  if (p.summary) out.reasoningSummary = p.summary;
  return out;
}

function paginate<T>(all: T[], cursor: string | null | undefined, limit: number | null | undefined) {
  const start = cursor ? Math.max(0, Number.parseInt(cursor, 10) || 0) : 0;
  const n = Math.min(Math.max(limit ?? 50, 1), 500);
  const data = all.slice(start, start + n);
  return { data, nextCursor: start + n < all.length ? String(start + n) : null };
}

/** The request handlers of the app-server face, by method name. */
export function createHandlers(d: HandlerDeps): HandlerTable {
  const { threads, conn } = d;
  const subscribe = (id: string) => conn.subscribed.add(id);

  return {
    initialize: (p: any) => {
      for (const m of p.capabilities?.optOutNotificationMethods ?? []) conn.optOut.add(m);
      return initializeResult(d.version, d.config.home);
    },

    'thread/start': (p: any) => {
      const { session, record } = threads.start(threadOverrides(p), { ephemeral: p.ephemeral ?? false });
      subscribe(record.id);
      const res = threadResponse(record, session, false);
      setImmediate(() => d.notify('thread/started', { thread: res.thread }));
      return res;
    },

    'thread/resume': async (p: any) => {
      const { session, record } = await threads.resume(p.threadId, threadOverrides(p));
      subscribe(record.id);
      return threadResponse(record, session, !p.excludeTurns);
    },

    'thread/fork': async (p: any) => {
      const { session, record, turns } = await threads.fork(p.threadId, threadOverrides(p), {
        ephemeral: p.ephemeral ?? false,
        lastTurnId: p.lastTurnId ?? null,
      });
      subscribe(record.id);
      const res = threadResponse(record, session, false);
      res.thread.turns = turns.map((t) => wireTurn(t));
      setImmediate(() => d.notify('thread/started', { thread: { ...res.thread, turns: [] } }));
      return res;
    },

    'thread/read': async (p: any) => {
      const snap = await threads.read(p.threadId);
      const status = snap.session ? snap.session.status() : { type: 'notLoaded' as const };
      return { thread: wireThread(snap.record, status, p.includeTurns ? snap.turns : []) };
    },

    'thread/list': (p: any) => {
      const cwd = typeof p.cwd === 'string' ? p.cwd : Array.isArray(p.cwd) ? p.cwd[0] : null;
      const res = threads.list({
        cursor: p.cursor,
        limit: p.limit,
        sortKey: p.sortKey,
        sortDirection: p.sortDirection,
        archived: p.archived,
        cwd,
        searchTerm: p.searchTerm,
      });
      return {
        data: res.data.map((m) => {
          const loaded = threads.get(m.id);
          return wireThread({ ...m, ephemeral: false }, loaded ? loaded.session.status() : { type: 'notLoaded' });
        }),
        nextCursor: res.nextCursor,
      };
    },

    'thread/loaded/list': (p: any) => paginate(threads.loadedIds(), p.cursor, p.limit),

    'thread/archive': async (p: any) => {
      await threads.archive(p.threadId);
      conn.subscribed.delete(p.threadId);
      d.notify('thread/archived', { threadId: p.threadId });
      return {};
    },

    'thread/unarchive': async (p: any) => {
      const record = await threads.unarchive(p.threadId);
      d.notify('thread/unarchived', { threadId: p.threadId });
      return { thread: wireThread(record, { type: 'notLoaded' }) };
    },

    'thread/delete': async (p: any) => {
      await threads.delete(p.threadId);
      conn.subscribed.delete(p.threadId);
      return {};
    },

    'thread/unsubscribe': async (p: any) => {
      const loaded = threads.get(p.threadId);
      if (!loaded) return { status: 'notLoaded' };
      if (!conn.subscribed.delete(p.threadId)) return { status: 'notSubscribed' };
      // This connection was the thread's only subscriber: unload it.
      await threads.unload(p.threadId);
      d.notify('thread/closed', { threadId: p.threadId });
      return { status: 'unsubscribed' };
    },

    'thread/name/set': (p: any) => {
      threads.setName(p.threadId, p.name);
      return {};
    },

    'turn/start': async (p: any) => {
      const { session } = threads.require(p.threadId);
      const turn = await session.submit(p.input as UserInput[], turnOverrides(p));
      return { turn: { ...wireTurn({ info: turn, items: [] }) } };
    },

    'turn/steer': (p: any) => {
      const { session } = threads.require(p.threadId);
      return { turnId: session.steer(p.input as UserInput[], p.expectedTurnId) };
    },

    'turn/interrupt': (p: any) => {
      const { session } = threads.require(p.threadId);
      void session.interrupt(p.turnId);
      return {};
    },

    'model/list': (p: any) => {
      const all = listModels(d.config).map((m) => ({
        id: m.id,
        model: m.model,
        displayName: m.displayName,
        description: m.description,
        hidden: false,
        isDefault: m.isDefault,
        supportedReasoningEfforts: m.supportedReasoningEfforts.map((e) => ({ reasoningEffort: e, description: e })),
        defaultReasoningEffort: m.defaultReasoningEffort ?? 'medium',
        inputModalities: ['text', 'image'],
      }));
      return paginate(all, p.cursor, p.limit);
    },

    'config/read': () => configReadView(d.config),

    'command/exec': (p: any) =>
      d.execCommand({
        command: p.command,
        cwd: p.cwd,
        env: p.env,
        sandboxPolicy: sandboxPolicyFrom(p.sandboxPolicy) ?? threads.sandboxPolicyFor(d.config.sandboxMode),
        timeoutMs: p.timeoutMs,
      }),
  };
}

export { sandboxModeOf };

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { modelInfo } from '../../../src/config/models.js';
import type { SessionEvent } from '../../../src/core/events.js';
import type { Session } from '../../../src/core/session.js';
import { ThreadManager } from '../../../src/core/thread-manager.js';
import { startMockModelServer, type MockModelServer } from '../../../src/mock/index.js';
import { StorageError } from '../../../src/store/errors.js';
import { ThreadStore } from '../../../src/store/thread-store.js';
import { TurnDiffTrackerImpl } from '../../../src/tools/diff/turn-diff-tracker.js';
import { ProcessSessionManager } from '../../../src/tools/shell/process-sessions.js';
import { silentLogger } from '../../../src/util/logger.js';
import { mockClient, probeCall, probeRegistry, ProbeTool, runTurn, testConfig } from './support.js';

let mock: MockModelServer;
let home: string;
let workspace: string;
let store: ThreadStore;
let manager: ThreadManager;
let seen: { threadId: string; event: SessionEvent }[];

function openManager(): ThreadManager {
  const client = mockClient(mock);
  const m = new ThreadManager({
    config: testConfig(home, mock),
    store,
    logger: silentLogger(),
    tools: probeRegistry(new ProbeTool()),
    modelClientFor: () => client,
    modelInfo: (model) => modelInfo(model),
    createDiffTracker: (cwd) => new TurnDiffTrackerImpl(cwd),
    cliVersion: '0.0.0-test',
  });
  m.onEvent((threadId, event) => seen.push({ threadId, event }));
  return m;
}

beforeEach(async () => {
  mock = await startMockModelServer({ host: '127.0.0.1' });
  home = mkdtempSync(join(tmpdir(), 'agentd-tm-home-'));
  workspace = join(home, 'workspace');
  mkdirSync(workspace);
  store = ThreadStore.open(home, silentLogger());
  seen = [];
  manager = openManager();
});
afterEach(async () => {
  await manager.shutdown();
  store.close();
  await mock.close();
  rmSync(home, { recursive: true, force: true });
});

function acceptAll(session: Session): void {
  session.onEvent((e) => {
    if (e.type === 'approval_requested') session.resolveApproval(e.requestId, 'accept');
  });
}

/** A thread with two turns: one using the tool, one plain. */
async function threadWithTwoTurns() {
  const { session, record } = manager.start({ cwd: workspace });
  acceptAll(session);
  mock.enqueue({ output: [probeCall('ls', { ask: true, callId: 'c1' })] }, { output: [{ type: 'text', text: 'listed' }] });
  const first = await runTurn(session, 'list the files');
  const second = await runTurn(session, 'thanks');
  return { session, record, first: first.completed, second: second.completed };
}

describe('ThreadManager.start', () => {
  it('creates a stored, loaded thread with settings from config and overrides', () => {
    const { session, record } = manager.start({ cwd: workspace, approvalPolicy: 'never' });
    expect(record).toMatchObject({ ephemeral: false, forkedFromId: null, cwd: workspace, model: 'mock-model', cliVersion: '0.0.0-test' });
    expect(existsSync(record.path)).toBe(true);
    expect(store.get(record.id)).toMatchObject({ id: record.id, path: record.path });
    expect(manager.list({}).data.map((t) => t.id)).toEqual([record.id]);
    expect(manager.loadedIds()).toEqual([record.id]);
    expect(manager.require(record.id).session).toBe(session);
    expect(session.settings()).toMatchObject({
      model: 'mock-model',
      modelProvider: 'mock',
      cwd: workspace,
      approvalPolicy: 'never',
      sandboxPolicy: { type: 'readOnly', networkAccess: false },
    });
  });

  it('keeps an ephemeral thread in memory only', async () => {
    const { session, record } = manager.start({ cwd: workspace }, { ephemeral: true });
    expect(record.ephemeral).toBe(true);
    expect(store.get(record.id)).toBeUndefined();
    expect(manager.list({}).data).toEqual([]);
    const { completed } = await runTurn(session, 'hi');
    expect(completed.status).toBe('completed');
    await expect(manager.archive(record.id)).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('refuses an unknown model provider with invalid_input', () => {
    expect(() => manager.start({ modelProvider: 'nope' })).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  });

  it('sets the preview from the first user message and forwards events with the thread id', async () => {
    const { session, record } = manager.start({ cwd: workspace });
    await runTurn(session, 'first words');
    await runTurn(session, 'second words');
    expect(store.get(record.id)!.preview).toBe('first words');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s.threadId === record.id)).toBe(true);
    expect(seen.filter((s) => s.event.type === 'turn_completed')).toHaveLength(2);
  });
});

describe('ThreadManager.resume', () => {
  it('rebuilds history, turns and token usage exactly after an unload', async () => {
    const { session, record } = await threadWithTwoTurns();
    const history = session.history();
    const turns = session.turns();
    const usage = session.tokenUsage();
    expect(history.map((i) => i.type)).toEqual(['message', 'function_call', 'function_call_output', 'message', 'message', 'message']);

    await manager.unload(record.id);
    expect(manager.get(record.id)).toBeUndefined();
    const resumed = await manager.resume(record.id);
    expect(resumed.session).not.toBe(session);
    expect(resumed.session.history()).toEqual(history);
    expect(resumed.session.turns()).toEqual(turns);
    expect(resumed.session.tokenUsage()).toEqual(usage);
    expect(resumed.session.settings()).toEqual(session.settings());
  });

  it('sends the rebuilt history with the next turn', async () => {
    const { session, record } = await threadWithTwoTurns();
    const history = session.history();
    await manager.unload(record.id);
    const resumed = await manager.resume(record.id);
    const before = mock.requests.length;
    await runTurn(resumed.session, 'one more');
    const input = mock.requests[before]!.body.input as unknown[];
    expect(input.slice(-history.length - 1, -1)).toMatchObject(history.map((h) => ({ type: h.type })));
    expect(JSON.stringify(input)).toContain('ran ls');
  });

  it('returns the loaded session when the thread is already loaded', async () => {
    const { session, record } = manager.start({ cwd: workspace });
    expect((await manager.resume(record.id)).session).toBe(session);
  });

  it('applies overrides that stick across a later resume', async () => {
    const { record } = manager.start({ cwd: workspace });
    await manager.unload(record.id);
    const withOverride = await manager.resume(record.id, { model: 'other-model', developerInstructions: 'be brief' });
    expect(withOverride.session.settings()).toMatchObject({ model: 'other-model', developerInstructions: 'be brief' });
    await manager.unload(record.id);
    const again = await manager.resume(record.id);
    expect(again.session.settings()).toMatchObject({ model: 'other-model', developerInstructions: 'be brief', cwd: workspace });
  });

  it('refuses an unknown thread with thread_not_found', async () => {
    await expect(manager.resume('no-such-thread')).rejects.toMatchObject({ code: 'thread_not_found' });
  });
});

describe('ThreadManager.read', () => {
  it('reads a stored thread without loading it', async () => {
    const { record, first, second } = await threadWithTwoTurns();
    await manager.unload(record.id);
    const snap = await manager.read(record.id);
    expect(snap.loaded).toBe(false);
    expect(snap.session).toBeNull();
    expect(snap.record).toMatchObject({ id: record.id, ephemeral: false, preview: 'list the files' });
    expect(snap.turns.map((t) => [t.info.id, t.info.status])).toEqual([
      [first.id, 'completed'],
      [second.id, 'completed'],
    ]);
    expect(snap.turns[0]!.items.map((i) => i.type)).toEqual(['userMessage', 'commandExecution', 'agentMessage']);
    expect(manager.loadedIds()).toEqual([]);
  });

  it('reads a loaded thread from its session', async () => {
    const { session, record } = await threadWithTwoTurns();
    const snap = await manager.read(record.id);
    expect(snap.loaded).toBe(true);
    expect(snap.session).toBe(session);
    expect(snap.turns).toEqual(session.turns());
  });

  it('refuses an unknown thread with thread_not_found', async () => {
    await expect(manager.read('no-such-thread')).rejects.toMatchObject({ code: 'thread_not_found' });
  });
});

describe('ThreadManager.fork', () => {
  it('copies the history into a new stored thread that remembers its origin', async () => {
    const { session, record } = await threadWithTwoTurns();
    const fork = await manager.fork(record.id, {}, {});
    expect(fork.record.id).not.toBe(record.id);
    expect(fork.record.forkedFromId).toBe(record.id);
    expect(store.get(fork.record.id)).toBeDefined();
    expect(fork.session.history()).toEqual(session.history());
    expect(fork.turns.map((t) => t.info.id)).toEqual(session.turns().map((t) => t.info.id));
    expect(fork.session.settings()).toEqual(session.settings());
  });

  it('forks a thread that is not loaded from its rollout', async () => {
    const { session, record } = await threadWithTwoTurns();
    const history = session.history();
    await manager.unload(record.id);
    const fork = await manager.fork(record.id, { model: 'other-model' }, {});
    expect(fork.session.history()).toEqual(history);
    expect(fork.session.settings().model).toBe('other-model');
  });

  it('copies only the history up to and including lastTurnId', async () => {
    const { session, record, first } = await threadWithTwoTurns();
    const firstTurnHistory = session.history().slice(0, 4);
    const fork = await manager.fork(record.id, {}, { lastTurnId: first.id });
    expect(fork.turns.map((t) => t.info.id)).toEqual([first.id]);
    expect(fork.session.history()).toEqual(firstTurnHistory);
  });

  it('refuses a lastTurnId the thread does not have', async () => {
    const { record } = await threadWithTwoTurns();
    await expect(manager.fork(record.id, {}, { lastTurnId: 'nope' })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('reads a forked thread back with the same turns it had while loaded', async () => {
    const { record } = await threadWithTwoTurns();
    const fork = await manager.fork(record.id, {}, {});
    const loadedTurns = fork.session.turns().map((t) => t.info.id);
    const history = fork.session.history();
    await manager.unload(fork.record.id);
    const snap = await manager.read(fork.record.id);
    expect(snap.turns.map((t) => t.info.id)).toEqual(loadedTurns);
    const resumed = await manager.resume(fork.record.id);
    expect(resumed.session.history()).toEqual(history);
  });
});

describe('ThreadManager names and archiving', () => {
  it('names a loaded thread, stores the name and reports it', () => {
    const { record } = manager.start({ cwd: workspace });
    expect(manager.setName(record.id, 'my thread')).toMatchObject({ id: record.id, name: 'my thread' });
    expect(store.get(record.id)!.name).toBe('my thread');
    expect(seen).toContainEqual({ threadId: record.id, event: { type: 'name_updated', name: 'my thread' } });
  });

  it('names a stored thread that is not loaded', async () => {
    const { record } = manager.start({ cwd: workspace });
    await manager.unload(record.id);
    expect(manager.setName(record.id, 'later')).toMatchObject({ name: 'later', ephemeral: false });
    expect(store.get(record.id)!.name).toBe('later');
    expect(manager.loadedIds()).toEqual([]);
  });

  it('refuses to name an unknown thread with thread_not_found', () => {
    expect(() => manager.setName('nope', 'x')).toThrow(expect.objectContaining({ code: 'thread_not_found' }));
  });

  it('archives a loaded thread: unloads it and moves it to the archived list', async () => {
    const { record } = await threadWithTwoTurns();
    await manager.archive(record.id);
    expect(manager.loadedIds()).toEqual([]);
    expect(manager.list({}).data).toEqual([]);
    expect(manager.list({ archived: true }).data.map((t) => t.id)).toEqual([record.id]);
    expect(store.get(record.id)!.archived).toBe(true);
    const back = await manager.unarchive(record.id);
    expect(back).toMatchObject({ id: record.id, archived: false, ephemeral: false });
    expect(manager.list({}).data.map((t) => t.id)).toEqual([record.id]);
  });

  it('refuses to archive an unknown thread with thread_not_found', async () => {
    await expect(manager.archive('nope')).rejects.toMatchObject({ code: 'thread_not_found' });
  });
});

describe('ThreadManager: a thread\'s services are disposed whenever it unloads', () => {
  /** A process-session table that counts how often it was told to kill everything. */
  class CountingSessions extends ProcessSessionManager {
    kills = 0;
    override killAll(): void {
      this.kills++;
      super.killAll();
    }
  }

  it('kills the thread\'s own process sessions on unload, archive, delete and shutdown, and no other thread\'s', async () => {
    const tables: CountingSessions[] = [];
    await manager.shutdown();
    manager = new ThreadManager({
      config: testConfig(home, mock),
      store,
      logger: silentLogger(),
      tools: probeRegistry(new ProbeTool()),
      modelClientFor: () => mockClient(mock),
      modelInfo: (model) => modelInfo(model),
      createDiffTracker: (cwd) => new TurnDiffTrackerImpl(cwd),
      cliVersion: '0.0.0-test',
      createProcessSessions: () => {
        const t = new CountingSessions();
        tables.push(t);
        return t;
      },
    });
    const unloaded = manager.start({ cwd: workspace }).record.id;
    const archived = manager.start({ cwd: workspace }).record.id;
    const deleted = manager.start({ cwd: workspace }).record.id;
    const ephemeral = manager.start({ cwd: workspace }, { ephemeral: true }).record.id;
    const atShutdown = manager.start({ cwd: workspace }).record.id;
    expect(new Set(tables).size).toBe(5);
    const kills = () => tables.map((t) => t.kills);

    await manager.unload(unloaded);
    expect(kills()).toEqual([1, 0, 0, 0, 0]);
    await manager.archive(archived);
    expect(kills()).toEqual([1, 1, 0, 0, 0]);
    await manager.delete(deleted);
    await manager.delete(ephemeral);
    expect(kills()).toEqual([1, 1, 1, 1, 0]);
    await manager.shutdown();
    expect(kills()).toEqual([1, 1, 1, 1, 1]);
    expect(manager.loadedIds()).toEqual([]);
    expect(atShutdown).toBeTruthy();
  });
});

describe('ThreadManager: a request that cannot be written is refused with storage_error', () => {
  const enospc = () => new StorageError('cannot write', Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));

  it('refuses thread/start, renaming and archiving on a full disk and leaves nothing half-done', async () => {
    const { record } = manager.start({ cwd: workspace });
    const realCreate = store.create.bind(store);
    const realUpdate = store.updateMeta.bind(store);
    const realArchive = store.archive.bind(store);
    store.create = () => {
      throw enospc();
    };
    store.updateMeta = () => {
      throw enospc();
    };
    store.archive = () => {
      throw enospc();
    };
    try {
      expect(() => manager.start({ cwd: workspace })).toThrow(expect.objectContaining({ name: 'SessionError', code: 'storage_error' }));
      expect(manager.loadedIds()).toEqual([record.id]);
      expect(() => manager.setName(record.id, 'new name')).toThrow(expect.objectContaining({ code: 'storage_error' }));
      expect(manager.get(record.id)!.record.name).toBeNull();
      await expect(manager.archive(record.id)).rejects.toMatchObject({ code: 'storage_error' });
      // An ephemeral thread needs no disk.
      const eph = manager.start({ cwd: workspace }, { ephemeral: true });
      expect((await runTurn(eph.session, 'still works')).completed.status).toBe('completed');
    } finally {
      store.create = realCreate;
      store.updateMeta = realUpdate;
      store.archive = realArchive;
    }
    expect(manager.setName(record.id, 'new name').name).toBe('new name');
  });
});

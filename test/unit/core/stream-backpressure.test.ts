import { createSessionServices } from '../../../src/core/services.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { modelInfo } from '../../../src/config/models.js';
import type { SessionEvent } from '../../../src/core/events.js';
import { Session } from '../../../src/core/session.js';
import { startMockModelServer, type MockModelServer } from '../../../src/mock/index.js';
import { TurnDiffTrackerImpl } from '../../../src/tools/diff/turn-diff-tracker.js';
import { ProcessSessionManager } from '../../../src/tools/shell/process-sessions.js';
import { deferred } from '../../../src/util/deferred.js';
import type { OutputFlow } from '../../../src/util/flow.js';
import { silentLogger } from '../../../src/util/logger.js';
import { MemorySink, mockClient, nextEvent, ProbeTool, probeRegistry, testSettings } from './support.js';

/** A flow closed until `open()`; `waited` resolves the first time a producer waits on it. */
function gate() {
  let isOpen = false;
  const opened = deferred<void>();
  const waited = deferred<void>();
  const flow: OutputFlow = {
    ready: () => isOpen,
    whenReady: () => {
      waited.resolve();
      return opened.promise;
    },
  };
  return {
    flow,
    waited: waited.promise,
    open(): void {
      isOpen = true;
      opened.resolve();
    },
  };
}

let mock: MockModelServer;
let workspace: string;
let sessions: Session[] = [];
beforeEach(async () => {
  mock = await startMockModelServer({ host: '127.0.0.1' });
  workspace = mkdtempSync(join(tmpdir(), 'agentd-flow-'));
});
afterEach(async () => {
  await Promise.all(sessions.map((s) => s.shutdown()));
  sessions = [];
  await mock.close();
  rmSync(workspace, { recursive: true, force: true });
});

function newSession(flow: OutputFlow): { session: Session; events: SessionEvent[] } {
  const client = mockClient(mock);
  const session = new Session({
    threadId: `flow-${sessions.length}`,
    settings: testSettings(workspace),
    services: createSessionServices({
      modelClientFor: () => client,
      modelInfo: (m) => modelInfo(m),
      tools: probeRegistry(new ProbeTool()),
      recorder: new MemorySink(),
      updateMeta: null,
      createDiffTracker: (cwd) => new TurnDiffTrackerImpl(cwd),
      logger: silentLogger(),
      now: Date.now,
      processes: new ProcessSessionManager(),
      flow,
    }),
  });
  sessions.push(session);
  const events: SessionEvent[] = [];
  session.onEvent((e) => events.push(e));
  return { session, events };
}

const deltas = (events: SessionEvent[]) => events.filter((e) => e.type === 'agent_message_delta');

describe('the model stream and the client output budget', () => {
  it('stops taking model events while the budget is full, then delivers every delta once it has room', async () => {
    const g = gate();
    const { session, events } = newSession(g.flow);
    mock.enqueue({ output: [{ type: 'text', text: 'one two three four', chunks: 4 }] });
    const done = nextEvent(session, 'turn_completed');
    await session.submit([{ type: 'text', text: 'hi' }]);
    const first = await Promise.race([g.waited.then(() => 'waited'), done.then(() => 'completed')]);
    expect(first).toBe('waited');
    expect(deltas(events)).toHaveLength(0);
    g.open();
    const completed = await done;
    expect(completed.turn.status).toBe('completed');
    expect(deltas(events).map((e) => (e as { delta: string }).delta).join('')).toBe('one two three four');
  });

  it('lets an interrupt end a turn that is waiting for the client to read', async () => {
    const g = gate();
    const { session } = newSession(g.flow);
    mock.enqueue({ output: [{ type: 'text', text: 'never read', chunks: 2 }] });
    const done = nextEvent(session, 'turn_completed');
    const turn = await session.submit([{ type: 'text', text: 'hi' }]);
    await g.waited;
    await session.interrupt(turn.id);
    expect((await done).turn.status).toBe('interrupted');
  });
});

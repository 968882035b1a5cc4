import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { modelInfo } from '../../../src/config/models.js';
import { ThreadManager } from '../../../src/core/thread-manager.js';
import { startMockModelServer, type MockModelServer } from '../../../src/mock/index.js';
import { SkillsManager } from '../../../src/skills/manager.js';
import { ThreadStore } from '../../../src/store/thread-store.js';
import { TurnDiffTrackerImpl } from '../../../src/tools/diff/turn-diff-tracker.js';
import { silentLogger } from '../../../src/util/logger.js';
import { mockClient, probeRegistry, ProbeTool, runTurn, testConfig } from '../core/support.js';

let mock: MockModelServer;
let home: string;
let workspace: string;
let store: ThreadStore;
let skills: SkillsManager;
let manager: ThreadManager;

beforeEach(async () => {
  mock = await startMockModelServer({ host: '127.0.0.1' });
  home = realpathSync(mkdtempSync(join(tmpdir(), 'agentd-ts-home-')));
  workspace = join(home, 'workspace');
  mkdirSync(workspace);
  store = ThreadStore.open(home, silentLogger());
  skills = new SkillsManager({ agentdHome: home, userHome: null, logger: silentLogger(), settleMs: 20 });
  const client = mockClient(mock);
  manager = new ThreadManager({
    config: testConfig(home, mock),
    store,
    logger: silentLogger(),
    tools: probeRegistry(new ProbeTool()),
    modelClientFor: () => client,
    modelInfo: (model) => modelInfo(model),
    createDiffTracker: (cwd) => new TurnDiffTrackerImpl(cwd),
    cliVersion: '0.0.0-test',
    skills,
  });
});
afterEach(async () => {
  await manager.shutdown();
  skills.close();
  store.close();
  await mock.close();
  rmSync(home, { recursive: true, force: true });
});

function skill(dir: string, name: string, description: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'SKILL.md'), `---\nname: ${name}\ndescription: ${description}\n---\n`);
  return join(dir, 'SKILL.md');
}

/** The developer texts of the n-th model request. */
function developerTexts(n: number): string[] {
  return (mock.requests[n]!.body.input as { type: string; role?: string; content?: { text?: string }[] }[])
    .filter((i) => i.type === 'message' && i.role === 'developer')
    .map((i) => i.content?.[0]?.text ?? '');
}

describe('skills in a thread', () => {
  it('a turn lists the skills of its cwd as they are when it starts', async () => {
    const { session } = manager.start({ cwd: workspace });
    await runTurn(session, 'first');
    expect(developerTexts(0).some((t) => t.includes('<skills_instructions>'))).toBe(false);

    const path = skill(join(workspace, '.agents/skills/deploy'), 'deploy', 'Deploy the service');
    await runTurn(session, 'second');
    const section = developerTexts(1).find((t) => t.startsWith('<skills_instructions>'));
    expect(section).toContain(`- deploy: Deploy the service (file: ${path})`);
  });

  it('watches the thread\'s cwd while it is loaded and stops when it unloads', async () => {
    const { record } = manager.start({ cwd: workspace });
    expect(skills.watchedCwds()).toEqual([workspace]);
    await skills.list(workspace);
    expect(skills.watchedDirCount()).toBeGreaterThan(0);
    await manager.unload(record.id);
    expect(skills.watchedCwds()).toEqual([]);
    expect(skills.watchedDirCount()).toBe(0);
  });
});

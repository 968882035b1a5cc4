import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonClient } from '../../src/client/daemon-client.js';
import { clientRequests, serverNotifications } from '../../src/protocol/app-server/schema/methods.js';
import { createHarness, startTurn, turnCompleted, type Harness } from '../support/harness.js';
import { rpcError } from '../support/wire.js';

function skill(dir: string, name: string, description: string, extra = ''): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'SKILL.md');
  writeFileSync(path, `---\nname: ${name}\ndescription: ${description}\n${extra}---\n\n# ${name}\nBody the model opens itself.\n`);
  return realpathSync(path);
}

/** The text of every developer/user message of a recorded Responses request. */
function contextText(body: any): string { // eslint-disable-line @typescript-eslint/no-explicit-any
  return (body.input as any[]) // eslint-disable-line @typescript-eslint/no-explicit-any
    .filter((i) => i.type === 'message')
    .flatMap((i) => (Array.isArray(i.content) ? i.content : []).map((c: { text?: string }) => c.text ?? ''))
    .join('\n');
}

describe('skills', () => {
  let h: Harness;
  let c: DaemonClient;
  let userSkill: string;
  let homeSkill: string;
  let repoSkill: string;
  let extraRoot: string;
  let extraSkill: string;

  beforeAll(async () => {
    h = await createHarness();
    userSkill = skill(join(h.home, 'skills/pdf-forms'), 'pdf-forms', 'Fill in PDF forms from\n  structured data', 'metadata:\n  short-description: PDF forms\n');
    homeSkill = skill(join(h.home, 'user-home/.agents/skills/release'), 'release', 'Cut a release of this project');
    repoSkill = skill(join(h.workspace, '.agents/skills/lint-fix'), 'lint-fix', 'Fix lint errors the repo way');
    mkdirSync(join(h.home, 'skills/broken'), { recursive: true });
    writeFileSync(join(h.home, 'skills/broken/SKILL.md'), '---\nname: broken\ndescription: [oops\n---\n');
    extraRoot = join(h.home, 'extra-root');
    extraSkill = skill(join(extraRoot, 'triage'), 'triage', 'Triage incoming issues');
    c = await h.start();
  });
  afterAll(async () => {
    await h.cleanup();
  });

  it('skills/list returns user, home and repo skills of the daemon cwd, with errors for malformed files', async () => {
    const r = await c.request('skills/list', {});
    expect(clientRequests['skills/list'].result.safeParse(r).success).toBe(true);
    expect(r.data).toHaveLength(1);
    const [entry] = r.data;
    expect(realpathSync(entry.cwd)).toBe(realpathSync(h.workspace));
    expect(entry.skills).toEqual([
      { name: 'lint-fix', description: 'Fix lint errors the repo way', shortDescription: null, interface: null, dependencies: null, path: repoSkill, scope: 'repo', enabled: true },
      { name: 'pdf-forms', description: 'Fill in PDF forms from structured data', shortDescription: 'PDF forms', interface: null, dependencies: null, path: userSkill, scope: 'user', enabled: true },
      { name: 'release', description: 'Cut a release of this project', shortDescription: null, interface: null, dependencies: null, path: homeSkill, scope: 'user', enabled: true },
    ]);
    expect(entry.errors).toHaveLength(1);
    expect(entry.errors[0].path).toBe(join(realpathSync(h.home), 'skills/broken/SKILL.md'));
    expect(entry.errors[0].message).toMatch(/^invalid YAML: /);
  });

  it('answers one entry per cwd, in order; a cwd outside any repo has only the user skills', async () => {
    const other = join(h.home, 'elsewhere');
    mkdirSync(other, { recursive: true });
    const r = await c.request('skills/list', { cwds: [other, h.workspace], forceReload: true });
    expect(r.data.map((e: { cwd: string }) => e.cwd)).toEqual([other, h.workspace]);
    expect(r.data[0].skills.map((s: { name: string }) => s.name)).toEqual(['pdf-forms', 'release']);
    expect(r.data[1].skills.map((s: { name: string }) => s.name)).toEqual(['lint-fix', 'pdf-forms', 'release']);
  });

  it('skills/extraRoots/set adds a root for every cwd, announces it, and refuses relative paths', async () => {
    const from = c.messages.length;
    expect(await c.request('skills/extraRoots/set', { extraRoots: [extraRoot] })).toEqual({});
    const n = await c.waitForNotification('skills/changed', () => true, from);
    expect(serverNotifications['skills/changed'].safeParse(n.params).success).toBe(true);
    const r = await c.request('skills/list', { cwds: [h.workspace] });
    const triage = r.data[0].skills.find((s: { name: string }) => s.name === 'triage');
    expect(triage).toMatchObject({ path: extraSkill, scope: 'user', enabled: true });

    const bad = await rpcError(c.request('skills/extraRoots/set', { extraRoots: ['relative/dir'] }));
    expect(bad.code).toBe(-32602);
    expect((await c.request('skills/list', { cwds: [h.workspace] })).data[0].skills.some((s: { name: string }) => s.name === 'triage')).toBe(true);

    await c.request('skills/extraRoots/set', { extraRoots: [] });
    const after = await c.request('skills/list', { cwds: [h.workspace] });
    expect(after.data[0].skills.some((s: { name: string }) => s.name === 'triage')).toBe(false);
  });

  it('sends skills/changed when a SKILL.md is added under a watched root', async () => {
    const t = await c.request('thread/start', { ephemeral: true, cwd: h.workspace });
    // What codex-acp does after thread/start; it also makes sure the thread's roots are watched.
    await c.request('skills/list', { cwds: [h.workspace] });
    const from = c.messages.length;
    const added = skill(join(h.workspace, '.agents/skills/new-one'), 'new-one', 'Appeared while the thread was open');
    await c.waitForNotification('skills/changed', () => true, from);
    const r = await c.request('skills/list', { cwds: [h.workspace] });
    expect(r.data[0].skills.find((s: { name: string }) => s.name === 'new-one')?.path).toBe(added);
    await c.request('thread/unsubscribe', { threadId: t.thread.id });
  });

  it('lists the enabled skills in the model\'s first request of a turn, as a developer message', async () => {
    const t = await c.request('thread/start', { ephemeral: true, cwd: h.workspace });
    h.mock.enqueue({ output: [{ type: 'text', text: 'ok' }] });
    const before = h.mock.requests.length;
    const turnId = await startTurn(c, t.thread.id, 'fix the lint errors');
    expect((await turnCompleted(c, turnId)).status).toBe('completed');
    const body = h.mock.requests[before]!.body;
    const dev = (body.input as any[]).filter((i) => i.type === 'message' && i.role === 'developer'); // eslint-disable-line @typescript-eslint/no-explicit-any
    const section = dev.map((i) => i.content[0].text as string).find((x) => x.startsWith('<skills_instructions>'));
    expect(section).toBeDefined();
    expect(section).toContain(`- lint-fix: Fix lint errors the repo way (file: ${repoSkill})`);
    expect(section).toContain(`- pdf-forms: Fill in PDF forms from structured data (file: ${userSkill})`);
    expect(section).toContain(`- release: Cut a release of this project (file: ${homeSkill})`);
    expect(section).not.toContain('broken');
    // The skills come before the conversation; the user's words are not part of the section.
    const text = contextText(body);
    expect(text.indexOf('<skills_instructions>')).toBeLessThan(text.indexOf('fix the lint errors'));
  });
});

describe('skills turned off in config.toml', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h.cleanup();
  });

  it('lists a disabled skill as disabled and keeps it out of the model context', async () => {
    const off = skill(join(h.home, 'skills/secret-sauce'), 'secret-sauce', 'Never shown to the model');
    skill(join(h.home, 'skills/visible'), 'visible', 'Shown to the model');
    writeFileSync(join(h.home, 'config.toml'), `[[skills.config]]\npath = ${JSON.stringify(off)}\nenabled = false\n`);
    const c = await h.start();
    const r = await c.request('skills/list', {});
    expect(r.data[0].skills.map((s: { name: string; enabled: boolean }) => [s.name, s.enabled])).toEqual([
      ['secret-sauce', false],
      ['visible', true],
    ]);
    const t = await c.request('thread/start', { ephemeral: true });
    h.mock.enqueue({ output: [{ type: 'text', text: 'ok' }] });
    const before = h.mock.requests.length;
    await turnCompleted(c, await startTurn(c, t.thread.id, 'hello'));
    const text = contextText(h.mock.requests[before]!.body);
    expect(text).toContain('- visible: Shown to the model');
    expect(text).not.toContain('secret-sauce');
  });
});

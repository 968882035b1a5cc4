import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, startTurn, turnCompleted, type Harness } from '../support/harness.js';

describe('configuration', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h.cleanup();
  });

  it('starts quietly on a Codex config.toml, and warns only about keys Codex would not know either', async () => {
    writeFileSync(
      join(h.home, 'config.toml'),
      [
        'check_for_update_on_startup = false',
        'notify = ["say", "done"]',
        'modle = "x"',
        '[analytics]',
        'enabled = false',
        '[features]',
        'unified_exec = true',
        '[tui]',
        'notifications = true',
        '[sandbox_workspace_write]',
        'writeable_roots = ["/tmp"]',
        '[model_providers.mock]',
        'requires_openai_auth = false',
        '',
      ].join('\n'),
    );
    const c = await h.start();
    // config/read is answered after the warnings were sent (they follow the initialize response).
    const cfg = await c.request('config/read', {});
    expect(cfg.config.model).toBe('gpt-5-codex');
    expect(cfg.config.model_provider).toBe('mock');
    const warnings = c.notifications('configWarning').map((m) => m.params.summary).sort();
    expect(warnings).toEqual(['unknown config key `modle` is ignored', 'unknown config key `sandbox_workspace_write.writeable_roots` is ignored']);
    expect(c.notifications('configWarning').every((m) => m.params.path === join(h.home, 'config.toml'))).toBe(true);
    await c.close();
    writeFileSync(join(h.home, 'config.toml'), '');
  });

  it('refuses a wrong-typed known key with a message naming it, not a stack trace', async () => {
    const c = h.spawn(['approval_policy="sometimes"']);
    const exit = await c.exited();
    expect(exit.code).not.toBe(0);
    const err = c.stderr.join('');
    expect(err).toContain('approval_policy');
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('lists models from config with the configured one as default', async () => {
    const c = await h.start();
    const models = await c.request('model/list', {});
    const def = models.data.find((m: { isDefault: boolean }) => m.isDefault);
    expect(def.model).toBe('gpt-5-codex');
    await c.close();
  });
});

describe('the Chat Completions wire', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ wireApi: 'chat' });
  });
  afterAll(async () => {
    await h.cleanup();
  });

  it('runs a turn with streaming text and sends the history as chat messages', async () => {
    const c = await h.start(['model="llama3.1"']);
    const t = await c.request('thread/start', { ephemeral: true });
    h.mock.enqueue({ output: [{ type: 'text', text: 'chat says hi', chunks: 4 }] });
    const first = await startTurn(c, t.thread.id, 'hello chat');
    expect((await turnCompleted(c, first)).status).toBe('completed');
    const deltas = c.notifications('item/agentMessage/delta').map((m) => m.params.delta).join('');
    expect(deltas).toBe('chat says hi');
    const second = await startTurn(c, t.thread.id, 'again');
    await turnCompleted(c, second);
    const req = h.mock.requests.at(-1)!;
    expect(req.api).toBe('chat');
    const msgs = req.body.messages as { role: string; content: unknown }[];
    expect(msgs[0]!.role).toBe('system');
    expect(msgs.some((m) => m.role === 'assistant' && JSON.stringify(m.content).includes('chat says hi'))).toBe(true);
    expect(msgs.at(-1)!.role).toBe('user');
    // A classic-style model gets the classic shell tool.
    const tools = (req.body.tools as { function: { name: string } }[]).map((x) => x.function.name);
    expect(tools).toContain('shell');
    expect(tools).not.toContain('exec_command');
    await c.close();
  });
});

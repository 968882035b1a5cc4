import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';
import { DONE_TURN, execCall, itemEvent, outsideDir, rand, rmrf, runTurn, type Thread } from '../support/tool-turns.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.cleanup();
});

const NEVER = ['approval_policy="never"'];

describe('params.config on thread/start, resume and fork', () => {
  it("a thread's writable_roots let its sandboxed commands write there; another thread of the same daemon cannot", async () => {
    const c = await h.start(NEVER);
    const extra = outsideDir('agentd-thread-root-');
    try {
      const a = await c.request('thread/start', {
        cwd: h.workspace,
        sandbox: 'workspace-write',
        config: { sandbox_workspace_write: { writable_roots: [extra] } },
      });
      const b = await c.request('thread/start', { cwd: h.workspace, sandbox: 'workspace-write' });
      expect(a.sandbox).toMatchObject({ type: 'workspaceWrite', writableRoots: [extra] });
      expect(b.sandbox).toMatchObject({ type: 'workspaceWrite', writableRoots: [] });

      const fromB = join(extra, `b-${rand()}.txt`);
      h.mock.enqueue({ output: [execCall(`echo b > ${fromB}`, 'call-b')] }, DONE_TURN);
      const rb = await runTurn(h, { c, threadId: b.thread.id });
      expect(itemEvent(rb.msgs, 'completed', 'call-b').aggregatedOutput).toMatch(/read-only file system/i);
      expect(existsSync(fromB)).toBe(false);

      const fromA = join(extra, `a-${rand()}.txt`);
      h.mock.enqueue({ output: [execCall(`echo a > ${fromA}`, 'call-a')] }, DONE_TURN);
      const ra = await runTurn(h, { c, threadId: a.thread.id });
      expect(itemEvent(ra.msgs, 'completed', 'call-a')).toMatchObject({ status: 'completed', exitCode: 0 });
      expect(readFileSync(fromA, 'utf8')).toBe('a\n');

      // And B still cannot after A wrote there (nothing of A's policy leaked into B).
      h.mock.enqueue({ output: [execCall(`echo b > ${fromB}`, 'call-b2')] }, DONE_TURN);
      const rb2 = await runTurn(h, { c, threadId: b.thread.id });
      expect(itemEvent(rb2.msgs, 'completed', 'call-b2').status).toBe('failed');
      expect(readdirSync(extra)).toEqual([fromA.slice(extra.length + 1)]);
      // The daemon's configuration is untouched.
      expect((await c.request('config/read', {})).config.sandbox_workspace_write.writable_roots).toEqual([]);
    } finally {
      rmrf(extra);
      await c.close();
    }
  });

  it('takes dotted keys too, resolving relative writable roots against the thread cwd', async () => {
    const c = await h.start();
    const cwd = join(h.workspace, `proj-${rand()}`);
    mkdirSync(cwd);
    const r = await c.request('thread/start', {
      cwd,
      ephemeral: true,
      config: { sandbox_mode: 'workspace-write', 'sandbox_workspace_write.writable_roots': ['../shared', '/opt/abs'], 'sandbox_workspace_write.network_access': true },
    });
    expect(r.sandbox).toEqual({
      type: 'workspaceWrite',
      writableRoots: [join(h.workspace, 'shared'), '/opt/abs'],
      networkAccess: true,
      excludeTmpdirEnvVar: false,
      excludeSlashTmp: false,
    });
    await c.close();
  });

  it('lists the writable roots of config.toml in the result, and the thread layer merges with them table by table', async () => {
    const c = await h.start(['sandbox_mode="workspace-write"', 'sandbox_workspace_write.writable_roots=["/srv/a"]', 'sandbox_workspace_write.network_access=true']);
    const plain = await c.request('thread/start', { ephemeral: true });
    expect(plain.sandbox).toMatchObject({ writableRoots: ['/srv/a'], networkAccess: true });
    const own = await c.request('thread/start', { ephemeral: true, config: { sandbox_workspace_write: { writable_roots: ['/srv/b'] } } });
    // Arrays replace, sibling keys of the table stay.
    expect(own.sandbox).toMatchObject({ writableRoots: ['/srv/b'], networkAccess: true });
    await c.close();
  });

  it('applies model settings from the thread config to that thread only; explicit params win', async () => {
    const c = await h.start();
    const a = await c.request('thread/start', {
      ephemeral: true,
      config: { model: 'gpt-5.1-codex', model_reasoning_effort: 'high', developer_instructions: 'SPEAK-LIKE-A-PIRATE', approval_policy: 'never' },
    });
    expect(a).toMatchObject({ model: 'gpt-5.1-codex', reasoningEffort: 'high', approvalPolicy: 'never' });
    const b = await c.request('thread/start', { ephemeral: true });
    expect(b.model).toBe('gpt-5-codex');
    expect(b.approvalPolicy).toBe('on-request');
    const explicit = await c.request('thread/start', { ephemeral: true, model: 'gpt-5', config: { model: 'gpt-5.1-codex' } });
    expect(explicit.model).toBe('gpt-5');

    h.mock.enqueue(DONE_TURN);
    const ra = await runTurn(h, { c, threadId: a.thread.id });
    expect(ra.requests[0]!.body.model).toBe('gpt-5.1-codex');
    expect(JSON.stringify(ra.requests[0]!.body)).toContain('SPEAK-LIKE-A-PIRATE');
    h.mock.enqueue(DONE_TURN);
    const rb = await runTurn(h, { c, threadId: b.thread.id });
    expect(rb.requests[0]!.body.model).toBe('gpt-5-codex');
    expect(JSON.stringify(rb.requests[0]!.body)).not.toContain('SPEAK-LIKE-A-PIRATE');
    await c.close();
  });

  it("a thread's shell_environment_policy shapes its commands' environment only", async () => {
    const c = await h.start(NEVER);
    const a = await c.request('thread/start', { cwd: h.workspace, ephemeral: true, config: { shell_environment_policy: { set: { THREAD_MARK: 'only-a' } } } });
    const b = await c.request('thread/start', { cwd: h.workspace, ephemeral: true });
    h.mock.enqueue({ output: [execCall('echo "mark=$THREAD_MARK"', 'env-a', { login: false })] }, DONE_TURN);
    const ra = await runTurn(h, { c, threadId: a.thread.id });
    expect(itemEvent(ra.msgs, 'completed', 'env-a').aggregatedOutput).toBe('mark=only-a\n');
    h.mock.enqueue({ output: [execCall('echo "mark=$THREAD_MARK"', 'env-b', { login: false })] }, DONE_TURN);
    const rb = await runTurn(h, { c, threadId: b.thread.id });
    expect(itemEvent(rb.msgs, 'completed', 'env-b').aggregatedOutput).toBe('mark=\n');
    await c.close();
  });

  it('a thread may define its own model provider (as codex-acp does for a gateway); others keep theirs', async () => {
    const c = await h.start();
    const gw = await c.request('thread/start', {
      ephemeral: true,
      modelProvider: 'gateway',
      config: { model_providers: { gateway: { name: 'Gateway', base_url: h.mock.url, wire_api: 'responses', http_headers: { 'X-Gateway': 'yes' } } } },
    });
    expect(gw.modelProvider).toBe('gateway');
    const other = await c.request('thread/start', { ephemeral: true });
    expect(other.modelProvider).toBe('mock');
    await expect(c.request('thread/start', { ephemeral: true, modelProvider: 'gateway' })).rejects.toMatchObject({ error: { code: -32602 } });

    h.mock.enqueue(DONE_TURN);
    const r = await runTurn(h, { c, threadId: gw.thread.id });
    expect(r.turn.status).toBe('completed');
    expect(r.requests[0]!.headers['x-gateway']).toBe('yes');
    h.mock.enqueue(DONE_TURN);
    const r2 = await runTurn(h, { c, threadId: other.thread.id });
    expect(r2.requests[0]!.headers['x-gateway']).toBeUndefined();
    await c.close();
  });

  it('refuses a wrong-typed key with -32602 naming its path, in nested and dotted form; the daemon goes on', async () => {
    const c = await h.start();
    for (const config of [{ sandbox_workspace_write: { writable_roots: '/not/an/array' } }, { 'sandbox_workspace_write.writable_roots': '/not/an/array' }]) {
      const err = await c.request('thread/start', { ephemeral: true, config }).catch((e: unknown) => e);
      expect(err).toMatchObject({ error: { code: -32602, data: { code: 'invalid_input' } } });
      expect((err as { error: { message: string } }).error.message).toContain('sandbox_workspace_write.writable_roots');
    }
    const bad = await c.request('thread/start', { ephemeral: true, config: { approval_policy: 'sometimes' } }).catch((e: unknown) => e);
    expect((bad as { error: { message: string } }).error.message).toContain('approval_policy');
    const proto = await c.request('thread/start', { ephemeral: true, config: { '__proto__.polluted': true } }).catch((e: unknown) => e);
    expect(proto).toMatchObject({ error: { code: -32602 } });
    // Unknown keys are ignored, as in config.toml.
    const ok = await c.request('thread/start', { ephemeral: true, config: { projects: { [h.workspace]: { trust_level: 'trusted' } }, not_a_key: 1 } });
    expect(ok.thread.id).toEqual(expect.any(String));
    expect((await c.request('thread/loaded/list', {})).data).toContain(ok.thread.id);
    await c.close();
  });

  it('persists the thread config: a resume without config keeps it, a resume with config merges over it; a fork inherits it', async () => {
    const extra = outsideDir('agentd-resume-root-');
    try {
      const c = await h.start(NEVER);
      const t = await c.request('thread/start', {
        cwd: h.workspace,
        sandbox: 'workspace-write',
        config: {
          sandbox_workspace_write: { writable_roots: [extra] },
          mcp_servers: { editor: { command: 'editor-mcp', args: ['--stdio'] } },
          model_providers: { gateway: { base_url: h.mock.url, wire_api: 'responses' } },
          model_provider: 'gateway',
        },
      });
      expect(t.modelProvider).toBe('gateway');
      h.mock.enqueue(DONE_TURN);
      await runTurn(h, { c, threadId: t.thread.id });
      await c.close();

      const c2 = await h.start(NEVER);
      const r = await c2.request('thread/resume', { threadId: t.thread.id });
      expect(r.modelProvider).toBe('gateway');
      expect(r.sandbox).toMatchObject({ type: 'workspaceWrite', writableRoots: [extra] });
      const servers = await c2.request('mcpServerStatus/list', { threadId: t.thread.id });
      expect(servers.data.map((s: { name: string }) => s.name)).toEqual(['editor']);
      // The resumed thread's sandbox really has the root.
      const file = join(extra, `resumed-${rand()}.txt`);
      h.mock.enqueue({ output: [execCall(`echo r > ${file}`, 'call-r')] }, DONE_TURN);
      const rr = await runTurn(h, { c: c2, threadId: t.thread.id });
      expect(itemEvent(rr.msgs, 'completed', 'call-r')).toMatchObject({ status: 'completed', exitCode: 0 });
      expect(existsSync(file)).toBe(true);

      const f = await c2.request('thread/fork', { threadId: t.thread.id, config: { mcp_servers: { more: { url: 'https://mcp.example.com/x' } } } });
      expect(f.modelProvider).toBe('gateway');
      expect(f.sandbox).toMatchObject({ writableRoots: [extra] });
      const forked = await c2.request('mcpServerStatus/list', { threadId: f.thread.id });
      expect(forked.data.map((s: { name: string }) => s.name)).toEqual(['editor', 'more']);
      await c2.request('thread/unsubscribe', { threadId: t.thread.id });

      // A resume with config merges over the stored layer: new roots replace, servers add up.
      const again = await c2.request('thread/resume', {
        threadId: t.thread.id,
        config: { 'sandbox_workspace_write.writable_roots': ['/srv/other'], 'mcp_servers.late.command': 'late-mcp' },
      });
      expect(again.sandbox).toMatchObject({ writableRoots: ['/srv/other'] });
      const later = await c2.request('mcpServerStatus/list', { threadId: t.thread.id });
      expect(later.data.map((s: { name: string }) => s.name)).toEqual(['editor', 'late']);
      await c2.close();
    } finally {
      rmrf(extra);
    }
  });
});

describe('account', () => {
  it('account/read: no account; requiresOpenaiAuth only for a provider that takes OpenAI credentials and has none', async () => {
    const cases: { config: string[]; env: NodeJS.ProcessEnv; requires: boolean }[] = [
      { config: [], env: { OPENAI_API_KEY: '' }, requires: false },
      { config: ['model_provider=openai'], env: { OPENAI_API_KEY: '' }, requires: true },
      { config: ['model_provider=openai'], env: { OPENAI_API_KEY: 'sk-test' }, requires: false },
      { config: ['model_providers.mock.requires_openai_auth=true'], env: { OPENAI_API_KEY: '' }, requires: true },
      { config: ['model_providers.mock.requires_openai_auth=true'], env: { OPENAI_API_KEY: 'sk-test' }, requires: false },
      { config: ['model_providers.mock.requires_openai_auth=true', 'model_providers.mock.env_key="MOCK_KEY"'], env: { MOCK_KEY: 'k', OPENAI_API_KEY: '' }, requires: false },
    ];
    for (const k of cases) {
      const c = h.spawn(k.config, k.env);
      await c.initialize();
      expect(await c.request('account/read', { refreshToken: false })).toEqual({ account: null, requiresOpenaiAuth: k.requires });
      await c.close();
    }
  });

  it('account/rateLimits/read: empty before any, then the latest snapshot any thread received', async () => {
    const c = await h.start();
    const before = await c.request('account/rateLimits/read');
    expect(before.rateLimits).toMatchObject({ primary: null, secondary: null });
    const a = await c.request('thread/start', { ephemeral: true });
    const b = await c.request('thread/start', { ephemeral: true });
    h.mock.enqueue({ output: [{ type: 'text', text: 'ok' }], headers: { 'x-codex-primary-used-percent': '42', 'x-codex-primary-window-minutes': '300' } });
    await runTurn(h, { c, threadId: a.thread.id } as Thread);
    const first = await c.request('account/rateLimits/read', {});
    expect(first.rateLimits).toMatchObject({ limitId: 'codex', primary: { usedPercent: 42, windowDurationMins: 300 }, secondary: null });
    expect(first.rateLimitsByLimitId.codex.primary.usedPercent).toBe(42);
    h.mock.enqueue({ output: [{ type: 'text', text: 'ok' }], headers: { 'x-codex-primary-used-percent': '57', 'x-codex-secondary-used-percent': '3' } });
    await runTurn(h, { c, threadId: b.thread.id } as Thread);
    const second = await c.request('account/rateLimits/read', {});
    expect(second.rateLimits).toMatchObject({ primary: { usedPercent: 57 }, secondary: { usedPercent: 3 } });
    // A turn whose response carries no rate-limit headers keeps the last snapshot.
    h.mock.enqueue(DONE_TURN);
    await runTurn(h, { c, threadId: a.thread.id } as Thread);
    expect((await c.request('account/rateLimits/read', {})).rateLimits.primary.usedPercent).toBe(57);
    await c.close();
  });

  it('rate-limit percentages are integers on the wire (int32), in the result and in account/rateLimits/updated; params null is accepted', async () => {
    const c = await h.start();
    const t = await c.request('thread/start', { ephemeral: true });
    h.mock.enqueue({
      output: [{ type: 'text', text: 'ok' }],
      headers: {
        'x-ratelimit-limit-requests': '3',
        'x-ratelimit-remaining-requests': '2',
        'x-ratelimit-limit-tokens': '1000',
        'x-ratelimit-remaining-tokens': '999',
      },
    });
    const run = await runTurn(h, { c, threadId: t.thread.id } as Thread);
    const expected = {
      limitId: null,
      primary: { usedPercent: 33, windowDurationMins: null, resetsAt: null },
      secondary: { usedPercent: 0, windowDurationMins: null, resetsAt: null },
    };
    const updated = run.msgs.filter((m) => m.method === 'account/rateLimits/updated');
    expect(updated.map((m) => m.params)).toEqual([{ rateLimits: expected }]);
    expect(await c.request('account/rateLimits/read', null)).toEqual({ rateLimits: expected, rateLimitsByLimitId: null });
    h.mock.enqueue({ output: [{ type: 'text', text: 'ok' }], headers: { 'x-codex-primary-used-percent': '12.6', 'x-codex-primary-window-minutes': '300' } });
    await runTurn(h, { c, threadId: t.thread.id } as Thread);
    const codex = { limitId: 'codex', primary: { usedPercent: 13, windowDurationMins: 300, resetsAt: null }, secondary: null };
    expect(await c.request('account/rateLimits/read', {})).toEqual({ rateLimits: codex, rateLimitsByLimitId: { codex } });
    await c.close();
  });

  it('login methods stay unimplemented', async () => {
    const c = await h.start();
    await expect(c.request('account/login/start', { type: 'apiKey', apiKey: 'x' })).rejects.toMatchObject({ error: { code: -32601 } });
    await c.close();
  });
});

describe('mcpServerStatus/list', () => {
  it('lists config.toml servers, plus a thread\'s own with threadId, sorted, not started, paginated', async () => {
    const c = await h.start([
      'mcp_servers.zeta.command="zeta-mcp"',
      'mcp_servers.docs.url="https://user:pw@mcp.example.com:8443/mcp?k=v"',
      'mcp_servers.docs.bearer_token_env_var="DOCS_TOKEN"',
      'mcp_servers.off.command="off-mcp"',
      'mcp_servers.off.enabled=false',
    ]);
    const all = await c.request('mcpServerStatus/list', {});
    expect(all.nextCursor ?? null).toBeNull();
    expect(all.data).toEqual([
      {
        name: 'docs',
        tools: {},
        resources: [],
        resourceTemplates: [],
        authStatus: 'bearerToken',
        runtimeStatus: 'notStarted',
        toolsError: expect.stringContaining('not started'),
        httpOrigin: 'https://mcp.example.com:8443',
      },
      expect.objectContaining({ name: 'off', authStatus: 'unsupported', runtimeStatus: 'disabled', httpOrigin: null }),
      expect.objectContaining({ name: 'zeta', authStatus: 'unsupported', runtimeStatus: 'notStarted', tools: {} }),
    ]);

    const t = await c.request('thread/start', { ephemeral: true, config: { mcp_servers: { editor: { command: 'node', args: ['srv.js'], env: { A: '1' } } } } });
    const other = await c.request('thread/start', { ephemeral: true });
    const withThread = await c.request('mcpServerStatus/list', { threadId: t.thread.id });
    expect(withThread.data.map((s: { name: string }) => s.name)).toEqual(['docs', 'editor', 'off', 'zeta']);
    const otherThread = await c.request('mcpServerStatus/list', { threadId: other.thread.id });
    expect(otherThread.data.map((s: { name: string }) => s.name)).toEqual(['docs', 'off', 'zeta']);
    // The thread's servers are not the daemon's.
    expect((await c.request('mcpServerStatus/list', {})).data).toHaveLength(3);
    expect(Object.keys((await c.request('config/read', {})).config.mcp_servers).sort()).toEqual(['docs', 'off', 'zeta']);

    const page1 = await c.request('mcpServerStatus/list', { threadId: t.thread.id, limit: 3 });
    expect(page1.data.map((s: { name: string }) => s.name)).toEqual(['docs', 'editor', 'off']);
    const page2 = await c.request('mcpServerStatus/list', { threadId: t.thread.id, limit: 3, cursor: page1.nextCursor });
    expect(page2.data.map((s: { name: string }) => s.name)).toEqual(['zeta']);
    expect(page2.nextCursor ?? null).toBeNull();
    const one = await c.request('mcpServerStatus/list', { serverName: 'zeta' });
    expect(one.data.map((s: { name: string }) => s.name)).toEqual(['zeta']);
    await expect(c.request('mcpServerStatus/list', { threadId: 'no-such-thread' })).rejects.toMatchObject({ error: { data: { code: 'thread_not_found' } } });
    await c.close();
  });
});

describe('the legacy on-failure approval policy', () => {
  it('is accepted in params and config but reported as on-request, the only spellings the reference has', async () => {
    const c = await h.start(['approval_policy="on-failure"']);
    expect((await c.request('config/read', {})).config.approval_policy).toBe('on-request');
    const fromConfig = await c.request('thread/start', { ephemeral: true });
    expect(fromConfig.approvalPolicy).toBe('on-request');
    const t = await c.request('thread/start', { ephemeral: true, approvalPolicy: 'never' });
    expect(t.approvalPolicy).toBe('never');
    const from = c.messages.length;
    expect(await c.request('thread/settings/update', { threadId: t.thread.id, approvalPolicy: 'on-failure' })).toEqual({});
    const n = await c.waitForNotification('thread/settings/updated', (p) => p.threadId === t.thread.id, from);
    expect(n.params.threadSettings.approvalPolicy).toBe('on-request');
    const explicit = await c.request('thread/start', { ephemeral: true, approvalPolicy: 'on-failure' });
    expect(explicit.approvalPolicy).toBe('on-request');
    const resumed = await c.request('thread/resume', { threadId: explicit.thread.id, approvalPolicy: 'on-failure' });
    expect(resumed.approvalPolicy).toBe('on-request');
    await c.close();
  });
});

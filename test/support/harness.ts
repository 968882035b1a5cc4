import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonClient } from '../../src/client/daemon-client.js';
import { startMockModelServer } from '../../src/mock/mock-model-server.js';
import type { MockModelServer, MockResponder } from '../../src/mock/types.js';

export interface Harness {
  mock: MockModelServer;
  home: string;
  workspace: string;
  /** Spawns a daemon on this harness's home, pointed at the mock. */
  spawn(extraConfig?: string[], env?: NodeJS.ProcessEnv): DaemonClient;
  /** Spawns and initializes. */
  start(extraConfig?: string[]): Promise<DaemonClient>;
  cleanup(): Promise<void>;
}

/** The `-c` overrides that point a daemon at the mock server. */
export function mockConfig(url: string, wireApi: 'responses' | 'chat' = 'responses'): string[] {
  return [
    'model_provider=mock',
    'model=gpt-5-codex',
    `model_providers.mock.base_url="${url}"`,
    `model_providers.mock.wire_api="${wireApi}"`,
    'model_providers.mock.request_max_retries=3',
    'model_providers.mock.stream_max_retries=3',
  ];
}

export async function createHarness(opts: { wireApi?: 'responses' | 'chat'; defaultResponder?: MockResponder } = {}): Promise<Harness> {
  const mock = await startMockModelServer({ defaultResponder: opts.defaultResponder });
  const home = mkdtempSync(join(tmpdir(), 'agentd-test-home-'));
  const workspace = mkdtempSync(join(tmpdir(), 'agentd-test-ws-'));
  // The daemon's commands run login shells: give them a HOME without this machine's profile.
  const userHome = join(home, 'user-home');
  mkdirSync(userHome);
  const clients: DaemonClient[] = [];
  const h: Harness = {
    mock,
    home,
    workspace,
    spawn(extraConfig = [], env = {}) {
      const args = [...mockConfig(mock.url, opts.wireApi), ...extraConfig].flatMap((c) => ['-c', c]);
      const c = DaemonClient.spawn({
        args: [...args, '--log-level', process.env.AGENTD_TEST_LOG ?? 'warn'],
        env: { ...process.env, HOME: userHome, AGENTD_HOME: home, AGENTD_RETRY_BASE_MS: '5', ...env },
        cwd: workspace,
      });
      clients.push(c);
      return c;
    },
    async start(extraConfig = []) {
      const c = h.spawn(extraConfig);
      await c.initialize();
      return c;
    },
    async cleanup() {
      await Promise.all(clients.map((c) => (c.child.exitCode === null && c.child.signalCode === null ? c.kill() : undefined)));
      await mock.close();
      rmSync(home, { recursive: true, force: true });
      rmSync(workspace, { recursive: true, force: true });
    },
  };
  return h;
}

/** Starts a thread and a turn with one text input; returns ids. */
export async function startTurn(c: DaemonClient, threadId: string, text: string, extra: Record<string, unknown> = {}) {
  const r = await c.request('turn/start', { threadId, input: [{ type: 'text', text }], ...extra });
  return r.turn.id as string;
}

/** Waits for the turn/completed of `turnId`. */
export async function turnCompleted(c: DaemonClient, turnId: string) {
  const m = await c.waitForNotification('turn/completed', (p) => p.turn.id === turnId);
  return m.params.turn;
}

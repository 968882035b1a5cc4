import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The lint rules of eslint.config.js, run on snippets placed (virtually) at a path in src/:
// each rule must still catch what it is meant to catch, and let through what it must allow.
const root = fileURLToPath(new URL('../../', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function ruleIds(file: string, code: string): Promise<(string | null)[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${file}` });
  return result!.messages.map((m) => m.ruleId);
}

const LAYERS = 'agentd/layers';
const STDOUT_PROP = 'no-restricted-properties';
const STDOUT_SYNTAX = 'no-restricted-syntax';

const violations: [string, string, string][] = [
  // core knows no wire format: no protocol and no rpc, not even types
  ['src/core/x.ts', "import { AppServer } from '../protocol/app-server/app-server.js';", LAYERS],
  ['src/core/state/x.ts', "import type { Params } from '../../protocol/app-server/schema/methods.js';", LAYERS],
  ['src/core/x.ts', "import { RpcError } from '../rpc/errors.js';", LAYERS],
  ['src/core/x.ts', "export * from '../protocol/app-server/wire.js';", LAYERS],
  ['src/core/x.ts', "export type { Params } from '../protocol/app-server/schema/methods.js';", LAYERS],
  ['src/core/x.ts', "export async function f() { return import('../protocol/app-server/wire.js'); }", LAYERS],
  ['src/core/x.ts', "export type W = import('../protocol/app-server/wire.js').Wire;", LAYERS],
  // back-references are type-only; an inline `type` still loads the module at run time
  ['src/tasks/x.ts', "import { Session } from '../core/session.js';", LAYERS],
  ['src/tasks/x.ts', "import { type Session } from '../core/session.js';", LAYERS],
  ['src/tools/shell/x.ts', "import { parseSse } from '../../model/sse.js';", LAYERS],
  ['src/store/x.ts', "import { RegularTurnTask } from '../tasks/regular-turn.js';", LAYERS],
  // a face knows no model or tool
  ['src/protocol/app-server/handlers/x.ts', "import type { SandboxPolicy } from '../../../tools/types.js';", LAYERS],
  ['src/protocol/app-server/x.ts', "import type { HistoryItem } from '../../model/types.js';", LAYERS],
  // util imports nothing of ours; rpc is for main and protocol only
  ['src/util/x.ts', "import type { Config } from '../config/types.js';", LAYERS],
  ['src/store/x.ts', "import { RpcError } from '../rpc/errors.js';", LAYERS],
  ['src/rpc/x.ts', "import type { SessionEvent } from '../core/events.js';", LAYERS],
  // the mock, the client and the demo are outside the daemon
  ['src/model/x.ts', "import { startMockModelServer } from '../mock/mock-model-server.js';", LAYERS],
  ['src/mock/x.ts', "import { sseEvents } from '../model/sse.js';", LAYERS],
  // a new directory must be placed in the table; src imports nothing outside src
  ['src/newarea/x.ts', 'export const x = 1;', LAYERS],
  ['src/core/x.ts', "import { rpcError } from '../../test/support/wire.js';", LAYERS],
  // stdout is the protocol
  ['src/tools/x.ts', "process.stdout.write('x');", STDOUT_PROP],
  ['src/app-server-main.ts', "process.stdout.write('x');", STDOUT_PROP],
  ['src/core/x.ts', "process.stdin.on('data', () => {});", STDOUT_PROP],
  ['src/core/x.ts', 'const { stdout } = process; stdout.write("x");', STDOUT_PROP],
  ['src/core/x.ts', "globalThis.process.stdout.write('x');", STDOUT_SYNTAX],
  ['src/core/x.ts', "import { stdout } from 'node:process'; stdout.write('x');", 'no-restricted-imports'],
  ['src/core/x.ts', "import { writeSync } from 'node:fs'; writeSync(1, 'x');", STDOUT_SYNTAX],
  ['src/core/x.ts', "import fs from 'node:fs'; fs.write(1, 'x', () => {});", STDOUT_SYNTAX],
  ['src/core/x.ts', "import fs from 'node:fs'; fs.createWriteStream('/dev/stdout');", STDOUT_SYNTAX],
  ['src/tools/x.ts', "import { spawn } from 'node:child_process'; spawn('ls', [], { stdio: 'inherit' });", STDOUT_SYNTAX],
  ['src/tools/x.ts', "import { spawn } from 'node:child_process'; spawn('ls', [], { stdio: ['pipe', 'inherit', 'pipe'] });", STDOUT_SYNTAX],
  ['src/tools/x.ts', "import { spawn } from 'node:child_process'; spawn('ls', [], { stdio: ['ignore', 1, 'pipe'] });", STDOUT_SYNTAX],
  ['src/store/x.ts', "console.log('x');", 'no-console'],
  ['src/store/x.ts', "console.info('x');", 'no-console'],
  ['src/store/x.ts', "console.debug('x');", 'no-console'],
  ['src/store/x.ts', 'console.table([]);', 'no-console'],
  ['src/store/x.ts', 'console.dir({});', 'no-console'],
  // no `any`, in particular on the wire face
  ['src/protocol/app-server/handlers/x.ts', 'export function f(p: any) { return p; }', '@typescript-eslint/no-explicit-any'],
  ['src/core/x.ts', 'export const x = JSON.parse("1") as any;', '@typescript-eslint/no-explicit-any'],
];

const allowed: [string, string][] = [
  ['src/main.ts', "import { AppServer } from './protocol/app-server/app-server.js'; process.stdout.write('x'); console.log(AppServer);"],
  ['src/main.ts', "export async function demo() { return import('./demo/demo.js'); }"],
  ['src/app-server-main.ts', "import { ThreadManager } from './core/thread-manager.js'; import { RpcServer } from './rpc/rpc-server.js'; export { ThreadManager, RpcServer };"],
  ['src/demo/x.ts', "import { DaemonClient } from '../client/daemon-client.js'; console.log(DaemonClient); process.stdout.write('x');"],
  ['src/protocol/app-server/x.ts', "import type { SandboxPolicy } from '../../core/settings.js'; import { RpcError } from '../../rpc/errors.js'; import { listModels } from '../../config/models.js'; export type P = SandboxPolicy; export { RpcError, listModels };"],
  ['src/core/x.ts', "import { RegularTurnTask } from '../tasks/regular-turn.js'; import { StorageError } from '../store/errors.js'; console.error(RegularTurnTask, StorageError); console.warn('w');"],
  ['src/tasks/x.ts', "import type { Session } from '../core/session.js'; export type S = Session;"],
  ['src/tools/x.ts', "import type { ToolSpec } from '../model/types.js'; import type { PlanStep } from '../core/items.js'; export type T = [ToolSpec, PlanStep];"],
  ['src/config/x.ts', "import type { ProviderSettings } from '../model/types.js'; import { newId } from '../util/ids.js'; export type P = ProviderSettings; export { newId };"],
  ['src/mock/x.ts', "import type { TokenUsage } from '../model/types.js'; export type U = TokenUsage;"],
  ['src/tools/x.ts', "import { spawn } from 'node:child_process'; const c = spawn('ls', [], { stdio: ['ignore', 'pipe', 'inherit'] }); c.stdout.on('data', () => {}); c.stdin?.end();"],
  ['src/util/x.ts', "import { randomUUID } from 'node:crypto'; export const id = randomUUID(); process.stderr.write('x');"],
];

describe('lint rules (eslint.config.js)', () => {
  it.each(violations)('%s: `%s` fails with %s', async (file, code, rule) => {
    expect(await ruleIds(file, code)).toContain(rule);
  });

  it.each(allowed)('%s: `%s` passes', async (file, code) => {
    expect(await ruleIds(file, code)).toEqual([]);
  });

  it('names the layers and what the importer may use', async () => {
    const [result] = await eslint.lintText("import { wireThread } from '../protocol/app-server/wire.js';", { filePath: `${root}src/core/x.ts` });
    expect(result!.messages.map((m) => m.message)).toEqual([
      "layer 'core' must not import 'protocol' ('../protocol/app-server/wire.js'); core may import tasks, model, tools, store, skills, config, util — see LAYERS in eslint.config.js",
    ]);
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROTOCOL_VERSION } from './schema/version.js';

/** The agentd home the config loader will use (`$AGENTD_HOME`, else `~/.agentd`), resolved. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.AGENTD_HOME;
  return resolve(fromEnv && fromEnv.trim() !== '' ? fromEnv : join(homedir(), '.agentd'));
}

/** The `initialize` result: the app-server v2 `InitializeResponse` plus our additions. */
export function initializeResult(version: string, home: string) {
  return {
    userAgent: `agentd/${version} (${process.platform}; ${process.arch}) node/${process.versions.node}`,
    codexHome: home,
    platformFamily: process.platform === 'win32' ? 'windows' : 'unix',
    platformOs: process.platform === 'darwin' ? 'macos' : process.platform,
    agentdHome: home,
    userHome: homedir(),
    protocolVersion: PROTOCOL_VERSION,
    methods: servedMethods(),
  };
}

export interface ServedMethods {
  clientRequests: string[];
  serverNotifications: string[];
  serverRequests: string[];
}

let served: ServedMethods | undefined;

/**
 * The methods agentd serves, from the generated schema bundle (`schema/app-server.schemas.json`,
 * shipped with the package and checked fresh against the method table by a test). Read from
 * there, not from the method table, so the fast `initialize` answer loads no zod schema.
 */
export function servedMethods(): ServedMethods {
  if (served) return served;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'schema', 'app-server.schemas.json');
    if (existsSync(join(dir, 'package.json')) && existsSync(file)) {
      const { methods } = JSON.parse(readFileSync(file, 'utf8')) as { methods: Record<keyof ServedMethods, Record<string, unknown>> };
      served = {
        clientRequests: Object.keys(methods.clientRequests).sort(),
        serverNotifications: Object.keys(methods.serverNotifications).sort(),
        serverRequests: Object.keys(methods.serverRequests).sort(),
      };
      return served;
    }
    dir = dirname(dir);
  }
  throw new Error('agentd: schema/app-server.schemas.json is missing from the package');
}

/** An `initialize` the fast path may answer: its id and the notifications the client opted out of. */
export interface PlainInitialize {
  id: string | number;
  optOutNotificationMethods: string[];
}

const isOptionalString = (v: unknown) => v === undefined || v === null || typeof v === 'string';

/**
 * Recognises a plainly valid `initialize` request line (the common case), so the daemon can
 * answer the handshake before the whole server has loaded. Anything unusual returns null and is
 * left to the full server, whose zod schemas give the precise error.
 */
export function parsePlainInitialize(line: string): PlainInitialize | null {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    return null;
  }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return null;
  const m = msg as Record<string, unknown>;
  if (m.method !== 'initialize' || (m.jsonrpc !== undefined && m.jsonrpc !== '2.0')) return null;
  if (typeof m.id !== 'string' && !(typeof m.id === 'number' && Number.isInteger(m.id))) return null;
  const p = m.params as Record<string, unknown> | undefined;
  if (!p || typeof p !== 'object' || Array.isArray(p)) return null;
  const info = p.clientInfo as Record<string, unknown> | undefined;
  if (!info || typeof info !== 'object' || Array.isArray(info)) return null;
  if (typeof info.name !== 'string' || typeof info.version !== 'string' || !isOptionalString(info.title)) return null;
  const caps = p.capabilities as Record<string, unknown> | null | undefined;
  if (caps === undefined || caps === null) return { id: m.id, optOutNotificationMethods: [] };
  if (typeof caps !== 'object' || Array.isArray(caps)) return null;
  if (caps.experimentalApi !== undefined && caps.experimentalApi !== null && typeof caps.experimentalApi !== 'boolean') return null;
  const optOut = caps.optOutNotificationMethods;
  if (optOut === undefined || optOut === null) return { id: m.id, optOutNotificationMethods: [] };
  if (!Array.isArray(optOut) || !optOut.every((x) => typeof x === 'string')) return null;
  return { id: m.id, optOutNotificationMethods: optOut as string[] };
}

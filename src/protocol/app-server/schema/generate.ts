/**
 * Derives the committed JSON Schema (`schema/`) from the zod wire schemas. Pure: returns file
 * contents keyed by path relative to `schema/`; `scripts/gen-schema.ts` writes them and a unit
 * test compares them with the committed files.
 */
import { PROTOCOL_VERSION } from './version.js';
import { z } from 'zod';
import { clientNotifications, clientRequests, serverNotifications, serverRequests } from './methods.js';
import { appServerRegistry } from './registry.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** The JSON Schema dialect of every generated file. */
export const SCHEMA_TARGET = 'draft-07';
/** Directory (relative to `schema/`) holding one file per wire type. */
export const TYPE_DIR = 'app-server';
/** The bundle holding every definition plus the method index. */
export const BUNDLE_FILE = 'app-server.schemas.json';

const DEFS = 'definitions';
const refTo = (id: string): string => `#/${DEFS}/${id}`;

function idOf(schema: z.ZodType): string {
  const id = appServerRegistry.get(schema)?.id;
  if (id === undefined) throw new Error('a method-table schema has no wire id');
  return id;
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key] as Json);
  return out;
}

function render(value: Json): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

const options = {
  target: SCHEMA_TARGET,
  io: 'input',
  metadata: appServerRegistry,
  unrepresentable: 'throw',
} as const;

/** One wire type as a standalone schema: the type at the root, what it uses under `definitions`. */
function standalone(id: string, schema: z.ZodType): JsonObject {
  const generated = z.toJSONSchema(schema, options) as JsonObject;
  const { [DEFS]: defs = {}, $ref, $schema, ...rest } = generated;
  const definitions = { ...(defs as JsonObject) };
  let root: JsonObject = rest;
  if ($ref === refTo(id) && definitions[id] !== undefined) {
    root = { ...rest, ...(definitions[id] as JsonObject) };
    delete definitions[id];
  }
  const out: JsonObject = { $schema: $schema ?? null, title: id, ...root };
  if (Object.keys(definitions).length > 0) out[DEFS] = definitions;
  return out;
}

/** Every named type reachable from the method tables, in a stable order. */
function methodTypes(): Map<string, z.ZodType> {
  const types = new Map<string, z.ZodType>();
  const add = (schema: z.ZodType): string => {
    const id = idOf(schema);
    types.set(id, schema);
    return id;
  };
  for (const entry of Object.values(clientRequests)) {
    add(entry.params);
    add(entry.result);
  }
  for (const schema of Object.values(clientNotifications)) add(schema);
  for (const schema of Object.values(serverNotifications)) add(schema);
  for (const entry of Object.values(serverRequests)) {
    add(entry.params);
    add(entry.result);
  }
  return types;
}

function methodIndex(): JsonObject {
  const ref = (schema: z.ZodType): JsonObject => ({ $ref: refTo(idOf(schema)) });
  const pairs = (table: Record<string, { params: z.ZodType; result: z.ZodType }>): JsonObject =>
    Object.fromEntries(
      Object.entries(table).map(([method, e]) => [method, { params: ref(e.params), result: ref(e.result) }]),
    );
  const single = (table: Record<string, z.ZodType>): JsonObject =>
    Object.fromEntries(Object.entries(table).map(([method, s]) => [method, { params: ref(s) }]));
  return {
    clientRequests: pairs(clientRequests),
    clientNotifications: single(clientNotifications),
    serverNotifications: single(serverNotifications),
    serverRequests: pairs(serverRequests),
  };
}

function bundle(): JsonObject {
  const { schemas } = z.toJSONSchema(appServerRegistry, { ...options, uri: refTo });
  const definitions: JsonObject = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _dialect, $id: _id, ...rest } = schema as JsonObject;
    definitions[id] = rest;
  }
  const first = Object.values(schemas)[0] as JsonObject | undefined;
  return {
    $schema: first?.$schema ?? null,
    title: 'AgentdAppServerProtocol',
    description:
      'agentd app-server face (Codex app-server v2 subset). ' +
      '`methods` maps each method to its params/result definitions.',
    protocolVersion: PROTOCOL_VERSION,
    methods: methodIndex(),
    [DEFS]: definitions,
  };
}

/**
 * Renders every generated file: `app-server/<Type>.json` for each request params/result,
 * notification params and server request params/result, plus the bundle. Keys are sorted and
 * each file ends with a newline, so output is byte-stable.
 */
export function generateSchemaFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const types = methodTypes();
  for (const id of [...types.keys()].sort()) {
    files.set(`${TYPE_DIR}/${id}.json`, render(standalone(id, types.get(id) as z.ZodType)));
  }
  files.set(BUNDLE_FILE, render(bundle()));
  return files;
}

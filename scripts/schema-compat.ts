/**
 * The stability check of the app-server contract: compares schema/ with the previous release's
 * schema kept in schema-history/<version>/ and lists every change that could break a client
 * written against the old one. Additive changes (new methods, types, optional params fields,
 * result fields, enum values, union variants) pass.
 *
 * Usage: node dist/scripts/schema-compat.js [schema-history/<version>/app-server.schemas.json] [schema/app-server.schemas.json]
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type Json = Record<string, unknown>;

const TABLES = ['clientRequests', 'clientNotifications', 'serverNotifications', 'serverRequests'] as const;
/** Method-table entries the client sends (params it writes) vs reads. */
const INPUT_ROOTS: [string, string][] = [['clientRequests', 'params'], ['clientNotifications', 'params'], ['serverRequests', 'result']];
const OUTPUT_ROOTS: [string, string][] = [['clientRequests', 'result'], ['serverNotifications', 'params'], ['serverRequests', 'params']];

const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const defName = (ref: unknown) => (typeof ref === 'string' ? ref.replace('#/definitions/', '') : undefined);

/** Definitions reachable (through $ref) from the given method-table roots. */
function reachable(bundle: Json, roots: [string, string][]): Set<string> {
  const defs = obj(bundle.definitions) ?? {};
  const methods = obj(bundle.methods) ?? {};
  const seen = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    const o = obj(node);
    if (!o) return;
    const name = defName(o.$ref);
    if (name !== undefined && !seen.has(name)) {
      seen.add(name);
      visit(defs[name]);
    }
    for (const [k, v] of Object.entries(o)) if (k !== '$ref') visit(v);
  };
  for (const [table, key] of roots) for (const entry of Object.values(obj(methods[table]) ?? {})) visit(obj(entry)?.[key]);
  return seen;
}

function typesOf(s: Json): string[] {
  return Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
}

function variantKey(v: unknown): string | undefined {
  const props = obj(obj(v)?.properties);
  const c = obj(props?.type)?.const;
  return typeof c === 'string' ? c : undefined;
}

/** Breaking differences between an old and a new schema node. */
function compare(where: string, o: Json, n: Json, input: boolean, output: boolean, out: string[]): void {
  if (o.$ref !== undefined && o.$ref !== n.$ref) {
    out.push(`${where}: type changed from ${defName(o.$ref)} to ${defName(n.$ref) ?? 'an inline schema'}`);
    return;
  }
  if (o.const !== undefined && JSON.stringify(o.const) !== JSON.stringify(n.const)) out.push(`${where}: constant ${JSON.stringify(o.const)} changed`);
  if (Array.isArray(o.enum)) {
    const now = new Set((Array.isArray(n.enum) ? n.enum : []).map((v) => JSON.stringify(v)));
    for (const v of o.enum) if (!now.has(JSON.stringify(v))) out.push(`${where}: enum value ${JSON.stringify(v)} removed`);
  }
  const ot = typesOf(o);
  const nt = typesOf(n);
  if (ot.length > 0 && nt.length > 0) {
    if (input) for (const t of ot) if (!nt.includes(t)) out.push(`${where}: no longer accepts ${t}`);
    if (output) for (const t of nt) if (!ot.includes(t)) out.push(`${where}: may now be ${t}`);
  }
  const op = obj(o.properties);
  if (op) {
    const np = obj(n.properties) ?? {};
    for (const [k, v] of Object.entries(op)) {
      const nv = obj(np[k]);
      if (!nv) out.push(`${where}.${k}: removed`);
      else compare(`${where}.${k}`, obj(v) ?? {}, nv, input, output, out);
    }
  }
  const oreq = new Set(Array.isArray(o.required) ? (o.required as string[]) : []);
  const nreq = new Set(Array.isArray(n.required) ? (n.required as string[]) : []);
  if (output) for (const k of oreq) if (!nreq.has(k) && obj(n.properties)?.[k] !== undefined) out.push(`${where}.${k}: no longer always present`);
  if (input) for (const k of nreq) if (!oreq.has(k)) out.push(`${where}.${k}: newly required`);
  for (const key of ['oneOf', 'anyOf'] as const) {
    const ov = o[key];
    if (!Array.isArray(ov)) continue;
    const nv = Array.isArray(n[key]) ? (n[key] as unknown[]) : [];
    const keyed = ov.every((v) => variantKey(v) !== undefined);
    ov.forEach((v, i) => {
      const match = keyed ? nv.find((w) => variantKey(w) === variantKey(v)) : nv[i];
      const label = keyed ? `${where}<${variantKey(v)}>` : `${where}[${key} ${i}]`;
      if (!match) out.push(`${label}: variant removed`);
      else compare(label, obj(v) ?? {}, obj(match) ?? {}, input, output, out);
    });
  }
  for (const key of ['items', 'additionalProperties'] as const) {
    const ov = obj(o[key]);
    const nv = obj(n[key]);
    if (ov && nv) compare(`${where}[${key}]`, ov, nv, input, output, out);
  }
}

/** Every change from `oldBundle` to `newBundle` that could break an existing client. */
export function schemaBreaks(oldBundle: Json, newBundle: Json): string[] {
  const out: string[] = [];
  const om = obj(oldBundle.methods) ?? {};
  const nm = obj(newBundle.methods) ?? {};
  for (const table of TABLES) {
    const nt = obj(nm[table]) ?? {};
    for (const [method, entry] of Object.entries(obj(om[table]) ?? {})) {
      const now = obj(nt[method]);
      if (!now) {
        out.push(`${table} ${method}: removed`);
        continue;
      }
      for (const [k, v] of Object.entries(obj(entry) ?? {})) {
        if (defName(obj(v)?.$ref) !== defName(obj(now[k])?.$ref)) out.push(`${table} ${method}.${k}: type renamed from ${defName(obj(v)?.$ref)} to ${defName(obj(now[k])?.$ref)}`);
      }
    }
  }
  const od = obj(oldBundle.definitions) ?? {};
  const nd = obj(newBundle.definitions) ?? {};
  const inputs = reachable(oldBundle, INPUT_ROOTS);
  const outputs = reachable(oldBundle, OUTPUT_ROOTS);
  for (const [name, schema] of Object.entries(od)) {
    const now = obj(nd[name]);
    if (!now) {
      out.push(`type ${name}: removed or renamed`);
      continue;
    }
    compare(name, obj(schema) ?? {}, now, inputs.has(name), outputs.has(name), out);
  }
  return out;
}

/** The newest release kept in schema-history/ (by semver). */
export function latestHistory(root: string): string {
  const dir = path.join(root, 'schema-history');
  const versions = readdirSync(dir).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  const num = (v: string) => v.split('.').map(Number) as [number, number, number];
  versions.sort((a, b) => {
    const [x, y] = [num(a), num(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  const last = versions.at(-1);
  if (!last) throw new Error('schema-history/ holds no release');
  return path.join(dir, last, 'app-server.schemas.json');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  let root = path.dirname(fileURLToPath(import.meta.url));
  while (!readdirSync(root).includes('package.json')) root = path.dirname(root);
  const oldFile = process.argv[2] ?? latestHistory(root);
  const newFile = process.argv[3] ?? path.join(root, 'schema', 'app-server.schemas.json');
  const breaks = schemaBreaks(JSON.parse(readFileSync(oldFile, 'utf8')) as Json, JSON.parse(readFileSync(newFile, 'utf8')) as Json);
  for (const b of breaks) console.error(`breaking: ${b}`);
  console.log(`schema-compat: ${path.relative(root, newFile)} vs ${path.relative(root, oldFile)}: ${breaks.length === 0 ? 'additive only' : `${breaks.length} breaking change(s)`}`);
  process.exit(breaks.length === 0 ? 0 : 1);
}

/**
 * `agentd conformance --server "<command>"`: runs the app-server conformance scenarios against any
 * implementation spawned by `command` (stdio), with the bundled mock model server, and prints
 * PASS/FAIL per scenario (or JSON). Every message the server writes is checked against `schema/`.
 */
import type { Writable } from 'node:stream';
import { ScenarioContext, type HomeVar } from './context.js';
import { SchemaChecker } from './schema-check.js';
import { scenarios } from './scenarios.js';

export interface ConformanceOptions {
  server: string;
  /** The variable(s) the server reads its home from (default: both CODEX_HOME and AGENTD_HOME). */
  homeVar?: HomeVar;
  json?: boolean;
  /** Run only these scenario ids (the schema check always runs). */
  only?: string[];
  /** Per-scenario time limit (default 30 s). */
  timeoutMs?: number;
  out: Writable;
  /** Server stderr (default: dropped). */
  onStderr?: (text: string) => void;
}

export interface ScenarioResult {
  id: string;
  asserts: string;
  status: 'PASS' | 'FAIL';
  ms: number;
  error?: string;
  notes: string[];
}

export interface ConformanceReport {
  server: string;
  results: ScenarioResult[];
  passed: number;
  failed: number;
}

const SCHEMA_ASSERTS =
  'Every message the server wrote in the scenarios above (results, notifications, approval requests) validates against schema/; methods the schema does not declare are listed, not judged (Codex sends notifications agentd does not implement).';

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runConformance(opts: ConformanceOptions): Promise<ConformanceReport> {
  const checker = new SchemaChecker();
  const homeVars: HomeVar[] = opts.homeVar ? [opts.homeVar] : ['CODEX_HOME', 'AGENTD_HOME'];
  const results: ScenarioResult[] = [];
  const print = (s: string) => {
    if (!opts.json) opts.out.write(s);
  };
  print(`agentd conformance — server: ${opts.server}\n\n`);
  const report = (r: ScenarioResult) => {
    results.push(r);
    print(`${r.status}  ${r.id.padEnd(16)} ${r.asserts} (${r.ms} ms)\n`);
    if (r.error) print(`      ✗ ${r.error}\n`);
    for (const n of r.notes) print(`      note: ${n}\n`);
  };
  for (const s of scenarios) {
    if (opts.only && !opts.only.includes(s.id)) continue;
    const t0 = Date.now();
    let ctx: ScenarioContext | null = null;
    let error: string | undefined;
    try {
      ctx = await ScenarioContext.create({ server: opts.server, homeVars, checker, onStderr: opts.onStderr });
      await withTimeout(s.run(ctx), opts.timeoutMs ?? 30_000, s.id);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      if (ctx?.stderrTail && /closed|exited/.test(error)) error += `\n      server stderr: ${ctx.stderrTail.trim().split('\n').slice(-5).join('\n      ')}`;
    } finally {
      await ctx?.dispose().catch(() => undefined);
    }
    report({ id: s.id, asserts: s.asserts, status: error ? 'FAIL' : 'PASS', ms: Date.now() - t0, error, notes: ctx?.notes ?? [] });
  }
  const unknown = [...checker.unknownMethods].map(([m, n]) => `${m} ×${n}`);
  const schemaError =
    checker.checked === 0
      ? 'no message was checked'
      : checker.violations.length > 0
        ? checker.violations.slice(0, 5).map((v) => `${v.where}: ${v.errors}`).join(' | ') + (checker.violations.length > 5 ? ` (and ${checker.violations.length - 5} more)` : '')
        : undefined;
  report({
    id: 'schema',
    asserts: SCHEMA_ASSERTS,
    status: schemaError ? 'FAIL' : 'PASS',
    ms: 0,
    error: schemaError,
    notes: [`${checker.checked} messages checked`, ...(unknown.length > 0 ? [`methods outside schema/: ${unknown.join(', ')}`] : [])],
  });
  const passed = results.filter((r) => r.status === 'PASS').length;
  const out: ConformanceReport = { server: opts.server, results, passed, failed: results.length - passed };
  if (opts.json) opts.out.write(JSON.stringify(out, null, 2) + '\n');
  else print(`\n${passed} passed, ${out.failed} failed\n`);
  return out;
}

/** The scenario ids and what each asserts (for `--list`). */
export function scenarioList(): { id: string; asserts: string }[] {
  return [...scenarios.map((s) => ({ id: s.id, asserts: s.asserts })), { id: 'schema', asserts: SCHEMA_ASSERTS }];
}

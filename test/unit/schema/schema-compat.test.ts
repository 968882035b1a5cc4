import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { latestHistory, schemaBreaks } from '../../../scripts/schema-compat.js';
import { PROTOCOL_VERSION } from '../../../src/protocol/app-server/schema/version.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const load = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as any;
const current = () => load(join(root, 'schema', 'app-server.schemas.json'));
const previous = () => load(latestHistory(root));

describe('the versioned contract', () => {
  it('schema/ changes nothing the previous release promised (additive changes only)', () => {
    expect(schemaBreaks(previous(), current())).toEqual([]);
  });

  it('the protocol version is in the schema and not older than the kept release', () => {
    expect(current().protocolVersion).toBe(PROTOCOL_VERSION);
    const kept = latestHistory(root).split('/').at(-2)!;
    const num = (v: string) => v.split('.').map(Number);
    const [a, b] = [num(PROTOCOL_VERSION), num(kept)];
    expect(a[0]).toBe(b[0]);
    expect(a[1]! * 1000 + a[2]!).toBeGreaterThanOrEqual(b[1]! * 1000 + b[2]!);
  });

  it('catches removals, renames and tightenings', () => {
    const cases: [string, (s: any) => void, RegExp][] = [
      ['a removed method', (s) => delete s.methods.clientRequests['thread/list'], /clientRequests thread\/list: removed/],
      ['a renamed type', (s) => { s.definitions.TurnRenamed = s.definitions.Turn; delete s.definitions.Turn; }, /type Turn: removed or renamed/],
      ['a removed result field', (s) => delete s.definitions.Turn.properties.status, /Turn\.status: removed/],
      ['a result field made optional', (s) => { s.definitions.TurnStartResponse.required = []; }, /TurnStartResponse\.turn: no longer always present/],
      ['a newly required params field', (s) => s.definitions.ThreadListParams.required = ['cursor'], /ThreadListParams\.cursor: newly required/],
      ['a removed enum value', (s) => { s.definitions.SandboxMode.enum = ['read-only', 'workspace-write']; }, /SandboxMode: enum value "danger-full-access" removed/],
      ['a removed union variant', (s) => { s.definitions.ThreadItem.oneOf = s.definitions.ThreadItem.oneOf.filter((v: any) => v.properties?.type?.const !== 'plan'); }, /ThreadItem<plan>: variant removed/],
      ['a params field that no longer accepts null', (s) => { s.definitions.ThreadStartParams.properties.cwd = { type: 'string' }; }, /ThreadStartParams\.cwd/],
    ];
    for (const [what, mutate, expected] of cases) {
      const next = current();
      mutate(next);
      const breaks = schemaBreaks(previous(), next);
      expect(breaks.join('\n'), what).toMatch(expected);
    }
  });

  it('lets additions through: a new method, type, optional param and result field', () => {
    const next = current();
    next.methods.clientRequests['new/method'] = { params: { $ref: '#/definitions/NewParams' }, result: { $ref: '#/definitions/NewParams' } };
    next.definitions.NewParams = { type: 'object', properties: {} };
    next.definitions.ThreadListParams.properties.newOptional = { type: 'string' };
    next.definitions.Turn.properties.newField = { type: 'string' };
    next.definitions.Turn.required = [...next.definitions.Turn.required, 'newField'];
    expect(schemaBreaks(previous(), next)).toEqual([]);
  });
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUNDLE_FILE, generateSchemaFiles, TYPE_DIR } from '../../../src/protocol/app-server/schema/index.js';

const schemaDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../schema');
const STALE = 'schema/ is stale: run npm run schema';

describe('committed JSON Schema', () => {
  const generated = generateSchemaFiles();

  it('matches what the zod schemas generate', () => {
    for (const [relative, content] of generated) {
      const file = path.join(schemaDir, relative);
      const committed = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      expect(committed, `${STALE} (${relative})`).toBe(content);
    }
  });

  it('has no leftover files for types that no longer exist', () => {
    const onDisk = existsSync(path.join(schemaDir, TYPE_DIR))
      ? readdirSync(path.join(schemaDir, TYPE_DIR)).map((name) => `${TYPE_DIR}/${name}`)
      : [];
    const extra = onDisk.filter((relative) => !generated.has(relative));
    expect(extra, STALE).toEqual([]);
  });

  it('is deterministic, key-sorted and newline-terminated', () => {
    const again = generateSchemaFiles();
    expect([...again.entries()]).toEqual([...generated.entries()]);
    for (const content of generated.values()) {
      expect(content.endsWith('}\n')).toBe(true);
    }
    const bundle = JSON.parse(generated.get(BUNDLE_FILE) ?? '{}') as Record<string, unknown>;
    expect(Object.keys(bundle)).toEqual([...Object.keys(bundle)].sort());
  });

  it('indexes every method in the bundle with resolvable definitions', () => {
    const bundle = JSON.parse(generated.get(BUNDLE_FILE) ?? '{}') as {
      definitions: Record<string, unknown>;
      methods: Record<string, Record<string, Record<string, { $ref: string }>>>;
    };
    expect(bundle.methods.clientRequests?.['turn/start']?.params?.$ref).toBe('#/definitions/TurnStartParams');
    for (const table of Object.values(bundle.methods)) {
      for (const entry of Object.values(table)) {
        for (const { $ref } of Object.values(entry)) {
          expect(bundle.definitions[$ref.replace('#/definitions/', '')], $ref).toBeDefined();
        }
      }
    }
  });

  it('writes standalone type files whose refs resolve locally', () => {
    for (const [relative, content] of generated) {
      if (relative === BUNDLE_FILE) continue;
      const schema = JSON.parse(content) as { definitions?: Record<string, unknown> };
      for (const match of content.matchAll(/"#\/definitions\/([A-Za-z]+)"/g)) {
        expect(schema.definitions?.[match[1] as string], `${relative} → ${match[1]}`).toBeDefined();
      }
    }
  });
});

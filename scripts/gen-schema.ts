/**
 * Writes the JSON Schema of the app-server wire protocol into `schema/` (or `--out <dir>`),
 * removing generated files that no longer correspond to a wire type.
 *
 * Usage: npm run schema   (node dist/scripts/gen-schema.js [--out <dir>])
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSchemaFiles, TYPE_DIR } from '../src/protocol/app-server/schema/generate.js';

/** The nearest ancestor of this script holding package.json (works from scripts/ and dist/scripts/). */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('gen-schema: cannot find the project root (package.json)');
    dir = parent;
  }
  return dir;
}

function parseOut(argv: string[]): string | undefined {
  const i = argv.indexOf('--out');
  if (i === -1) return undefined;
  const value = argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error('gen-schema: --out needs a directory');
  return path.resolve(value);
}

function main(): void {
  const outDir = parseOut(process.argv.slice(2)) ?? path.join(projectRoot(), 'schema');
  const files = generateSchemaFiles();

  const typeDir = path.join(outDir, TYPE_DIR);
  let removed = 0;
  if (existsSync(typeDir)) {
    for (const name of readdirSync(typeDir)) {
      if (name.endsWith('.json') && !files.has(`${TYPE_DIR}/${name}`)) {
        rmSync(path.join(typeDir, name));
        removed += 1;
      }
    }
  }
  for (const [relative, content] of files) {
    const target = path.join(outDir, relative);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  const note = removed > 0 ? `, removed ${removed} stale` : '';
  console.log(`gen-schema: wrote ${files.size} files to ${path.relative(process.cwd(), outDir) || '.'}${note}`);
}

main();

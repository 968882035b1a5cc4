// Bundles the compiled daemon (dist/src) into dist/bundle/, which bin/agentd loads. One entry
// chunk that stays small (the CLI and the fast `initialize` answer) plus shared chunks loaded on
// demand: a few files parse and link much faster than hundreds of modules, which was most of
// start-up time. zod's message translations are cut to English, the only locale agentd uses.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/bundle');

const englishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(join('node_modules', 'zod')) ? { path: 'zod-locales-en', namespace: 'agentd' } : undefined,
    );
    b.onLoad({ filter: /^zod-locales-en$/, namespace: 'agentd' }, () => ({
      contents: `export { default as en } from ${JSON.stringify(join(root, 'node_modules/zod/v4/locales/en.js'))};`,
      loader: 'js',
      resolveDir: root,
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { agentd: join(root, 'dist/src/main.js') },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunk-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [englishOnly],
  // Bundled CommonJS dependencies call require(); give each ES module chunk one.
  banner: { js: "import { createRequire as __agentdRequire } from 'node:module'; const require = __agentdRequire(import.meta.url);" },
});

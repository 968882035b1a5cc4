// Lint for src/: the import direction of the layers, "stdout is the protocol", and no `any`.
// Run by `npm run lint` (part of `npm test`); test/unit/lint-rules.test.ts checks that
// each rule still catches what it is meant to catch. Formatting is not linted.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), 'src');

// The layers, by directory under src/ (a file directly in src/ is `main`). Imports point down:
//   main → protocol → core → tasks → model | tools | store | skills → config → util
// `rpc` is used by main and protocol only and uses util only. What a layer may import:
//   values: at run time (`import`, `export … from`, `import()`);
//   types:  additionally with `import type` / `export type` only (back-references).
// Anything not listed is an error, including a new directory under src/: give it a row here.
const DAEMON_BELOW_CORE = ['tasks', 'model', 'tools', 'store', 'skills', 'config'];
const DAEMON = ['protocol', 'rpc', 'core', ...DAEMON_BELOW_CORE, 'util'];
export const LAYERS = {
  // CLI and wiring (main.ts, app-server-main.ts, process-guards.ts): may use everything.
  main: { values: [...DAEMON, 'demo', 'client', 'mock', 'conformance'], types: [] },
  // A face translates wire ↔ core: it knows no model, tool, task or store.
  // It serves skills/list from the daemon's skills service, whose types it may name.
  protocol: { values: ['core', 'config', 'rpc', 'util'], types: ['skills'] },
  rpc: { values: ['util'], types: [] },
  // The core knows no wire format (no protocol, no rpc, not even types).
  core: { values: [...DAEMON_BELOW_CORE, 'util'], types: [] },
  tasks: { values: ['model', 'tools', 'store', 'skills', 'config', 'util'], types: ['core'] },
  // model, tools and store are peers: each other's types only.
  model: { values: ['config', 'util'], types: ['core', 'tasks', 'tools', 'store'] },
  tools: { values: ['config', 'util'], types: ['core', 'tasks', 'model', 'store'] },
  store: { values: ['config', 'util'], types: ['core', 'tasks', 'model', 'tools'] },
  // Skills discovery (SKILL.md files): a leaf service beside the tools.
  skills: { values: ['config', 'util'], types: [] },
  config: { values: ['util'], types: ['core', 'tasks', 'model', 'tools', 'store'] },
  util: { values: [], types: [] },
  // Outside the layering: stand-ins for the client and the model provider, and the demo command.
  // They share no run-time code with the daemon (so a daemon bug is not mirrored in its tests);
  // nothing in the daemon imports them.
  client: { values: ['util'], types: DAEMON },
  mock: { values: ['util'], types: DAEMON },
  demo: { values: ['client', 'mock', 'util'], types: DAEMON },
  // `agentd conformance`: scenarios run through the client against any server, with the mock model.
  conformance: { values: ['client', 'mock', 'util'], types: DAEMON },
};

/** The layer of an absolute path inside src/, '' when it is outside src/, or null when unknown. */
function layerOf(file) {
  const rel = path.relative(SRC, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return '';
  const parts = rel.split(path.sep);
  if (parts.length === 1) return 'main';
  return Object.hasOwn(LAYERS, parts[0]) ? parts[0] : null;
}

const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports between the directories of src/ follow the layer table in eslint.config.js' },
    schema: [],
  },
  create(context) {
    const file = context.physicalFilename;
    const from = layerOf(file);
    if (from === '') return {};
    if (from === null) {
      const dir = path.relative(SRC, file).split(path.sep)[0];
      const message = `src/${dir}/ is in no layer: add it to LAYERS in eslint.config.js (and to ARCHITECTURE.md)`;
      return { Program: (node) => context.report({ node, loc: { line: 1, column: 0 }, message }) };
    }
    const check = (node, spec, typeOnly) => {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const to = layerOf(path.resolve(path.dirname(file), spec));
      if (to === from) return;
      if (to === '') {
        context.report({ node, message: `src/ must not import from outside src/ ('${spec}')` });
        return;
      }
      if (to === null) return; // the unknown directory reports itself
      const rule = LAYERS[from];
      if (rule.values.includes(to)) return;
      if (typeOnly && rule.types.includes(to)) return;
      const how = rule.types.includes(to)
        ? ' (only with `import type` / `export type`)'
        : '';
      context.report({
        node,
        message: `layer '${from}' must not import '${to}'${how} ('${spec}'); ${from} may import ${list(rule)} — see LAYERS in eslint.config.js`,
      });
    };
    return {
      ImportDeclaration: (n) => check(n, n.source.value, n.importKind === 'type'),
      ExportNamedDeclaration: (n) => n.source && check(n, n.source.value, n.exportKind === 'type'),
      ExportAllDeclaration: (n) => check(n, n.source.value, n.exportKind === 'type'),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source.value, false),
      TSImportEqualsDeclaration: (n) =>
        n.moduleReference.type === 'TSExternalModuleReference' &&
        check(n, n.moduleReference.expression.value, n.importKind === 'type'),
      TSImportType: (n) => check(n, n.source.value, true),
    };
  },
};

function list(rule) {
  const values = rule.values.length > 0 ? rule.values.join(', ') : 'nothing of ours';
  return rule.types.length > 0 ? `${values}; types of ${rule.types.join(', ')}` : values;
}

// stdout carries the protocol: only src/main.ts touches process.stdout/stdin (and the demo
// command, whose stdout is for people). console.error/warn go to stderr and are allowed.
const STDIO = 'stdout is the protocol: only src/main.ts touches process.stdout/stdin (log to stderr with the logger)';
const noStdio = {
  'no-console': ['error', { allow: ['error', 'warn'] }],
  'no-restricted-properties': [
    'error',
    { object: 'process', property: 'stdout', message: STDIO },
    { object: 'process', property: 'stdin', message: STDIO },
  ],
  'no-restricted-imports': [
    'error',
    { name: 'node:process', importNames: ['stdout', 'stdin'], message: STDIO },
    { name: 'process', importNames: ['stdout', 'stdin'], message: STDIO },
  ],
  'no-restricted-syntax': [
    'error',
    { selector: "MemberExpression[property.name=/^std(out|in)$/][object.property.name='process']", message: STDIO },
    { selector: "CallExpression[callee.name=/^(write|writeSync)$/][arguments.0.value=1]", message: `${STDIO} (fd 1)` },
    { selector: "CallExpression[callee.property.name=/^(write|writeSync)$/][arguments.0.value=1]", message: `${STDIO} (fd 1)` },
    { selector: "Literal[value=/^\\/dev\\/(stdout|fd\\/1)$/]", message: STDIO },
    { selector: "Property[key.name='stdio'] > Literal[value='inherit']", message: `${STDIO}: a child given our stdout writes into the protocol` },
    { selector: "Property[key.name='stdio'] > ArrayExpression > Literal:nth-child(2)[value='inherit']", message: `${STDIO}: a child given our stdout writes into the protocol` },
    { selector: "Property[key.name='stdio'] > ArrayExpression > Literal:nth-child(2)[value=1]", message: `${STDIO}: a child given our stdout writes into the protocol` },
  ],
};
const off = Object.fromEntries(Object.keys(noStdio).map((k) => [k, 'off']));

export default [
  {
    files: ['src/**/*.ts'],
    languageOptions: { parser: tseslint.parser, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { agentd: { rules: { layers: layersRule } }, '@typescript-eslint': tseslint.plugin },
    // No `any` (the wire face's handler table is typed; an exception says why on its line).
    rules: { 'agentd/layers': 'error', '@typescript-eslint/no-explicit-any': 'error', ...noStdio },
  },
  { files: ['src/main.ts', 'src/demo/**/*.ts'], rules: off },
];

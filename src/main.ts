/**
 * agentd command line: `agentd [app-server]` serves JSON-RPC on stdio, `agentd demo` runs an
 * offline demo turn against the bundled mock model. The only module that touches
 * process.stdin/stdout.
 */
import { createRequire } from 'node:module';
import { ConfigError } from './config/types.js';

interface CliArgs {
  command: 'app-server' | 'demo' | 'acp' | 'help' | 'version';
  overrides: string[];
  logLevel?: string;
  logFile?: string;
  rest: string[];
}

const USAGE = `usage: agentd [app-server|demo|help|version] [-c key=value]... [--log-level LEVEL] [--log-file PATH]

  app-server   serve the Codex app-server v2 protocol (JSON-RPC, one JSON object per line) on stdio (default)
  demo         run a demo turn offline against the bundled mock model and print it
  -c key=value override a config.toml key (value parsed as TOML, else a string)
  --log-level  trace|debug|info|warn|error|silent (default: $AGENTD_LOG or info); logs go to stderr
  --log-file   write logs to this file instead of stderr

Configuration: $AGENTD_HOME/config.toml (default ~/.agentd/config.toml).
`;

function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { command: 'app-server', overrides: [], rest: [] };
  let commandSeen = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '-c' || a === '--config') args.overrides.push(next());
    else if (a.startsWith('-c') && a.length > 2 && a.includes('=')) args.overrides.push(a.slice(2));
    else if (a === '--log-level') args.logLevel = next();
    else if (a.startsWith('--log-level=')) args.logLevel = a.slice('--log-level='.length);
    else if (a === '--log-file') args.logFile = next();
    else if (a.startsWith('--log-file=')) args.logFile = a.slice('--log-file='.length);
    else if (a === '-h' || a === '--help') args.command = 'help';
    else if (a === '-V' || a === '--version') args.command = 'version';
    else if (!commandSeen && ['app-server', 'demo', 'acp', 'help', 'version'].includes(a)) {
      args.command = a as CliArgs['command'];
      commandSeen = true;
    } else args.rest.push(a);
  }
  return args;
}

export function packageVersion(): string {
  const require = createRequire(import.meta.url);
  // From dist/src/main.js or from the bundle dist/agentd.mjs.
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = require(rel) as { name?: string; version: string };
      if (pkg.name === 'agentd') return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

async function main(): Promise<void> {
  let args: CliArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`agentd: ${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  switch (args.command) {
    case 'help':
      process.stderr.write(USAGE);
      return;
    case 'version':
      process.stdout.write(`agentd ${packageVersion()}\n`);
      return;
    case 'acp':
      process.stderr.write('agentd: the ACP face is not available yet; use `agentd app-server`\n');
      process.exit(2);
      return;
    case 'demo': {
      const { runDemo } = await import('./demo/demo.js');
      const code = await runDemo({ overrides: args.overrides, out: process.stdout, logLevel: args.logLevel });
      process.exit(code);
      return;
    }
    case 'app-server': {
      const { startAppServer } = await import('./app-server-main.js');
      try {
        await startAppServer({
          input: process.stdin,
          output: process.stdout,
          overrides: args.overrides,
          logLevel: args.logLevel,
          logFile: args.logFile,
          version: packageVersion(),
        });
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`agentd: configuration error: ${err.message}\n`);
          process.exit(78);
        }
        throw err;
      }
    }
  }
}

main().catch((err) => {
  process.stderr.write(`agentd: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

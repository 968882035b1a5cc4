/**
 * agentd command line: `agentd [app-server]` serves JSON-RPC on stdio, `agentd acp` serves ACP
 * on stdio, `agentd demo` runs an
 * offline demo turn against the bundled mock model. The only module that touches
 * process.stdin/stdout.
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { ConfigError } from './config/types.js';
import { defaultHome, initializeResult, parsePlainInitialize } from './protocol/app-server/initialize-result.js';

interface CliArgs {
  command: 'app-server' | 'demo' | 'acp' | 'conformance' | 'help' | 'version';
  overrides: string[];
  logLevel?: string;
  logFile?: string;
  listen: string[];
  authTokenFile?: string;
  rest: string[];
}

const USAGE = `usage: agentd [app-server|acp|demo|conformance|help|version] [-c key=value]... [--log-level LEVEL] [--log-file PATH]

  app-server   serve the Codex app-server v2 protocol (JSON-RPC, one JSON object per line) on stdio (default)
  acp          serve the Agent Client Protocol (ACP v1) on stdio, for editors (Zed, JetBrains, Neovim, Emacs)
  demo         run a demo turn offline against the bundled mock model and print it
  conformance  run the app-server conformance scenarios against a server command (--server "<command>"; see \`agentd conformance --help\`)
  -c key=value override a config.toml key (value parsed as TOML, else a string)
  --log-level  trace|debug|info|warn|error|silent (default: $AGENTD_LOG or info); logs go to stderr
  --log-file   write logs to this file instead of stderr
  --listen ADDR  serve clients on unix:PATH (socket 0600) or ws://HOST:PORT instead of stdio; repeatable.
               Several clients share threads. Only the named address is bound.
  --auth-token-file PATH  the token websocket clients must send (Authorization: Bearer …); required for ws://

Configuration: $AGENTD_HOME/config.toml (default ~/.agentd/config.toml).
`;

function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { command: 'app-server', overrides: [], listen: [], rest: [] };
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
    else if (commandSeen && args.command === 'conformance') args.rest.push(a);
    else if (a === '--listen') args.listen.push(next());
    else if (a.startsWith('--listen=')) args.listen.push(a.slice('--listen='.length));
    else if (a === '--auth-token-file') args.authTokenFile = next();
    else if (a.startsWith('--auth-token-file=')) args.authTokenFile = a.slice('--auth-token-file='.length);
    else if (a === '-h' || a === '--help') args.command = 'help';
    else if (a === '-V' || a === '--version') args.command = 'version';
    else if (!commandSeen && ['app-server', 'demo', 'acp', 'conformance', 'help', 'version'].includes(a)) {
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

/**
 * The first line of `input` (without its newline) if it arrives within `waitMs`, and everything
 * read so far. Clients write `initialize` right after spawning, so it is normally already there;
 * otherwise the server loads without waiting (and reports a bad config at once).
 */
function readFirstLine(
  input: NodeJS.ReadableStream,
  maxBytes: number,
  waitMs: number,
): Promise<{ line: string | null; buffered: Buffer; ended: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => finish(null, false), waitMs);
    const finish = (line: string | null, ended: boolean) => {
      clearTimeout(timer);
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
      resolve({ line, buffered: Buffer.concat(chunks), ended });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (chunk.includes(10)) {
        const all = Buffer.concat(chunks);
        finish(all.subarray(0, all.indexOf(10)).toString('utf8'), false);
      } else if (size > maxBytes) finish(null, false);
    };
    const onEnd = () => finish(null, true);
    input.on('data', onData);
    input.once('end', onEnd);
  });
}

/**
 * Reads the first line; if it is a plain `initialize`, answers it at once on stdout. Returns the
 * input to hand to the server (with the unread rest put back) and the client's settings.
 */
async function answerInitializeEarly(stdin: NodeJS.ReadStream, version: string) {
  const { line, buffered, ended } = await readFirstLine(stdin, 1 << 20, 50);
  const parsed = line === null ? null : parsePlainInitialize(line);
  // An id beyond 2^53 was rounded by JSON.parse: leave that line to the server, which echoes it exactly.
  const init = parsed && typeof parsed.id === 'number' && !Number.isSafeInteger(parsed.id) ? null : parsed;
  let rest = buffered;
  if (init) {
    rest = buffered.subarray(buffered.indexOf(10) + 1);
    process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id: init.id, result: initializeResult(version, defaultHome()) })}\n`);
  }
  let input: Readable = stdin;
  if (ended) input = Readable.from(rest.length > 0 ? [rest] : []);
  else if (rest.length > 0) stdin.unshift(rest);
  return { input, initialized: init ? { optOutNotificationMethods: init.optOutNotificationMethods } : null };
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
    case 'acp': {
      const { startAcp } = await import('./acp-main.js');
      try {
        await startAcp({
          input: process.stdin,
          output: process.stdout,
          overrides: args.overrides,
          logLevel: args.logLevel,
          logFile: args.logFile,
          version: packageVersion(),
        });
      } catch (err) {
        exitOnConfigError(err);
      }
      return;
    }
    case 'conformance': {
      const { conformanceCli } = await import('./conformance/cli.js');
      process.exit(await conformanceCli(args.rest, process.stdout, process.stderr));
      return;
    }
    case 'demo': {
      const { runDemo } = await import('./demo/demo.js');
      const code = await runDemo({ overrides: args.overrides, out: process.stdout, logLevel: args.logLevel });
      process.exit(code);
      return;
    }
    case 'app-server': {
      if (args.listen.length > 0) {
        const { startAppServer } = await import('./app-server-main.js');
        try {
          await startAppServer({
            input: process.stdin,
            output: process.stdout,
            overrides: args.overrides,
            logLevel: args.logLevel,
            logFile: args.logFile,
            version: packageVersion(),
            listen: args.listen,
            authTokenFile: args.authTokenFile,
            onListening: (addresses) => {
              for (const a of addresses) process.stderr.write(`agentd: listening on ${a}\n`);
            },
          });
        } catch (err) {
          exitOnConfigError(err);
        }
        return;
      }
      // Answer a plain `initialize` before loading the server: the handshake is what a client
      // waits on at spawn, and the server's modules then load while the client carries on.
      const early = await answerInitializeEarly(process.stdin, packageVersion());
      const { startAppServer } = await import('./app-server-main.js');
      try {
        await startAppServer({
          input: early.input,
          preInitialized: early.initialized,
          output: process.stdout,
          overrides: args.overrides,
          logLevel: args.logLevel,
          logFile: args.logFile,
          version: packageVersion(),
        });
        // The first-line reader paused the input; the server is listening now.
        early.input.resume();
      } catch (err) {
        exitOnConfigError(err);
      }
    }
  }
}

/** A configuration the daemon cannot use ends it with exit code 78 (EX_CONFIG) and the reason; anything else is rethrown. */
function exitOnConfigError(err: unknown): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`agentd: configuration error: ${err.message}\n`);
    process.exit(78);
  }
  throw err;
}

main().catch((err) => {
  process.stderr.write(`agentd: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

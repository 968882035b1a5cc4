import type { Writable } from 'node:stream';
import type { HomeVar } from './context.js';
import { runConformance, scenarioList } from './run.js';

export const CONFORMANCE_USAGE = `usage: agentd conformance --server "<command>" [--home-var CODEX_HOME|AGENTD_HOME] [--json] [--only id,id] [--list]

  --server    the app-server command to test, run by /bin/sh (e.g. "bin/agentd app-server", "codex app-server")
  --home-var  the variable the server reads its home and config.toml from (default: both are set)
  --json      print the report as JSON
  --only      run only these scenarios (the schema check always runs)
  --list      print the scenarios and what each asserts
`;

/** Runs `agentd conformance`; returns the exit code (0 when every scenario passed). */
export async function conformanceCli(argv: string[], out: Writable, err: Writable): Promise<number> {
  let server: string | undefined;
  let homeVar: HomeVar | undefined;
  let json = false;
  let only: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--server') server = value();
    else if (flag === '--home-var') {
      const v = value();
      if (v !== 'CODEX_HOME' && v !== 'AGENTD_HOME') {
        err.write(`agentd conformance: --home-var must be CODEX_HOME or AGENTD_HOME\n${CONFORMANCE_USAGE}`);
        return 2;
      }
      homeVar = v;
    } else if (flag === '--json') json = true;
    else if (flag === '--only') only = (value() ?? '').split(',').filter(Boolean);
    else if (flag === '--help' || flag === '-h') {
      out.write(CONFORMANCE_USAGE);
      return 0;
    } else if (flag === '--list') {
      for (const s of scenarioList()) out.write(`${s.id.padEnd(16)} ${s.asserts}\n`);
      return 0;
    } else {
      err.write(`agentd conformance: unknown argument ${a}\n${CONFORMANCE_USAGE}`);
      return 2;
    }
  }
  if (!server) {
    err.write(`agentd conformance: --server is required\n${CONFORMANCE_USAGE}`);
    return 2;
  }
  const report = await runConformance({ server, homeVar, json, only, out, onStderr: process.env.AGENTD_CONFORMANCE_STDERR ? (t) => err.write(t) : undefined });
  return report.failed === 0 ? 0 : 1;
}

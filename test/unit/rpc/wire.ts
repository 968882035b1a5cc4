import { PassThrough, type Readable } from 'node:stream';
import { silentLogger } from '../../../src/util/logger.js';
import { RpcServer, type RpcServerOptions } from '../../../src/rpc/index.js';

/** One parsed output line; `any` keeps assertions on wire JSON short. */
export type Line = any;

/** Collects every NDJSON line a stream emits, parsed, and lets a test wait for a count. */
export class LineCollector {
  readonly lines: Line[] = [];
  private rest = '';
  private waiters: { n: number; resolve: () => void }[] = [];

  constructor(stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (this.rest + chunk).split('\n');
      this.rest = parts.pop()!;
      for (const part of parts) this.lines.push(JSON.parse(part));
      this.waiters = this.waiters.filter((w) => {
        if (this.lines.length < w.n) return true;
        w.resolve();
        return false;
      });
    });
  }

  /** Resolves with all lines once at least `n` have arrived. */
  async waitFor(n: number): Promise<Line[]> {
    if (this.lines.length < n) {
      await new Promise<void>((resolve) => this.waiters.push({ n, resolve }));
    }
    return this.lines;
  }

  /** Resolves with the first line (from now on, or already received) that matches. */
  async find(pred: (line: Line) => boolean): Promise<Line> {
    for (let n = 1; ; n++) {
      const lines = await this.waitFor(n);
      const line = lines[n - 1];
      if (pred(line)) return line;
    }
  }
}

/** A server wired to in-memory streams, listening, with helpers to talk to it as a client. */
export interface Wire {
  server: RpcServer;
  input: PassThrough;
  output: PassThrough;
  out: LineCollector;
  /** Writes raw bytes (no newline added). */
  sendRaw(data: string | Buffer): void;
  /** Writes each object as one line. */
  send(...msgs: unknown[]): void;
  /** The response with this id (waits for it). */
  response(id: string | number | null): Promise<Line>;
}

/** Starts an {@link RpcServer} on PassThrough streams; call `configure` to set handlers first. */
export function startWire(
  configure: (server: RpcServer) => void = () => {},
  opts: Partial<RpcServerOptions> = {},
): Wire {
  const input = new PassThrough();
  const output = new PassThrough();
  const server = new RpcServer({ input, output, logger: silentLogger(), ...opts });
  configure(server);
  server.listen();
  const out = new LineCollector(output);
  return {
    server,
    input,
    output,
    out,
    sendRaw: (data) => input.write(data),
    send: (...msgs) => input.write(msgs.map((m) => `${JSON.stringify(m)}\n`).join('')),
    response: (id) => out.find((l) => l.id === id && !('method' in l)),
  };
}

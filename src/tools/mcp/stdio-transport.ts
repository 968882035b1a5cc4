import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../util/logger.js';
import { killProcessGroup, processGroupAlive, registerProcessGroup, unregisterProcessGroup } from '../shell/process-group.js';

/** The longest line (one JSON-RPC message) a server may write: a 10 MB tool result fits. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Of a server's stderr, the tail kept to explain a failure. */
const STDERR_TAIL_BYTES = 4096;
/** Lines of stdout that are not JSON-RPC logged per server (then only counted). */
const GARBAGE_LOG_LINES = 5;
/** Time a server gets to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2000;

export interface StdioServerParams {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logger: Logger;
  /** Validates one parsed line as a JSON-RPC message (the SDK's schema); throws when it is not one. */
  parseMessage(value: unknown): JSONRPCMessage;
}

/** The program's path: as given when it names a path, else found on `PATH`; null when not runnable. */
export function resolveCommand(command: string, path: string | undefined, cwd: string): string | null {
  const runnable = (p: string): boolean => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/')) {
    const p = isAbsolute(command) ? command : resolve(cwd, command);
    return runnable(p) ? p : null;
  }
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, command);
    if (runnable(p)) return p;
  }
  return null;
}

let setpriv: string | null | undefined;
/**
 * On Linux, util-linux `setpriv` sets the parent-death signal before it runs the server, so a
 * server dies with the daemon even when the daemon is SIGKILLed (no exit hook runs then). Null
 * when it is not there (the server then only gets EOF on its stdin).
 */
function deathSignalWrapper(): string | null {
  if (setpriv === undefined) {
    setpriv = process.platform === 'linux' ? ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => resolveCommand(p, undefined, '/') !== null) ?? null : null;
  }
  return setpriv;
}

/**
 * An MCP stdio transport that runs the server in its own process group (killed as a whole on
 * close and registered for daemon exit), gives it pipes only (its stdout never reaches ours, its
 * stderr goes to the log), skips stdout lines that are not JSON-RPC instead of failing, and ends
 * the connection when one line grows past {@link MAX_MESSAGE_BYTES}.
 */
export class StdioServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  private child: ChildProcess | null = null;
  private chunks: Buffer[] = [];
  private pending = 0;
  private garbage = 0;
  private stderrTail = '';
  private closed = false;
  private exitInfo: string | null = null;
  private failureReason: string | null = null;

  constructor(private readonly p: StdioServerParams) {}

  /** Why the process ended (exit code or signal), once it has. */
  get exit(): string | null {
    return this.exitInfo;
  }

  /** Why the transport gave up on the server (not its exit), if it did. */
  get failure(): string | null {
    return this.failureReason;
  }

  /** The last bytes the server wrote to stderr. */
  get stderr(): string {
    return this.stderrTail.trim();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    const { p } = this;
    return new Promise<void>((resolve, reject) => {
      const program = resolveCommand(p.command, p.env['PATH'], p.cwd);
      if (program === null) {
        reject(Object.assign(new Error(`command not found: ${p.command}`), { code: 'ENOENT' }));
        return;
      }
      const wrapper = deathSignalWrapper();
      const [file, argv] = wrapper ? [wrapper, ['--pdeathsig', 'SIGKILL', '--', program, ...p.args]] : [program, p.args];
      let child: ChildProcess;
      try {
        child = spawn(file, argv, { cwd: p.cwd, env: p.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true, windowsHide: true });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.child = child;
      child.once('spawn', () => {
        if (child.pid !== undefined) registerProcessGroup(child.pid);
        resolve();
      });
      child.once('error', (err) => {
        if (child.pid === undefined) reject(err);
        else this.onerror?.(err);
        this.finish();
      });
      child.once('close', (code, signal) => {
        this.exitInfo = signal ? `killed by ${signal}` : `exit code ${code}`;
        // The group stays registered (daemon exit SIGKILLs it) while any member lives: a helper
        // that ignores SIGTERM is killed by the escalation, or at exit if the daemon exits first.
        if (child.pid !== undefined && !processGroupAlive(child.pid)) unregisterProcessGroup(child.pid);
        this.finish();
      });
      child.stdout!.on('data', (chunk: Buffer) => this.onStdout(chunk));
      child.stderr!.on('data', (chunk: Buffer) => this.onStderr(chunk));
      // A server that closes its stdin early must not crash the daemon with EPIPE.
      child.stdin!.on('error', (err) => p.logger.debug({ err, mcpServer: p.name }, 'MCP server stdin error'));
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || this.closed || stdin.destroyed) return Promise.reject(new Error(`MCP server ${this.p.name} is not running`));
    return new Promise<void>((resolve, reject) => {
      stdin.write(`${JSON.stringify(message)}\n`, (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.stdin?.end();
      killProcessGroup(child.pid, KILL_GRACE_MS);
    }
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.chunks = [];
    this.pending = 0;
    this.child?.stdout?.removeAllListeners('data');
    // Whatever the leader's fate, nothing of its group may outlive the connection.
    const pid = this.child?.pid;
    if (pid !== undefined) killProcessGroup(pid, KILL_GRACE_MS);
    this.onclose?.();
  }

  private onStdout(chunk: Buffer): void {
    if (this.closed) return;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      const part = chunk.subarray(start, nl);
      const line = this.chunks.length > 0 ? Buffer.concat([...this.chunks, part]) : part;
      this.chunks = [];
      this.pending = 0;
      this.onLine(line);
      if (this.closed) return;
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.pending += rest.length;
      if (this.pending > MAX_MESSAGE_BYTES) {
        this.failureReason = `it wrote a message longer than ${MAX_MESSAGE_BYTES} bytes`;
        this.onerror?.(new Error(`MCP server ${this.p.name}: ${this.failureReason}`));
        void this.close();
        return;
      }
      this.chunks.push(rest);
    }
  }

  private onLine(buf: Buffer): void {
    const text = buf.toString('utf8').replace(/\r$/, '');
    if (text.trim() === '') return;
    let message: JSONRPCMessage;
    try {
      message = this.p.parseMessage(JSON.parse(text));
    } catch {
      this.garbage++;
      if (this.garbage <= GARBAGE_LOG_LINES) {
        this.p.logger.warn({ mcpServer: this.p.name, line: text.slice(0, 200) }, 'MCP server wrote a line that is not JSON-RPC to stdout; ignored');
      }
      return;
    }
    this.onmessage?.(message);
  }

  private onStderr(chunk: Buffer): void {
    const text = chunk.toString('utf8');
    this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_BYTES);
    this.p.logger.debug({ mcpServer: this.p.name, stderr: text.slice(0, 2000) }, 'MCP server stderr');
  }
}

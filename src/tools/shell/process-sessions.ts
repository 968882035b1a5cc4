import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { OutputFlow } from '../../util/flow.js';
import { feedInputFds, inputFdStdio } from '../sandbox/input-fds.js';
import { HeadTailBuffer } from './output-buffer.js';
import { KILL_GRACE_MS, OUTPUT_BUFFER_CHARS, PIPE_DRAIN_TIMEOUT_MS, spawnErrorMessage } from './exec.js';
import { killProcessGroup, registerProcessGroup, signalProcessGroup, unregisterProcessGroup } from './process-group.js';
import { StreamGate } from './stream-gate.js';

/** Yield bounds, as Codex's unified exec clamps them. */
export const MIN_YIELD_MS = 250;
export const MAX_YIELD_MS = 30_000;
/** Default cap on concurrently kept sessions. */
export const DEFAULT_MAX_SESSIONS = 64;
/**
 * Session ids are drawn at random from this range (Codex's too), not counted up from 1: a resumed
 * thread's history still names the ids of a previous daemon's sessions, and a counter would hand
 * the same small numbers to new, unrelated processes.
 */
export const SESSION_ID_MIN = 1000;
export const SESSION_ID_MAX = 100_000;

/** What a poll of a session saw. */
export interface SessionPoll {
  /** Set while the process still runs (pass it to `write`); null once it has exited. */
  sessionId: number | null;
  /** The OS pid of the session's leader (bwrap when sandboxed). */
  pid: number | null;
  /** Output produced since the previous poll (stdout and stderr merged, bounded). */
  output: string;
  exitCode: number | null;
  signal: string | null;
  running: boolean;
  /** The poll was cut short by its abort signal (the session was killed). */
  aborted: boolean;
  wallTimeMs: number;
}

/** How to start a session. `argv` is already sandbox-wrapped if it should be. */
export interface SessionStartOptions {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  yieldMs: number;
  /**
   * The turn's signal: aborting it kills the session at any time while it runs, during this first
   * poll or long after (an interrupt ends every process the turn started).
   */
  signal?: AbortSignal;
  /** Receives output as it arrives during this poll. */
  onOutput?(text: string): void;
  /** Fed to the process through fds 3, 4, … (`WrappedCommand.inputFds`: bwrap's seccomp filter). */
  inputFds?: readonly Uint8Array[];
  /** Back-pressure for `onOutput`: while it is not ready the session's pipes are not read. */
  flow?: OutputFlow;
  /** What a client sees of the session while it runs (`thread/backgroundTerminals/list`). */
  label?: SessionLabel;
}

/** The item that started a session, and its command as the client was shown it. */
export interface SessionLabel {
  itemId: string;
  command: string;
  cwd: string;
}

/** A session that still runs. */
export interface RunningSession extends SessionLabel {
  sessionId: number;
}

/** Options of one `write` poll. */
export interface SessionPollOptions {
  /** Aborting during this poll kills the session. */
  signal?: AbortSignal;
  /** Receives output as it arrives during this poll. */
  onOutput?(text: string): void;
  /** Back-pressure for `onOutput`, as in `SessionStartOptions.flow`. */
  flow?: OutputFlow;
}

/** Thrown by `write` for an id that is unknown or whose process is gone. */
export class UnknownSessionError extends Error {
  constructor(readonly sessionId: number) {
    super(`unknown session id ${sessionId}: the process has exited or was never started`);
    this.name = 'UnknownSessionError';
  }
}

interface Session {
  id: number;
  child: ChildProcess;
  pgid: number | undefined;
  pending: HeadTailBuffer;
  exitCode: number | null;
  signal: string | null;
  /** Resolves once the process exited and its pipes closed (or the drain timed out). */
  done: Promise<void>;
  isDone: boolean;
  lastUsed: number;
  listener: ((text: string) => void) | null;
  gate: StreamGate;
  killed: boolean;
  label: SessionLabel | null;
}

function clampYield(ms: number): number {
  return Math.min(MAX_YIELD_MS, Math.max(MIN_YIELD_MS, Number.isFinite(ms) ? ms : MIN_YIELD_MS));
}

/**
 * Long-running commands for `exec_command`/`write_stdin`: each runs with pipes in its own process
 * group; a call collects output until its yield time passes or the process exits. A session ends
 * (and is forgotten after reporting its exit) when its process exits.
 */
export class ProcessSessionManager {
  private readonly sessions = new Map<number, Session>();
  /** Running sessions by the turn signal that started them: one abort listener per turn. */
  private readonly byTurn = new WeakMap<AbortSignal, Set<Session>>();
  private readonly maxSessions: number;
  private readonly bufferChars: number;

  constructor(opts: { maxSessions?: number; bufferChars?: number } = {}) {
    this.maxSessions = opts.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.bufferChars = opts.bufferChars ?? OUTPUT_BUFFER_CHARS;
  }

  /** Number of sessions kept (running, or exited but not yet reported). */
  get size(): number {
    return this.sessions.size;
  }

  /** Whether `id` names a kept session. */
  has(id: number): boolean {
    return this.sessions.has(id);
  }

  /** Starts a command and collects its output for up to `yieldMs`. */
  async start(opts: SessionStartOptions): Promise<SessionPoll> {
    this.evictIfFull();
    const session = this.spawnSession(opts);
    return this.poll(session, opts.yieldMs, opts);
  }

  /** Writes `chars` to the session's stdin (if any) and collects output for up to `yieldMs`. */
  async write(
    id: number,
    chars: string,
    yieldMs: number,
    opts: SessionPollOptions = {},
  ): Promise<SessionPoll> {
    const session = this.sessions.get(id);
    if (!session) throw new UnknownSessionError(id);
    if (chars.length > 0 && !session.isDone && session.child.stdin?.writable) {
      session.child.stdin.write(chars);
    }
    return this.poll(session, yieldMs, opts);
  }

  /** The sessions whose process still runs, oldest first. */
  running(): RunningSession[] {
    const out: RunningSession[] = [];
    for (const s of this.sessions.values()) {
      if (s.isDone || s.killed) continue;
      out.push({ sessionId: s.id, itemId: s.label?.itemId ?? '', command: s.label?.command ?? s.child.spawnargs.join(' '), cwd: s.label?.cwd ?? '' });
    }
    return out;
  }

  /** Kills one session's process group. */
  kill(id: number): void {
    const s = this.sessions.get(id);
    if (s) this.killSession(s);
  }

  /** Kills every session (daemon or thread shutdown). */
  killAll(): void {
    for (const s of this.sessions.values()) this.killSession(s);
    this.sessions.clear();
  }

  private killSession(s: Session): void {
    if (s.killed || s.isDone) return;
    s.killed = true;
    // What is left in the pipes after the kill is bounded: read it even if the client is slow.
    s.gate.release();
    if (s.pgid !== undefined) killProcessGroup(s.pgid, KILL_GRACE_MS);
  }

  /** Kills `session` when `signal` aborts, however long after its first poll. */
  private tieToTurn(session: Session, signal: AbortSignal): void {
    if (signal.aborted) {
      this.killSession(session);
      return;
    }
    let set = this.byTurn.get(signal);
    if (!set) {
      const members = new Set<Session>();
      set = members;
      this.byTurn.set(signal, members);
      signal.addEventListener('abort', () => {
        for (const s of members) this.killSession(s);
        members.clear();
      }, { once: true });
    }
    set.add(session);
  }

  /** A random id no kept session has. */
  private freshId(): number {
    for (;;) {
      const id = randomInt(SESSION_ID_MIN, SESSION_ID_MAX);
      if (!this.sessions.has(id)) return id;
    }
  }

  /** Makes room: drops exited sessions first, then kills the least recently used one. */
  private evictIfFull(): void {
    if (this.sessions.size < this.maxSessions) return;
    const all = [...this.sessions.values()].sort((a, b) => a.lastUsed - b.lastUsed);
    const victim = all.find((s) => s.isDone) ?? all[0];
    if (!victim) return;
    this.killSession(victim);
    this.sessions.delete(victim.id);
  }

  private spawnSession(opts: SessionStartOptions): Session {
    const child = spawn(opts.argv[0] ?? '', opts.argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', ...inputFdStdio(opts.inputFds)],
    });
    feedInputFds(child, opts.inputFds);
    const pgid = child.pid;
    if (pgid !== undefined) registerProcessGroup(pgid);
    let markDone!: () => void;
    const session: Session = {
      id: this.freshId(),
      child,
      pgid,
      pending: new HeadTailBuffer(this.bufferChars),
      exitCode: null,
      signal: null,
      done: new Promise<void>((r) => (markDone = r)),
      isDone: false,
      lastUsed: Date.now(),
      listener: null,
      gate: new StreamGate([child.stdout, child.stderr]),
      killed: false,
      label: opts.label ?? null,
    };
    const finish = (): void => {
      if (session.isDone) return;
      session.isDone = true;
      if (pgid !== undefined) unregisterProcessGroup(pgid);
      if (opts.signal) this.byTurn.get(opts.signal)?.delete(session);
      markDone();
    };
    const push = (text: string): void => {
      if (!text) return;
      session.pending.push(text);
      session.listener?.(text);
    };
    for (const stream of [child.stdout, child.stderr]) {
      const dec = new StringDecoder('utf8');
      stream?.on('data', (chunk: Buffer) => {
        push(dec.write(chunk));
        session.gate.check();
      });
      stream?.on('end', () => push(dec.end()));
    }
    child.stdin?.on('error', () => {
      // EPIPE after the process exited: the write simply has no reader.
    });
    child.on('error', (err) => {
      push(`${spawnErrorMessage(err, opts.cwd)}\n`);
      session.exitCode = 127;
      if (pgid === undefined) finish();
    });
    child.on('exit', (code, sig) => {
      session.exitCode = code;
      session.signal = sig;
      if (pgid !== undefined) signalProcessGroup(pgid, 'SIGKILL');
      // The drain timeout counts only while we read: output held back for a slow client is not lost.
      const armDrain = (): void => {
        setTimeout(() => {
          if (session.isDone) return;
          if (session.gate.isPaused) {
            void session.gate.whenFlowing().then(armDrain);
            return;
          }
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish();
        }, PIPE_DRAIN_TIMEOUT_MS).unref();
      };
      armDrain();
    });
    child.on('close', finish);
    if (opts.signal) this.tieToTurn(session, opts.signal);
    this.sessions.set(session.id, session);
    return session;
  }

  private async poll(session: Session, yieldMs: number, opts: SessionPollOptions): Promise<SessionPoll> {
    const { signal, onOutput } = opts;
    const started = Date.now();
    session.lastUsed = started;
    session.listener = onOutput ?? null;
    // Only output streamed to the client waits for it; between polls it goes to the bounded buffer.
    session.gate.setFlow(onOutput ? (opts.flow ?? null) : null);
    let aborted = false;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, clampYield(yieldMs));
      void session.done.then(resolve);
      if (signal) {
        onAbort = () => {
          aborted = true;
          this.killSession(session);
          void session.done.then(resolve);
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    clearTimeout(timer);
    if (signal && onAbort) signal.removeEventListener('abort', onAbort);
    session.listener = null;
    session.gate.setFlow(null);
    const running = !session.isDone;
    if (!running) this.sessions.delete(session.id);
    return {
      sessionId: running ? session.id : null,
      pid: session.pgid ?? null,
      output: session.pending.drain(),
      exitCode: session.exitCode,
      signal: session.signal,
      running,
      aborted,
      wallTimeMs: Date.now() - started,
    };
  }
}

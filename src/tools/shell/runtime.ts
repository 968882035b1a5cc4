import type { CommandAction, TurnItem } from '../../core/items.js';
import { TurnAbortedError, type ApprovalDecision, type SandboxPolicy, type ToolContext } from '../types.js';
import { decideCommandApproval, decideRetryAfterDenial } from '../approval/decide.js';
import { PrefixRules } from '../approval/prefix-rules.js';
import { commandSessionKey, type CommandRunMode } from '../approval/session-keys.js';
import { isLikelySandboxDenial } from '../sandbox/denial.js';
import { probeSandbox, type SandboxProbe } from '../sandbox/probe.js';
import { policyNeedsSandbox, wrapCommand } from '../sandbox/wrap.js';
import { buildCommandEnv, DEFAULT_SHELL_ENVIRONMENT_POLICY, withExplicitBareRepositories } from './command-env.js';
import { displayCommand, parseCommandActions } from './command-parse.js';

/** How one attempt is to be run. `argv` is already wrapped (bwrap) when it should be. */
export interface AttemptPlan {
  argv: string[];
  /** Pass to the spawner (`RunCommandOptions.inputFds`): bwrap reads its seccomp filter from them. */
  inputFds: Buffer[];
  sandboxed: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Streams output to the client as `item/commandExecution/outputDelta`. */
  onOutput(text: string): void;
}

/** The part of an attempt's outcome the shared flow needs; executors add their own fields. */
export interface AttemptResult {
  /** null while still running, or when killed. */
  exitCode: number | null;
  /** Output of this attempt (bounded). */
  output: string;
  durationMs: number;
  timedOut: boolean;
  aborted: boolean;
  /** A session that is still running after its first yield. */
  running: boolean;
  /** Shown as the item's `processId` (exec sessions). */
  processId?: string | null;
}

/** What one command call came to. */
export type CommandOutcome<R> =
  | { kind: 'ran'; result: R; sandboxed: boolean }
  | { kind: 'declined'; message: string }
  | { kind: 'rejected'; message: string };

/** One command call, as the handlers describe it. */
export interface CommandRequest {
  itemId: string;
  argv: string[];
  cwd: string;
  escalationRequested: boolean;
  justification?: string;
}

/** Options of the shared runtime (tests inject the probe and environment). */
export interface ShellRuntimeOptions {
  probe?: () => Promise<SandboxProbe>;
  /**
   * The environment commands run with, built per attempt (see `commandEnvFor`); defaults to
   * `defaultCommandEnv`.
   */
  env?: () => NodeJS.ProcessEnv;
  /** The user's command prefix rules (shared by every thread); none when absent. */
  prefixRules?: PrefixRules;
}

/** Message to the model when the user declines a command. */
export const DECLINED_MESSAGE = 'exec command rejected by user';
/** Why a command that would run outside the sandbox is refused in a sandbox-only context (a review). */
export const SANDBOX_ONLY_MESSAGE = 'refused: this turn is read-only (a review); commands run only inside the read-only sandbox and cannot be escalated';
/** The question of the retry: its own request, which says it runs without the sandbox. */
export const RETRY_REASON = 'command failed in the sandbox; retry without the sandbox?';
const FULL_ACCESS: SandboxPolicy = { type: 'dangerFullAccess' };

/**
 * The default command environment: the daemon's without variables that look like credentials
 * (the default `[shell_environment_policy]`), made non-interactive (no pagers, no colours).
 */
export function defaultCommandEnv(): NodeJS.ProcessEnv {
  return buildCommandEnv(DEFAULT_SHELL_ENVIRONMENT_POLICY, process.env);
}

/**
 * The flow every command tool shares: item start → approval decision (and question) → sandboxed
 * or unsandboxed attempt → on a likely sandbox denial, an optional approved retry without it →
 * item completion. Executors only say how to run an attempt.
 */
export class ShellRuntime {
  private readonly probe: () => Promise<SandboxProbe>;
  private readonly env: () => NodeJS.ProcessEnv;
  private readonly prefixRules: PrefixRules;

  constructor(opts: ShellRuntimeOptions = {}) {
    this.probe = opts.probe ?? probeSandbox;
    this.env = opts.env ?? defaultCommandEnv;
    this.prefixRules = opts.prefixRules ?? new PrefixRules();
  }

  /**
   * Runs one command call through the shared flow; throws TurnAbortedError on `cancel`. The item
   * the client saw start always completes: a throw before it did (a spawn that fails at once, in a
   * cwd that is not a directory or with a NUL byte in an argument) completes it as failed.
   */
  async execute<R extends AttemptResult>(
    ctx: ToolContext,
    req: CommandRequest,
    attempt: (plan: AttemptPlan) => Promise<R>,
  ): Promise<CommandOutcome<R>> {
    const command = displayCommand(req.argv);
    const commandActions = parseCommandActions(req.argv);
    const base = { type: 'commandExecution' as const, id: req.itemId, command, cwd: req.cwd, commandActions };
    let completed = false;
    const complete = (fields: Partial<Extract<TurnItem, { type: 'commandExecution' }>>): void => {
      completed = true;
      ctx.itemCompleted({ ...base, status: 'completed', ...fields });
    };
    ctx.itemStarted({ ...base, status: 'inProgress' });
    try {
      return await this.runFlow(ctx, req, attempt, command, commandActions, complete);
    } catch (err) {
      if (!completed) complete({ status: 'failed', aggregatedOutput: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }

  private async runFlow<R extends AttemptResult>(
    ctx: ToolContext,
    req: CommandRequest,
    attempt: (plan: AttemptPlan) => Promise<R>,
    command: string,
    commandActions: CommandAction[],
    complete: (fields: Partial<Extract<TurnItem, { type: 'commandExecution' }>>) => void,
  ): Promise<CommandOutcome<R>> {

    const probe = policyNeedsSandbox(ctx.sandboxPolicy) ? await this.probe() : { available: true };
    let decision = decideCommandApproval({
      argv: req.argv,
      approvalPolicy: ctx.approvalPolicy,
      sandboxPolicy: ctx.sandboxPolicy,
      sandboxAvailable: probe.available,
      ...(probe.reason !== undefined ? { sandboxUnavailableReason: probe.reason } : {}),
      escalationRequested: req.escalationRequested,
      ...(req.justification !== undefined ? { justification: req.justification } : {}),
    });

    // A context confined to its sandbox (a review) refuses anything that would run outside it.
    if (ctx.sandboxOnly && (decision.action === 'run-unsandboxed' || (decision.action === 'ask' && decision.onAccept === 'unsandboxed'))) {
      decision = { action: 'reject', reason: SANDBOX_ONLY_MESSAGE };
    }

    let sandboxed: boolean;
    switch (decision.action) {
      case 'reject':
        complete({ status: 'failed', aggregatedOutput: decision.reason });
        return { kind: 'rejected', message: decision.reason };
      case 'run-sandboxed':
        sandboxed = true;
        break;
      case 'run-unsandboxed':
        sandboxed = false;
        break;
      case 'ask': {
        const mode: CommandRunMode =
          decision.onAccept === 'sandboxed' ? { sandboxed: true, policy: ctx.sandboxPolicy } : { sandboxed: false };
        // A prefix rule answers only questions about running in the thread's own sandbox: it
        // removes the question, never the sandbox (an escalation or a sandbox that could not
        // start is still asked about).
        const inThreadSandbox = decision.onAccept === 'sandboxed' || ctx.sandboxPolicy.type === 'dangerFullAccess';
        if (inThreadSandbox && this.prefixRules.allows(req.argv)) {
          ctx.logger.debug({ itemId: req.itemId }, 'command approved by a prefix rule');
          sandboxed = decision.onAccept === 'sandboxed';
          break;
        }
        const proposed = inThreadSandbox ? this.prefixRules.proposeFor(req.argv) : null;
        const answer = await this.ask(ctx, req, command, commandActions, decision.reason, mode, false, proposed);
        if (answer !== 'accept') {
          complete({ status: 'declined' });
          if (answer === 'cancel') throw new TurnAbortedError();
          return { kind: 'declined', message: DECLINED_MESSAGE };
        }
        sandboxed = decision.onAccept === 'sandboxed';
        break;
      }
    }

    // Under `untrusted`, a command that runs without a question runs because it is known-safe:
    // nothing the workspace holds may make it run programs (see `withExplicitBareRepositories`).
    const unasked = ctx.approvalPolicy === 'untrusted' && decision.action !== 'ask';

    // Writable roots come from the thread (ctx.cwd), never from the command's workdir (req.cwd).
    // An unsandboxed attempt still runs in bwrap's pid namespace when bwrap works, so it dies
    // with the daemon even on SIGKILL.
    const run = async (inSandbox: boolean): Promise<R> => {
      const base = (ctx.commandEnv ?? this.env)();
      const env = unasked ? withExplicitBareRepositories(base) : base;
      const containFullAccess = !inSandbox && (await this.probe()).containsFullAccess === true;
      const wrapped = wrapCommand(req.argv, {
        policy: inSandbox ? ctx.sandboxPolicy : FULL_ACCESS,
        policyCwd: ctx.cwd,
        cwd: req.cwd,
        env,
        containFullAccess,
      });
      return attempt({
        argv: wrapped.argv,
        inputFds: wrapped.inputFds,
        sandboxed: inSandbox,
        cwd: req.cwd,
        env,
        onOutput: (text) => ctx.commandOutputDelta(req.itemId, text),
      });
    };

    let result = await run(sandboxed);
    if (
      sandboxed &&
      !result.running &&
      !result.timedOut &&
      !result.aborted &&
      !ctx.signal.aborted &&
      !ctx.sandboxOnly &&
      isLikelySandboxDenial(result.exitCode, result.output) &&
      decideRetryAfterDenial(ctx.approvalPolicy) === 'ask'
    ) {
      // Never answered from the session's approvals, even an earlier `acceptForSession` of this
      // very command: that one was for a sandboxed run. Its own `acceptForSession` is remembered
      // for unsandboxed runs of the command (escalations), never for later retries.
      const answer = await this.ask(ctx, req, command, commandActions, RETRY_REASON, { sandboxed: false }, true);
      if (answer === 'cancel') {
        complete({ status: 'declined', aggregatedOutput: result.output, exitCode: result.exitCode, durationMs: result.durationMs });
        throw new TurnAbortedError();
      }
      if (answer === 'accept') {
        sandboxed = false;
        result = await run(false);
      }
    }

    const failed = result.aborted || result.timedOut || (!result.running && result.exitCode !== 0);
    complete({
      status: failed ? 'failed' : 'completed',
      aggregatedOutput: result.output,
      exitCode: result.exitCode,
      durationMs: result.durationMs,
      ...(result.processId !== undefined ? { processId: result.processId } : {}),
    });
    return { kind: 'ran', result, sandboxed };
  }

  /**
   * Asks the user about running the command in `mode`; `acceptForSession` counts as accept (the
   * context remembers the keys, which carry the mode). `alwaysAsk` skips the remembered approvals.
   */
  private async ask(
    ctx: ToolContext,
    req: CommandRequest,
    command: string,
    commandActions: CommandAction[],
    reason: string | undefined,
    mode: CommandRunMode,
    alwaysAsk: boolean,
    proposedPrefixRule: string[] | null = null,
  ): Promise<'accept' | 'decline' | 'cancel'> {
    const decision: ApprovalDecision = await ctx.requestApproval({
      kind: 'command',
      itemId: req.itemId,
      command,
      cwd: req.cwd,
      commandActions,
      reason: reason ?? null,
      sessionKeys: [commandSessionKey(req.argv, req.cwd, mode)],
      ...(alwaysAsk ? { alwaysAsk } : {}),
      proposedPrefixRule,
    });
    if (typeof decision === 'object') {
      this.storePrefixRule(ctx, req, decision.prefix);
      return 'accept';
    }
    if (decision === 'accept' || decision === 'acceptForSession') return 'accept';
    return decision;
  }

  /**
   * The user accepted the command and asked for a rule: it is stored exactly as sent, and only
   * when it is a prefix of one of this command's simple commands (an empty or unrelated prefix is
   * refused and logged). The command itself is accepted either way: the user said yes to it.
   */
  private storePrefixRule(ctx: ToolContext, req: CommandRequest, prefix: string[]): void {
    if (!this.prefixRules.fitsCommand(req.argv, prefix)) {
      ctx.logger.warn({ itemId: req.itemId, prefix }, 'prefix rule refused: it is not a prefix of the approved command');
      return;
    }
    try {
      this.prefixRules.add(prefix);
      ctx.logger.info({ prefix }, 'prefix rule stored');
    } catch (err) {
      ctx.logger.warn({ err, prefix }, 'cannot store the prefix rule; the command is accepted once');
    }
  }
}

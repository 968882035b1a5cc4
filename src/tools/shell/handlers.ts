import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { isKnownSafeCommand } from '../approval/safe-commands.js';
import type { ToolCall, ToolContext, ToolHandler, ToolOutput } from '../types.js';
import { effectiveExitCode, runCommand } from './exec.js';
import { UnknownSessionError, type SessionPoll } from './process-sessions.js';
import { ShellRuntime, type AttemptResult, type CommandOutcome } from './runtime.js';
import { approxTokenCount, truncateForModel } from './truncate.js';

/** Default `shell` timeout, as Codex. */
export const DEFAULT_SHELL_TIMEOUT_MS = 10_000;
/** Default `exec_command` yield. */
export const DEFAULT_EXEC_YIELD_MS = 10_000;
/** Default `write_stdin` yield. */
export const DEFAULT_WRITE_YIELD_MS = 250;
/** Default output budget for the model, in tokens. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 10_000;

const ShellArgs = z.object({
  command: z.array(z.string()).min(1),
  workdir: z.string().optional(),
  timeout_ms: z.number().int().positive().optional(),
  with_escalated_permissions: z.boolean().optional(),
  justification: z.string().optional(),
});

const ExecCommandArgs = z.object({
  cmd: z.string().min(1),
  workdir: z.string().optional(),
  yield_time_ms: z.number().nonnegative().optional(),
  max_output_tokens: z.number().int().positive().optional(),
  shell: z.string().optional(),
  login: z.boolean().optional(),
  sandbox_permissions: z.enum(['use_default', 'require_escalated']).optional(),
  justification: z.string().optional(),
});

const WriteStdinArgs = z.object({
  session_id: z.number().int(),
  chars: z.string().optional(),
  yield_time_ms: z.number().nonnegative().optional(),
  max_output_tokens: z.number().int().positive().optional(),
});

type Parsed<T> = { ok: true; value: T } | { ok: false; output: ToolOutput };

function parseArgs<T>(schema: z.ZodType<T>, call: ToolCall): Parsed<T> {
  let json: unknown;
  try {
    json = JSON.parse(call.input || '{}');
  } catch (err) {
    return { ok: false, output: { content: `failed to parse function arguments: ${(err as Error).message}`, success: false } };
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const detail = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return { ok: false, output: { content: `failed to parse function arguments: ${detail}`, success: false } };
  }
  return { ok: true, value: r.data };
}

function resolveCwd(ctx: ToolContext, workdir: string | undefined): string {
  return workdir ? path.resolve(ctx.cwd, workdir) : ctx.cwd;
}

/** The model's view of an outcome that never ran. */
function notRun(outcome: Exclude<CommandOutcome<AttemptResult>, { kind: 'ran' }>): ToolOutput {
  return { content: outcome.message, success: false };
}

/** Codex's unified-exec text: chunk id, wall time, exit or session, token count, output. */
export function formatExecOutput(poll: SessionPoll, maxOutputTokens: number): string {
  const lines = [
    `Chunk ID: ${randomBytes(3).toString('hex')}`,
    `Wall time: ${(poll.wallTimeMs / 1000).toFixed(4)} seconds`,
  ];
  if (poll.running && poll.sessionId !== null) lines.push(`Process running with session ID ${poll.sessionId}`);
  else if (poll.aborted) lines.push('Process was killed: the turn was interrupted');
  else lines.push(`Process exited with code ${poll.exitCode ?? -1}`);
  lines.push(`Original token count: ${approxTokenCount(poll.output)}`);
  lines.push('Output:');
  lines.push(truncateForModel(poll.output, { maxTokens: maxOutputTokens }));
  return lines.join('\n');
}

interface ExecAttempt extends AttemptResult {
  poll: SessionPoll;
}

/** The three shell tools over one runtime. */
export interface ShellHandlers {
  shell: ToolHandler;
  exec_command: ToolHandler;
  write_stdin: ToolHandler;
}

/** Builds the `shell`, `exec_command` and `write_stdin` handlers sharing `runtime`. */
export function createShellHandlers(runtime: ShellRuntime = new ShellRuntime()): ShellHandlers {
  const shell: ToolHandler = {
    name: 'shell',
    parallelSafe: true,
    isReadOnly(call) {
      const args = parseArgs(ShellArgs, call);
      return args.ok && isKnownSafeCommand(args.value.command);
    },
    async handle(call, ctx) {
      const args = parseArgs(ShellArgs, call);
      if (!args.ok) return args.output;
      const a = args.value;
      const timeoutMs = a.timeout_ms ?? DEFAULT_SHELL_TIMEOUT_MS;
      const outcome = await runtime.execute(
        ctx,
        {
          itemId: call.callId,
          argv: a.command,
          cwd: resolveCwd(ctx, a.workdir),
          escalationRequested: a.with_escalated_permissions === true,
          ...(a.justification !== undefined ? { justification: a.justification } : {}),
        },
        async (plan) => {
          const r = await runCommand({
            argv: plan.argv,
            inputFds: plan.inputFds,
            cwd: plan.cwd,
            env: plan.env,
            timeoutMs,
            signal: ctx.signal,
            onOutput: (_stream, text) => plan.onOutput(text),
            flow: ctx.flow,
          });
          return {
            exitCode: effectiveExitCode(r),
            output: r.aggregated,
            durationMs: r.durationMs,
            timedOut: r.timedOut,
            aborted: r.aborted,
            running: false,
          };
        },
      );
      if (outcome.kind !== 'ran') return notRun(outcome);
      const r = outcome.result;
      let text = r.output;
      if (r.timedOut) text = `command timed out after ${timeoutMs} milliseconds\n${text}`;
      if (r.aborted) text = `command aborted: the turn was interrupted\n${text}`;
      const content = JSON.stringify({
        output: truncateForModel(text, { maxTokens: DEFAULT_MAX_OUTPUT_TOKENS }),
        metadata: { exit_code: r.exitCode, duration_seconds: Math.round(r.durationMs / 100) / 10 },
      });
      return { content, success: r.exitCode === 0 };
    },
  };

  const execCommand: ToolHandler = {
    name: 'exec_command',
    parallelSafe: true,
    isReadOnly(call) {
      const args = parseArgs(ExecCommandArgs, call);
      return args.ok && isKnownSafeCommand([args.value.shell ?? '/bin/bash', args.value.login !== false ? '-lc' : '-c', args.value.cmd]);
    },
    async handle(call, ctx) {
      const args = parseArgs(ExecCommandArgs, call);
      if (!args.ok) return args.output;
      const a = args.value;
      const argv = [a.shell ?? '/bin/bash', a.login !== false ? '-lc' : '-c', a.cmd];
      const outcome = await runtime.execute<ExecAttempt>(
        ctx,
        {
          itemId: call.callId,
          argv,
          cwd: resolveCwd(ctx, a.workdir),
          escalationRequested: a.sandbox_permissions === 'require_escalated',
          ...(a.justification !== undefined ? { justification: a.justification } : {}),
        },
        async (plan) => {
          const poll = await ctx.processes.start({
            argv: plan.argv,
            inputFds: plan.inputFds,
            cwd: plan.cwd,
            env: plan.env,
            yieldMs: a.yield_time_ms ?? DEFAULT_EXEC_YIELD_MS,
            signal: ctx.signal,
            onOutput: plan.onOutput,
            flow: ctx.flow,
            label: { itemId: call.callId, command: a.cmd, cwd: plan.cwd },
          });
          return {
            poll,
            exitCode: poll.running ? null : poll.exitCode,
            output: poll.output,
            durationMs: poll.wallTimeMs,
            timedOut: false,
            aborted: poll.aborted,
            running: poll.running,
            processId: poll.sessionId !== null ? String(poll.sessionId) : null,
          };
        },
      );
      if (outcome.kind !== 'ran') return notRun(outcome);
      const { poll } = outcome.result;
      const success = poll.running || poll.exitCode === 0;
      return { content: formatExecOutput(poll, a.max_output_tokens ?? DEFAULT_MAX_OUTPUT_TOKENS), success };
    },
  };

  const writeStdin: ToolHandler = {
    name: 'write_stdin',
    // Two polls of one session would steal each other's output.
    parallelSafe: false,
    async handle(call, ctx) {
      const args = parseArgs(WriteStdinArgs, call);
      if (!args.ok) return args.output;
      const a = args.value;
      try {
        const poll = await ctx.processes.write(a.session_id, a.chars ?? '', a.yield_time_ms ?? DEFAULT_WRITE_YIELD_MS, {
          signal: ctx.signal,
        });
        const success = poll.running || poll.exitCode === 0;
        return { content: formatExecOutput(poll, a.max_output_tokens ?? DEFAULT_MAX_OUTPUT_TOKENS), success };
      } catch (err) {
        if (err instanceof UnknownSessionError) return { content: err.message, success: false };
        throw err;
      }
    },
  };

  return { shell, exec_command: execCommand, write_stdin: writeStdin };
}

/** The handlers matching `shellToolSpecs(style)`. */
export function shellToolHandlers(style: 'codex' | 'classic', runtime: ShellRuntime = new ShellRuntime()): ToolHandler[] {
  const h = createShellHandlers(runtime);
  return style === 'codex' ? [h.exec_command, h.write_stdin] : [h.shell];
}

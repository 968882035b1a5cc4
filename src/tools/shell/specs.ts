import type { ToolSpec } from '../../model/types.js';

/** The classic `shell` tool: an argv, run to completion. */
export const SHELL_TOOL_SPEC: ToolSpec = {
  type: 'function',
  name: 'shell',
  description:
    'Runs a command and returns its output and exit code once it finishes. Pass the argv as an array; ' +
    'for shell syntax (pipes, &&, globs) use ["bash", "-lc", "<script>"]. Always set `workdir` rather ' +
    'than using `cd`. Commands run in a sandbox; if one fails because the sandbox blocked it and it is ' +
    'needed, call it again with `with_escalated_permissions: true` and a one-sentence `justification`.',
  parameters: {
    type: 'object',
    properties: {
      command: { type: 'array', items: { type: 'string' }, description: 'The command to execute, as an argv.' },
      workdir: { type: 'string', description: 'The working directory (defaults to the turn cwd).' },
      timeout_ms: { type: 'number', description: 'Kill the command after this many milliseconds (default 10000).' },
      with_escalated_permissions: {
        type: 'boolean',
        description: 'Ask the user to run this command without the sandbox.',
      },
      justification: {
        type: 'string',
        description: 'Why escalated permissions are needed; shown to the user with the approval question.',
      },
    },
    required: ['command'],
    additionalProperties: false,
  },
};

/** Codex's `exec_command`: a shell script that may keep running as a session. */
export const EXEC_COMMAND_TOOL_SPEC: ToolSpec = {
  type: 'function',
  name: 'exec_command',
  description:
    'Runs a shell command and returns its output. If the process is still running after ' +
    '`yield_time_ms`, returns the output so far and a session ID; use `write_stdin` with that ID to send ' +
    'input or to wait for more output. Commands run in a sandbox; to run outside it, set ' +
    '`sandbox_permissions: "require_escalated"` with a one-sentence `justification`.',
  parameters: {
    type: 'object',
    properties: {
      cmd: { type: 'string', description: 'Shell command to execute.' },
      workdir: { type: 'string', description: 'The working directory (defaults to the turn cwd).' },
      yield_time_ms: { type: 'number', description: 'How long to wait for output before returning (default 10000).' },
      max_output_tokens: { type: 'number', description: 'Maximum number of tokens of output to return (default 10000).' },
      shell: { type: 'string', description: 'Shell binary to launch (default /bin/bash).' },
      login: { type: 'boolean', description: 'Whether to run the shell with -l/-i semantics (default true).' },
      sandbox_permissions: {
        type: 'string',
        enum: ['use_default', 'require_escalated'],
        description: 'Sandbox permissions for the command; "require_escalated" asks to run it without the sandbox.',
      },
      justification: { type: 'string', description: 'Why escalated permissions are needed.' },
    },
    required: ['cmd'],
    additionalProperties: false,
  },
};

/** Codex's `write_stdin`: feeds a running `exec_command` session and collects more output. */
export const WRITE_STDIN_TOOL_SPEC: ToolSpec = {
  type: 'function',
  name: 'write_stdin',
  description:
    'Writes characters to the stdin of a running exec_command session and returns its recent output. ' +
    'Pass empty `chars` to just wait for more output.',
  parameters: {
    type: 'object',
    properties: {
      session_id: { type: 'number', description: 'Identifier of the running session.' },
      chars: { type: 'string', description: 'Bytes to write to stdin (may be empty to poll).' },
      yield_time_ms: { type: 'number', description: 'How long to wait for output before returning (default 250).' },
      max_output_tokens: { type: 'number', description: 'Maximum number of tokens of output to return (default 10000).' },
    },
    required: ['session_id'],
    additionalProperties: false,
  },
};

/** The shell tools offered for a tool style: Codex's `exec_command`+`write_stdin`, or `shell`. */
export function shellToolSpecs(style: 'codex' | 'classic'): ToolSpec[] {
  return style === 'codex' ? [EXEC_COMMAND_TOOL_SPEC, WRITE_STDIN_TOOL_SPEC] : [SHELL_TOOL_SPEC];
}

import { describe, expect, it } from 'vitest';
import { createShellHandlers } from '../../../../src/tools/shell/handlers.js';
import type { ToolCall } from '../../../../src/tools/types.js';

const call = (name: string, args: unknown): ToolCall => ({ callId: 'c1', name, kind: 'function', input: JSON.stringify(args) });

describe('isReadOnly of the shell handlers uses the known-safe classifier', () => {
  const h = createShellHandlers();
  const readOnly = (name: 'shell' | 'exec_command', args: unknown): boolean =>
    h[name].isReadOnly?.(call(name, args)) ?? false;

  it('calls a listing by the system shell read-only', () => {
    expect(readOnly('exec_command', { cmd: 'ls -la && git status' })).toBe(true);
    expect(readOnly('exec_command', { cmd: 'ls', shell: '/bin/sh', login: false })).toBe(true);
    expect(readOnly('shell', { command: ['ls', '-la'] })).toBe(true);
  });

  it('does not call a workspace shell read-only, whatever the script', () => {
    expect(readOnly('exec_command', { cmd: 'ls', shell: '/work/project/bash' })).toBe(false);
    expect(readOnly('exec_command', { cmd: 'ls', shell: './bash' })).toBe(false);
    expect(readOnly('shell', { command: ['/tmp/x/bash', '-lc', 'ls'] })).toBe(false);
  });

  it('does not call an abbreviated writing option read-only', () => {
    expect(readOnly('exec_command', { cmd: 'sort --o=out in' })).toBe(false);
    expect(readOnly('shell', { command: ['sort', '--compress-program=sh', 'in'] })).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { decideCommandApproval, decideRetryAfterDenial } from '../../../../src/tools/approval/decide.js';
import type { ApprovalPolicy, SandboxPolicy } from '../../../../src/tools/types.js';

const SAFE = ['ls'];
const UNSAFE = ['npm', 'install'];
const ro: SandboxPolicy = { type: 'readOnly' };
const ww: SandboxPolicy = { type: 'workspaceWrite', writableRoots: [], networkAccess: false, excludeSlashTmp: false, excludeTmpdirEnvVar: false };
const full: SandboxPolicy = { type: 'dangerFullAccess' };

type Row = [ApprovalPolicy, SandboxPolicy, string[], { available: boolean; escalate: boolean }, string, string?];

// [policy, sandbox, argv, {available, escalate}, expected action, expected onAccept]
const rows: Row[] = [
  ['untrusted', ww, SAFE, { available: true, escalate: false }, 'run-sandboxed'],
  ['untrusted', ww, UNSAFE, { available: true, escalate: false }, 'ask', 'sandboxed'],
  ['untrusted', ro, UNSAFE, { available: true, escalate: true }, 'ask', 'unsandboxed'],
  ['untrusted', full, SAFE, { available: true, escalate: false }, 'run-unsandboxed'],
  ['untrusted', full, UNSAFE, { available: true, escalate: false }, 'ask', 'unsandboxed'],
  ['untrusted', ww, SAFE, { available: false, escalate: false }, 'ask', 'unsandboxed'],
  ['on-failure', ww, UNSAFE, { available: true, escalate: false }, 'run-sandboxed'],
  ['on-failure', ro, SAFE, { available: true, escalate: false }, 'run-sandboxed'],
  ['on-failure', ww, UNSAFE, { available: true, escalate: true }, 'ask', 'unsandboxed'],
  ['on-failure', full, UNSAFE, { available: true, escalate: false }, 'run-unsandboxed'],
  ['on-failure', ww, UNSAFE, { available: false, escalate: false }, 'ask', 'unsandboxed'],
  ['on-request', ww, UNSAFE, { available: true, escalate: false }, 'run-sandboxed'],
  ['on-request', ro, UNSAFE, { available: true, escalate: false }, 'run-sandboxed'],
  ['on-request', ww, UNSAFE, { available: true, escalate: true }, 'ask', 'unsandboxed'],
  ['on-request', full, UNSAFE, { available: true, escalate: true }, 'run-unsandboxed'],
  ['on-request', ro, SAFE, { available: false, escalate: false }, 'ask', 'unsandboxed'],
  ['never', ww, UNSAFE, { available: true, escalate: false }, 'run-sandboxed'],
  ['never', ro, SAFE, { available: true, escalate: false }, 'run-sandboxed'],
  ['never', ww, UNSAFE, { available: true, escalate: true }, 'reject'],
  ['never', full, UNSAFE, { available: true, escalate: false }, 'run-unsandboxed'],
  ['never', full, UNSAFE, { available: false, escalate: true }, 'run-unsandboxed'],
  ['never', ww, SAFE, { available: false, escalate: false }, 'reject'],
];

describe('decideCommandApproval', () => {
  it.each(rows)('%s / %o / %j / %o → %s', (approvalPolicy, sandboxPolicy, argv, o, action, onAccept) => {
    const d = decideCommandApproval({
      argv,
      approvalPolicy,
      sandboxPolicy,
      sandboxAvailable: o.available,
      sandboxUnavailableReason: 'bwrap missing',
      escalationRequested: o.escalate,
    });
    expect(d.action).toBe(action);
    if (d.action === 'ask') expect(d.onAccept).toBe(onAccept);
    if (d.action === 'reject') expect(d.reason.length).toBeGreaterThan(0);
  });

  it('says the sandbox could not start when it is unavailable', () => {
    for (const approvalPolicy of ['untrusted', 'on-failure', 'on-request', 'never'] as const) {
      const d = decideCommandApproval({
        argv: UNSAFE,
        approvalPolicy,
        sandboxPolicy: ww,
        sandboxAvailable: false,
        sandboxUnavailableReason: 'bwrap missing',
        escalationRequested: false,
      });
      expect(d.reason).toMatch(/sandbox could not start \(bwrap missing\)/);
      expect(d.action).not.toBe('run-unsandboxed');
    }
  });

  it('uses the justification as the question for escalations', () => {
    const d = decideCommandApproval({
      argv: UNSAFE,
      approvalPolicy: 'on-request',
      sandboxPolicy: ww,
      sandboxAvailable: true,
      escalationRequested: true,
      justification: 'needs network to install deps',
    });
    expect(d).toEqual({ action: 'ask', reason: 'needs network to install deps', onAccept: 'unsandboxed' });
  });
});

describe('decideRetryAfterDenial', () => {
  it('asks except under never', () => {
    expect(decideRetryAfterDenial('untrusted')).toBe('ask');
    expect(decideRetryAfterDenial('on-failure')).toBe('ask');
    expect(decideRetryAfterDenial('on-request')).toBe('ask');
    expect(decideRetryAfterDenial('never')).toBe('no');
  });
});

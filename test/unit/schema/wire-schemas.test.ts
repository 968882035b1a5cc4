import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { TurnItem, UserInput as CoreUserInput } from '../../../src/core/items.js';
import type { SandboxPolicy as CoreSandboxPolicy } from '../../../src/tools/types.js';
import {
  clientNotifications,
  clientRequests,
  CommandExecutionRequestApprovalResponse,
  FileChangeRequestApprovalResponse,
  isClientRequestMethod,
  ItemCompletedNotification,
  type Params,
  type Result,
  serverNotifications,
  serverRequests,
  ThreadItem,
  ThreadStartParams,
  TurnStartParams,
  UserInput,
} from '../../../src/protocol/app-server/schema/index.js';

function issuePaths(result: { success: boolean; error?: z.ZodError }): string[] {
  return (result.error?.issues ?? []).map((issue) => issue.path.join('.'));
}

describe('client request params', () => {
  it('accepts every UserInput variant', () => {
    const input = [
      { type: 'text', text: 'hi' },
      { type: 'text', text: 'hi @x', text_elements: [{ byteRange: { start: 3, end: 5 }, placeholder: null }] },
      { type: 'image', url: 'https://example.com/a.png', detail: 'high' },
      { type: 'image', url: 'data:image/png;base64,AAAA', detail: null },
      { type: 'localImage', path: '/tmp/a.png' },
    ];
    const parsed = TurnStartParams.parse({ threadId: 't1', input });
    expect(parsed.input).toEqual(input);
  });

  it('reports the failing path of a bad input item', () => {
    const result = TurnStartParams.safeParse({ threadId: 't1', input: [{ type: 'text', text: 42 }] });
    expect(result.success).toBe(false);
    expect(issuePaths(result)).toContain('input.0.text');
  });

  it('rejects an unknown input type at its discriminator', () => {
    const result = TurnStartParams.safeParse({ threadId: 't1', input: [{ type: 'hologram' }] });
    expect(issuePaths(result)).toEqual(['input.0.type']);
  });

  it('rejects malformed text elements', () => {
    const bad = { type: 'text', text: 'x', text_elements: [{ byteRange: { start: -1, end: 2 } }] };
    const result = UserInput.safeParse(bad);
    expect(issuePaths(result)).toEqual(['text_elements.0.byteRange.start']);
  });

  it('requires threadId and input', () => {
    const result = TurnStartParams.safeParse({});
    expect(issuePaths(result).sort()).toEqual(['input', 'threadId']);
  });

  it('fills sandboxPolicy defaults for each object form', () => {
    const parse = (sandboxPolicy: unknown): unknown =>
      TurnStartParams.parse({ threadId: 't', input: [], sandboxPolicy }).sandboxPolicy;
    expect(parse({ type: 'dangerFullAccess' })).toEqual({ type: 'dangerFullAccess' });
    expect(parse({ type: 'readOnly' })).toEqual({ type: 'readOnly', networkAccess: false });
    expect(parse({ type: 'workspaceWrite', writableRoots: ['/w'], networkAccess: true })).toEqual({
      type: 'workspaceWrite',
      writableRoots: ['/w'],
      networkAccess: true,
      excludeTmpdirEnvVar: false,
      excludeSlashTmp: false,
    });
    const sandboxPolicy = { type: 'workspaceWrite', networkAccess: 'yes' };
    const bad = TurnStartParams.safeParse({ threadId: 't', input: [], sandboxPolicy });
    expect(issuePaths(bad)).toEqual(['sandboxPolicy.networkAccess']);
  });

  it('accepts null for every optional field', () => {
    const parsed = ThreadStartParams.parse({
      model: null,
      modelProvider: null,
      cwd: null,
      approvalPolicy: null,
      sandbox: null,
      config: null,
      baseInstructions: null,
      developerInstructions: null,
      ephemeral: null,
    });
    expect(parsed.model).toBeNull();
    expect(
      TurnStartParams.safeParse({
        threadId: 't',
        input: [],
        cwd: null,
        approvalPolicy: null,
        sandboxPolicy: null,
        model: null,
        effort: null,
        summary: null,
        outputSchema: null,
      }).success,
    ).toBe(true);
    const list = clientRequests['thread/list'].params;
    expect(list.safeParse({ cursor: null, limit: null, sortKey: null, cwd: null }).success).toBe(true);
  });

  it('ignores unknown fields instead of rejecting them', () => {
    const parsed = TurnStartParams.parse({
      threadId: 't',
      input: [{ type: 'text', text: 'x', futureField: 1 }],
      personality: 'friendly',
      somethingNew: { deep: true },
    });
    expect(parsed).toEqual({ threadId: 't', input: [{ type: 'text', text: 'x' }] });
  });

  it('accepts the legacy on-failure approval policy next to the current ones, read as on-request', () => {
    for (const approvalPolicy of ['untrusted', 'on-request', 'never']) {
      expect(ThreadStartParams.parse({ approvalPolicy }).approvalPolicy).toBe(approvalPolicy);
    }
    expect(ThreadStartParams.parse({ approvalPolicy: 'on-failure' }).approvalPolicy).toBe('on-request');
    expect(issuePaths(ThreadStartParams.safeParse({ approvalPolicy: 'sometimes' }))).toEqual(['approvalPolicy']);
  });

  it('validates the sandbox mode spelling', () => {
    expect(ThreadStartParams.safeParse({ sandbox: 'workspace-write' }).success).toBe(true);
    expect(issuePaths(ThreadStartParams.safeParse({ sandbox: 'workspaceWrite' }))).toEqual(['sandbox']);
  });

  it('parses list filters and command/exec', () => {
    const list = clientRequests['thread/list'].params;
    expect(list.parse({ cwd: ['/a', '/b'], sortKey: 'updated_at', sortDirection: 'asc' }).cwd).toEqual(['/a', '/b']);
    const exec = clientRequests['command/exec'].params;
    const env = { A: '1', B: null };
    expect(exec.parse({ command: ['ls', '-la'], env, timeoutMs: 1000 }).env).toEqual(env);
  });

  it('parses initialize and the initialized notification', () => {
    const init = clientRequests.initialize.params.parse({
      clientInfo: { name: 'vscode', title: null, version: '1.0' },
      capabilities: { experimentalApi: true, optOutNotificationMethods: ['item/agentMessage/delta'] },
    });
    expect(init.capabilities?.optOutNotificationMethods).toEqual(['item/agentMessage/delta']);
    const noVersion = clientRequests.initialize.params.safeParse({ clientInfo: { name: 'x' } });
    expect(issuePaths(noVersion)).toEqual(['clientInfo.version']);
    expect(clientNotifications.initialized.safeParse(undefined).success).toBe(true);
    expect(clientNotifications.initialized.safeParse({}).success).toBe(true);
  });

  it('knows which methods it implements', () => {
    expect(isClientRequestMethod('thread/start')).toBe(true);
    expect(isClientRequestMethod('toString')).toBe(false);
    expect(isClientRequestMethod('thread/rollback')).toBe(false);
  });
});

describe('approval responses', () => {
  it('accept the four decisions', () => {
    for (const decision of ['accept', 'acceptForSession', 'decline', 'cancel']) {
      expect(CommandExecutionRequestApprovalResponse.parse({ decision }).decision).toBe(decision);
      expect(FileChangeRequestApprovalResponse.parse({ decision, extra: 1 })).toEqual({ decision });
    }
  });

  it('reject anything else at decision', () => {
    const approved = CommandExecutionRequestApprovalResponse.safeParse({ decision: 'approved' });
    expect(issuePaths(approved)).toEqual(['decision']);
    expect(issuePaths(serverRequests['item/fileChange/requestApproval'].result.safeParse({}))).toEqual(['decision']);
  });

  it('describe the request params we send', () => {
    const params = serverRequests['item/commandExecution/requestApproval'].params.parse({
      threadId: 't',
      turnId: 'u',
      itemId: 'i',
      startedAtMs: 1_700_000_000_000,
      command: 'rm -rf build',
      cwd: '/w',
      reason: null,
    });
    expect(params.command).toBe('rm -rf build');
  });
});

describe('thread items and notifications', () => {
  const coreItems: TurnItem[] = [
    { type: 'userMessage', id: 'a', content: [{ type: 'text', text: 'hi', text_elements: [] }] },
    { type: 'agentMessage', id: 'b', text: 'hello' },
    { type: 'reasoning', id: 'c', summary: ['s'], content: [] },
    { type: 'plan', id: 'd', text: '1. x' },
    {
      type: 'commandExecution',
      id: 'e',
      command: 'ls',
      cwd: '/w',
      status: 'completed',
      commandActions: [{ type: 'listFiles', command: 'ls', path: null }],
      aggregatedOutput: 'a\n',
      exitCode: 0,
      durationMs: 5,
    },
    {
      type: 'fileChange',
      id: 'f',
      changes: [{ path: 'a.ts', kind: { type: 'update', move_path: null }, diff: '@@' }],
      status: 'declined',
    },
    { type: 'imageView', id: 'g', path: '/tmp/a.png' },
    { type: 'contextCompaction', id: 'h' },
  ];

  it('accepts every core TurnItem unchanged', () => {
    for (const item of coreItems) {
      expect(ThreadItem.parse(item)).toEqual(item);
    }
  });

  it('accepts the other item kinds we report', () => {
    for (const item of [
      {
        type: 'mcpToolCall',
        id: 'm',
        server: 's',
        tool: 't',
        status: 'completed',
        arguments: { a: 1 },
        result: { content: [] },
      },
      { type: 'webSearch', id: 'w', query: 'zod', action: { type: 'search', query: 'zod' } },
      { type: 'enteredReviewMode', id: 'r1', review: 'current changes' },
      { type: 'exitedReviewMode', id: 'r2', review: 'LGTM' },
    ]) {
      expect(ThreadItem.safeParse(item).success, item.type).toBe(true);
    }
  });

  it('validates item/completed params', () => {
    const base = { threadId: 't', turnId: 'u', completedAtMs: 1 };
    const ok = ItemCompletedNotification.safeParse({ ...base, item: coreItems[1] });
    expect(ok.success).toBe(true);
    const bad = serverNotifications['item/completed'].safeParse({ ...base, item: { type: 'agentMessage', id: 'b' } });
    expect(issuePaths(bad)).toEqual(['item.text']);
  });

  it('covers the notification methods of the protocol', () => {
    expect(Object.keys(serverNotifications)).toHaveLength(32);
    const status = { type: 'active', activeFlags: ['waitingOnApproval'] };
    expect(serverNotifications['thread/status/changed'].safeParse({ threadId: 't', status }).success).toBe(true);
    expect(serverNotifications['serverRequest/resolved'].safeParse({ threadId: 't', requestId: 7 }).success).toBe(true);
  });
});

describe('types line up with the core', () => {
  it('lets core values flow to the wire and parsed params flow to the core', () => {
    const item: z.input<typeof ThreadItem> = coreTurnItem();
    const input: CoreUserInput = parsedInput();
    const sandbox: CoreSandboxPolicy | null | undefined = parsedSandbox();
    const result: Result<'turn/steer'> = { turnId: 'u' };
    expect([item, input, sandbox, result]).toHaveLength(4);
  });
});

function coreTurnItem(): TurnItem {
  return { type: 'userMessage', id: 'a', content: [{ type: 'localImage', path: '/a.png', detail: 'low' }] };
}

function parsedInput(): Params<'turn/start'>['input'][number] {
  const parsed: Params<'turn/start'> = TurnStartParams.parse({ threadId: 't', input: [{ type: 'text', text: 'x' }] });
  return parsed.input[0] as Params<'turn/start'>['input'][number];
}

function parsedSandbox(): Params<'turn/start'>['sandboxPolicy'] {
  return TurnStartParams.parse({ threadId: 't', input: [], sandboxPolicy: { type: 'readOnly' } }).sandboxPolicy;
}

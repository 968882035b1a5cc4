import { describe, expect, it } from 'vitest';
import { ResponseError } from 'vscode-jsonrpc';
import { z } from 'zod';
import { ErrorCodes, RpcError } from '../../../src/rpc/index.js';

describe('RpcError', () => {
  it.each([
    [RpcError.parseError(), -32700, 'parse_error'],
    [RpcError.invalidRequest('bad'), -32600, 'invalid_request'],
    [RpcError.invalidRequest('bad', 'too_deep'), -32600, 'too_deep'],
    [RpcError.notInitialized(), -32600, 'not_initialized'],
    [RpcError.alreadyInitialized(), -32600, 'already_initialized'],
    [RpcError.methodNotFound('x/y'), -32601, 'method_not_found'],
    [RpcError.invalidParams([]), -32602, 'invalid_params'],
    [RpcError.internal('oops'), -32603, 'internal_error'],
    [RpcError.overloaded(), -32001, 'overloaded'],
  ])('factory %# carries code %i and data.code %s', (err, code, dataCode) => {
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(code);
    expect(err.data.code).toBe(dataCode);
  });

  it('marks overload as retryable and names the missing method', () => {
    expect(RpcError.overloaded().data.retryable).toBe(true);
    expect(RpcError.methodNotFound('x/y').message).toContain('x/y');
    expect(RpcError.notInitialized().message).toBe('Not initialized');
    expect(RpcError.alreadyInitialized().message).toBe('Already initialized');
  });

  it('builds application errors whose data.code cannot be overridden by extra', () => {
    const err = RpcError.app(-32010, 'thread_not_found', 'Thread t not found', { threadId: 't', code: 'x' });
    expect(err.data).toEqual({ code: 'thread_not_found', threadId: 't' });
  });

  it('converts to a vscode-jsonrpc ResponseError with the same code, message and data', () => {
    const wire = RpcError.app(-32011, 'turn_not_active', 'No turn').toResponseError();
    expect(wire).toBeInstanceOf(ResponseError);
    expect(wire.toJson()).toEqual({ code: -32011, message: 'No turn', data: { code: 'turn_not_active' } });
  });

  it('renders zod paths like input[0].text and names the first one in the message', () => {
    const schema = z.object({
      threadId: z.string(),
      input: z.array(z.object({ text: z.string() })),
      'odd-key': z.number().optional(),
    });
    const result = schema.safeParse({ threadId: 1, input: [{ text: 2 }], 'odd-key': 'no' });
    expect(result.success).toBe(false);
    const err = RpcError.fromZodError(result.error!);
    expect(err.code).toBe(ErrorCodes.InvalidParams);
    expect(err.data.issues).toEqual([
      { path: 'threadId', message: expect.any(String) },
      { path: 'input[0].text', message: expect.any(String) },
      { path: '["odd-key"]', message: expect.any(String) },
    ]);
    expect(err.message).toMatch(/^Invalid params at threadId: /);
  });

  it('describes a root-level params failure without a path', () => {
    const result = z.object({}).safeParse(5);
    const err = RpcError.fromZodError(result.error!);
    expect(err.data.issues).toEqual([{ path: '', message: expect.any(String) }]);
    expect(err.message).toMatch(/^Invalid params: /);
  });
});

import { ResponseError } from 'vscode-jsonrpc';
import { z } from 'zod';

/** JSON-RPC error codes used on the wire. */
export const ErrorCodes = {
  /** The line is not JSON (or too large to read). */
  ParseError: -32700,
  /** The JSON is not a valid request object, or the request is not allowed now. */
  InvalidRequest: -32600,
  /** No such method. */
  MethodNotFound: -32601,
  /** Params failed validation. */
  InvalidParams: -32602,
  /** The daemon failed while handling the request. */
  InternalError: -32603,
  /** Too many requests in flight; the client may retry later. */
  Overloaded: -32001,
} as const;

/** The `error.data` of every error we send: `code` is a stable snake_case string clients can match on. */
export interface RpcErrorData {
  code: string;
  [key: string]: unknown;
}

/** One failing location in the params, as reported in `error.data.issues`. */
export interface ParamIssue {
  /** Path into params, rendered like `input[0].text`; empty for the params themselves. */
  path: string;
  message: string;
}

/**
 * The one error type that crosses the wire. Throw it from a request handler and the client gets
 * exactly this code, message and data.
 */
export class RpcError extends Error {
  /** JSON-RPC error code (see {@link ErrorCodes}). */
  readonly code: number;
  /** Machine-readable details; `data.code` is stable. */
  readonly data: RpcErrorData;

  constructor(code: number, message: string, data: RpcErrorData) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }

  /** The vscode-jsonrpc form, which its dispatcher writes as the response's `error`. */
  toResponseError(): ResponseError<RpcErrorData> {
    return new ResponseError(this.code, this.message, this.data);
  }

  /** -32700: the line is not JSON. */
  static parseError(message = 'Parse error'): RpcError {
    return new RpcError(ErrorCodes.ParseError, message, { code: 'parse_error' });
  }

  /** -32600: not a valid request object (or not allowed in the current state). */
  static invalidRequest(message: string, dataCode = 'invalid_request'): RpcError {
    return new RpcError(ErrorCodes.InvalidRequest, message, { code: dataCode });
  }

  /** -32600: a request arrived before `initialize`. */
  static notInitialized(): RpcError {
    return RpcError.invalidRequest('Not initialized', 'not_initialized');
  }

  /** -32600: a second `initialize`. */
  static alreadyInitialized(): RpcError {
    return RpcError.invalidRequest('Already initialized', 'already_initialized');
  }

  /** -32601: no handler for `method`. */
  static methodNotFound(method: string): RpcError {
    return new RpcError(ErrorCodes.MethodNotFound, `Method not found: ${method}`, {
      code: 'method_not_found',
      method,
    });
  }

  /** -32602: params failed validation at the given paths. */
  static invalidParams(issues: ParamIssue[], message?: string): RpcError {
    const first = issues[0];
    const fallback = first
      ? `Invalid params${first.path ? ` at ${first.path}` : ''}: ${first.message}`
      : 'Invalid params';
    return new RpcError(ErrorCodes.InvalidParams, message ?? fallback, {
      code: 'invalid_params',
      issues,
    });
  }

  /** -32602 from a zod failure; the message names the first failing path. */
  static fromZodError(err: z.core.$ZodError): RpcError {
    return RpcError.invalidParams(
      err.issues.map((issue) => ({ path: renderPath(issue.path), message: issue.message })),
    );
  }

  /** -32603: the daemon failed; details go to the log, not necessarily to the client. */
  static internal(message: string): RpcError {
    return new RpcError(ErrorCodes.InternalError, message, { code: 'internal_error' });
  }

  /** -32001: too many requests in flight; retrying later is expected to work. */
  static overloaded(): RpcError {
    return new RpcError(ErrorCodes.Overloaded, 'Server overloaded, retry later', {
      code: 'overloaded',
      retryable: true,
    });
  }

  /** An application error such as `thread_not_found`; `extra` joins `data` (its `code` is ignored). */
  static app(
    code: number,
    dataCode: string,
    message: string,
    extra?: Record<string, unknown>,
  ): RpcError {
    return new RpcError(code, message, { ...extra, code: dataCode });
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Renders a zod path as `input[0].text`; keys that are not identifiers are quoted. */
function renderPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

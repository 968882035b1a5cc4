export { ConnectionClosedError } from './connection-closed-error.js';
export { ErrorCodes, RpcError, type ParamIssue, type RpcErrorData } from './errors.js';
export { exceedsNestingDepth } from './json-nesting.js';
export {
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_LINE_BYTES,
  NdjsonMessageReader,
  type InvalidLineInfo,
  type InvalidLineKind,
  type NdjsonReaderOptions,
} from './ndjson-reader.js';
export { LosslessId, rawIntegerAt, stringifyMessage, type WireId } from './lossless-id.js';
export { DEFAULT_MAX_BATCH, DEFAULT_OUTPUT_BUDGET, NdjsonMessageWriter, type NdjsonWriterOptions } from './ndjson-writer.js';
export { RequestIdRemapper } from './request-id-remapper.js';
export {
  DEFAULT_MAX_IN_FLIGHT,
  RpcServer,
  type NotificationHandler,
  type RequestContext,
  type RequestHandler,
  type RpcServerOptions,
} from './rpc-server.js';

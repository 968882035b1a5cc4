/** `agentd/client`: the typed client of the app-server v2 protocol. */
export {
  AgentdClient,
  RpcError,
  threadIdOf,
  type ApprovalHandler,
  type ClientRequestMethod,
  type ConnectOptions,
  type Notification,
  type NotificationParams,
  type RawMessage,
  type RequestParams,
  type RequestResult,
  type ServerNotificationMethod,
  type ServerRequest,
  type ServerRequestAnswer,
  type ServerRequestMethod,
  type SpawnOptions,
} from './agentd-client.js';
export { agentdBin } from './daemon-client.js';
export { SocketTransport, StdioTransport, type Transport } from './transport.js';

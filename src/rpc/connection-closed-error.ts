/**
 * The local lifecycle error: a server→client request can no longer be answered because the
 * connection closed (input ended, a stream failed, or the server was disposed).
 */
export class ConnectionClosedError extends Error {
  constructor(message = 'Connection closed') {
    super(message);
    this.name = 'ConnectionClosedError';
  }
}

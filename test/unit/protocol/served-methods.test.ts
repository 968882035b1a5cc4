import { describe, expect, it } from 'vitest';
import { initializeResult } from '../../../src/protocol/app-server/initialize-result.js';
import { clientRequests, serverNotifications, serverRequests } from '../../../src/protocol/app-server/schema/methods.js';
import { InitializeResponse } from '../../../src/protocol/app-server/schema/initialize.js';
import { PROTOCOL_VERSION } from '../../../src/protocol/app-server/schema/version.js';

describe('initialize reports the contract', () => {
  it('names the protocol version and exactly the methods of the method table', () => {
    const r = initializeResult('9.9.9', '/home/x');
    expect(r.protocolVersion).toBe(PROTOCOL_VERSION);
    expect(r.methods.clientRequests).toEqual(Object.keys(clientRequests).sort());
    expect(r.methods.serverNotifications).toEqual(Object.keys(serverNotifications).sort());
    expect(r.methods.serverRequests).toEqual(Object.keys(serverRequests).sort());
    expect(InitializeResponse.safeParse(r).success).toBe(true);
  });
});

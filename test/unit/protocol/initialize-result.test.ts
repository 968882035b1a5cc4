import { describe, expect, it } from 'vitest';
import { clientRequests } from '../../../src/protocol/app-server/schema/methods.js';
import { parsePlainInitialize } from '../../../src/protocol/app-server/initialize-result.js';

const line = (msg: unknown) => JSON.stringify(msg);
const clientInfo = { name: 'editor', version: '1.2.3' };

describe('the fast-path initialize recogniser', () => {
  it('accepts plain initialize requests with either id type and opt-outs', () => {
    expect(parsePlainInitialize(line({ id: 1, method: 'initialize', params: { clientInfo } }))).toEqual({ id: 1, optOutNotificationMethods: [] });
    expect(
      parsePlainInitialize(
        line({ jsonrpc: '2.0', id: 'a', method: 'initialize', params: { clientInfo: { ...clientInfo, title: null }, capabilities: { optOutNotificationMethods: ['item/agentMessage/delta'] } } }),
      ),
    ).toEqual({ id: 'a', optOutNotificationMethods: ['item/agentMessage/delta'] });
  });

  it('leaves everything unusual to the full server', () => {
    const cases = [
      'not json',
      line([{ id: 1, method: 'initialize', params: { clientInfo } }]),
      line({ id: 1, method: 'thread/start', params: {} }),
      line({ method: 'initialize', params: { clientInfo } }),
      line({ id: null, method: 'initialize', params: { clientInfo } }),
      line({ id: 1.5, method: 'initialize', params: { clientInfo } }),
      line({ id: 1, jsonrpc: '1.0', method: 'initialize', params: { clientInfo } }),
      line({ id: 1, method: 'initialize', params: {} }),
      line({ id: 1, method: 'initialize', params: { clientInfo: { name: 'x' } } }),
      line({ id: 1, method: 'initialize', params: { clientInfo: { name: 'x', version: 2 } } }),
      line({ id: 1, method: 'initialize', params: { clientInfo, capabilities: { optOutNotificationMethods: [1] } } }),
      line({ id: 1, method: 'initialize', params: { clientInfo, capabilities: { experimentalApi: 'yes' } } }),
    ];
    for (const c of cases) expect(parsePlainInitialize(c), c).toBeNull();
  });

  it('only accepts what the zod schema accepts', () => {
    const accepted = [
      { clientInfo },
      { clientInfo, capabilities: null },
      { clientInfo, capabilities: { experimentalApi: true, optOutNotificationMethods: [] } },
      { clientInfo: { ...clientInfo, title: 'Editor' }, unknownField: 1 },
    ];
    for (const params of accepted) {
      expect(parsePlainInitialize(line({ id: 1, method: 'initialize', params }))).not.toBeNull();
      expect(clientRequests.initialize.params.safeParse(params).success).toBe(true);
    }
  });
});

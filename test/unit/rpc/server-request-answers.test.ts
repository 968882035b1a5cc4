import { describe, expect, it } from 'vitest';
import { startWire } from './wire.js';

describe('answers to a server request', () => {
  it('takes the first of two answers written in one chunk and ignores the second', async () => {
    const wire = startWire();
    const asked = wire.server.request('item/commandExecution/requestApproval', { approvalId: 'a1' });
    const req = await wire.out.find((l) => l.method === 'item/commandExecution/requestApproval');
    wire.sendRaw(
      `${JSON.stringify({ jsonrpc: '2.0', id: req.id, result: { decision: 'decline' } })}\n` +
        `${JSON.stringify({ jsonrpc: '2.0', id: req.id, result: { decision: 'accept' } })}\n`,
    );
    expect(await asked).toEqual({ decision: 'decline' });
  });

  it('ignores an answer that arrives after the request was answered, and one to an id never asked', async () => {
    const wire = startWire((s) => s.setRequestHandler(() => 'ok'));
    const first = wire.server.request('ask', { n: 1 });
    const req1 = await wire.out.find((l) => l.method === 'ask');
    wire.send({ id: req1.id, result: 'first' });
    expect(await first).toBe('first');
    // A late duplicate for the answered id must not satisfy the next request that reuses nothing.
    wire.send({ id: req1.id, result: 'late' }, { id: 424242, result: 'stray' }, { id: 'after', method: 'x' });
    expect((await wire.response('after')).result).toBe('ok');
    const second = wire.server.request('ask', { n: 2 });
    const req2 = await wire.out.find((l) => l.method === 'ask' && l.params.n === 2);
    wire.send({ id: req2.id, error: { code: 1, message: 'no' } }, { id: req2.id, result: 'yes' });
    await expect(second).rejects.toMatchObject({ code: 1, message: 'no' });
  });
});

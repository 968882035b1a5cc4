import { describe, expect, it } from 'vitest';
import { CompositeFlow, type OutputFlow } from '../../../src/util/flow.js';

/** A flow whose room the test opens and closes. */
function gate(open: boolean): OutputFlow & { set(v: boolean): void } {
  let waiters: (() => void)[] = [];
  return {
    ready: () => open,
    whenReady: () => (open ? Promise.resolve() : new Promise<void>((r) => waiters.push(r))),
    set(v: boolean) {
      open = v;
      if (v) {
        for (const w of waiters) w();
        waiters = [];
      }
    },
  };
}

const settled = async (p: Promise<void>) => {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('CompositeFlow (several connections)', () => {
  it('is ready only when every connection has room, and waits for the last one', async () => {
    const flow = new CompositeFlow();
    const a = gate(true);
    const b = gate(false);
    flow.add(a);
    flow.add(b);
    expect(flow.ready()).toBe(false);
    const wait = flow.whenReady();
    a.set(false);
    b.set(true);
    expect(await settled(wait)).toBe(false);
    a.set(true);
    expect(await settled(wait)).toBe(true);
    expect(flow.ready()).toBe(true);
  });

  it('stops waiting for a connection that closed', async () => {
    const flow = new CompositeFlow();
    const stalled = gate(false);
    const remove = flow.add(stalled);
    flow.add(gate(true));
    const wait = flow.whenReady();
    expect(await settled(wait)).toBe(false);
    remove();
    expect(await settled(wait)).toBe(true);
  });

  it('reports a connection that stays full for stallMs while producers wait, and not one that drains in time', async () => {
    const flow = new CompositeFlow(40);
    const stalled = gate(false);
    const slow = gate(false);
    const reported: string[] = [];
    const removeStalled = flow.add(stalled, () => {
      reported.push('stalled');
      removeStalled();
    });
    flow.add(slow, () => reported.push('slow'));
    const wait = flow.whenReady();
    setTimeout(() => slow.set(true), 10);
    await wait;
    expect(reported).toEqual(['stalled']);
  });
});

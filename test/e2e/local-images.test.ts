import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonClient } from '../../src/client/daemon-client.js';
import { createHarness, turnCompleted, type Harness } from '../support/harness.js';
import { itemEvent, rand, runTurn, toolOutputs, type Thread, DONE_TURN, NEVER_WW } from '../support/tool-turns.js';

/** A 1×1 PNG. */
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f2a0b10000000049454e44ae426082',
  'hex',
);
/** In the daemon's environment: it must never reach the model. */
const SECRET = `sk-agentd-test-${rand()}`;

let h: Harness;
let t: Thread;
beforeAll(async () => {
  h = await createHarness();
  const c = h.spawn(NEVER_WW, { AGENTD_TEST_API_KEY: SECRET });
  await c.initialize();
  const th = await c.request('thread/start', { cwd: h.workspace, ephemeral: true });
  t = { c, threadId: th.thread.id as string };
});
afterAll(async () => {
  await h.cleanup();
});

/** Resolves with `p`'s value, or null once `ms` have passed (a bound, not a synchronisation). */
function within<T>(ms: number, p: Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts a turn whose input names a local image and waits for it to end; if it has not ended
 * after 3 s it is interrupted, and it must then end within 2 s. Returns the turn, or null when
 * even the interrupt did not free it.
 */
async function imageTurn(c: DaemonClient, threadId: string, path: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await c.request('turn/start', { threadId, input: [{ type: 'text', text: 'look' }, { type: 'localImage', path }] });
  const turnId = r.turn.id as string;
  const done = turnCompleted(c, turnId);
  const first = await within(3000, done);
  if (first) return first;
  await within(2000, c.request('turn/interrupt', { threadId, turnId }).catch(() => undefined));
  return within(2000, done);
}

/** Every model request body so far, as text. */
const sentSoFar = () => h.mock.requests.map((r) => JSON.stringify(r.body)).join('\n');

describe('localImage input is read safely', () => {
  it('/proc/self/environ fails the turn with the path and reason, and nothing reaches the model', async () => {
    const before = h.mock.requests.length;
    const turn = await imageTurn(t.c, t.threadId, '/proc/self/environ');
    expect(turn?.status).toBe('failed');
    expect(turn.error.message).toContain('/proc/self/environ');
    expect(h.mock.requests.length).toBe(before);
    expect(sentSoFar()).not.toContain(SECRET);
    expect(sentSoFar()).not.toContain(Buffer.from(`AGENTD_TEST_API_KEY=${SECRET}`).toString('base64').slice(0, 24));
  });

  it('a FIFO nobody writes does not hang the turn', async () => {
    const fifo = join(h.workspace, `pipe-${rand()}.png`);
    execFileSync('mkfifo', [fifo]);
    const before = h.mock.requests.length;
    const turn = await imageTurn(t.c, t.threadId, fifo);
    expect(turn, 'the turn was still running after an interrupt').not.toBeNull();
    expect(turn.status).toBe('failed');
    expect(turn.error.message).toContain('not a regular file');
    expect(h.mock.requests.length).toBe(before);
  });

  it('/dev/zero is refused at once instead of filling memory', async () => {
    const before = h.mock.requests.length;
    const turn = await imageTurn(t.c, t.threadId, '/dev/zero');
    expect(turn?.status).toBe('failed');
    expect(turn.error.message).toMatch(/\/dev\/zero.*not a regular file \(a character device\)/);
    expect(h.mock.requests.length).toBe(before);
  });

  it('a text file named x.png is not an image: refused by its bytes', async () => {
    const file = join(h.workspace, `notes-${rand()}.png`);
    writeFileSync(file, 'password=hunter2\n');
    const before = h.mock.requests.length;
    const turn = await imageTurn(t.c, t.threadId, file);
    expect(turn?.status).toBe('failed');
    expect(turn.error.message).toContain('not a PNG, JPEG, GIF or WebP');
    expect(h.mock.requests.length).toBe(before);
    expect(sentSoFar()).not.toContain(Buffer.from('password=hunter2\n').toString('base64'));
  });

  it('a real PNG is sent, typed by its bytes even under a .jpg name, and the thread still works after refusals', async () => {
    const file = `pixel-${rand()}.jpg`;
    writeFileSync(join(h.workspace, file), PNG);
    h.mock.enqueue(DONE_TURN);
    const before = h.mock.requests.length;
    const turn = await imageTurn(t.c, t.threadId, file);
    expect(turn?.status).toBe('completed');
    expect(h.mock.requests.length).toBe(before + 1);
    const parts = h.mock.requests.at(-1)!.body.input.at(-1).content;
    expect(parts[1]).toEqual({ type: 'input_image', image_url: `data:image/png;base64,${PNG.toString('base64')}` });
  });
});

describe('view_image reads safely', () => {
  it('refuses kernel files, devices, FIFOs and non-images with a reason, and attaches a real image', async () => {
    const fifo = join(h.workspace, `vpipe-${rand()}`);
    execFileSync('mkfifo', [fifo]);
    const fake = join(h.workspace, `fake-${rand()}.png`);
    writeFileSync(fake, 'not an image\n');
    const real = join(h.workspace, `real-${rand()}.png`);
    writeFileSync(real, PNG);
    const view = (path: string, callId: string) => ({ type: 'function_call' as const, name: 'view_image', arguments: { path }, callId });
    h.mock.enqueue(
      {
        output: [
          view('/proc/self/environ', 'v-environ'),
          view('/dev/zero', 'v-zero'),
          view(fifo, 'v-fifo'),
          view(fake, 'v-fake'),
          view(real, 'v-real'),
        ],
      },
      DONE_TURN,
    );
    const r = await within(15_000, runTurn(h, t));
    expect(r, 'the turn did not finish').not.toBeNull();
    const out = toolOutputs(r!.requests[1]!);
    expect(out.get('v-environ')?.output).toMatch(/\/proc\/self\/environ.*(kernel file|not a PNG)/);
    expect(out.get('v-zero')?.output).toContain('not a regular file');
    expect(out.get('v-fifo')?.output).toContain('not a regular file');
    expect(out.get('v-fake')?.output).toContain('not a PNG, JPEG, GIF or WebP');
    expect(out.get('v-real')?.output).toContain('image/png');
    for (const id of ['v-environ', 'v-zero', 'v-fifo', 'v-fake']) expect(itemEvent(r!.msgs, 'completed', id)).toBeUndefined();
    expect(itemEvent(r!.msgs, 'completed', 'v-real')).toEqual({ type: 'imageView', id: 'v-real', path: real });
    expect(sentSoFar()).not.toContain(SECRET);
  });
});

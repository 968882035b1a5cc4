import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFifo } from '../../support/fifo.js';
import { tempDir } from '../tools/shell/helpers.js';

describe('writeFifo (test support)', () => {
  let fifo: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    const t = await tempDir('agentd-fifo-');
    cleanup = t.cleanup;
    fifo = path.join(t.dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
  });
  afterEach(async () => cleanup());

  it('fails after its timeout, without blocking the event loop, when nobody reads', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = Date.now();
    await expect(writeFifo(fifo, 'x', 300)).rejects.toThrow(/nobody opened the FIFO/);
    clearInterval(timer);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(ticks).toBeGreaterThan(5);
  });

  it('delivers the data once a reader opens the FIFO', async () => {
    const chunks: Buffer[] = [];
    const reader = createReadStream(fifo);
    const ended = new Promise<void>((resolve) => reader.on('end', resolve));
    reader.on('data', (c) => chunks.push(c as Buffer));
    await writeFifo(fifo, 'HELLO\n');
    await ended;
    expect(Buffer.concat(chunks).toString()).toBe('HELLO\n');
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageMime, LocalImageError, readLocalImage } from '../../../src/util/read-local-image.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'read-local-image-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const file = (name: string, data: Buffer | string) => {
  const p = path.join(dir, name);
  writeFileSync(p, data);
  return p;
};
const problem = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof LocalImageError ? e.problem : `unexpected ${String(e)}`),
  );

describe('imageMime', () => {
  it('knows PNG, JPEG, GIF and WebP by their first bytes and nothing else', () => {
    expect(imageMime(PNG)).toBe('image/png');
    expect(imageMime(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(imageMime(Buffer.from('GIF89a...'))).toBe('image/gif');
    expect(imageMime(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(imageMime(Buffer.from('RIFF\0\0\0\0WAVEfmt '))).toBeNull();
    expect(imageMime(Buffer.from('\x89PN'))).toBeNull();
    expect(imageMime(Buffer.alloc(0))).toBeNull();
  });
});

describe('readLocalImage', () => {
  it('reads a real image, following a symlink to it', async () => {
    const p = file('a.png', PNG);
    symlinkSync(p, path.join(dir, 'link.png'));
    const img = await readLocalImage(path.join(dir, 'link.png'));
    expect(img.mime).toBe('image/png');
    expect(img.bytes.equals(PNG)).toBe(true);
  });

  it('refuses what is not a regular image file, each with its reason', async () => {
    execFileSync('mkfifo', [path.join(dir, 'fifo.png')]);
    expect(await problem(readLocalImage(path.join(dir, 'fifo.png')))).toBe('not_regular');
    expect(await problem(readLocalImage('/dev/zero'))).toBe('not_regular');
    expect(await problem(readLocalImage(dir))).toBe('not_regular');
    expect(await problem(readLocalImage('/proc/self/environ'))).toBe('special_fs');
    expect(await problem(readLocalImage(file('text.png', 'hello\n')))).toBe('not_image');
    expect(await problem(readLocalImage(file('empty.png', '')))).toBe('not_image');
    expect(await problem(readLocalImage(path.join(dir, 'missing.png')))).toBe('not_found');
  });

  it('refuses a file over the cap without reading more than cap + 1 bytes', async () => {
    const big = file('big.png', Buffer.concat([PNG, Buffer.alloc(100)]));
    expect(await problem(readLocalImage(big, { maxBytes: 64 }))).toBe('too_large');
    expect(await problem(readLocalImage(big, { maxBytes: PNG.length + 100 }))).toBe('ok');
  });

  it('rejects at once when its signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(await problem(readLocalImage(file('b.png', PNG), { signal: ac.signal }))).toBe('aborted');
  });
});

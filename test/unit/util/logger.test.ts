import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/util/logger.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentd-logger-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const mode = (p: string) => statSync(p).mode & 0o777;

describe('createLogger with a log file', () => {
  it('creates the log file and its missing directory readable by the owner only', () => {
    const file = join(dir, 'logs', 'agentd.log');
    const logger = createLogger({ file, level: 'info' });
    logger.info('hello');
    logger.flush();
    expect(readFileSync(file, 'utf8')).toContain('hello');
    expect(mode(file)).toBe(0o600);
    expect(mode(join(dir, 'logs'))).toBe(0o700);
  });

  it('tightens a log file an older version left world-readable', () => {
    const file = join(dir, 'old.log');
    writeFileSync(file, 'old line\n');
    chmodSync(file, 0o644);
    const logger = createLogger({ file });
    logger.warn('new line');
    logger.flush();
    expect(mode(file)).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/old line\n.*new line/s);
  });

  it('survives a log destination that fails every write', () => {
    // /dev/full fails each write with ENOSPC, like a full disk.
    const before = mode('/dev/full');
    const logger = createLogger({ file: '/dev/full' });
    expect(() => {
      for (let i = 0; i < 100; i++) logger.error({ i }, 'cannot be written');
      logger.flush();
    }).not.toThrow();
    // A device is not ours to tighten.
    expect(mode('/dev/full')).toBe(before);
  });
});

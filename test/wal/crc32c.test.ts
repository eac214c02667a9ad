import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/wal/crc32c.js';

const ascii = new TextEncoder();

function bytes(length: number, at: (i: number) => number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => at(i));
}

/** A small seeded generator (xorshift32), so a failing buffer can be made again. */
function randomBytes(length: number, seed: number): Uint8Array {
  let state = seed >>> 0 || 1;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = state & 0xff;
  }
  return out;
}

describe('crc32c', () => {
  it('gives the RFC 3720 B.4 check values', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(bytes(32, () => 0xff))).toBe(0x62a8ab43);
    expect(crc32c(bytes(32, (i) => i))).toBe(0x46dd794e);
    expect(crc32c(bytes(32, (i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('gives the catalogued check value for "123456789"', () => {
    expect(crc32c(ascii.encode('123456789'))).toBe(0xe3069283);
  });

  it('is 0 for no bytes', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('continues: the crc of a split equals the crc of the whole', () => {
    const data = randomBytes(1000, 7);
    const whole = crc32c(data);
    for (const split of [0, 1, 3, 7, 8, 9, 15, 16, 17, 500, 999, 1000]) {
      const first = crc32c(data, 0, split);
      expect(crc32c(data, split, data.length, first), `split at ${split}`).toBe(whole);
    }
    // Three pieces, one of them empty.
    const a = crc32c(data, 0, 123);
    const b = crc32c(data, 123, 123, a);
    expect(crc32c(data, 123, data.length, b)).toBe(whole);
  });

  it('reads only [start, end) and honours a subarray offset', () => {
    const data = randomBytes(300, 11);
    expect(crc32c(data, 37, 250)).toBe(crc32c(data.slice(37, 250)));
    expect(crc32c(data.subarray(37, 250))).toBe(crc32c(data.slice(37, 250)));
    expect(crc32c(data.subarray(5), 3, 40)).toBe(crc32c(data.slice(8, 45)));
  });

  it('agrees with crcmod (Python) on random buffers', (ctx) => {
    const python = findPythonWithCrcmod();
    ctx.skip(
      python === undefined,
      'cross-check skipped: no python3 with the crcmod module (pip install crcmod, or apt-get install python3-crcmod)',
    );
    const lengths = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65, 255, 1000, 4099, 65_537];
    const buffers = lengths.map((length, i) => randomBytes(length, 0x9e3779b9 + i * 7919));
    const script = [
      'import sys, crcmod.predefined',
      "f = crcmod.predefined.mkCrcFun('crc-32c')",
      'for line in sys.stdin.read().split():',
      '    print(f(bytes.fromhex(line[1:])))', // each line is 'x' + hex, so an empty buffer is a line too
    ].join('\n');
    const input = buffers.map((b) => `x${Buffer.from(b).toString('hex')}`).join('\n');
    const result = spawnSync(python as string, ['-c', script], { input, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const theirs = result.stdout.trim().split('\n').map(Number);
    expect(theirs).toHaveLength(buffers.length);
    buffers.forEach((buffer, i) => {
      expect(crc32c(buffer), `${buffer.length} random bytes`).toBe(theirs[i]);
    });
  });
});

/** A python3 that can import crcmod: the one on the PATH, else the system one. */
function findPythonWithCrcmod(): string | undefined {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(candidate, ['-c', 'import crcmod.predefined'], { stdio: 'ignore' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

import { describe, expect, it } from 'vitest';
import { isStaleMarker, STALE_NAN } from '../../src/core/stale-marker.js';

describe('staleness marker', () => {
  it('is the NaN with bits 0x7ff0000000000002, and only that NaN counts', () => {
    const cell = new Float64Array(1);
    cell[0] = STALE_NAN;
    expect(new BigUint64Array(cell.buffer)[0]).toBe(0x7ff0000000000002n);
    const fromBits = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0] as number;
    expect(isStaleMarker(fromBits)).toBe(true);
    const prometheusNaN = new Float64Array(new BigUint64Array([0x7ff8000000000001n]).buffer)[0] as number;
    expect(isStaleMarker(prometheusNaN)).toBe(false);
    expect(isStaleMarker(Number.NaN)).toBe(false);
    expect(isStaleMarker(0)).toBe(false);
  });
});

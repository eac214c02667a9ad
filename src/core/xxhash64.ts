/**
 * xxHash64 (seed 0), synchronous and dependency-free, so label hashing needs no asynchronous
 * WebAssembly start-up. 64-bit words are kept as two unsigned 32-bit halves, because BigInt
 * arithmetic is two orders of magnitude slower. Checked in tests against the reference vectors
 * and against `xxhash-wasm`.
 */

// The primes, as [high, low] halves.
const P1H = 0x9e3779b1;
const P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d;
const P2L = 0x27d4eb4f;
const P3H = 0x165667b1;
const P3L = 0x9e3779f9;
const P4H = 0x85ebca77;
const P4L = 0xc2b2ae63;
const P5H = 0x27d4eb2f;
const P5L = 0x165667c5;

// Result registers of the helpers below: the high and low halves of the last result. A typed
// array keeps them unboxed; plain module variables would allocate a heap number per write.
const reg = new Uint32Array(2);

function add(ah: number, al: number, bh: number, bl: number): void {
  const lo = (al + bl) >>> 0;
  reg[0] = (ah + bh + (lo < al ? 1 : 0)) >>> 0;
  reg[1] = lo;
}

function mul(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const cross1 = a1 * b0;
  const cross2 = a0 * b1;
  const carry = (((a0 * b0) >>> 16) + (cross1 & 0xffff) + (cross2 & 0xffff)) >>> 16;
  const highOfLow = a1 * b1 + (cross1 >>> 16) + (cross2 >>> 16) + carry;
  reg[0] = (highOfLow + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
  reg[1] = Math.imul(al, bl) >>> 0;
}

/** Rotates left by `r`, 0 < r < 32. */
function rotl(h: number, l: number, r: number): void {
  reg[0] = ((h << r) | (l >>> (32 - r))) >>> 0;
  reg[1] = ((l << r) | (h >>> (32 - r))) >>> 0;
}

/** acc = rotl(acc + input * P2, 31) * P1 */
function round(acch: number, accl: number, inh: number, inl: number): void {
  mul(inh, inl, P2H, P2L);
  add(acch, accl, reg[0] as number, reg[1] as number);
  rotl(reg[0] as number, reg[1] as number, 31);
  mul(reg[0] as number, reg[1] as number, P1H, P1L);
}

/** acc = (acc ^ round(0, value)) * P1 + P4 */
function mergeRound(acch: number, accl: number, vh: number, vl: number): void {
  round(0, 0, vh, vl);
  mul((acch ^ (reg[0] as number)) >>> 0, (accl ^ (reg[1] as number)) >>> 0, P1H, P1L);
  add(reg[0] as number, reg[1] as number, P4H, P4L);
}

function read32(bytes: Uint8Array, o: number): number {
  return (
    ((bytes[o] as number) |
      ((bytes[o + 1] as number) << 8) |
      ((bytes[o + 2] as number) << 16) |
      ((bytes[o + 3] as number) << 24)) >>>
    0
  );
}

/** xxHash64 with seed 0 of `bytes[0, length)`. */
export function xxhash64(bytes: Uint8Array, length: number = bytes.length): bigint {
  let offset = 0;
  let hh: number;
  let hl: number;
  if (length >= 32) {
    add(P1H, P1L, P2H, P2L);
    let v1h = reg[0] as number;
    let v1l = reg[1] as number;
    let v2h = P2H;
    let v2l = P2L;
    let v3h = 0;
    let v3l = 0;
    // 0 - P1
    add(~P1H >>> 0, ~P1L >>> 0, 0, 1);
    let v4h = reg[0] as number;
    let v4l = reg[1] as number;
    const limit = length - 32;
    while (offset <= limit) {
      round(v1h, v1l, read32(bytes, offset + 4), read32(bytes, offset));
      v1h = reg[0] as number;
      v1l = reg[1] as number;
      round(v2h, v2l, read32(bytes, offset + 12), read32(bytes, offset + 8));
      v2h = reg[0] as number;
      v2l = reg[1] as number;
      round(v3h, v3l, read32(bytes, offset + 20), read32(bytes, offset + 16));
      v3h = reg[0] as number;
      v3l = reg[1] as number;
      round(v4h, v4l, read32(bytes, offset + 28), read32(bytes, offset + 24));
      v4h = reg[0] as number;
      v4l = reg[1] as number;
      offset += 32;
    }
    rotl(v1h, v1l, 1);
    let sh = reg[0] as number;
    let sl = reg[1] as number;
    rotl(v2h, v2l, 7);
    add(sh, sl, reg[0] as number, reg[1] as number);
    sh = reg[0] as number;
    sl = reg[1] as number;
    rotl(v3h, v3l, 12);
    add(sh, sl, reg[0] as number, reg[1] as number);
    sh = reg[0] as number;
    sl = reg[1] as number;
    rotl(v4h, v4l, 18);
    add(sh, sl, reg[0] as number, reg[1] as number);
    mergeRound(reg[0] as number, reg[1] as number, v1h, v1l);
    mergeRound(reg[0] as number, reg[1] as number, v2h, v2l);
    mergeRound(reg[0] as number, reg[1] as number, v3h, v3l);
    mergeRound(reg[0] as number, reg[1] as number, v4h, v4l);
    hh = reg[0] as number;
    hl = reg[1] as number;
  } else {
    hh = P5H;
    hl = P5L;
  }
  add(hh, hl, Math.floor(length / 0x100000000), length >>> 0);
  hh = reg[0] as number;
  hl = reg[1] as number;
  while (offset + 8 <= length) {
    round(0, 0, read32(bytes, offset + 4), read32(bytes, offset));
    // h = rotl(h ^ k, 27) * P1 + P4
    rotl((hh ^ (reg[0] as number)) >>> 0, (hl ^ (reg[1] as number)) >>> 0, 27);
    mul(reg[0] as number, reg[1] as number, P1H, P1L);
    add(reg[0] as number, reg[1] as number, P4H, P4L);
    hh = reg[0] as number;
    hl = reg[1] as number;
    offset += 8;
  }
  if (offset + 4 <= length) {
    // h = rotl(h ^ (k32 * P1), 23) * P2 + P3
    mul(0, read32(bytes, offset), P1H, P1L);
    rotl((hh ^ (reg[0] as number)) >>> 0, (hl ^ (reg[1] as number)) >>> 0, 23);
    mul(reg[0] as number, reg[1] as number, P2H, P2L);
    add(reg[0] as number, reg[1] as number, P3H, P3L);
    hh = reg[0] as number;
    hl = reg[1] as number;
    offset += 4;
  }
  while (offset < length) {
    // h = rotl(h ^ (byte * P5), 11) * P1
    mul(0, bytes[offset] as number, P5H, P5L);
    rotl((hh ^ (reg[0] as number)) >>> 0, (hl ^ (reg[1] as number)) >>> 0, 11);
    mul(reg[0] as number, reg[1] as number, P1H, P1L);
    hh = reg[0] as number;
    hl = reg[1] as number;
    offset++;
  }
  // Avalanche: h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32.
  hl = (hl ^ (hh >>> 1)) >>> 0;
  mul(hh, hl, P2H, P2L);
  hh = reg[0] as number;
  hl = ((reg[1] as number) ^ (((reg[1] as number) >>> 29) | ((reg[0] as number) << 3))) >>> 0;
  hh = (hh ^ (hh >>> 29)) >>> 0;
  mul(hh, hl, P3H, P3L);
  hh = reg[0] as number;
  hl = ((reg[1] as number) ^ (reg[0] as number)) >>> 0;
  return (BigInt(hh) << 32n) | BigInt(hl);
}

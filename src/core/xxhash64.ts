/**
 * xxHash64 (seed 0), synchronous and dependency-free, so label hashing needs no asynchronous
 * WebAssembly start-up. Checked in tests against the reference vectors and `xxhash-wasm`.
 */

const MASK = 0xffffffffffffffffn;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

function rotl(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (64n - r))) & MASK;
}

function round(acc: bigint, input: bigint): bigint {
  return (rotl((acc + input * P2) & MASK, 31n) * P1) & MASK;
}

function mergeRound(acc: bigint, value: bigint): bigint {
  return ((((acc ^ round(0n, value)) * P1) & MASK) + P4) & MASK;
}

/** xxHash64 with seed 0 of `bytes[0, length)`. */
export function xxhash64(bytes: Uint8Array, length: number = bytes.length): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  let offset = 0;
  let h: bigint;
  if (length >= 32) {
    let v1 = (P1 + P2) & MASK;
    let v2 = P2;
    let v3 = 0n;
    let v4 = (MASK + 1n - P1) & MASK;
    const limit = length - 32;
    while (offset <= limit) {
      v1 = round(v1, view.getBigUint64(offset, true));
      v2 = round(v2, view.getBigUint64(offset + 8, true));
      v3 = round(v3, view.getBigUint64(offset + 16, true));
      v4 = round(v4, view.getBigUint64(offset + 24, true));
      offset += 32;
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & MASK;
    h = mergeRound(h, v1);
    h = mergeRound(h, v2);
    h = mergeRound(h, v3);
    h = mergeRound(h, v4);
  } else {
    h = P5;
  }
  h = (h + BigInt(length)) & MASK;
  while (offset + 8 <= length) {
    h ^= round(0n, view.getBigUint64(offset, true));
    h = (rotl(h, 27n) * P1 + P4) & MASK;
    offset += 8;
  }
  if (offset + 4 <= length) {
    h ^= (BigInt(view.getUint32(offset, true)) * P1) & MASK;
    h = (rotl(h, 23n) * P2 + P3) & MASK;
    offset += 4;
  }
  while (offset < length) {
    h ^= (BigInt(bytes[offset] as number) * P5) & MASK;
    h = (rotl(h, 11n) * P1) & MASK;
    offset++;
  }
  h ^= h >> 33n;
  h = (h * P2) & MASK;
  h ^= h >> 29n;
  h = (h * P3) & MASK;
  h ^= h >> 32n;
  return h;
}

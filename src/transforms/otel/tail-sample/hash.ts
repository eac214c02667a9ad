/**
 * The probabilistic policy's arithmetic, as the Collector's: a 64-bit FNV-1a hash of a salt and
 * the trace id, compared with `MaxUint64 × ratio` computed the way Go's `big.Float` does it.
 */

const encoder = new TextEncoder();

/**
 * FNV-1a, 64 bits, of `salt` (UTF-8) followed by `bytes`, with the salt hashed once. Computed on
 * four 16-bit limbs so that no `bigint` arithmetic runs per byte.
 */
export function fnv1a64Salted(salt: string): (bytes: Uint8Array) => bigint {
  // Offset basis 0xcbf29ce484222325, low limb first.
  const seed = [0x2325, 0x8422, 0x9ce4, 0xcbf2];
  mix(seed, encoder.encode(salt));
  const h = [0, 0, 0, 0];
  return (bytes) => {
    h[0] = seed[0] as number;
    h[1] = seed[1] as number;
    h[2] = seed[2] as number;
    h[3] = seed[3] as number;
    mix(h, bytes);
    return (
      (BigInt((((h[3] as number) << 16) | (h[2] as number)) >>> 0) << 32n) |
      BigInt((((h[1] as number) << 16) | (h[0] as number)) >>> 0)
    );
  };
}

/** XORs each byte in and multiplies by the prime 0x100000001b3 (= 2^40 + 0x1b3), modulo 2^64. */
function mix(h: number[], bytes: Uint8Array): void {
  let h0 = h[0] as number;
  let h1 = h[1] as number;
  let h2 = h[2] as number;
  let h3 = h[3] as number;
  for (let i = 0; i < bytes.length; i++) {
    h0 ^= bytes[i] as number;
    const t0 = h0 * 0x1b3;
    let t1 = h1 * 0x1b3;
    let t2 = h2 * 0x1b3 + (h0 << 8);
    let t3 = h3 * 0x1b3 + (h1 << 8);
    t1 += t0 >>> 16;
    h0 = t0 & 0xffff;
    t2 += t1 >>> 16;
    h1 = t1 & 0xffff;
    t3 += t2 >>> 16;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  h[0] = h0;
  h[1] = h1;
  h[2] = h2;
  h[3] = h3;
}

const MAX_UINT64 = (1n << 64n) - 1n;

/**
 * `MaxUint64 × ratio` as the Collector computes it: the exact product rounded to 64 significant
 * bits (round half to even, `big.Float`'s precision there), then truncated to an integer and
 * clamped to `[0, MaxUint64]`.
 */
export function probabilityThreshold(ratio: number): bigint {
  if (!(ratio > 0)) return 0n;
  if (!Number.isFinite(ratio) || ratio >= 1) return MAX_UINT64;
  // ratio = mantissa × 2^exponent exactly.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, ratio);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  // product = numerator × 2^exponent, exponent < 0 here.
  let numerator = MAX_UINT64 * mantissa;
  const scale = -exponent;
  const length = numerator.toString(2).length;
  if (length > 64) {
    const drop = BigInt(length - 64);
    const kept = numerator >> drop;
    const rest = numerator - (kept << drop);
    const half = 1n << (drop - 1n);
    const roundUp = rest > half || (rest === half && (kept & 1n) === 1n);
    numerator = (roundUp ? kept + 1n : kept) << drop;
  }
  const value = scale >= 0 ? numerator >> BigInt(scale) : numerator << BigInt(-scale);
  return value > MAX_UINT64 ? MAX_UINT64 : value;
}

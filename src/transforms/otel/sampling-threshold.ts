/**
 * Consistent probability sampling arithmetic, from the OpenTelemetry specification
 * (`trace/tracestate-probability-sampling.md`, `trace/tracestate-handling.md`): 56-bit
 * rejection thresholds (`th`) and randomness values (`rv`), both unsigned integers below 2^56.
 * An item is kept when its randomness is at least the threshold; threshold 0 keeps everything,
 * 2^56 nothing.
 *
 * Thresholds are computed from probabilities as the Collector's `pkg/sampling` does, so a
 * threshold made here and one made by an Alloy with the same settings are the same number:
 * rounded to `precision` significant hex digits, with a digit more for each leading `0` or `f`.
 * The hot path compares values as two halves (`Unsigned56`); BigInt is used only to compute a
 * threshold, which callers cache.
 */

/** 2^56: the number of distinct randomness values. */
export const MAX_ADJUSTED_COUNT = 1n << 56n;

/** The smallest probability a threshold can express, 2^-56. */
export const MIN_SAMPLING_PROBABILITY = 2 ** -56;

/**
 * A 56-bit unsigned value as two halves that fit a double exactly: bits 55–32 (`hi`, or 2^24
 * for 2^56 itself) and bits 31–0 (`lo`). Comparing halves needs no BigInt on the hot path.
 */
export interface Unsigned56 {
  readonly hi: number;
  readonly lo: number;
}

/** A threshold, with its `th` text. */
export interface Threshold extends Unsigned56 {
  /** The rejection threshold, 0 to 2^56. */
  readonly value: bigint;
  /** The `th` value: hex digits without trailing zeros, `'0'` for 0, empty for 2^56. */
  readonly tvalue: string;
}

/** Whether `a >= b`. */
export function atLeast(a: Unsigned56, b: Unsigned56): boolean {
  return a.hi > b.hi || (a.hi === b.hi && a.lo >= b.lo);
}

/** The value of a 56-bit number as a BigInt. */
export function toBigInt(value: Unsigned56): bigint {
  return (BigInt(value.hi) << 32n) | BigInt(value.lo);
}

/** Makes a {@link Threshold} from its value. */
export function threshold(value: bigint): Threshold {
  return {
    value,
    hi: Number(value >> 32n),
    lo: Number(value & 0xffffffffn),
    tvalue: value >= MAX_ADJUSTED_COUNT ? '' : formatTValue(value),
  };
}

/** The threshold that keeps everything (100%). */
export const ALWAYS_SAMPLE: Threshold = threshold(0n);

/** The threshold that keeps nothing. */
export const NEVER_SAMPLE: Threshold = threshold(MAX_ADJUSTED_COUNT);

/**
 * The rejection threshold for a sampling probability: `(1 - p) * 2^56`, rounded to `precision`
 * significant hex digits (1–14), raised by one digit for each leading `0` or `f` the threshold
 * would have. `undefined` when `p` is outside [2^-56, 1] (or not a number).
 */
export function probabilityToThreshold(probability: number, precision: number): bigint | undefined {
  if (!(probability >= MIN_SAMPLING_PROBABILITY && probability <= 1)) return undefined;
  if (probability === 1) return 0n;
  const expF = frexpExponent(probability);
  const expR = frexpExponent(1 - probability);
  const digits = Math.min(14, Math.max(precision + Math.trunc(expF / -4), precision + Math.trunc(expR / -4)));
  const scaled = BigInt(Math.round(probability * 2 ** 56));
  let value = MAX_ADJUSTED_COUNT - scaled;
  const shift = BigInt(4 * (14 - digits));
  if (shift > 0n) {
    value += 1n << (shift - 1n);
    value = (value >> shift) << shift;
  }
  return value;
}

/** The sampling probability a threshold stands for: `(2^56 - t) / 2^56`. */
export function thresholdProbability(value: bigint): number {
  return Number(MAX_ADJUSTED_COUNT - value) / 2 ** 56;
}

/** The `th` text of a threshold below 2^56: 14 hex digits, trailing zeros removed (`'0'` for 0). */
export function formatTValue(value: bigint): string {
  if (value === 0n) return '0';
  return value.toString(16).padStart(14, '0').replace(/0+$/, '');
}

/** Parses a `th` value (1 to 14 hex digits, zeros appended to 14); `undefined` when malformed. */
export function parseTValue(text: string): Unsigned56 | undefined {
  return text.length >= 1 && text.length <= 14 ? hex56(text) : undefined;
}

/** Parses an `rv` value (exactly 14 hex digits); `undefined` when malformed. */
export function parseRValue(text: string): Unsigned56 | undefined {
  return text.length === 14 ? hex56(text) : undefined;
}

/** Up to 14 hex digits, zeros appended to 14, as halves; `undefined` at a character that is not one. */
function hex56(text: string): Unsigned56 | undefined {
  const n = text.length;
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < 14; i++) {
    let digit = 0;
    if (i < n) {
      const c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) digit = c - 48;
      else if (c >= 97 && c <= 102) digit = c - 87;
      else if (c >= 65 && c <= 70) digit = c - 55;
      else return undefined;
    }
    if (i < 6) hi = hi * 16 + digit;
    else lo = lo * 16 + digit;
  }
  return { hi, lo };
}

/**
 * 56 bits of randomness from bytes, exactly as the Collector's probabilistic sampler makes them
 * for a hashed log record attribute (`randomnessFromBytes`): FNV-1a (32 bits) over the seed's
 * four bytes (little-endian) and the value's bytes, of which the low 14 bits decide, placed so
 * that the same percentage keeps the same records. Strings are hashed as UTF-8.
 */
export function hashedRandomness(value: string | Uint8Array, seed: number): Unsigned56 {
  let h = 0x811c9dc5;
  h = fnvByte(h, seed & 0xff);
  h = fnvByte(h, (seed >>> 8) & 0xff);
  h = fnvByte(h, (seed >>> 16) & 0xff);
  h = fnvByte(h, (seed >>> 24) & 0xff);
  if (typeof value === 'string') {
    for (let i = 0; i < value.length; i++) {
      let c = value.charCodeAt(i);
      if (c < 0x80) h = fnvByte(h, c);
      else if (c < 0x800) {
        h = fnvByte(h, 0xc0 | (c >> 6));
        h = fnvByte(h, 0x80 | (c & 0x3f));
      } else {
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length) {
          const next = value.charCodeAt(i + 1);
          if (next >= 0xdc00 && next <= 0xdfff) {
            c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
            i++;
            h = fnvByte(h, 0xf0 | (c >> 18));
            h = fnvByte(h, 0x80 | ((c >> 12) & 0x3f));
            h = fnvByte(h, 0x80 | ((c >> 6) & 0x3f));
            h = fnvByte(h, 0x80 | (c & 0x3f));
            continue;
          }
        }
        // A lone surrogate is U+FFFD in UTF-8, as Go and TextEncoder write it.
        if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
        h = fnvByte(h, 0xe0 | (c >> 12));
        h = fnvByte(h, 0x80 | ((c >> 6) & 0x3f));
        h = fnvByte(h, 0x80 | (c & 0x3f));
      }
    }
  } else for (let i = 0; i < value.length; i++) h = fnvByte(h, value[i] as number);
  const hashed = h & 0x3fff;
  const rprime = 0x3fff - hashed;
  const unused = h >>> 18;
  const mixed = (unused ^ (unused << 10)) >>> 0;
  // rprime in bits 55–42, mixed in bits 41–14, hashed in bits 13–0.
  return { hi: rprime * 1024 + Math.floor(mixed / 2 ** 18), lo: (mixed % 2 ** 18) * 16384 + hashed };
}

function fnvByte(h: number, byte: number): number {
  return Math.imul(h ^ byte, 0x01000193) >>> 0;
}

/** The exponent `e` of `x = m * 2^e` with `0.5 <= m < 1`, as C's and Go's `frexp` give it. */
function frexpExponent(x: number): number {
  let e = Math.floor(Math.log2(x)) + 1;
  let m = x / 2 ** e;
  while (m < 0.5) {
    m *= 2;
    e--;
  }
  while (m >= 1) {
    m /= 2;
    e++;
  }
  return e;
}

/**
 * MD5 (RFC 1321) of a string's UTF-8 bytes, for `hashmod`. Node's `crypto.hash('md5', ...)`
 * costs about a microsecond a call for the short strings relabelling hashes, most of it the call
 * and the Buffer; this costs a fraction of that. Tests check it against `node:crypto`.
 */

const encoder = new TextEncoder();
let bytes = new Uint8Array(256);
const words = new Int32Array(16);

/** Per-round shift amounts. */
const S = Int32Array.of(7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21);
/** `floor(abs(sin(i + 1)) * 2^32)`. */
const K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);

/**
 * The last 8 bytes of the MD5 sum of `text` (UTF-8), read as a big-endian unsigned 64-bit
 * integer: what Prometheus's `hashmod` takes modulo the modulus. Returned as its high and low
 * 32-bit halves.
 */
export function md5Tail64(text: string): readonly [hi: number, lo: number] {
  const length = encode(text);
  // Padding: 0x80, zeros to 56 mod 64, then the bit length as 64-bit little-endian.
  const total = ((length + 8) >>> 6) * 64 + 64; // encode() left room for it
  bytes[length] = 0x80;
  bytes.fill(0, length + 1, total);
  const bits = length * 8;
  bytes[total - 8] = bits & 0xff;
  bytes[total - 7] = (bits >>> 8) & 0xff;
  bytes[total - 6] = (bits >>> 16) & 0xff;
  bytes[total - 5] = (bits >>> 24) & 0xff;
  const high = Math.floor(bits / 2 ** 32);
  bytes[total - 4] = high & 0xff;
  bytes[total - 3] = (high >>> 8) & 0xff;
  bytes[total - 2] = (high >>> 16) & 0xff;
  bytes[total - 1] = (high >>> 24) & 0xff;

  const buf = bytes;
  const m = words;
  let a0 = 0x67452301;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  for (let block = 0; block < total; block += 64) {
    for (let i = 0; i < 16; i++) {
      const at = block + i * 4;
      m[i] =
        (buf[at] as number) |
        ((buf[at + 1] as number) << 8) |
        ((buf[at + 2] as number) << 16) |
        ((buf[at + 3] as number) << 24);
    }
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    let t: number;
    for (let i = 0; i < 16; i++) {
      t = (a + ((b & c) | (~b & d)) + (K[i] as number) + (m[i] as number)) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + rotl(t, S[i & 3] as number)) | 0;
    }
    for (let i = 16; i < 32; i++) {
      t = (a + ((d & b) | (~d & c)) + (K[i] as number) + (m[(5 * i + 1) & 15] as number)) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + rotl(t, S[4 + (i & 3)] as number)) | 0;
    }
    for (let i = 32; i < 48; i++) {
      t = (a + (b ^ c ^ d) + (K[i] as number) + (m[(3 * i + 5) & 15] as number)) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + rotl(t, S[8 + (i & 3)] as number)) | 0;
    }
    for (let i = 48; i < 64; i++) {
      t = (a + (c ^ (b | ~d)) + (K[i] as number) + (m[(7 * i) & 15] as number)) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + rotl(t, S[12 + (i & 3)] as number)) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  // The digest is a0..d0 little-endian; bytes 8..15 are c0 then d0.
  return [swap(c0), swap(d0)];
}

/** `md5Tail64(text) % modulus`, as Prometheus's `hashmod` computes it, in decimal. */
export function hashMod(text: string, modulus: bigint): string {
  const [hi, lo] = md5Tail64(text);
  if (modulus <= 0x100000n) {
    // hi % m < 2^20, so (hi % m) * 2^32 + lo stays below 2^53: exact in a double.
    const m = Number(modulus);
    return (((hi % m) * 2 ** 32 + lo) % m).toString();
  }
  return (((BigInt(hi) << 32n) | BigInt(lo)) % modulus).toString();
}

/** Writes `text` as UTF-8 into `bytes`, returning the byte length. */
function encode(text: string): number {
  if (bytes.length < text.length + 72) grow(text.length + 72);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) {
      const encoded = encoder.encode(text);
      if (bytes.length < encoded.length + 72) grow(encoded.length + 72);
      bytes.set(encoded);
      return encoded.length;
    }
    bytes[i] = code;
  }
  return text.length;
}

function grow(size: number): void {
  bytes = new Uint8Array(Math.max(size, bytes.length * 2));
}

function rotl(word: number, shift: number): number {
  return (word << shift) | (word >>> (32 - shift));
}

/** Reverses the byte order of a 32-bit word, returning it unsigned. */
function swap(word: number): number {
  return (
    (((word & 0xff) << 24) | ((word & 0xff00) << 8) | ((word >>> 8) & 0xff00) | ((word >>> 24) & 0xff)) >>> 0
  );
}

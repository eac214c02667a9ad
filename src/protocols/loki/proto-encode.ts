/**
 * The Loki push encoder: `logproto.PushRequest` as protobuf, written by hand in two passes, as
 * the remote write encoder is. The first measures every stream and entry, the second writes into
 * a buffer of exactly that size. Field numbers and encoding follow Loki's `pkg/push/push.proto`;
 * fields holding their default value are left out, as Go's encoder does, except the entry's
 * timestamp, which Go always writes.
 */
import type { Labels } from '../../core/labels.js';
import { int64High, int64Low, utf8Size, varint32Size, varint64Size } from '../protobuf/writer.js';
import { formatLokiLabels } from './label-string.js';
import type { LokiPushEntry, LokiPushStream } from './types.js';

const NS_PER_SECOND = 1_000_000_000n;
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
/** Strings longer than this are measured and written by Buffer's native UTF-8 code. */
const SHORT = 48;

/**
 * Buffer's native UTF-8 write without `Buffer.prototype.write`'s argument juggling, which costs
 * more than the copy for lines of a few hundred bytes. protobufjs writes strings the same way.
 */
interface NativeWriters {
  utf8Write(text: string, offset: number, length: number): number;
  latin1Write(text: string, offset: number, length: number): number;
}
const native = Buffer.prototype as unknown as Partial<NativeWriters>;
const utf8Write: (out: Buffer, text: string, at: number, size: number) => number =
  typeof native.utf8Write === 'function' && typeof native.latin1Write === 'function'
    ? (out, text, at, size) =>
        // ASCII (its UTF-8 size is its length) is the same in Latin-1, which is copied faster.
        size === text.length
          ? (out as unknown as NativeWriters).latin1Write(text, at, size)
          : (out as unknown as NativeWriters).utf8Write(text, at, size)
    : (out, text, at, size) => out.write(text, at, size, 'utf8');

/** Each stream's label string, UTF-8 encoded, kept per `Labels` object. */
const labelStrings = new WeakMap<Labels, Buffer>();

function labelBytes(labels: Labels): Buffer {
  let bytes = labelStrings.get(labels);
  if (bytes === undefined) {
    bytes = Buffer.from(formatLokiLabels(labels), 'utf8');
    labelStrings.set(labels, bytes);
  }
  return bytes;
}

// Per-request scratch, grown as needed and reused: sizes measured by the first pass.
let entrySizes = new Int32Array(4096);
let lineSizes = new Int32Array(4096);
let seconds = new Float64Array(4096);
let nanos = new Int32Array(4096);
let streamSizes = new Int32Array(256);

/**
 * Encodes a Loki `PushRequest`: one `StreamAdapter` per stream, in order, its entries in order.
 * Labels are written as the label string ({@link formatLokiLabels}); an entry's timestamp as a
 * `google.protobuf.Timestamp` (whole seconds and non-negative nanoseconds, exact); structured
 * metadata as name/value pairs. The result still needs snappy compression before it is sent.
 *
 * @throws RangeError when a timestamp is outside the int64 nanosecond range.
 * @example
 * ```ts
 * const body = snappyCompress(
 *   encodeLokiPushRequest([{ labels: Labels.from({ job: 'api' }), entries: [{ timestampNs: 1n, line: 'hi' }] }]),
 * );
 * ```
 */
export function encodeLokiPushRequest(streams: readonly LokiPushStream[]): Uint8Array {
  let entryCount = 0;
  for (const stream of streams) entryCount += stream.entries.length;
  if (entrySizes.length < entryCount) {
    const size = Math.max(entryCount, entrySizes.length * 2);
    entrySizes = new Int32Array(size);
    lineSizes = new Int32Array(size);
    seconds = new Float64Array(size);
    nanos = new Int32Array(size);
  }
  if (streamSizes.length < streams.length) {
    streamSizes = new Int32Array(Math.max(streams.length, streamSizes.length * 2));
  }

  // First pass: measure.
  let total = 0;
  let e = 0;
  for (let s = 0; s < streams.length; s++) {
    const stream = streams[s] as LokiPushStream;
    const labels = labelBytes(stream.labels).length;
    let size = labels === 0 ? 0 : 1 + varint32Size(labels) + labels;
    const entries = stream.entries;
    for (let i = 0; i < entries.length; i++, e++) {
      const entry = entries[i] as LokiPushEntry;
      const ns = entry.timestampNs;
      if (ns < MIN_INT64 || ns > MAX_INT64) {
        throw new RangeError(`timestamp ${ns} ns is outside the int64 range a Loki entry can carry`);
      }
      let whole = ns / NS_PER_SECOND;
      let fraction = Number(ns - whole * NS_PER_SECOND);
      if (fraction < 0) {
        fraction += 1_000_000_000;
        whole -= 1n;
      }
      const sec = Number(whole);
      seconds[e] = sec;
      nanos[e] = fraction;
      const timestamp =
        (sec === 0 ? 0 : 1 + varint64Size(int64Low(sec), int64High(sec))) +
        (fraction === 0 ? 0 : 1 + varint32Size(fraction));
      const line = byteLength(entry.line);
      lineSizes[e] = line;
      let entrySize = 2 + timestamp + (line === 0 ? 0 : 1 + varint32Size(line) + line);
      const metadata = entry.structuredMetadata;
      if (metadata !== undefined && metadata.size > 0) entrySize += metadataSize(metadata.rawPairs());
      entrySizes[e] = entrySize;
      size += 1 + varint32Size(entrySize) + entrySize;
    }
    streamSizes[s] = size;
    total += 1 + varint32Size(size) + size;
  }

  // Second pass: write. Every byte is written, so the buffer need not be zeroed.
  const out = Buffer.allocUnsafeSlow(total);
  let pos = 0;
  e = 0;
  for (let s = 0; s < streams.length; s++) {
    const stream = streams[s] as LokiPushStream;
    out[pos++] = 0x0a;
    pos = putVarint(out, pos, streamSizes[s] as number);
    const labels = labelBytes(stream.labels);
    if (labels.length > 0) {
      out[pos++] = 0x0a;
      pos = putVarint(out, pos, labels.length);
      out.set(labels, pos);
      pos += labels.length;
    }
    const entries = stream.entries;
    for (let i = 0; i < entries.length; i++, e++) {
      const entry = entries[i] as LokiPushEntry;
      out[pos++] = 0x12;
      pos = putVarint(out, pos, entrySizes[e] as number);
      const sec = seconds[e] as number;
      const fraction = nanos[e] as number;
      out[pos++] = 0x0a;
      const lengthAt = pos++;
      if (sec !== 0) {
        out[pos++] = 0x08;
        pos = putVarint64(out, pos, int64Low(sec), int64High(sec));
      }
      if (fraction !== 0) {
        out[pos++] = 0x10;
        pos = putVarint(out, pos, fraction);
      }
      out[lengthAt] = pos - lengthAt - 1;
      const line = lineSizes[e] as number;
      if (line > 0) {
        out[pos++] = 0x12;
        pos = putVarint(out, pos, line);
        pos = putString(out, pos, entry.line, line);
      }
      const metadata = entry.structuredMetadata;
      if (metadata !== undefined && metadata.size > 0) pos = putMetadata(out, pos, metadata.rawPairs());
    }
  }
  if (pos !== total) throw new Error(`loki push encoder wrote ${pos} bytes, measured ${total}`);
  return out;
}

/** The UTF-8 size of `text`, lone surrogates counted as U+FFFD (as Buffer writes them). */
function byteLength(text: string): number {
  return text.length <= SHORT ? utf8Size(text) : Buffer.byteLength(text, 'utf8');
}

/** The bytes of the repeated `structuredMetadata` fields of a label set's sorted pairs. */
function metadataSize(pairs: readonly string[]): number {
  let size = 0;
  for (let i = 0; i < pairs.length; i += 2) {
    const pair = pairSize(byteLength(pairs[i] as string), byteLength(pairs[i + 1] as string));
    size += 1 + varint32Size(pair) + pair;
  }
  return size;
}

function pairSize(name: number, value: number): number {
  return (
    (name === 0 ? 0 : 1 + varint32Size(name) + name) + (value === 0 ? 0 : 1 + varint32Size(value) + value)
  );
}

function putMetadata(out: Buffer, at: number, pairs: readonly string[]): number {
  let pos = at;
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i] as string;
    const value = pairs[i + 1] as string;
    const nameSize = byteLength(name);
    const valueSize = byteLength(value);
    out[pos++] = 0x1a;
    pos = putVarint(out, pos, pairSize(nameSize, valueSize));
    if (nameSize > 0) {
      out[pos++] = 0x0a;
      pos = putVarint(out, pos, nameSize);
      pos = putString(out, pos, name, nameSize);
    }
    if (valueSize > 0) {
      out[pos++] = 0x12;
      pos = putVarint(out, pos, valueSize);
      pos = putString(out, pos, value, valueSize);
    }
  }
  return pos;
}

/** Writes `text`, whose UTF-8 size is `size`: short ASCII directly, the rest natively. */
function putString(out: Buffer, at: number, text: string, size: number): number {
  if (size === text.length && size <= SHORT) {
    for (let i = 0; i < size; i++) out[at + i] = text.charCodeAt(i);
    return at + size;
  }
  const written = utf8Write(out, text, at, size);
  if (written !== size)
    throw new Error(`loki push encoder wrote ${written} bytes of a string, measured ${size}`);
  return at + size;
}

function putVarint(bytes: Uint8Array, at: number, value: number): number {
  let pos = at;
  let v = value >>> 0;
  while (v > 127) {
    bytes[pos++] = (v & 127) | 128;
    v >>>= 7;
  }
  bytes[pos++] = v;
  return pos;
}

function putVarint64(bytes: Uint8Array, at: number, low: number, high: number): number {
  let pos = at;
  let lo = low;
  let hi = high;
  while (hi !== 0) {
    bytes[pos++] = (lo & 127) | 128;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  while (lo > 127) {
    bytes[pos++] = (lo & 127) | 128;
    lo >>>= 7;
  }
  bytes[pos++] = lo;
  return pos;
}

/**
 * The remote write 1.0 encoder: `prometheus.WriteRequest` as protobuf, written by hand in two
 * passes. The first measures every length-delimited message, the second writes into a buffer of
 * exactly that size, so nothing is copied or grown. A series' label fields are encoded once per
 * `Labels` object and copied into every request that carries the series. Field order and
 * encoding follow `prompb/remote.proto` and `prompb/types.proto`; fields holding their default
 * value are left out, as Go's encoder does, except that a `-0` value is kept bit-exact.
 */
import type { Labels } from '../../core/labels.js';
import type { MetricMetadata } from '../../core/signals.js';
import { isStaleMarker } from '../../core/stale-marker.js';
import { int64High, int64Low, utf8Size, varint32Size, varint64Size } from '../protobuf/writer.js';
import { encodeExemplar, encodeHistogram, encodeMetadata } from './encode-extras.js';
import type { WriteSeries } from './types.js';

const encoder = new TextEncoder();
/** Where label fields are assembled before being copied out at their exact size. */
let labelScratch = new Uint8Array(4096);
/**
 * The repeated `TimeSeries.labels` fields of a label set, encoded once per `Labels` object and
 * kept on it: sources reuse one `Labels` object per series (scrape's cache does), so a series'
 * labels are encoded once, not in every request.
 */
function labelFields(labels: Labels): Uint8Array {
  const cached = labels.encodedLabelFields;
  if (cached !== undefined) return cached;
  const pairs = labels.rawPairs();
  let need = 0;
  for (const text of pairs) need += text.length * 3 + 10;
  if (labelScratch.length < need) labelScratch = new Uint8Array(Math.max(need, labelScratch.length * 2));
  // Label text is almost always ASCII, whose UTF-8 size is its length: try that first.
  const end =
    writeLabelFields(pairs, labelScratch, false) ?? (writeLabelFields(pairs, labelScratch, true) as number);
  const fields = labelScratch.slice(0, end);
  labels.encodedLabelFields = fields;
  return fields;
}

/**
 * Writes the label fields into `out` and returns where they end. Without `exact`, text is taken
 * for ASCII and the attempt gives up (returning `undefined`) at the first character that is not.
 */
function writeLabelFields(pairs: readonly string[], out: Uint8Array, exact: boolean): number | undefined {
  let pos = 0;
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i] as string;
    const value = pairs[i + 1] as string;
    const nameSize = exact ? utf8Size(name) : name.length;
    const valueSize = exact ? utf8Size(value) : value.length;
    if (valueSize === 0) continue;
    out[pos++] = 0x0a;
    pos = putVarint(out, pos, 2 + varint32Size(nameSize) + nameSize + varint32Size(valueSize) + valueSize);
    out[pos++] = 0x0a;
    pos = putVarint(out, pos, nameSize);
    pos = exact
      ? pos + encoder.encodeInto(name, out.subarray(pos, pos + nameSize)).written
      : putAscii(out, pos, name);
    if (pos < 0) return undefined;
    out[pos++] = 0x12;
    pos = putVarint(out, pos, valueSize);
    pos = exact
      ? pos + encoder.encodeInto(value, out.subarray(pos, pos + valueSize)).written
      : putAscii(out, pos, value);
    if (pos < 0) return undefined;
  }
  return pos;
}

/** Writes an ASCII string; returns -1 when it is not ASCII. */
function putAscii(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return -1;
    out[at + i] = code;
  }
  return at + text.length;
}

/** The size of each series' message, measured by the first pass. */
let seriesSizes: Int32Array = new Int32Array(4096);

/**
 * Encodes a remote write 1.0 `WriteRequest`: one `TimeSeries` per entry of `series`, in order,
 * then one `MetricMetadata` per entry of `metadata`. Labels are written in their (sorted) order;
 * labels with an empty value are left out. Native histograms with `positiveCounts` or
 * `negativeCounts` are written as float histograms, the others as integer histograms. The result
 * still needs snappy compression ({@link snappyCompress}) before it is sent.
 *
 * @example
 * ```ts
 * const body = snappyCompress(
 *   encodeWriteRequest([
 *     { labels: Labels.from({ __name__: 'up', job: 'node' }), samples: [{ value: 1, timestampMs: Date.now() }] },
 *   ]),
 * );
 * ```
 */
export function encodeWriteRequest(
  series: readonly WriteSeries[],
  metadata: readonly MetricMetadata[] = [],
): Uint8Array {
  return encode(series, metadata);
}

function encode(series: readonly WriteSeries[], metadata: readonly MetricMetadata[]): Uint8Array {
  if (seriesSizes.length < series.length) {
    seriesSizes = new Int32Array(Math.max(series.length, seriesSizes.length * 2));
  }
  const sizes = seriesSizes;
  const extras: Uint8Array[] = [];
  let total = 0;
  for (let s = 0; s < series.length; s++) {
    const entry = series[s] as WriteSeries;
    let size = labelFields(entry.labels).length;
    const samples = entry.samples;
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i] as WriteSeries['samples'][number];
      size += 2 + sampleSize(sample.value, sample.timestampMs);
    }
    if (entry.exemplars !== undefined) {
      for (const exemplar of entry.exemplars) size += keep(extras, encodeExemplar(exemplar));
    }
    if (entry.histograms !== undefined) {
      for (const { histogram, timestampMs } of entry.histograms) {
        size += keep(extras, encodeHistogram(histogram, timestampMs));
      }
    }
    sizes[s] = size;
    total += 1 + varint32Size(size) + size;
  }
  for (const family of metadata) total += keep(extras, encodeMetadata(family));

  // Every byte is written below, so the buffer need not be zeroed first.
  const bytes = new Uint8Array(Buffer.allocUnsafeSlow(total).buffer, 0, total);
  const view = new DataView(bytes.buffer, 0, total);
  let pos = 0;
  let x = 0;
  for (let s = 0; s < series.length; s++) {
    const entry = series[s] as WriteSeries;
    bytes[pos++] = 0x0a;
    pos = putVarint(bytes, pos, sizes[s] as number);
    const labels = labelFields(entry.labels);
    bytes.set(labels, pos);
    pos += labels.length;
    const samples = entry.samples;
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i] as WriteSeries['samples'][number];
      const value = sample.value;
      const low = int64Low(sample.timestampMs);
      const high = int64High(sample.timestampMs);
      const writeValue = value !== 0 || 1 / value < 0;
      const hasTime = (low | high) !== 0;
      bytes[pos++] = 0x12;
      bytes[pos++] = (writeValue ? 9 : 0) + (hasTime ? 1 + varint64Size(low, high) : 0);
      if (writeValue) {
        bytes[pos++] = 0x09;
        if (Number.isNaN(value) && isStaleMarker(value)) {
          view.setUint32(pos, 0x00000002, true);
          view.setUint32(pos + 4, 0x7ff00000, true);
        } else {
          view.setFloat64(pos, value, true);
        }
        pos += 8;
      }
      if (hasTime) {
        bytes[pos++] = 0x10;
        pos = putVarint64(bytes, pos, low, high);
      }
    }
    const exemplarCount = entry.exemplars?.length ?? 0;
    const extraCount = exemplarCount + (entry.histograms?.length ?? 0);
    for (let i = 0; i < extraCount; i++)
      pos = putField(bytes, pos, i < exemplarCount ? 0x1a : 0x22, extras[x++]);
  }
  for (let i = 0; i < metadata.length; i++) pos = putField(bytes, pos, 0x1a, extras[x++]);
  if (pos !== total) throw new Error(`remote write encoder wrote ${pos} bytes, measured ${total}`);
  return bytes;
}

/** The bytes of a `Sample` message (at most 20, so its length is one byte). */
function sampleSize(value: number, timestampMs: number): number {
  const low = int64Low(timestampMs);
  const high = int64High(timestampMs);
  return (value !== 0 || 1 / value < 0 ? 9 : 0) + ((low | high) !== 0 ? 1 + varint64Size(low, high) : 0);
}

/** Keeps a pre-encoded message and returns the bytes it takes as a length-delimited field. */
function keep(extras: Uint8Array[], message: Uint8Array): number {
  extras.push(message);
  return 1 + varint32Size(message.length) + message.length;
}

function putField(bytes: Uint8Array, at: number, tag: number, message: Uint8Array | undefined): number {
  if (message === undefined) throw new Error('remote write encoder lost a message');
  bytes[at] = tag;
  const pos = putVarint(bytes, at + 1, message.length);
  bytes.set(message, pos);
  return pos + message.length;
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

/**
 * Encoders for the messages a request carries besides labels and float samples: exemplars,
 * native histograms and metric metadata. They are rare next to samples, so each is written into
 * a small growable buffer and copied into the request as it is.
 */
import type { Exemplar, MetricMetadata, MetricType, NativeHistogram } from '../../core/signals.js';
import { int64High, int64Low, ProtoWriter, sint64Size, utf8Size, varint32Size } from '../protobuf/writer.js';

const METRIC_TYPES: Readonly<Record<MetricType, number>> = {
  unknown: 0,
  counter: 1,
  gauge: 2,
  histogram: 3,
  gaugehistogram: 4,
  summary: 5,
  info: 6,
  stateset: 7,
};
const RESET_HINTS: Readonly<Record<NativeHistogram['resetHint'], number>> = {
  unknown: 0,
  yes: 1,
  no: 2,
  gauge: 3,
};

function writeLabels(writer: ProtoWriter, field: number, pairs: readonly string[]): void {
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i] as string;
    const value = pairs[i + 1] as string;
    if (value === '') continue;
    const nameSize = utf8Size(name);
    const valueSize = utf8Size(value);
    writer.uint32(field);
    writer.uint32(2 + varint32Size(nameSize) + nameSize + varint32Size(valueSize) + valueSize);
    writer.uint32(0x0a);
    writer.uint32(nameSize);
    writer.utf8(name, nameSize);
    writer.uint32(0x12);
    writer.uint32(valueSize);
    writer.utf8(value, valueSize);
  }
}

/** An `Exemplar` message. */
export function encodeExemplar(exemplar: Exemplar): Uint8Array {
  const writer = new ProtoWriter();
  writeLabels(writer, 0x0a, exemplar.labels.rawPairs());
  if (exemplar.value !== 0 || 1 / exemplar.value < 0) {
    writer.uint32(0x11);
    writer.double(exemplar.value);
  }
  const timestampMs = exemplar.timestampMs ?? 0;
  if (int64Low(timestampMs) !== 0 || int64High(timestampMs) !== 0) {
    writer.uint32(0x18);
    writer.int64(timestampMs);
  }
  return writer.finish();
}

/** A `Histogram` message; float histograms are those with `positiveCounts` or `negativeCounts`. */
export function encodeHistogram(h: NativeHistogram, timestampMs: number): Uint8Array {
  const writer = new ProtoWriter();
  const float = h.positiveCounts !== undefined || h.negativeCounts !== undefined;
  if (float) {
    writer.uint32(0x11);
    writer.double(h.count);
  } else {
    writer.uint32(0x08);
    writer.int64(h.count);
  }
  if (h.sum !== 0 || 1 / h.sum < 0) {
    writer.uint32(0x19);
    writer.double(h.sum);
  }
  if (h.schema !== 0) {
    writer.uint32(0x20);
    writer.sint32(h.schema);
  }
  if (h.zeroThreshold !== 0 || 1 / h.zeroThreshold < 0) {
    writer.uint32(0x29);
    writer.double(h.zeroThreshold);
  }
  if (float) {
    writer.uint32(0x39);
    writer.double(h.zeroCount);
  } else {
    writer.uint32(0x30);
    writer.int64(h.zeroCount);
  }
  writeSpans(writer, 0x42, h.negativeSpans);
  if (float) writeDoubles(writer, 0x52, h.negativeCounts);
  else writeDeltas(writer, 0x4a, h.negativeDeltas);
  writeSpans(writer, 0x5a, h.positiveSpans);
  if (float) writeDoubles(writer, 0x6a, h.positiveCounts);
  else writeDeltas(writer, 0x62, h.positiveDeltas);
  const hint = RESET_HINTS[h.resetHint] ?? 0;
  if (hint !== 0) {
    writer.uint32(0x70);
    writer.uint32(hint);
  }
  if (int64Low(timestampMs) !== 0 || int64High(timestampMs) !== 0) {
    writer.uint32(0x78);
    writer.int64(timestampMs);
  }
  return writer.finish();
}

function writeSpans(writer: ProtoWriter, field: number, spans: NativeHistogram['positiveSpans']): void {
  for (const span of spans) {
    const offset = span.offset | 0;
    const length = span.length >>> 0;
    const zigzag = ((offset << 1) ^ (offset >> 31)) >>> 0;
    writer.uint32(field);
    writer.uint32(
      (offset !== 0 ? 1 + varint32Size(zigzag) : 0) + (length !== 0 ? 1 + varint32Size(length) : 0),
    );
    if (offset !== 0) {
      writer.uint32(0x08);
      writer.uint32(zigzag);
    }
    if (length !== 0) {
      writer.uint32(0x10);
      writer.uint32(length);
    }
  }
}

function writeDeltas(writer: ProtoWriter, field: number, deltas: readonly number[] | undefined): void {
  if (deltas === undefined || deltas.length === 0) return;
  let size = 0;
  for (const delta of deltas) size += sint64Size(delta);
  writer.uint32(field);
  writer.uint32(size);
  for (const delta of deltas) writer.sint64(delta);
}

function writeDoubles(writer: ProtoWriter, field: number, counts: readonly number[] | undefined): void {
  if (counts === undefined || counts.length === 0) return;
  writer.uint32(field);
  writer.uint32(counts.length * 8);
  for (const count of counts) writer.double(count);
}

/** A `MetricMetadata` message. */
export function encodeMetadata(family: MetricMetadata): Uint8Array {
  const writer = new ProtoWriter();
  const type = METRIC_TYPES[family.type] ?? 0;
  if (type !== 0) {
    writer.uint32(0x08);
    writer.uint32(type);
  }
  if (family.family !== '') {
    writer.uint32(0x12);
    writer.string(family.family);
  }
  if (family.help !== undefined && family.help !== '') {
    writer.uint32(0x22);
    writer.string(family.help);
  }
  if (family.unit !== undefined && family.unit !== '') {
    writer.uint32(0x2a);
    writer.string(family.unit);
  }
  return writer.finish();
}

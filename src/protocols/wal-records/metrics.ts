/**
 * The write-ahead log record format of metric samples, `rivulet.metrics.v1`.
 *
 * A definitions record is a count of definitions, then each one, tagged: `1` a label set (ref, label count,
 * then names and values), `2` a metadata object (ref, family, type, which of help and unit
 * follow, then those). Label sets and metadata have separate ref spaces, handed out from 0 in
 * each segment.
 *
 * An items record is the sample count, then per sample: the label-set ref, a flags byte, the
 * value as a little-endian float64 (bit exact, staleness marker included), the timestamp, and
 * what the flags say follows: the metadata ref, the exemplars, the native histogram. An integer
 * timestamp below 2^51 in magnitude is written as the zig-zag varint of its difference from the
 * previous such timestamp in the record (0 before the first); any other timestamp (a fraction,
 * -0, a non-finite value) as a float64.
 */
import type { WalCodec, WalDecoder, WalEncoder, WalRecordOut } from '../../core/extension-points.js';
import type { Labels } from '../../core/labels.js';
import type {
  BucketSpan,
  Exemplar,
  MetricMetadata,
  MetricSample,
  MetricType,
  NativeHistogram,
} from '../../core/signals.js';
import { ByteReader, ByteWriter, LABELS_DEFINITION, labelRefs, RefTable, storeDefinition } from './bytes.js';

const METADATA_DEFINITION = 2;

const METRIC_TYPES: readonly MetricType[] = [
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
  'unknown',
];
const RESET_HINTS: readonly NativeHistogram['resetHint'][] = ['unknown', 'yes', 'no', 'gauge'];

// Sample flags.
const HAS_METADATA = 1;
const HAS_EXEMPLARS = 2;
const HAS_HISTOGRAM = 4;
const FLOAT_TIMESTAMP = 8;
const SAMPLE_FLAGS = 15;

// Metadata flags.
const HAS_HELP = 1;
const HAS_UNIT = 2;

// Exemplar flags.
const HAS_TIMESTAMP = 1;

// Histogram flags: the reset hint in the low two bits, then which bucket arrays are present.
const HAS_NEGATIVE_DELTAS = 4;
const HAS_POSITIVE_DELTAS = 8;
const HAS_NEGATIVE_COUNTS = 16;
const HAS_POSITIVE_COUNTS = 32;
const HISTOGRAM_FLAGS = 63;

// How a list of numbers is written: all as zig-zag varints (int32s, no -0), or all as float64s.
const INTEGERS = 0;
const FLOATS = 1;

/** Integer timestamps below this magnitude are delta-encoded; their differences then zig-zag exactly. */
const DELTA_LIMIT = 2 ** 51;

/** Whether `value` is an int32 other than -0, which a zig-zag varint carries exactly. */
function isSmallInteger(value: number): boolean {
  return (value | 0) === value && (value !== 0 || 1 / value > 0);
}

function metadataKey(metadata: MetricMetadata): string {
  return JSON.stringify([metadata.family, metadata.type, metadata.help ?? null, metadata.unit ?? null]);
}

function defineMetadata(metadata: MetricMetadata, ref: number, into: ByteWriter): void {
  const type = METRIC_TYPES.indexOf(metadata.type);
  if (type < 0) throw new TypeError(`wal record: unknown metric type ${JSON.stringify(metadata.type)}`);
  into.u8(METADATA_DEFINITION);
  into.uvarint(ref);
  into.string(metadata.family);
  into.u8(type);
  const help = metadata.help;
  const unit = metadata.unit;
  into.u8((help !== undefined ? HAS_HELP : 0) | (unit !== undefined ? HAS_UNIT : 0));
  if (help !== undefined) into.string(help);
  if (unit !== undefined) into.string(unit);
}

class MetricsEncoder implements WalEncoder<MetricSample> {
  private readonly labels = labelRefs();
  private readonly metadata = new RefTable<MetricMetadata>(metadataKey, defineMetadata);
  private readonly definitions = new ByteWriter(1024);
  private readonly out = new ByteWriter(16384);

  encode(items: readonly MetricSample[]): readonly WalRecordOut[] {
    const count = items.length;
    if (count === 0) return [];
    const definitions = this.definitions;
    const out = this.out;
    definitions.reset();
    out.reset();
    try {
      out.uvarint(count);
      let previous = 0;
      for (let i = 0; i < count; i++) {
        const sample = items[i] as MetricSample;
        out.uvarint(this.labels.ref(sample.labels, definitions));
        const timestamp = sample.timestampMs;
        const { metadata, exemplars, histogram } = sample;
        const delta =
          Number.isInteger(timestamp) &&
          timestamp < DELTA_LIMIT &&
          timestamp > -DELTA_LIMIT &&
          (timestamp !== 0 || 1 / timestamp > 0);
        out.u8(
          (metadata !== undefined ? HAS_METADATA : 0) |
            (exemplars !== undefined ? HAS_EXEMPLARS : 0) |
            (histogram !== undefined ? HAS_HISTOGRAM : 0) |
            (delta ? 0 : FLOAT_TIMESTAMP),
        );
        out.f64(sample.value);
        if (delta) {
          out.varint(timestamp - previous);
          previous = timestamp;
        } else {
          out.f64(timestamp);
        }
        if (metadata !== undefined) out.uvarint(this.metadata.ref(metadata, definitions));
        if (exemplars !== undefined) writeExemplars(out, exemplars);
        if (histogram !== undefined) writeHistogram(out, histogram);
      }
    } catch (error) {
      this.labels.rollback();
      this.metadata.rollback();
      throw error;
    }
    const defined = this.labels.pending + this.metadata.pending;
    this.labels.commit();
    this.metadata.commit();
    const itemsRecord: WalRecordOut = { type: 'items', count, payload: out.copy() };
    if (defined === 0) return [itemsRecord];
    return [{ type: 'definitions', count: 0, payload: definitions.copyAfterCount(defined) }, itemsRecord];
  }
}

function writeExemplars(out: ByteWriter, exemplars: readonly Exemplar[]): void {
  out.uvarint(exemplars.length);
  for (const exemplar of exemplars) {
    const timestamp = exemplar.timestampMs;
    out.u8(timestamp !== undefined ? HAS_TIMESTAMP : 0);
    out.labels(exemplar.labels);
    out.f64(exemplar.value);
    if (timestamp !== undefined) out.f64(timestamp);
  }
}

function writeHistogram(out: ByteWriter, h: NativeHistogram): void {
  const hint = RESET_HINTS.indexOf(h.resetHint);
  if (hint < 0)
    throw new TypeError(`wal record: unknown histogram reset hint ${JSON.stringify(h.resetHint)}`);
  const { negativeDeltas, positiveDeltas, negativeCounts, positiveCounts } = h;
  out.u8(
    hint |
      (negativeDeltas !== undefined ? HAS_NEGATIVE_DELTAS : 0) |
      (positiveDeltas !== undefined ? HAS_POSITIVE_DELTAS : 0) |
      (negativeCounts !== undefined ? HAS_NEGATIVE_COUNTS : 0) |
      (positiveCounts !== undefined ? HAS_POSITIVE_COUNTS : 0),
  );
  out.f64(h.count);
  out.f64(h.sum);
  out.f64(h.schema);
  out.f64(h.zeroThreshold);
  out.f64(h.zeroCount);
  writeSpans(out, h.negativeSpans);
  writeSpans(out, h.positiveSpans);
  if (negativeDeltas !== undefined) writeNumbers(out, negativeDeltas);
  if (positiveDeltas !== undefined) writeNumbers(out, positiveDeltas);
  if (negativeCounts !== undefined) writeNumbers(out, negativeCounts);
  if (positiveCounts !== undefined) writeNumbers(out, positiveCounts);
}

function writeSpans(out: ByteWriter, spans: readonly BucketSpan[]): void {
  const count = spans.length;
  out.uvarint(count);
  if (count === 0) return;
  let integers = true;
  for (let i = 0; i < count && integers; i++) {
    const span = spans[i] as BucketSpan;
    integers = isSmallInteger(span.offset) && isSmallInteger(span.length);
  }
  out.u8(integers ? INTEGERS : FLOATS);
  for (let i = 0; i < count; i++) {
    const span = spans[i] as BucketSpan;
    if (integers) {
      out.varint(span.offset);
      out.varint(span.length);
    } else {
      out.f64(span.offset);
      out.f64(span.length);
    }
  }
}

function writeNumbers(out: ByteWriter, values: readonly number[]): void {
  const count = values.length;
  out.uvarint(count);
  if (count === 0) return;
  let integers = true;
  for (let i = 0; i < count && integers; i++) integers = isSmallInteger(values[i] as number);
  out.u8(integers ? INTEGERS : FLOATS);
  if (integers) for (let i = 0; i < count; i++) out.varint(values[i] as number);
  else for (let i = 0; i < count; i++) out.f64(values[i] as number);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

class MetricsDecoder implements WalDecoder<MetricSample> {
  private readonly labels: (Labels | undefined)[] = [];
  private readonly metadata: (MetricMetadata | undefined)[] = [];

  define(payload: Uint8Array): void {
    const reader = new ByteReader(payload);
    // A definition takes at least 3 bytes: tag, ref, label count.
    const count = reader.count(3);
    for (let i = 0; i < count; i++) {
      const at = reader.pos;
      const tag = reader.u8();
      if (tag === LABELS_DEFINITION) {
        const ref = reader.uvarint();
        storeDefinition(reader, this.labels, ref, reader.labels(), at);
      } else if (tag === METADATA_DEFINITION) {
        const ref = reader.uvarint();
        storeDefinition(reader, this.metadata, ref, readMetadata(reader), at);
      } else {
        reader.fail(`unknown definition tag ${tag}`, at);
      }
    }
    reader.expectEnd();
  }

  decode(payload: Uint8Array): readonly MetricSample[] {
    const reader: ByteReader = new ByteReader(payload);
    // A sample takes at least 11 bytes: ref, flags, value, timestamp.
    const count = reader.count(11);
    const labelsByRef = this.labels;
    const out: MetricSample[] = [];
    let previous = 0;
    for (let i = 0; i < count; i++) {
      const at = reader.pos;
      const ref = reader.uvarint();
      const labels = labelsByRef[ref];
      if (labels === undefined) {
        reader.fail(`sample refers to label set ref ${ref}, which this segment never defined`, at);
      }
      const flags = reader.u8();
      if ((flags & ~SAMPLE_FLAGS) !== 0) reader.fail(`unknown sample flags ${flags}`, at);
      const value = reader.f64();
      let timestampMs: number;
      if ((flags & FLOAT_TIMESTAMP) === 0) {
        timestampMs = previous + reader.varint();
        previous = timestampMs;
      } else {
        timestampMs = reader.f64();
      }
      if ((flags & (HAS_METADATA | HAS_EXEMPLARS | HAS_HISTOGRAM)) === 0) {
        out.push({ labels, value, timestampMs });
        continue;
      }
      const sample: Mutable<MetricSample> = { labels, value, timestampMs };
      if ((flags & HAS_METADATA) !== 0) {
        const metadataAt = reader.pos;
        const metadataRef = reader.uvarint();
        const metadata = this.metadata[metadataRef];
        if (metadata === undefined) {
          reader.fail(
            `sample refers to metadata ref ${metadataRef}, which this segment never defined`,
            metadataAt,
          );
        }
        sample.metadata = metadata;
      }
      if ((flags & HAS_EXEMPLARS) !== 0) sample.exemplars = readExemplars(reader);
      if ((flags & HAS_HISTOGRAM) !== 0) sample.histogram = readHistogram(reader);
      out.push(sample);
    }
    reader.expectEnd();
    return out;
  }
}

function readMetadata(reader: ByteReader): MetricMetadata {
  const family = reader.string();
  const typeAt = reader.pos;
  const type = METRIC_TYPES[reader.u8()];
  if (type === undefined) reader.fail('unknown metric type', typeAt);
  const flagsAt = reader.pos;
  const flags = reader.u8();
  if ((flags & ~(HAS_HELP | HAS_UNIT)) !== 0) reader.fail(`unknown metadata flags ${flags}`, flagsAt);
  const metadata: Mutable<MetricMetadata> = { family, type };
  if ((flags & HAS_HELP) !== 0) metadata.help = reader.string();
  if ((flags & HAS_UNIT) !== 0) metadata.unit = reader.string();
  return metadata;
}

function readExemplars(reader: ByteReader): Exemplar[] {
  // An exemplar takes at least 10 bytes: flags, label count, value.
  const count = reader.count(10);
  const exemplars: Exemplar[] = [];
  for (let i = 0; i < count; i++) {
    const at = reader.pos;
    const flags = reader.u8();
    if ((flags & ~HAS_TIMESTAMP) !== 0) reader.fail(`unknown exemplar flags ${flags}`, at);
    const labels = reader.labels();
    const value = reader.f64();
    exemplars.push(
      (flags & HAS_TIMESTAMP) !== 0 ? { labels, value, timestampMs: reader.f64() } : { labels, value },
    );
  }
  return exemplars;
}

function readHistogram(reader: ByteReader): NativeHistogram {
  const at = reader.pos;
  const flags = reader.u8();
  if ((flags & ~HISTOGRAM_FLAGS) !== 0) reader.fail(`unknown histogram flags ${flags}`, at);
  const histogram: Mutable<NativeHistogram> = {
    count: reader.f64(),
    sum: reader.f64(),
    schema: reader.f64(),
    zeroThreshold: reader.f64(),
    zeroCount: reader.f64(),
    negativeSpans: readSpans(reader),
    positiveSpans: readSpans(reader),
    resetHint: RESET_HINTS[flags & 3] as NativeHistogram['resetHint'],
  };
  if ((flags & HAS_NEGATIVE_DELTAS) !== 0) histogram.negativeDeltas = readNumbers(reader);
  if ((flags & HAS_POSITIVE_DELTAS) !== 0) histogram.positiveDeltas = readNumbers(reader);
  if ((flags & HAS_NEGATIVE_COUNTS) !== 0) histogram.negativeCounts = readNumbers(reader);
  if ((flags & HAS_POSITIVE_COUNTS) !== 0) histogram.positiveCounts = readNumbers(reader);
  return histogram;
}

function readMode(reader: ByteReader): boolean {
  const at = reader.pos;
  const mode = reader.u8();
  if (mode !== INTEGERS && mode !== FLOATS) reader.fail(`unknown number encoding ${mode}`, at);
  return mode === INTEGERS;
}

function readSpans(reader: ByteReader): BucketSpan[] {
  const count = reader.count(2);
  const spans: BucketSpan[] = [];
  if (count === 0) return spans;
  if (readMode(reader)) {
    for (let i = 0; i < count; i++) spans.push({ offset: reader.varint(), length: reader.varint() });
  } else {
    for (let i = 0; i < count; i++) spans.push({ offset: reader.f64(), length: reader.f64() });
  }
  return spans;
}

function readNumbers(reader: ByteReader): number[] {
  const count = reader.count(1);
  const values: number[] = [];
  if (count === 0) return values;
  if (readMode(reader)) for (let i = 0; i < count; i++) values.push(reader.varint());
  else for (let i = 0; i < count; i++) values.push(reader.f64());
  return values;
}

/**
 * The write-ahead log codec of metric samples (`rivulet.metrics.v1`). Each segment's encoder
 * defines a label set or metadata object once, the first time a sample refers to it, and writes
 * samples as refs into those definitions; values and timestamps round-trip bit-exact, staleness
 * markers included. Decoded samples of one series share one `Labels` object, and those of one
 * family one metadata object.
 */
export const metricsWalCodec: WalCodec<MetricSample> = {
  format: 'rivulet.metrics.v1',
  encoder: () => new MetricsEncoder(),
  decoder: () => new MetricsDecoder(),
};

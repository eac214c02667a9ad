/**
 * Decoding a native `Histogram` of remote write 1.0: integer histograms (zig-zag deltas) and
 * float histograms (absolute counts), told apart by their `count` oneof, with bucket spans and
 * repeated fields read packed or not.
 */
import type { BucketSpan, NativeHistogram } from '../../core/signals.js';
import { FIXED64, LENGTH, type ProtoReader, VARINT } from '../protobuf/reader.js';
import type { WriteHistogram } from './types.js';

const RESET_HINTS: readonly NativeHistogram['resetHint'][] = ['unknown', 'yes', 'no', 'gauge'];

/** Reads one `Histogram` message ending at `end`. */
export function decodeHistogram(reader: ProtoReader, end: number): WriteHistogram {
  let countInt: number | undefined;
  let countFloat: number | undefined;
  let zeroCountInt: number | undefined;
  let zeroCountFloat: number | undefined;
  let sum = 0;
  let schema = 0;
  let zeroThreshold = 0;
  let resetHint = 0;
  let timestampMs = 0;
  const negativeSpans: BucketSpan[] = [];
  const positiveSpans: BucketSpan[] = [];
  const negativeDeltas: number[] = [];
  const positiveDeltas: number[] = [];
  const negativeCounts: number[] = [];
  const positiveCounts: number[] = [];
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (tag) {
      case 0x08:
        reader.varint(end);
        countInt = reader.uint64();
        countFloat = undefined;
        continue;
      case 0x11:
        countFloat = reader.double(end);
        countInt = undefined;
        continue;
      case 0x19:
        sum = reader.double(end);
        continue;
      case 0x20:
        reader.varint(end);
        schema = reader.sint32();
        continue;
      case 0x29:
        zeroThreshold = reader.double(end);
        continue;
      case 0x30:
        reader.varint(end);
        zeroCountInt = reader.uint64();
        zeroCountFloat = undefined;
        continue;
      case 0x39:
        zeroCountFloat = reader.double(end);
        zeroCountInt = undefined;
        continue;
      case 0x42:
        negativeSpans.push(decodeSpan(reader, reader.delimited(end)));
        continue;
      case 0x5a:
        positiveSpans.push(decodeSpan(reader, reader.delimited(end)));
        continue;
      case 0x70:
        resetHint = reader.varint(end);
        continue;
      case 0x78:
        reader.varint(end);
        timestampMs = reader.int64();
        continue;
    }
    if (field === 9 || field === 12) {
      readRepeated(
        reader,
        wireType,
        VARINT,
        end,
        at,
        field === 9 ? negativeDeltas : positiveDeltas,
        readSint64,
      );
    } else if (field === 10 || field === 13 || field === 16) {
      const into = field === 10 ? negativeCounts : field === 13 ? positiveCounts : [];
      readRepeated(reader, wireType, FIXED64, end, at, into, readDouble);
    } else if (field >= 1 && field <= 15) {
      reader.wrongType('Histogram field', wireType, at);
    } else {
      reader.skip(wireType, end, at);
    }
  }
  const float =
    countFloat !== undefined ||
    (countInt === undefined &&
      (zeroCountFloat !== undefined || negativeCounts.length > 0 || positiveCounts.length > 0));
  const common = {
    count: (float ? countFloat : countInt) ?? 0,
    sum,
    schema,
    zeroThreshold,
    zeroCount: (float ? zeroCountFloat : zeroCountInt) ?? 0,
    negativeSpans,
    positiveSpans,
    resetHint: RESET_HINTS[resetHint] ?? 'unknown',
  };
  const histogram: NativeHistogram = float
    ? { ...common, negativeCounts, positiveCounts }
    : { ...common, negativeDeltas, positiveDeltas };
  return { histogram, timestampMs };
}

function readSint64(reader: ProtoReader, end: number): number {
  reader.varint(end);
  return reader.sint64();
}

function readDouble(reader: ProtoReader, end: number): number {
  return reader.double(end);
}

/** Reads a repeated scalar, packed (wire type 2) or one element at a time. */
function readRepeated(
  reader: ProtoReader,
  wireType: number,
  elementType: number,
  end: number,
  at: number,
  into: number[],
  read: (reader: ProtoReader, end: number) => number,
): void {
  if (wireType === elementType) {
    into.push(read(reader, end));
  } else if (wireType === LENGTH) {
    const stop = reader.delimited(end);
    if (elementType === FIXED64 && (stop - reader.pos) % 8 !== 0)
      reader.fail('packed doubles not a multiple of 8 bytes', at);
    while (reader.pos < stop) into.push(read(reader, stop));
  } else {
    reader.wrongType('Histogram field', wireType, at);
  }
}

function decodeSpan(reader: ProtoReader, end: number): BucketSpan {
  let offset = 0;
  let length = 0;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x08) {
      reader.varint(end);
      offset = reader.sint32();
    } else if (tag === 0x10) length = reader.varint(end);
    else if (tag >>> 3 === 1 || tag >>> 3 === 2) reader.wrongType('BucketSpan field', tag & 7, at);
    else reader.skip(tag & 7, end, at);
  }
  return { offset, length };
}

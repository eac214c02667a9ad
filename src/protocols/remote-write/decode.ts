/**
 * The remote write 1.0 decoder: a `prometheus.WriteRequest` read field by field. Unknown fields
 * are skipped by wire type, as protobuf requires; anything malformed (a truncated field, a bad
 * varint, a length past its message, a known field with the wrong wire type) raises a
 * {@link RemoteWriteDecodeError} with the byte where it was found. What it builds grows only with
 * the bytes actually present, so a corrupt length cannot make it allocate.
 */
import { Labels } from '../../core/labels.js';
import type { Exemplar, MetricMetadata, MetricType } from '../../core/signals.js';
import { ProtoReader, ProtoWireError } from '../protobuf/reader.js';
import { decodeHistogram } from './decode-histogram.js';
import {
  type DecodedSeries,
  type DecodedWriteRequest,
  type LabelProblem,
  RemoteWriteDecodeError,
  type WriteHistogram,
  type WriteSample,
} from './types.js';

const METRIC_TYPES: readonly MetricType[] = [
  'unknown',
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
];
const NONE: readonly never[] = Object.freeze([]);

/**
 * Decodes a (decompressed) remote write 1.0 `WriteRequest`.
 *
 * @throws RemoteWriteDecodeError when the bytes are not a valid `WriteRequest`; nothing else.
 * @example
 * ```ts
 * const request = decodeWriteRequest(snappyUncompress(body, 64 * 1024 * 1024));
 * for (const series of request.timeseries) console.log(series.labels.toString(), series.samples.length);
 * ```
 */
export function decodeWriteRequest(bytes: Uint8Array): DecodedWriteRequest {
  let reader: ProtoReader | undefined;
  try {
    reader = new ProtoReader(bytes);
    const end = bytes.length;
    const timeseries: DecodedSeries[] = [];
    const metadata: MetricMetadata[] = [];
    while (reader.pos < end) {
      const at = reader.pos;
      const tag = reader.tag(end);
      if (tag === 0x0a) timeseries.push(decodeSeries(reader, reader.delimited(end)));
      else if (tag === 0x1a) metadata.push(decodeMetadata(reader, reader.delimited(end)));
      else if (tag >>> 3 === 1 || tag >>> 3 === 3) reader.wrongType('WriteRequest field', tag & 7, at);
      else reader.skip(tag & 7, end, at);
    }
    return { timeseries, metadata };
  } catch (error) {
    if (error instanceof RemoteWriteDecodeError) throw error;
    if (error instanceof ProtoWireError) throw new RemoteWriteDecodeError(error.reason, error.offset);
    throw new RemoteWriteDecodeError(`cannot decode: ${String(error)}`, reader?.pos ?? 0);
  }
}

function decodeSeries(reader: ProtoReader, end: number): DecodedSeries {
  const pairs: string[] = [];
  let unsorted = false;
  let duplicate = false;
  let emptyName = false;
  let invalidUtf8 = false;
  let samples: WriteSample[] | undefined;
  let exemplars: Exemplar[] | undefined;
  let histograms: WriteHistogram[] | undefined;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    switch (tag) {
      case 0x0a: {
        reader.invalidUtf8 = false;
        const name = readLabel(reader, reader.delimited(end));
        const value = labelValue;
        if (reader.invalidUtf8) invalidUtf8 = true;
        if (value === '') break;
        if (name === '') emptyName = true;
        else if (pairs.length > 0) {
          const previous = pairs[pairs.length - 2] as string;
          if (previous === name) duplicate = true;
          else if (previous > name) unsorted = true;
        }
        pairs.push(name, value);
        break;
      }
      case 0x12: {
        const item = decodeSample(reader, reader.delimited(end));
        if (samples === undefined) samples = [item];
        else samples.push(item);
        break;
      }
      case 0x1a: {
        const item = decodeExemplar(reader, reader.delimited(end));
        if (exemplars === undefined) exemplars = [item];
        else exemplars.push(item);
        break;
      }
      case 0x22: {
        const item = decodeHistogram(reader, reader.delimited(end));
        if (histograms === undefined) histograms = [item];
        else histograms.push(item);
        break;
      }
      default:
        if ((tag >>> 3) - 1 < 4) reader.wrongType('TimeSeries field', tag & 7, at);
        reader.skip(tag & 7, end, at);
    }
  }
  let labels: Labels;
  if (unsorted || duplicate || emptyName || invalidUtf8) {
    const repaired = repair(pairs);
    labels = repaired.labels;
    duplicate ||= repaired.duplicate;
  } else {
    labels = Labels.fromSortedPairs(pairs);
  }
  const series = {
    labels,
    samples: samples ?? NONE,
    exemplars: exemplars ?? NONE,
    histograms: histograms ?? NONE,
  };
  const problem: LabelProblem | undefined = invalidUtf8
    ? 'invalid_utf8'
    : emptyName
      ? 'empty_name'
      : duplicate
        ? 'duplicate'
        : unsorted
          ? 'unsorted'
          : undefined;
  return problem === undefined ? series : { ...series, labelProblem: problem };
}

/** The value of the label {@link readLabel} read last: a second result without an allocation. */
let labelValue = '';

/** Reads one `Label`, returning its name; its value is left in `labelValue`. */
function readLabel(reader: ProtoReader, end: number): string {
  let name = '';
  let value = '';
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x0a) name = reader.string(end);
    else if (tag === 0x12) value = reader.string(end);
    else if (tag >>> 3 === 1 || tag >>> 3 === 2) reader.wrongType('Label field', tag & 7, at);
    else reader.skip(tag & 7, end, at);
  }
  labelValue = value;
  return name;
}

/** Sorts labels, keeping the last value of a repeated name and leaving out empty names. */
function repair(pairs: readonly string[]): { labels: Labels; duplicate: boolean } {
  const entries: [string, string][] = [];
  const names = new Set<string>();
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i] as string;
    if (name === '') continue;
    entries.push([name, pairs[i + 1] as string]);
    names.add(name);
  }
  return { labels: Labels.fromEntries(entries), duplicate: names.size < entries.length };
}

function decodeSample(reader: ProtoReader, end: number): WriteSample {
  let value = 0;
  let timestampMs = 0;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x09) value = reader.double(end);
    else if (tag === 0x10) {
      reader.varint(end);
      timestampMs = reader.int64();
    } else if (tag >>> 3 === 1 || tag >>> 3 === 2) reader.wrongType('Sample field', tag & 7, at);
    else reader.skip(tag & 7, end, at);
  }
  return { value, timestampMs };
}

function decodeLabels(reader: ProtoReader, end: number, pairs: [string, string][]): void {
  const name = readLabel(reader, end);
  if (labelValue !== '' && name !== '') pairs.push([name, labelValue]);
}

function decodeExemplar(reader: ProtoReader, end: number): Exemplar {
  const entries: [string, string][] = [];
  let value = 0;
  let timestampMs: number | undefined;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x0a) decodeLabels(reader, reader.delimited(end), entries);
    else if (tag === 0x11) value = reader.double(end);
    else if (tag === 0x18) {
      reader.varint(end);
      timestampMs = reader.int64();
    } else if ((tag >>> 3) - 1 < 3) reader.wrongType('Exemplar field', tag & 7, at);
    else reader.skip(tag & 7, end, at);
  }
  const labels = Labels.fromEntries(entries);
  return timestampMs === undefined ? { labels, value } : { labels, value, timestampMs };
}

function decodeMetadata(reader: ProtoReader, end: number): MetricMetadata {
  let type = 0;
  let family = '';
  let help = '';
  let unit = '';
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x08) type = reader.varint(end);
    else if (tag === 0x12) family = reader.string(end);
    else if (tag === 0x22) help = reader.string(end);
    else if (tag === 0x2a) unit = reader.string(end);
    else if ([1, 2, 4, 5].includes(tag >>> 3)) reader.wrongType('MetricMetadata field', tag & 7, at);
    else reader.skip(tag & 7, end, at);
  }
  const metadata: { family: string; type: MetricType; help?: string; unit?: string } = {
    family,
    type: METRIC_TYPES[type] ?? 'unknown',
  };
  if (help !== '') metadata.help = help;
  if (unit !== '') metadata.unit = unit;
  return metadata;
}

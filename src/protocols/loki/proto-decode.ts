/**
 * The Loki push decoder: a `logproto.PushRequest` read field by field with the strict reader the
 * remote write decoder uses. Unknown fields are skipped by wire type; a known field with the
 * wrong wire type, a truncated field, a length past its message, a timestamp out of range or
 * missing, a label string that does not parse or stream labels that are not valid UTF-8 raise a
 * {@link LokiDecodeError} naming the byte. What it builds grows only with the bytes present.
 */
import { Labels } from '../../core/labels.js';
import { ProtoReader, ProtoWireError } from '../protobuf/reader.js';
import { parseLokiLabels } from './label-string.js';
import { LokiDecodeError, type LokiPushEntry, type LokiPushStream } from './types.js';

const NS_PER_SECOND = 1_000_000_000n;
/** The range of `google.protobuf.Timestamp.seconds`: 0001-01-01 to 9999-12-31. */
const MIN_SECONDS = -62_135_596_800;
const MAX_SECONDS = 253_402_300_799;
/** Label strings parsed recently: clients send the same streams request after request. */
const parsedLabels = new Map<string, Labels>();
const MAX_PARSED_LABELS = 4096;

/**
 * Decodes a (decompressed) Loki `PushRequest`. Each stream's label string is parsed (empty values
 * left out, as Loki does); entries keep their exact nanosecond timestamps and their structured
 * metadata; `parsed`, `hash` and `format`, which clients do not send, are ignored. Lines that are
 * not valid UTF-8 are decoded with U+FFFD in place of the bad bytes.
 *
 * @throws LokiDecodeError when the bytes are not a valid `PushRequest`; nothing else.
 * @example
 * ```ts
 * for (const stream of decodeLokiPushRequest(bytes)) console.log(stream.labels.toString(), stream.entries.length);
 * ```
 */
export function decodeLokiPushRequest(bytes: Uint8Array): LokiPushStream[] {
  let reader: ProtoReader | undefined;
  try {
    reader = new ProtoReader(bytes);
    const end = bytes.length;
    const streams: LokiPushStream[] = [];
    while (reader.pos < end) {
      const at = reader.pos;
      const tag = reader.tag(end);
      if (tag === 0x0a) streams.push(decodeStream(reader, reader.delimited(end)));
      // Field 2, `format`, is set by Loki itself; a client's is ignored.
      else if (tag === 0x12) reader.pos = reader.delimited(end);
      else if (tag >>> 3 === 1 || tag >>> 3 === 2) reader.wrongType('PushRequest field', tag & 7, at);
      else reader.skip(tag & 7, end, at);
    }
    return streams;
  } catch (error) {
    if (error instanceof LokiDecodeError) throw error;
    if (error instanceof ProtoWireError) throw new LokiDecodeError(error.reason, error.offset);
    throw new LokiDecodeError(`cannot decode: ${String(error)}`, reader?.pos ?? 0);
  }
}

function decodeStream(reader: ProtoReader, end: number): LokiPushStream {
  let labels: Labels | undefined;
  const entries: LokiPushEntry[] = [];
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    switch (tag) {
      case 0x0a: {
        reader.invalidUtf8 = false;
        const text = reader.string(end);
        if (reader.invalidUtf8) reader.fail('stream labels are not valid UTF-8', at);
        labels = labelsOf(text, at);
        break;
      }
      case 0x12:
        entries.push(decodeEntry(reader, reader.delimited(end)));
        break;
      case 0x18:
        reader.varint(end);
        break;
      default:
        if (tag >>> 3 <= 3) reader.wrongType('StreamAdapter field', tag & 7, at);
        reader.skip(tag & 7, end, at);
    }
  }
  if (labels === undefined) reader.fail('stream without labels', end);
  return { labels, entries };
}

function labelsOf(text: string, at: number): Labels {
  let labels = parsedLabels.get(text);
  if (labels !== undefined) return labels;
  try {
    labels = parseLokiLabels(text);
  } catch (error) {
    const reason = error instanceof LokiDecodeError ? error.reason : String(error);
    throw new LokiDecodeError(`${reason} in ${JSON.stringify(text.slice(0, 200))}`, at);
  }
  if (parsedLabels.size >= MAX_PARSED_LABELS) parsedLabels.clear();
  parsedLabels.set(text, labels);
  return labels;
}

function decodeEntry(reader: ProtoReader, end: number): LokiPushEntry {
  const start = reader.pos;
  let timestampNs: bigint | undefined;
  let line = '';
  let metadata: string[] | undefined;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    switch (tag) {
      case 0x0a:
        timestampNs = decodeTimestamp(reader, reader.delimited(end), at);
        break;
      case 0x12:
        line = reader.string(end);
        break;
      case 0x1a:
        if (metadata === undefined) metadata = [];
        decodePair(reader, reader.delimited(end), metadata, at);
        break;
      case 0x22:
        // `parsed`: query results only; a client has no business sending it.
        reader.pos = reader.delimited(end);
        break;
      default:
        if (tag >>> 3 <= 4) reader.wrongType('EntryAdapter field', tag & 7, at);
        reader.skip(tag & 7, end, at);
    }
  }
  if (timestampNs === undefined) reader.fail('entry without a timestamp', start);
  if (metadata === undefined) return { timestampNs, line };
  const structuredMetadata = sortedAndFull(metadata)
    ? Labels.fromSortedPairs(metadata)
    : Labels.fromEntries(pairsOf(metadata));
  return structuredMetadata.size === 0 ? { timestampNs, line } : { timestampNs, line, structuredMetadata };
}

function decodeTimestamp(reader: ProtoReader, end: number, at: number): bigint {
  let seconds = 0;
  let nanos = 0;
  while (reader.pos < end) {
    const fieldAt = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x08) {
      reader.varint(end);
      seconds = reader.int64();
    } else if (tag === 0x10) {
      reader.varint(end);
      nanos = reader.low | 0;
    } else if (tag >>> 3 <= 2) {
      reader.wrongType('Timestamp field', tag & 7, fieldAt);
    } else {
      reader.skip(tag & 7, end, fieldAt);
    }
  }
  if (nanos < 0 || nanos > 999_999_999) reader.fail(`timestamp nanos ${nanos} outside 0..999999999`, at);
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS)
    reader.fail(`timestamp seconds ${seconds} outside years 1 to 9999`, at);
  // Entries of a request mostly share their second: convert it once.
  if (seconds !== lastSeconds) {
    lastSeconds = seconds;
    lastSecondsNs = BigInt(seconds) * NS_PER_SECOND;
  }
  return nanos === 0 ? lastSecondsNs : lastSecondsNs + BigInt(nanos);
}

let lastSeconds = 0;
let lastSecondsNs = 0n;

function decodePair(reader: ProtoReader, end: number, into: string[], at: number): void {
  let name = '';
  let value = '';
  while (reader.pos < end) {
    const fieldAt = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x0a) name = reader.string(end);
    else if (tag === 0x12) value = reader.string(end);
    else if (tag >>> 3 <= 2) reader.wrongType('LabelPairAdapter field', tag & 7, fieldAt);
    else reader.skip(tag & 7, end, fieldAt);
  }
  if (name === '' && value !== '') reader.fail('structured metadata with an empty name', at);
  into.push(name, value);
}

/** Whether names and values alternate with names strictly ascending and no value empty (as senders write them). */
function sortedAndFull(flat: readonly string[]): boolean {
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i + 1] === '') return false;
    if (i > 0 && !((flat[i - 2] as string) < (flat[i] as string))) return false;
  }
  return true;
}

function* pairsOf(flat: readonly string[]): Iterable<readonly [string, string]> {
  for (let i = 0; i < flat.length; i += 2) yield [flat[i] as string, flat[i + 1] as string];
}

/**
 * Loki's JSON push format (`Content-Type: application/json`):
 * `{"streams":[{"stream":{"app":"api"},"values":[["<ns>","line",{"trace_id":"abc"}]]}]}`. The
 * timestamp is a string of integer nanoseconds (Loki refuses a number); the optional third element
 * of a value is the entry's structured metadata, a flat object of strings.
 */
import { Labels } from '../../core/labels.js';
import { LokiDecodeError, type LokiPushEntry, type LokiPushStream } from './types.js';

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
const INTEGER = /^[+-]?\d+$/;

/**
 * Encodes streams as a Loki JSON push body. Timestamps are written exactly, as decimal strings;
 * structured metadata, when an entry has any, as the value's third element.
 *
 * @example
 * ```ts
 * encodeLokiPushJson([{ labels: Labels.from({ job: 'api' }), entries: [{ timestampNs: 1n, line: 'hi' }] }]);
 * // '{"streams":[{"stream":{"job":"api"},"values":[["1","hi"]]}]}'
 * ```
 */
export function encodeLokiPushJson(streams: readonly LokiPushStream[]): string {
  const parts: string[] = ['{"streams":['];
  for (let s = 0; s < streams.length; s++) {
    const stream = streams[s] as LokiPushStream;
    parts.push(s === 0 ? '{"stream":' : ',{"stream":', objectOf(stream.labels), ',"values":[');
    const entries = stream.entries;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as LokiPushEntry;
      const metadata = entry.structuredMetadata;
      parts.push(
        i === 0 ? '["' : ',["',
        entry.timestampNs.toString(),
        '",',
        JSON.stringify(entry.line),
        metadata !== undefined && metadata.size > 0 ? `,${objectOf(metadata)}]` : ']',
      );
    }
    parts.push(']}');
  }
  parts.push(']}');
  return parts.join('');
}

/** A label set as a JSON object, written pair by pair (so a name like `__proto__` stays a name). */
function objectOf(labels: Labels): string {
  const pairs = labels.rawPairs();
  let out = '{';
  for (let i = 0; i < pairs.length; i += 2) {
    if (i > 0) out += ',';
    out += `${JSON.stringify(pairs[i])}:${JSON.stringify(pairs[i + 1])}`;
  }
  return `${out}}`;
}

/**
 * Decodes a Loki JSON push body. Every part is checked: `streams` an array (absent means none, as
 * Loki takes it), each `stream` an object of strings, each value an array of a timestamp string
 * (integer nanoseconds in the int64 range), a line string and optionally an object of strings.
 * Empty label values are left out, as Loki does.
 *
 * @throws LokiDecodeError naming the first part that is wrong, such as
 * `streams[0].values[2][0]: the timestamp must be a string of integer nanoseconds`.
 * @example
 * ```ts
 * decodeLokiPushJson('{"streams":[{"stream":{"job":"api"},"values":[["1","hi"]]}]}')[0]?.entries[0]?.line; // 'hi'
 * ```
 */
export function decodeLokiPushJson(text: string): LokiPushStream[] {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    throw new LokiDecodeError(`body is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(root)) fail('', 'the body must be a JSON object with "streams"');
  const streams = root.streams;
  if (streams === undefined || streams === null) return [];
  if (!Array.isArray(streams)) fail('streams', 'must be an array');
  const out: LokiPushStream[] = [];
  for (let s = 0; s < streams.length; s++) {
    const stream: unknown = streams[s];
    const path = `streams[${s}]`;
    if (!isObject(stream)) fail(path, 'must be an object with "stream" and "values"');
    const labels = labelsOf(stream.stream, `${path}.stream`);
    const values = stream.values;
    const entries: LokiPushEntry[] = [];
    if (values !== undefined && values !== null) {
      if (!Array.isArray(values)) fail(`${path}.values`, 'must be an array');
      for (let i = 0; i < values.length; i++) entries.push(entryOf(values[i], `${path}.values[${i}]`));
    }
    out.push({ labels, entries });
  }
  return out;
}

function entryOf(value: unknown, path: string): LokiPushEntry {
  if (!Array.isArray(value) || value.length < 2 || value.length > 3)
    fail(path, 'must be an array of a timestamp, a line and optionally structured metadata');
  const [timestamp, line, metadata] = value as unknown[];
  if (typeof timestamp !== 'string' || !INTEGER.test(timestamp))
    fail(`${path}[0]`, 'the timestamp must be a string of integer nanoseconds');
  const timestampNs = BigInt(timestamp);
  if (timestampNs < MIN_INT64 || timestampNs > MAX_INT64)
    fail(`${path}[0]`, 'the timestamp is outside int64');
  if (typeof line !== 'string') fail(`${path}[1]`, 'the line must be a string');
  if (value.length === 2) return { timestampNs, line };
  const structuredMetadata = labelsOf(metadata, `${path}[2]`);
  return structuredMetadata.size === 0 ? { timestampNs, line } : { timestampNs, line, structuredMetadata };
}

function labelsOf(value: unknown, path: string): Labels {
  if (!isObject(value)) fail(path, 'must be an object of string values');
  const entries: [string, string][] = [];
  for (const name of Object.keys(value)) {
    const labelValue = value[name];
    if (typeof labelValue !== 'string') fail(`${path}.${name}`, 'must be a string');
    if (name === '' && labelValue !== '') fail(path, 'holds an empty name');
    entries.push([name, labelValue]);
  }
  return Labels.fromEntries(entries);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(path: string, problem: string): never {
  throw new LokiDecodeError(path === '' ? problem : `${path}: ${problem}`);
}

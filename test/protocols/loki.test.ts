// The Loki push codec against Loki's own push.proto (test/fixtures/loki, loaded by protobufjs,
// independent of our encoder), plus the JSON format, the label string and malformed input.
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import snappyjs from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { Labels } from '../../src/core/labels.js';
import {
  decodeLokiPushBody,
  decodeLokiPushJson,
  decodeLokiPushRequest,
  encodeLokiPushBody,
  encodeLokiPushJson,
  encodeLokiPushRequest,
  formatLokiLabels,
  LokiDecodeError,
  type LokiPushStream,
  parseLokiLabels,
} from '../../src/protocols/loki/index.js';

const root = protobuf.loadSync(fileURLToPath(new URL('../fixtures/loki/push.proto', import.meta.url)));
const PushRequest = root.lookupType('logproto.PushRequest');

interface ReferenceEntry {
  timestamp?: { seconds?: string; nanos?: number };
  line?: string;
  structuredMetadata?: { name?: string; value?: string }[];
  parsed?: unknown[];
}
interface ReferenceRequest {
  streams?: { labels?: string; entries?: ReferenceEntry[]; hash?: string }[];
  format?: string;
}

/** Decodes with protobufjs and Loki's definitions: int64 as strings, defaults filled in. */
function reference(bytes: Uint8Array): ReferenceRequest {
  return PushRequest.toObject(PushRequest.decode(bytes), {
    longs: String,
    defaults: false,
    arrays: true,
  }) as ReferenceRequest;
}

const NS = 1_000_000_000n;
const streams: LokiPushStream[] = [
  {
    labels: Labels.from({ app: 'checkout', env: 'prod', msg: 'say "hi"\n\\ é 日本' }),
    entries: [
      { timestampNs: 1_700_000_000_123_456_789n, line: 'GET /api/orders 200 12ms' },
      {
        timestampNs: 1_700_000_001_000_000_000n,
        line: 'café ☕ 𝄞 line with unicode',
        structuredMetadata: Labels.from({ trace_id: '4bf92f3577b34da6', user: 'ü' }),
      },
      { timestampNs: 0n, line: '' },
      { timestampNs: -1n, line: 'one nanosecond before the epoch' },
      { timestampNs: 2n ** 63n - 1n, line: 'the last int64 nanosecond' },
      { timestampNs: -(2n ** 63n), line: 'the first int64 nanosecond' },
    ],
  },
  { labels: Labels.from({ app: 'api' }), entries: [{ timestampNs: 5n, line: 'x'.repeat(300) }] },
];

function expectedTimestamp(ns: bigint): { seconds?: string; nanos?: number } {
  let seconds = ns / NS;
  let nanos = ns - seconds * NS;
  if (nanos < 0n) {
    nanos += NS;
    seconds -= 1n;
  }
  const out: { seconds?: string; nanos?: number } = {};
  if (seconds !== 0n) out.seconds = String(seconds);
  if (nanos !== 0n) out.nanos = Number(nanos);
  return out;
}

describe('Loki push protobuf', () => {
  it('what we encode decodes field for field with Loki’s push.proto', () => {
    const decoded = reference(encodeLokiPushRequest(streams));
    expect(decoded.format).toBeUndefined();
    expect(decoded.streams).toHaveLength(2);
    decoded.streams?.forEach((stream, s) => {
      const source = streams[s] as LokiPushStream;
      expect(stream.labels).toBe(formatLokiLabels(source.labels));
      expect(parseLokiLabels(stream.labels ?? '').equals(source.labels)).toBe(true);
      expect(stream.hash).toBeUndefined();
      expect(stream.entries).toHaveLength(source.entries.length);
      stream.entries?.forEach((entry, i) => {
        const want = source.entries[i];
        expect(entry.timestamp).toEqual(expectedTimestamp(want?.timestampNs ?? 0n));
        expect(entry.line ?? '').toBe(want?.line);
        expect(entry.structuredMetadata).toEqual(
          [...(want?.structuredMetadata ?? [])].map(([name, value]) => ({ name, value })),
        );
        expect(entry.parsed).toEqual([]);
      });
    });
  });

  it('the label string is the one Prometheus writes', () => {
    const text = reference(encodeLokiPushRequest(streams)).streams?.[0]?.labels;
    expect(text).toBe('{app="checkout", env="prod", msg="say \\"hi\\"\\n\\\\ é 日本"}');
  });

  it('writes the same bytes as protobufjs from the same message', () => {
    const message = {
      streams: streams.map((stream) => ({
        labels: formatLokiLabels(stream.labels),
        entries: stream.entries.map((entry) => {
          const timestamp = expectedTimestamp(entry.timestampNs);
          return {
            timestamp: { seconds: timestamp.seconds ?? '0', nanos: timestamp.nanos ?? 0 },
            line: entry.line,
            structuredMetadata: [...(entry.structuredMetadata ?? [])].map(([name, value]) => ({
              name,
              value,
            })),
          };
        }),
      })),
    };
    const theirs = PushRequest.encode(PushRequest.fromObject(message)).finish();
    expect(Buffer.from(encodeLokiPushRequest(streams)).toString('hex')).toBe(
      Buffer.from(theirs).toString('hex'),
    );
  });

  it('decodes what protobufjs encodes, ignoring hash, format, parsed and unknown fields', () => {
    const message = PushRequest.fromObject({
      format: 'loki',
      streams: [
        {
          labels: '{job="varlogs", filename=\'/var/log/a.log\', `raw`=`x\\y`}',
          hash: '12345678901234567',
          entries: [
            {
              timestamp: { seconds: '1700000000', nanos: 999_999_999 },
              line: 'first',
              structuredMetadata: [
                { name: 'trace_id', value: 'abc' },
                { name: 'empty', value: '' },
              ],
              parsed: [{ name: 'p', value: 'q' }],
            },
            { timestamp: { seconds: '-62135596800', nanos: 0 }, line: 'year one' },
          ],
        },
      ],
    });
    const bytes = PushRequest.encode(message).finish();
    // An unknown field (number 15, varint) at the end of the request is skipped.
    const withUnknown = Buffer.concat([Buffer.from(bytes), Buffer.from([0x78, 0x2a])]);
    const [stream] = decodeLokiPushRequest(withUnknown);
    expect(stream?.labels.toRecord()).toEqual({ job: 'varlogs', filename: '/var/log/a.log', raw: 'x\\y' });
    expect(stream?.entries).toEqual([
      {
        timestampNs: 1_700_000_000_999_999_999n,
        line: 'first',
        structuredMetadata: Labels.from({ trace_id: 'abc' }),
      },
      { timestampNs: -62_135_596_800n * NS, line: 'year one' },
    ]);
  });

  it('round-trips through snappy with exact timestamps and metadata', () => {
    const decoded = decodeLokiPushBody(encodeLokiPushBody(streams), 1 << 20);
    expect(decoded.map((s) => s.labels.toString())).toEqual(streams.map((s) => s.labels.toString()));
    expect(decoded.map((s) => s.entries)).toEqual(streams.map((s) => s.entries));
  });

  it('round-trips arbitrary entries (property)', () => {
    const entry = fc.record({
      timestampNs: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      line: fc.string({ unit: 'grapheme', maxLength: 80 }),
      meta: fc.dictionary(fc.stringMatching(/^[a-z_]{1,8}$/), fc.string({ unit: 'grapheme', minLength: 1 }), {
        maxKeys: 3,
      }),
    });
    const labelRecord = fc.dictionary(
      fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,10}$/),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
      { minKeys: 1, maxKeys: 5 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.record({ labels: labelRecord, entries: fc.array(entry, { maxLength: 5 }) })),
        (input) => {
          const pushed: LokiPushStream[] = input.map((s) => ({
            labels: Labels.from(s.labels),
            entries: s.entries.map((e) =>
              Object.keys(e.meta).length === 0
                ? { timestampNs: e.timestampNs, line: e.line }
                : { timestampNs: e.timestampNs, line: e.line, structuredMetadata: Labels.from(e.meta) },
            ),
          }));
          const bytes = encodeLokiPushRequest(pushed);
          const ours = decodeLokiPushRequest(bytes);
          expect(ours.map((s) => s.labels.toRecord())).toEqual(pushed.map((s) => s.labels.toRecord()));
          expect(ours.map((s) => s.entries)).toEqual(pushed.map((s) => s.entries));
          // And protobufjs, with Loki's definitions, reads the same lines and label strings.
          const theirs = reference(bytes);
          expect((theirs.streams ?? []).map((s) => (s.entries ?? []).map((e) => e.line ?? ''))).toEqual(
            pushed.map((s) => s.entries.map((e) => e.line)),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses an out-of-range timestamp when encoding', () => {
    expect(() =>
      encodeLokiPushRequest([
        { labels: Labels.from({ a: 'b' }), entries: [{ timestampNs: 2n ** 63n, line: '' }] },
      ]),
    ).toThrow(RangeError);
  });
});

describe('Loki push protobuf, malformed', () => {
  const good = encodeLokiPushRequest(streams);

  it('every truncation throws a LokiDecodeError, never anything else', () => {
    for (let end = 1; end < good.length; end++) {
      let result: unknown;
      try {
        result = decodeLokiPushRequest(good.subarray(0, end));
      } catch (error) {
        expect(error).toBeInstanceOf(LokiDecodeError);
        continue;
      }
      // A cut exactly between two streams is a valid, shorter request.
      expect(Array.isArray(result)).toBe(true);
    }
  });

  it('random corruption throws a LokiDecodeError or decodes to well-formed streams (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.nat({ max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (edits) => {
          const bytes = Uint8Array.from(good);
          for (const [at, value] of edits) bytes[at] = value;
          try {
            for (const stream of decodeLokiPushRequest(bytes)) {
              expect(stream.labels).toBeInstanceOf(Labels);
              for (const entry of stream.entries) {
                expect(typeof entry.timestampNs).toBe('bigint');
                expect(typeof entry.line).toBe('string');
              }
            }
          } catch (error) {
            expect(error).toBeInstanceOf(LokiDecodeError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  const field = (tag: number, body: readonly number[]): number[] => [tag, ...varint(body.length), ...body];
  const labelsField = (text: string): number[] => field(0x0a, [...Buffer.from(text, 'latin1')]);
  const request = (...streamBody: number[]): number[] => field(0x0a, streamBody);
  const entry = (...entryBody: number[]): number[] => field(0x12, entryBody);
  const timestamp = (...body: number[]): number[] => field(0x0a, body);
  const cases: [string, number[], RegExp][] = [
    ['a stream field with the wrong wire type', [0x08, 0x01], /wrong wire type 0 for PushRequest field/],
    ['a length past the end', [0x0a, 0x05, 0x0a], /length past the end/],
    ['a stream without labels', request(), /stream without labels/],
    ['a label string that does not parse', request(...labelsField('a="b"')), /expected '\{'/],
    ['labels that are not UTF-8', request(...labelsField('{a="\xff"}')), /stream labels are not valid UTF-8/],
    [
      'an entry without a timestamp',
      request(...labelsField('{a="b"}'), ...entry(0x12, 0x01, 0x78)),
      /entry without a timestamp/,
    ],
    [
      'timestamp nanos of a whole second',
      request(...labelsField('{a="b"}'), ...entry(...timestamp(0x10, ...varint(1_000_000_000)))),
      /nanos 1000000000 outside/,
    ],
    [
      'negative timestamp nanos',
      request(...labelsField('{a="b"}'), ...entry(...timestamp(0x10, ...Array(9).fill(0xff), 0x01))),
      /nanos -1 outside/,
    ],
    [
      'timestamp seconds past year 9999',
      request(...labelsField('{a="b"}'), ...entry(...timestamp(0x08, ...varint(253_402_300_800)))),
      /outside years 1 to 9999/,
    ],
    [
      'a timestamp with the wrong wire type',
      request(...labelsField('{a="b"}'), ...entry(0x08, 0x01)),
      /wrong wire type 0 for EntryAdapter field/,
    ],
  ];
  it.each(cases)('%s', (_name, bytes, message) => {
    expect(() => decodeLokiPushRequest(Uint8Array.from(bytes))).toThrow(LokiDecodeError);
    expect(() => decodeLokiPushRequest(Uint8Array.from(bytes))).toThrow(message);
  });

  it('reports an entry protobufjs wrote without a timestamp', () => {
    const bytes = PushRequest.encode(
      PushRequest.fromObject({ streams: [{ labels: '{a="b"}', entries: [{ line: 'no time' }] }] }),
    ).finish();
    expect(() => decodeLokiPushRequest(bytes)).toThrow(/entry without a timestamp/);
  });

  it('refuses a corrupt snappy body and one that declares too much', () => {
    expect(() => decodeLokiPushBody(Uint8Array.from([0x05, 0xff, 0xff]), 1 << 20)).toThrow(LokiDecodeError);
    const big = snappyjs.compress(new Uint8Array(4096));
    let error: unknown;
    try {
      decodeLokiPushBody(big, 1024);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(LokiDecodeError);
    expect((error as LokiDecodeError).tooLarge).toBe(true);
  });
});

describe('Loki push JSON', () => {
  it('encodes the documented shape with exact nanosecond strings', () => {
    const text = encodeLokiPushJson(streams);
    const parsed = JSON.parse(text) as { streams: { stream: Record<string, string>; values: unknown[][] }[] };
    expect(parsed.streams[0]?.stream).toEqual(streams[0]?.labels.toRecord());
    expect(parsed.streams[0]?.values[0]).toEqual(['1700000000123456789', 'GET /api/orders 200 12ms']);
    expect(parsed.streams[0]?.values[1]).toEqual([
      '1700000001000000000',
      'café ☕ 𝄞 line with unicode',
      { trace_id: '4bf92f3577b34da6', user: 'ü' },
    ]);
    expect(parsed.streams[0]?.values[4]?.[0]).toBe('9223372036854775807');
    expect(decodeLokiPushJson(text).map((s) => s.entries)).toEqual(streams.map((s) => s.entries));
  });

  it('decodes what clients send, dropping empty label values', () => {
    const [stream] = decodeLokiPushJson(
      '{"streams":[{"stream":{"job":"x","empty":""},"values":[["+17","a"],["-3","b",{"k":"v","e":""}]]}]}',
    );
    expect(stream?.labels.toRecord()).toEqual({ job: 'x' });
    expect(stream?.entries).toEqual([
      { timestampNs: 17n, line: 'a' },
      { timestampNs: -3n, line: 'b', structuredMetadata: Labels.from({ k: 'v' }) },
    ]);
    expect(decodeLokiPushJson('{}')).toEqual([]);
  });

  const bad: [string, string, RegExp][] = [
    ['not JSON', '{"streams":', /body is not JSON/],
    ['not an object', '[1]', /must be a JSON object/],
    ['streams not an array', '{"streams":{}}', /streams: must be an array/],
    ['a stream not an object', '{"streams":[1]}', /streams\[0\]: must be an object/],
    [
      'labels not strings',
      '{"streams":[{"stream":{"a":1},"values":[]}]}',
      /streams\[0\]\.stream\.a: must be a string/,
    ],
    ['no stream labels', '{"streams":[{"values":[]}]}', /streams\[0\]\.stream: must be an object/],
    ['values not an array', '{"streams":[{"stream":{},"values":{}}]}', /values: must be an array/],
    [
      'a numeric timestamp',
      '{"streams":[{"stream":{"a":"b"},"values":[[1,"x"]]}]}',
      /values\[0\]\[0\]: the timestamp must be a string of integer nanoseconds/,
    ],
    [
      'a fractional timestamp',
      '{"streams":[{"stream":{"a":"b"},"values":[["1.5","x"]]}]}',
      /the timestamp must be a string/,
    ],
    [
      'a timestamp past int64',
      '{"streams":[{"stream":{"a":"b"},"values":[["9223372036854775808","x"]]}]}',
      /outside int64/,
    ],
    [
      'a line not a string',
      '{"streams":[{"stream":{"a":"b"},"values":[["1",2]]}]}',
      /\[1\]: the line must be a string/,
    ],
    ['one element', '{"streams":[{"stream":{"a":"b"},"values":[["1"]]}]}', /must be an array of a timestamp/],
    [
      'four elements',
      '{"streams":[{"stream":{"a":"b"},"values":[["1","x",{},1]]}]}',
      /must be an array of a timestamp/,
    ],
    [
      'nested metadata',
      '{"streams":[{"stream":{"a":"b"},"values":[["1","x",{"k":{"n":1}}]]}]}',
      /\[2\]\.k: must be a string/,
    ],
  ];
  it.each(bad)('refuses %s', (_name, text, message) => {
    expect(() => decodeLokiPushJson(text)).toThrow(LokiDecodeError);
    expect(() => decodeLokiPushJson(text)).toThrow(message);
  });

  it('keeps a label named __proto__ as a label', () => {
    const labels = Labels.fromEntries([
      ['__proto__', 'x'],
      ['a', 'b'],
    ]);
    const text = encodeLokiPushJson([{ labels, entries: [{ timestampNs: 1n, line: 'l' }] }]);
    expect(decodeLokiPushJson(text)[0]?.labels.get('__proto__')).toBe('x');
  });
});

describe('Loki label strings', () => {
  it('formats names bare or quoted and values with Go escapes', () => {
    expect(formatLokiLabels(Labels.EMPTY)).toBe('{}');
    expect(formatLokiLabels(Labels.from({ b: '2', a: '1' }))).toBe('{a="1", b="2"}');
    expect(formatLokiLabels(Labels.from({ 'service.name': 'x' }))).toBe('{"service.name"="x"}');
    expect(formatLokiLabels(Labels.from({ v: 'tab\there\u0000\u0007\u007f\u0085\u2028' }))).toBe(
      '{v="tab\\there\\x00\\a\\x7f\\u0085\\u2028"}',
    );
    expect(formatLokiLabels(Labels.from({ v: 'lone \ud800 pair 😀' }))).toBe('{v="lone \\ufffd pair 😀"}');
  });

  it('parses what PromQL’s ParseMetric accepts', () => {
    expect(parseLokiLabels('{}').size).toBe(0);
    expect(parseLokiLabels('  { a = "1" ,\n b=\'2\', c=`r\\aw`, } ').toRecord()).toEqual({
      a: '1',
      b: '2',
      c: 'r\\aw',
    });
    expect(parseLokiLabels('up{job="x"}').toRecord()).toEqual({ __name__: 'up', job: 'x' });
    expect(parseLokiLabels('{"my.metric", "service.name"="api"}').toRecord()).toEqual({
      __name__: 'my.metric',
      'service.name': 'api',
    });
    expect(
      parseLokiLabels('{a="\\x41\\101\\u00e9\\U0001F600\\xc3\\xa9\\a\\b\\f\\n\\r\\t\\v\\\\\\""}').get('a'),
    ).toBe('AAé😀é\x07\b\f\n\r\t\v\\"');
    expect(parseLokiLabels("{a='it\\'s'}").get('a')).toBe("it's");
    expect(parseLokiLabels('{a="", b="x"}').toRecord()).toEqual({ b: 'x' });
    // winston-loki writes values without escaping and no space after commas.
    expect(parseLokiLabels('{level="info",job="winston"}').toRecord()).toEqual({
      level: 'info',
      job: 'winston',
    });
  });

  const bad: [string, RegExp][] = [
    ['', /expected '\{'/],
    ['a="b"', /expected '\{'/],
    ['{a="b"', /unterminated label set/],
    ['{a="b}', /unterminated quoted string/],
    ['{a=b}', /expected a quoted value/],
    ['{a "b"}', /expected '='/],
    ['{a="b" c="d"}', /expected ',' or '}'/],
    ['{a="1", a="2"}', /label 'a' appears twice/],
    ['{a="\\q"}', /unknown escape/],
    ['{a="\\x4"}', /2 hexadecimal digits/],
    ['{a="\\ud800"}', /not a valid Unicode code point/],
    ['{a="\\400"}', /octal escape over 255/],
    ['{a="\\xff"}', /not valid UTF-8/],
    ['{a="line\nbreak"}', /newline in a quoted string/],
    ['{a="b"} x', /unexpected text after/],
    ['{1a="b"}', /expected a label name/],
    ['{""="b"}', /empty label name/],
    ['{a="b",,}', /expected a label name/],
    ['{a:b="c"}', /expected '='/],
  ];
  it.each(bad)('refuses %j', (text, message) => {
    expect(() => parseLokiLabels(text)).toThrow(LokiDecodeError);
    expect(() => parseLokiLabels(text)).toThrow(message);
  });

  it('parses back what it formats, for any names and values (property)', () => {
    const name = fc.oneof(
      fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/),
      fc.string({ minLength: 1, maxLength: 12 }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 })),
        (record) => {
          const labels = Labels.from(record);
          expect(parseLokiLabels(formatLokiLabels(labels)).toRecord()).toEqual(labels.toRecord());
        },
      ),
      { numRuns: 500 },
    );
  });

  it('parses back arbitrary code units, lone surrogates becoming U+FFFD (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (value) => {
        const parsed = parseLokiLabels(formatLokiLabels(Labels.from({ v: value }))).get('v') ?? '';
        expect(parsed).toBe(wellFormed(value));
      }),
      { numRuns: 500 },
    );
  });
});

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** The string with each lone surrogate replaced by U+FFFD, as encoding it to UTF-8 does. */
function wellFormed(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

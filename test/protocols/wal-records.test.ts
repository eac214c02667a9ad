// The write-ahead log record codecs: every field of metric samples and log entries round-trips
// (float bits included), definitions are written once per encoder, and records that are
// truncated, corrupt or refer to definitions a decoder never read are refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WalCodec, WalRecordOut } from '../../src/core/extension-points.js';
import { Labels } from '../../src/core/labels.js';
import type {
  Exemplar,
  LogEntry,
  MetricMetadata,
  MetricSample,
  MetricType,
  NativeHistogram,
} from '../../src/core/signals.js';
import { isStaleMarker, STALE_NAN } from '../../src/core/stale-marker.js';
import { logsWalCodec, metricsWalCodec, WalRecordError } from '../../src/protocols/wal-records/index.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function bitsOf(value: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return view.getBigUint64(0);
}

function fromBits(bits: bigint): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, bits);
  return view.getFloat64(0);
}

const NORMAL_NAN = fromBits(0x7ff8000000000001n);
const NEGATIVE_NAN = fromBits(0xfff8000000000000n);
const PAYLOAD_NAN = fromBits(0x7ff4000000000abcn);

/**
 * A value to compare with `toStrictEqual`: numbers become their bits, bigints their digits,
 * label sets their pairs; object keys stay exactly as present (absent stays absent).
 */
function canon(value: unknown): unknown {
  if (typeof value === 'number') return `f64:${bitsOf(value).toString(16)}`;
  if (typeof value === 'bigint') return `i64:${value}`;
  if (value instanceof Labels) return { labels: [...value].map(([name, v]) => [name, v]) };
  if (Array.isArray(value)) return value.map(canon);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = canon((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** Feeds `records` to `decoder` in order and returns the items decoded. */
function feed<T>(decoder: ReturnType<WalCodec<T>['decoder']>, records: readonly WalRecordOut[]): T[] {
  const items: T[] = [];
  for (const record of records) {
    if (record.type === 'definitions') {
      expect(record.count).toBe(0);
      decoder.define(record.payload);
    } else {
      const decoded = decoder.decode(record.payload);
      expect(decoded.length).toBe(record.count);
      items.push(...decoded);
    }
  }
  return items;
}

/** Encodes each batch with one encoder and decodes them all with one decoder. */
function roundTrip<T>(codec: WalCodec<T>, batches: readonly (readonly T[])[]): T[][] {
  const encoder = codec.encoder();
  const decoder = codec.decoder();
  return batches.map((batch) => feed(decoder, encoder.encode(batch)));
}

/** Encodes and decodes one batch. */
function decodeOne<T>(codec: WalCodec<T>, batch: readonly T[]): T[] {
  return roundTrip(codec, [batch])[0] as T[];
}

function expectWalError(fn: () => unknown, message?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(WalRecordError);
  if (message !== undefined) expect((thrown as Error).message).toMatch(message);
}

const up = Labels.from({ __name__: 'up', job: 'node', instance: 'host-1:9100' });
const requests = Labels.from({ __name__: 'http_requests_total', code: '200', path: '/api/ünïcödé/日本/😀' });
const latency = Labels.from({ __name__: 'http_request_duration_seconds', service: 'api' });

const counterMeta: MetricMetadata = { family: 'http_requests_total', type: 'counter', help: 'Requests.' };
const fullMeta: MetricMetadata = {
  family: 'http_request_duration_seconds',
  type: 'histogram',
  help: 'Latency, with "quotes" and \\ and\nnewlines; ünïcödé.',
  unit: 'seconds',
};
const bareMeta: MetricMetadata = { family: 'up', type: 'gauge' };
const emptyHelpMeta: MetricMetadata = { family: 'up', type: 'gauge', help: '', unit: '' };

const intHistogram: NativeHistogram = {
  count: 12,
  sum: 18.4,
  schema: 3,
  zeroThreshold: 2.938735877055719e-39,
  zeroCount: 2,
  negativeSpans: [{ offset: 0, length: 2 }],
  positiveSpans: [
    { offset: -2, length: 2 },
    { offset: 1, length: 3 },
  ],
  negativeDeltas: [1, 1],
  positiveDeltas: [2, -1, 1, -2, 3],
  resetHint: 'no',
};

const floatHistogram: NativeHistogram = {
  count: 7.5,
  sum: STALE_NAN,
  schema: -4,
  zeroThreshold: 0,
  zeroCount: 0.5,
  negativeSpans: [],
  positiveSpans: [{ offset: 2147483647, length: 1.5 }],
  negativeCounts: [],
  positiveCounts: [1.25, -0, NORMAL_NAN, Number.POSITIVE_INFINITY],
  resetHint: 'gauge',
};

const bareHistogram: NativeHistogram = {
  count: 0,
  sum: Number.NEGATIVE_INFINITY,
  schema: 0,
  zeroThreshold: -0,
  zeroCount: 0,
  negativeSpans: [],
  positiveSpans: [],
  resetHint: 'unknown',
};

const mixedHistogram: NativeHistogram = {
  count: 2 ** 60,
  sum: NaN,
  schema: 8,
  zeroThreshold: 1e-128,
  zeroCount: Number.MAX_SAFE_INTEGER,
  negativeSpans: [{ offset: -0, length: 1 }],
  positiveSpans: [{ offset: 1, length: 4 }],
  negativeDeltas: [2 ** 40],
  positiveDeltas: [0, -2147483648, 2147483647, -0.5],
  negativeCounts: [3],
  positiveCounts: [0, 0, 0, 0],
  resetHint: 'yes',
};

const exemplars: readonly Exemplar[] = [
  { labels: Labels.from({ trace_id: 'abc123', span_id: 'ff' }), value: 0.25, timestampMs: 1_700_000_000_123 },
  { labels: Labels.EMPTY, value: STALE_NAN },
  { labels: Labels.from({ trace_id: 'ünï😀' }), value: -0, timestampMs: -1.5 },
];

const everyField: readonly MetricSample[] = [
  { labels: up, value: 1, timestampMs: 1_700_000_000_000 },
  { labels: up, value: STALE_NAN, timestampMs: 1_700_000_015_000 },
  { labels: up, value: NORMAL_NAN, timestampMs: -1 },
  { labels: up, value: NEGATIVE_NAN, timestampMs: -1_700_000_000_000 },
  { labels: up, value: PAYLOAD_NAN, timestampMs: 0 },
  { labels: up, value: Number.POSITIVE_INFINITY, timestampMs: -0 },
  { labels: up, value: Number.NEGATIVE_INFINITY, timestampMs: 1.5 },
  { labels: up, value: -0, timestampMs: Number.MAX_SAFE_INTEGER },
  { labels: up, value: Number.MIN_VALUE, timestampMs: Number.MIN_SAFE_INTEGER },
  { labels: up, value: Number.MAX_VALUE, timestampMs: 2 ** 51 - 1 },
  { labels: up, value: 2, timestampMs: -(2 ** 51) + 1 },
  { labels: up, value: 3, timestampMs: 2 ** 51 },
  { labels: up, value: 4, timestampMs: -(2 ** 51) },
  { labels: up, value: 5, timestampMs: 1e300 },
  { labels: up, value: 6, timestampMs: Number.POSITIVE_INFINITY },
  { labels: up, value: 7, timestampMs: NaN },
  { labels: up, value: 8, timestampMs: -1e-300 },
  { labels: requests, value: 42, timestampMs: 1_700_000_000_000, metadata: counterMeta },
  { labels: requests, value: 43, timestampMs: 1_700_000_000_001, metadata: counterMeta, exemplars },
  { labels: requests, value: 44, timestampMs: 1_700_000_000_002, exemplars: [] },
  { labels: up, value: 1, timestampMs: 5, metadata: bareMeta },
  { labels: up, value: 1, timestampMs: 6, metadata: emptyHelpMeta },
  { labels: latency, value: 0, timestampMs: 1_700_000_000_000, metadata: fullMeta, histogram: intHistogram },
  { labels: latency, value: STALE_NAN, timestampMs: 1_700_000_000_000, histogram: floatHistogram },
  { labels: latency, value: 0, timestampMs: 1, histogram: bareHistogram, exemplars },
  { labels: latency, value: 0, timestampMs: 2, histogram: mixedHistogram, metadata: fullMeta },
  { labels: Labels.EMPTY, value: 9, timestampMs: 3 },
];

describe('metricsWalCodec', () => {
  it('names its format', () => {
    expect(metricsWalCodec.format).toBe('rivulet.metrics.v1');
  });

  it('round-trips every field, float bits and absent-versus-present optional fields included', () => {
    const decoded = decodeOne(metricsWalCodec, everyField);
    expect(canon(decoded)).toStrictEqual(canon(everyField));
    for (let i = 0; i < everyField.length; i++) {
      const input = everyField[i] as MetricSample;
      const output = decoded[i] as MetricSample;
      expect(Object.keys(output).sort()).toEqual(Object.keys(input).sort());
      expect(bitsOf(output.value)).toBe(bitsOf(input.value));
      expect(Object.is(output.timestampMs, input.timestampMs)).toBe(true);
    }
  });

  it('keeps the staleness marker bit-exact, distinct from other NaNs', () => {
    const decoded = decodeOne(metricsWalCodec, everyField);
    const stale = decoded[1] as MetricSample;
    const normal = decoded[2] as MetricSample;
    expect(bitsOf(stale.value)).toBe(0x7ff0000000000002n);
    expect(isStaleMarker(stale.value)).toBe(true);
    expect(isStaleMarker(normal.value)).toBe(false);
    expect(bitsOf(normal.value)).toBe(0x7ff8000000000001n);
    expect(bitsOf((decoded[23] as MetricSample).histogram?.sum as number)).toBe(0x7ff0000000000002n);
    expect(bitsOf((decoded[18] as MetricSample).exemplars?.[1]?.value as number)).toBe(0x7ff0000000000002n);
    // Checked through the raw little-endian bytes too.
    const [, items] = metricsWalCodec.encoder().encode([{ labels: up, value: STALE_NAN, timestampMs: 0 }]);
    const payload = items?.payload as Uint8Array;
    // count, ref, flags, then the value.
    expect([...payload.subarray(3, 11)]).toEqual([2, 0, 0, 0, 0, 0, 0xf0, 0x7f]);
  });

  it('omits optional properties that were absent', () => {
    const decoded = decodeOne(metricsWalCodec, everyField);
    const plain = decoded[0] as MetricSample;
    expect(Object.keys(plain).sort()).toEqual(['labels', 'timestampMs', 'value']);
    expect('metadata' in plain).toBe(false);
    const bare = decoded[24] as MetricSample;
    const histogram = bare.histogram as NativeHistogram;
    expect('negativeDeltas' in histogram).toBe(false);
    expect('positiveCounts' in histogram).toBe(false);
    expect('help' in ((decoded[20] as MetricSample).metadata as MetricMetadata)).toBe(false);
    expect((decoded[21] as MetricSample).metadata).toEqual({
      family: 'up',
      type: 'gauge',
      help: '',
      unit: '',
    });
    expect('timestampMs' in ((bare.exemplars as readonly Exemplar[])[1] as Exemplar)).toBe(false);
    expect((decoded[19] as MetricSample).exemplars).toEqual([]);
  });

  it('shares one Labels object per series and one metadata object per family', () => {
    const copy = Labels.fromSortedPairs(up.rawPairs());
    const metaCopy: MetricMetadata = { ...counterMeta };
    const batch: MetricSample[] = [
      { labels: up, value: 1, timestampMs: 1 },
      { labels: copy, value: 2, timestampMs: 2 },
      { labels: requests, value: 3, timestampMs: 3, metadata: counterMeta },
      { labels: requests, value: 4, timestampMs: 4, metadata: metaCopy },
    ];
    const decoded = roundTrip(metricsWalCodec, [batch, batch]).flat();
    expect(decoded[0]?.labels).toBe(decoded[1]?.labels);
    expect(decoded[0]?.labels).toBe(decoded[4]?.labels);
    expect(decoded[0]?.labels).toBe(decoded[5]?.labels);
    expect(decoded[2]?.labels).toBe(decoded[7]?.labels);
    expect(decoded[0]?.labels).not.toBe(decoded[2]?.labels);
    expect(decoded[2]?.metadata).toBe(decoded[3]?.metadata);
    expect(decoded[2]?.metadata).toBe(decoded[7]?.metadata);
    // Equal label sets and metadata share a ref: the definitions are those of one of each.
    const [shared] = metricsWalCodec.encoder().encode(batch);
    const [single] = metricsWalCodec.encoder().encode([batch[0] as MetricSample, batch[2] as MetricSample]);
    expect(shared?.type).toBe('definitions');
    expect(shared?.payload).toEqual(single?.payload);
  });

  it('writes a definition once per encoder, and again in a fresh encoder', () => {
    const encoder = metricsWalCodec.encoder();
    const first = encoder.encode([
      { labels: up, value: 1, timestampMs: 1, metadata: bareMeta },
      { labels: requests, value: 1, timestampMs: 1 },
    ]);
    expect(first.map((r) => r.type)).toEqual(['definitions', 'items']);
    expect(first[1]?.count).toBe(2);

    const second = encoder.encode([
      { labels: Labels.fromSortedPairs(up.rawPairs()), value: 2, timestampMs: 2, metadata: { ...bareMeta } },
      { labels: requests, value: 2, timestampMs: 2 },
    ]);
    expect(second.map((r) => r.type)).toEqual(['items']);

    const third = encoder.encode([
      { labels: up, value: 3, timestampMs: 3 },
      { labels: latency, value: 3, timestampMs: 3 },
    ]);
    expect(third.map((r) => r.type)).toEqual(['definitions', 'items']);
    // The third definitions record holds only the new series: alone, it does not define `up`.
    const partial = metricsWalCodec.decoder();
    partial.define(third[0]?.payload as Uint8Array);
    expectWalError(() => partial.decode(third[1]?.payload as Uint8Array), /label set ref 0\b/);

    const decoder = metricsWalCodec.decoder();
    const all = [...first, ...second, ...third];
    const decoded = feed(decoder, all);
    expect(decoded.map((s) => s.labels.metricName)).toEqual([
      'up',
      'http_requests_total',
      'up',
      'http_requests_total',
      'up',
      'http_request_duration_seconds',
    ]);

    const fresh = metricsWalCodec.encoder().encode([{ labels: up, value: 2, timestampMs: 2 }]);
    expect(fresh.map((r) => r.type)).toEqual(['definitions', 'items']);
    expect(feed(metricsWalCodec.decoder(), fresh)[0]?.labels.equals(up)).toBe(true);
  });

  it('returns no records for no samples', () => {
    expect(metricsWalCodec.encoder().encode([])).toEqual([]);
  });

  it('refuses items that refer to a label set or metadata the decoder never read', () => {
    const encoder = metricsWalCodec.encoder();
    const first = encoder.encode([{ labels: up, value: 1, timestampMs: 1 }]);
    expectWalError(
      () => metricsWalCodec.decoder().decode(first[1]?.payload as Uint8Array),
      /label set ref 0\b.*never defined/,
    );
    const second = encoder.encode([{ labels: up, value: 1, timestampMs: 1, metadata: counterMeta }]);
    expect(second.map((r) => r.type)).toEqual(['definitions', 'items']);
    const decoder = metricsWalCodec.decoder();
    decoder.define(first[0]?.payload as Uint8Array);
    expectWalError(() => decoder.decode(second[1]?.payload as Uint8Array), /metadata ref 0\b.*never defined/);
  });

  it('refuses every truncation of a record, and trailing bytes', () => {
    const records = metricsWalCodec.encoder().encode(everyField);
    const definitions = records[0]?.payload as Uint8Array;
    const items = records[1]?.payload as Uint8Array;
    for (let length = 0; length < definitions.length; length++) {
      expectWalError(() => metricsWalCodec.decoder().define(definitions.subarray(0, length)));
    }
    const decoder = metricsWalCodec.decoder();
    decoder.define(definitions);
    for (let length = 0; length < items.length; length++) {
      expectWalError(() => decoder.decode(items.subarray(0, length)));
    }
    const longer = new Uint8Array(items.length + 1);
    longer.set(items);
    expectWalError(() => decoder.decode(longer), /trailing/);
    const longerDefinitions = new Uint8Array(definitions.length + 1);
    longerDefinitions.set(definitions);
    expectWalError(() => metricsWalCodec.decoder().define(longerDefinitions), /trailing/);
    expect(canon(decoder.decode(items))).toStrictEqual(canon(everyField));
  });

  it('refuses unknown flags, invalid UTF-8 and label sets out of order', () => {
    const records = metricsWalCodec.encoder().encode([{ labels: up, value: 1, timestampMs: 1 }]);
    const definitions = records[0]?.payload as Uint8Array;
    const items = Uint8Array.from(records[1]?.payload as Uint8Array);
    const decoder = metricsWalCodec.decoder();
    decoder.define(definitions);
    items[2] = 0x80; // the flags byte of the sample
    expectWalError(() => decoder.decode(items), /flags/);

    // count 1, tag 1, ref 0, one label: name "a", value 0xff.
    expectWalError(
      () => metricsWalCodec.decoder().define(Uint8Array.of(1, 1, 0, 1, 1, 0x61, 1, 0xff)),
      /UTF-8/,
    );
    // Two labels named b then a.
    expectWalError(
      () => metricsWalCodec.decoder().define(Uint8Array.of(1, 1, 0, 2, 1, 0x62, 1, 0x31, 1, 0x61, 1, 0x31)),
      /order/,
    );
    // An empty value.
    expectWalError(() => metricsWalCodec.decoder().define(Uint8Array.of(1, 1, 0, 1, 1, 0x61, 0)), /empty/);
    // A definition far past the refs defined so far (2^28).
    expectWalError(
      () => metricsWalCodec.decoder().define(Uint8Array.of(1, 1, 0x80, 0x80, 0x80, 0x80, 0x01, 0)),
      /far past/,
    );
    // One that skips a few refs is kept; items that refer to the gap are refused.
    const gapped = metricsWalCodec.decoder();
    gapped.define(Uint8Array.of(1, 1, 2, 0));
    expect(gapped.decode(Uint8Array.of(1, 2, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 2))).toEqual([
      { labels: Labels.EMPTY, value: 1, timestampMs: 1 },
    ]);
    expectWalError(() => gapped.decode(Uint8Array.of(1, 1, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 2)), /ref 1\b/);
    // A count far past what the bytes can hold.
    expectWalError(() => metricsWalCodec.decoder().decode(Uint8Array.of(0xff, 0xff, 0xff, 0x7f)), /count/);
    // A varint above 2^53 - 1.
    expectWalError(
      () => metricsWalCodec.decoder().decode(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)),
      /2\^53/,
    );
  });

  it('takes back the refs of an encode that throws', () => {
    const encoder = metricsWalCodec.encoder();
    const bad = { ...intHistogram, resetHint: 'sometimes' } as unknown as NativeHistogram;
    expect(() =>
      encoder.encode([
        { labels: up, value: 1, timestampMs: 1, metadata: bareMeta },
        { labels: latency, value: 1, timestampMs: 1, histogram: bad },
      ]),
    ).toThrow(/reset hint/);
    const records = encoder.encode([{ labels: up, value: 2, timestampMs: 2, metadata: bareMeta }]);
    expect(records.map((r) => r.type)).toEqual(['definitions', 'items']);
    const decoded = feed(metricsWalCodec.decoder(), records);
    expect(decoded[0]?.labels.equals(up)).toBe(true);
    expect(decoded[0]?.metadata).toEqual(bareMeta);

    const badType = { family: 'x', type: 'bogus' } as unknown as MetricMetadata;
    expect(() => encoder.encode([{ labels: latency, value: 1, timestampMs: 1, metadata: badType }])).toThrow(
      /metric type/,
    );
    const after = encoder.encode([{ labels: latency, value: 1, timestampMs: 1 }]);
    const decoder = metricsWalCodec.decoder();
    feed(decoder, records);
    expect(feed(decoder, after)[0]?.labels.equals(latency)).toBe(true);
  });

  it('writes a plain sample in about a dozen bytes', () => {
    const batch: MetricSample[] = [];
    for (let i = 0; i < 1000; i++) batch.push({ labels: up, value: i, timestampMs: 1_700_000_000_000 + i });
    const records = metricsWalCodec.encoder().encode(batch);
    // ref, flags, value, a one-byte timestamp delta; the first delta is the whole timestamp.
    expect(records[1]?.payload.length).toBeLessThanOrEqual(2 + 1000 * 11 + 6);
  });
});

describe('logsWalCodec', () => {
  const app = Labels.from({ app: 'api', env: 'prod' });
  const other = Labels.from({ app: 'wörker', pod: '日本-1' });
  const entries: readonly LogEntry[] = [
    { labels: app, line: 'GET /health 200', timestampNs: 1_700_000_000_123_456_789n },
    { labels: app, line: '', timestampNs: 0n },
    { labels: app, line: 'négatif', timestampNs: -1n },
    { labels: app, line: 'min', timestampNs: INT64_MIN },
    { labels: app, line: 'max', timestampNs: INT64_MAX },
    {
      labels: other,
      line: 'ünïcödé 日本語 😀🎉 e\u0301 \u0000 \n\r\t "quoted"',
      timestampNs: 2n ** 53n + 1n,
    },
    { labels: other, line: 'x'.repeat(70_000), timestampNs: 9_007_199_254_740_993n },
    { labels: other, line: `${'😀'.repeat(5000)}tail`, timestampNs: -9_223_372_036_854_775_000n },
    {
      labels: app,
      line: 'with metadata',
      timestampNs: 5n,
      structuredMetadata: Labels.from({ trace_id: 'abc', user: 'zoë' }),
    },
    { labels: app, line: 'empty metadata', timestampNs: 6n, structuredMetadata: Labels.EMPTY },
    { labels: Labels.EMPTY, line: 'no stream labels', timestampNs: 7n },
  ];

  it('names its format', () => {
    expect(logsWalCodec.format).toBe('rivulet.logs.v1');
  });

  it('round-trips every field: int64 nanoseconds, unicode lines, structured metadata', () => {
    const decoded = decodeOne(logsWalCodec, entries);
    expect(canon(decoded)).toStrictEqual(canon(entries));
    for (let i = 0; i < entries.length; i++) {
      expect(decoded[i]?.timestampNs).toBe(entries[i]?.timestampNs);
      expect(decoded[i]?.line).toBe(entries[i]?.line);
    }
    expect('structuredMetadata' in (decoded[0] as LogEntry)).toBe(false);
    expect(decoded[9]?.structuredMetadata).toBe(Labels.EMPTY);
    expect(decoded[0]?.labels).toBe(decoded[8]?.labels);
    expect(decoded[5]?.labels).toBe(decoded[6]?.labels);
  });

  it('writes lone surrogates as U+FFFD, as UTF-8 must', () => {
    const decoded = decodeOne(logsWalCodec, [{ labels: app, line: 'a\ud800b', timestampNs: 1n }]);
    expect(decoded[0]?.line).toBe('a\ufffdb');
  });

  it('refuses timestamps outside the int64 range, and takes back the refs of that encode', () => {
    const encoder = logsWalCodec.encoder();
    expect(() =>
      encoder.encode([
        { labels: app, line: 'ok', timestampNs: 1n },
        { labels: other, line: 'too late', timestampNs: INT64_MAX + 1n },
      ]),
    ).toThrow(RangeError);
    expect(() => encoder.encode([{ labels: other, line: 'too early', timestampNs: INT64_MIN - 1n }])).toThrow(
      RangeError,
    );
    const records = encoder.encode([{ labels: app, line: 'ok', timestampNs: 1n }]);
    expect(records.map((r) => r.type)).toEqual(['definitions', 'items']);
    expect(feed(logsWalCodec.decoder(), records)[0]?.labels.equals(app)).toBe(true);
  });

  it('writes a stream definition once per encoder, and again in a fresh encoder', () => {
    const encoder = logsWalCodec.encoder();
    const first = encoder.encode([{ labels: app, line: 'a', timestampNs: 1n }]);
    const second = encoder.encode([
      { labels: Labels.fromSortedPairs(app.rawPairs()), line: 'b', timestampNs: 2n },
    ]);
    expect(first.map((r) => r.type)).toEqual(['definitions', 'items']);
    expect(second.map((r) => r.type)).toEqual(['items']);
    const decoded = feed(logsWalCodec.decoder(), [...first, ...second]);
    expect(decoded[0]?.labels).toBe(decoded[1]?.labels);
    const fresh = logsWalCodec.encoder().encode([{ labels: app, line: 'c', timestampNs: 3n }]);
    expect(fresh.map((r) => r.type)).toEqual(['definitions', 'items']);
    expect(logsWalCodec.encoder().encode([])).toEqual([]);
  });

  it('refuses items that refer to a stream the decoder never read', () => {
    const records = logsWalCodec.encoder().encode([{ labels: other, line: 'a', timestampNs: 1n }]);
    expectWalError(
      () => logsWalCodec.decoder().decode(records[1]?.payload as Uint8Array),
      /label set ref 0\b.*never defined/,
    );
  });

  it('refuses every truncation of a record, and trailing bytes', () => {
    const small = entries.filter((e) => e.line.length < 100);
    const records = logsWalCodec.encoder().encode(small);
    const definitions = records[0]?.payload as Uint8Array;
    const items = records[1]?.payload as Uint8Array;
    for (let length = 0; length < definitions.length; length++) {
      expectWalError(() => logsWalCodec.decoder().define(definitions.subarray(0, length)));
    }
    const decoder = logsWalCodec.decoder();
    decoder.define(definitions);
    for (let length = 0; length < items.length; length++) {
      expectWalError(() => decoder.decode(items.subarray(0, length)));
    }
    const longer = new Uint8Array(items.length + 3);
    longer.set(items);
    expectWalError(() => decoder.decode(longer), /trailing/);
    expect(canon(decoder.decode(items))).toStrictEqual(canon(small));
  });
});

// Property tests: random items, several encodes per encoder, decoded by one decoder.

const labelName = fc.constantFrom('__name__', 'job', 'instance', 'le', 'ünï', '😀', 'a"b', '', 'z');
const labelValue = fc.oneof(
  fc.constantFrom('up', 'node', 'x', '', 'värde', '日本'),
  fc.string({ unit: 'binary', maxLength: 80 }),
);
const labelsArb = fc.dictionary(labelName, labelValue, { maxKeys: 5 }).map((record) => Labels.from(record));
const anyDouble = fc.oneof(
  fc.double(),
  fc.constant(STALE_NAN),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(fromBits),
);
const timestamp = fc.oneof(
  fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
  fc.maxSafeInteger(),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
  fc.double(),
  fc.constant(-0),
);
const metricTypes: MetricType[] = [
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
  'unknown',
];
const metadataArb: fc.Arbitrary<MetricMetadata> = fc.record(
  {
    family: fc.string({ maxLength: 20 }),
    type: fc.constantFrom(...metricTypes),
    help: fc.string({ unit: 'binary', maxLength: 100 }),
    unit: fc.constantFrom('', 'seconds', 'bytes'),
  },
  { requiredKeys: ['family', 'type'] },
);
const exemplarArb: fc.Arbitrary<Exemplar> = fc.record(
  { labels: labelsArb, value: anyDouble, timestampMs: anyDouble },
  { requiredKeys: ['labels', 'value'] },
);
const spanNumber = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.double());
const spanArb = fc.record({ offset: spanNumber, length: fc.oneof(fc.nat(), fc.double()) });
const bucketNumbers = fc.array(fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double()), { maxLength: 8 });
const histogramArb: fc.Arbitrary<NativeHistogram> = fc.record(
  {
    count: anyDouble,
    sum: anyDouble,
    schema: fc.oneof(fc.integer({ min: -4, max: 8 }), anyDouble),
    zeroThreshold: anyDouble,
    zeroCount: anyDouble,
    negativeSpans: fc.array(spanArb, { maxLength: 4 }),
    positiveSpans: fc.array(spanArb, { maxLength: 4 }),
    negativeDeltas: bucketNumbers,
    positiveDeltas: bucketNumbers,
    negativeCounts: bucketNumbers,
    positiveCounts: bucketNumbers,
    resetHint: fc.constantFrom('unknown', 'yes', 'no', 'gauge'),
  },
  {
    requiredKeys: [
      'count',
      'sum',
      'schema',
      'zeroThreshold',
      'zeroCount',
      'negativeSpans',
      'positiveSpans',
      'resetHint',
    ],
  },
);
const sampleArb: fc.Arbitrary<MetricSample> = fc.record(
  {
    labels: labelsArb,
    value: anyDouble,
    timestampMs: timestamp,
    metadata: metadataArb,
    exemplars: fc.array(exemplarArb, { maxLength: 3 }),
    histogram: histogramArb,
  },
  { requiredKeys: ['labels', 'value', 'timestampMs'] },
);
const entryArb: fc.Arbitrary<LogEntry> = fc.record(
  {
    labels: labelsArb,
    line: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 100 }),
    ),
    timestampNs: fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
    structuredMetadata: labelsArb,
  },
  { requiredKeys: ['labels', 'line', 'timestampNs'] },
);

/** Checks that decoded items of equal label sets share one Labels object. */
function expectSharedLabels(items: readonly { readonly labels: Labels }[]): void {
  const seen = new Map<string, Labels>();
  for (const item of items) {
    const known = seen.get(item.labels.key());
    if (known === undefined) seen.set(item.labels.key(), item.labels);
    else expect(item.labels).toBe(known);
  }
}

/** Flips one byte of one record and decodes the lot: it decodes or throws a WalRecordError, nothing else. */
function expectCorruptionRefused<T>(
  codec: WalCodec<T>,
  records: readonly WalRecordOut[],
  which: number,
  at: number,
  xor: number,
): void {
  if (records.length === 0) return;
  const index = which % records.length;
  const damaged = records.map((record, i) => {
    if (i !== index || record.payload.length === 0) return record;
    const payload = Uint8Array.from(record.payload);
    const position = at % payload.length;
    payload[position] = (payload[position] as number) ^ xor;
    return { ...record, payload };
  });
  try {
    feed(codec.decoder(), damaged);
  } catch (error) {
    expect(error).toBeInstanceOf(WalRecordError);
  }
}

describe('wal record codecs, properties', () => {
  it('round-trip random metric samples across several encodes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(sampleArb, { maxLength: 12 }), { minLength: 1, maxLength: 4 }),
        (batches) => {
          const decoded = roundTrip(metricsWalCodec, batches);
          expect(canon(decoded)).toStrictEqual(canon(batches));
          expectSharedLabels(decoded.flat());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trip random log entries across several encodes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(entryArb, { maxLength: 12 }), { minLength: 1, maxLength: 4 }),
        (batches) => {
          const decoded = roundTrip(logsWalCodec, batches);
          expect(canon(decoded)).toStrictEqual(canon(batches));
          expectSharedLabels(decoded.flat());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuse corrupt records with a WalRecordError or decode them, never anything else', () => {
    fc.assert(
      fc.property(
        fc.array(sampleArb, { minLength: 1, maxLength: 6 }),
        fc.array(entryArb, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (samples, logEntries, which, at, xor) => {
          expectCorruptionRefused(metricsWalCodec, metricsWalCodec.encoder().encode(samples), which, at, xor);
          expectCorruptionRefused(logsWalCodec, logsWalCodec.encoder().encode(logEntries), which, at, xor);
        },
      ),
      { numRuns: 500 },
    );
  });
});

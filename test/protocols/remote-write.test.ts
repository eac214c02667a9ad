// The remote write 1.0 codec, checked against itself (round trips) and against implementations
// we did not write: protobufjs loaded from the official prompb definitions
// (test/fixtures/prompb), snappyjs, and the `prometheus-remote-write` npm package.
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { pushTimeseries, serialize } from 'prometheus-remote-write';
import protobuf from 'protobufjs';
import snappyjs from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { Labels } from '../../src/core/labels.js';
import type { Exemplar, MetricMetadata, NativeHistogram } from '../../src/core/signals.js';
import { isStaleMarker, STALE_NAN } from '../../src/core/stale-marker.js';
import {
  type DecodedWriteRequest,
  decodeWriteRequest,
  encodeWriteRequest,
  RemoteWriteDecodeError,
  snappyCompress,
  snappyDeclaredLength,
  snappyUncompress,
  type WriteSeries,
} from '../../src/protocols/remote-write/index.js';

const root = protobuf.loadSync(fileURLToPath(new URL('../fixtures/prompb/remote.proto', import.meta.url)));
const WriteRequest = root.lookupType('prometheus.WriteRequest');

/** What protobufjs decodes from `bytes`, int64s as decimal strings, enums as names. */
function official(bytes: Uint8Array): Record<string, unknown> {
  return WriteRequest.toObject(WriteRequest.decode(bytes), {
    longs: String,
    enums: String,
    oneofs: true,
    arrays: true,
  });
}

/** protobufjs's encoding of a plain object given in the JSON field names. */
function officialEncode(object: Record<string, unknown>): Uint8Array {
  const message = WriteRequest.fromObject(object);
  expect(WriteRequest.verify(message)).toBeNull();
  return WriteRequest.encode(message).finish();
}

const NORMAL_NAN = new Float64Array(new BigUint64Array([0x7ff8000000000001n]).buffer)[0] as number;

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

function bitsOf(value: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return view.getBigUint64(0);
}

const labels = (record: Record<string, string>): Labels => Labels.from(record);

const intHistogram: NativeHistogram = {
  count: 12,
  sum: 18.4,
  schema: 1,
  zeroThreshold: 0.001,
  zeroCount: 2,
  negativeSpans: [{ offset: 0, length: 2 }],
  negativeDeltas: [1, 1],
  positiveSpans: [
    { offset: -2, length: 2 },
    { offset: 1, length: 3 },
  ],
  positiveDeltas: [2, -1, 1, -2, 3],
  resetHint: 'no',
};

const floatHistogram: NativeHistogram = {
  count: 7.5,
  sum: -3.25,
  schema: -4,
  zeroThreshold: 0,
  zeroCount: 0.5,
  negativeSpans: [],
  negativeCounts: [],
  positiveSpans: [{ offset: 3, length: 2 }],
  positiveCounts: [1.5, 5.5],
  resetHint: 'gauge',
};

const exemplar: Exemplar = {
  labels: labels({ trace_id: 'abc123', span_id: 'def' }),
  value: 0.42,
  timestampMs: 1_700_000_000_100,
};

const metadata: MetricMetadata[] = [
  { family: 'http_requests_total', type: 'counter', help: 'Requests served.' },
  { family: 'request_duration_seconds', type: 'histogram', help: 'Latency.', unit: 'seconds' },
  { family: 'temperature', type: 'gauge' },
  { family: 'build', type: 'info', help: 'Build information, with "quotes" and ünïcode.' },
  { family: 'state', type: 'stateset' },
  { family: 'q', type: 'summary' },
  { family: 'gh', type: 'gaugehistogram' },
  { family: 'mystery', type: 'unknown' },
];

const TIMESTAMPS = [
  0,
  1,
  -1,
  1_700_000_000_000,
  -1_700_000_000_000,
  2 ** 53 - 1,
  -(2 ** 53 - 1),
  2 ** 31,
  -(2 ** 31),
];
const VALUES = [
  1,
  0,
  -0,
  -2.5,
  1e-300,
  1.7976931348623157e308,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  NORMAL_NAN,
  STALE_NAN,
];

const series: WriteSeries[] = [
  {
    labels: labels({ __name__: 'http_requests_total', code: '200', job: 'api', path: '/ünï/€/😀' }),
    samples: TIMESTAMPS.map((timestampMs, i) => ({
      value: VALUES[i % VALUES.length] as number,
      timestampMs,
    })),
    exemplars: [exemplar, { labels: Labels.EMPTY, value: 0 }],
  },
  {
    labels: labels({ __name__: 'request_duration_seconds', job: 'api' }),
    samples: [],
    histograms: [
      { histogram: intHistogram, timestampMs: 1_700_000_000_000 },
      { histogram: floatHistogram, timestampMs: -5 },
    ],
  },
  {
    labels: labels({ __name__: 'stale', instance: 'x' }),
    samples: [{ value: STALE_NAN, timestampMs: 1_700_000_000_000 }],
  },
  { labels: Labels.EMPTY, samples: [{ value: 3, timestampMs: 4 }] },
];

/** The decoded form of a series as given to the encoder. */
function expectSameSeries(
  decoded: DecodedWriteRequest,
  given: readonly WriteSeries[],
  meta: readonly MetricMetadata[] = [],
): void {
  expect(decoded.timeseries).toHaveLength(given.length);
  given.forEach((input, i) => {
    const output = decoded.timeseries[i];
    if (output === undefined) throw new Error(`series ${i} missing`);
    expect(output.labelProblem).toBeUndefined();
    expect(output.labels.toRecord()).toEqual(input.labels.toRecord());
    expect(output.samples.map((s) => [bitsOf(s.value), s.timestampMs])).toEqual(
      input.samples.map((s) => [bitsOf(s.value), s.timestampMs]),
    );
    expect(output.exemplars.map((e) => ({ ...e, labels: e.labels.toRecord() }))).toEqual(
      (input.exemplars ?? []).map((e) => {
        const { timestampMs, ...rest } = e;
        return { ...rest, labels: e.labels.toRecord(), ...(timestampMs ? { timestampMs } : {}) };
      }),
    );
    expect(output.histograms).toEqual((input.histograms ?? []).map(normalizeHistogram));
  });
  expect(decoded.metadata).toEqual(meta);
}

/** Decoded histograms carry both bucket arrays of their kind, empty when absent. */
function normalizeHistogram({ histogram, timestampMs }: { histogram: NativeHistogram; timestampMs: number }) {
  const float = histogram.positiveCounts !== undefined || histogram.negativeCounts !== undefined;
  const { negativeDeltas, positiveDeltas, negativeCounts, positiveCounts, ...common } = histogram;
  return {
    timestampMs,
    histogram: float
      ? { ...common, negativeCounts: negativeCounts ?? [], positiveCounts: positiveCounts ?? [] }
      : { ...common, negativeDeltas: negativeDeltas ?? [], positiveDeltas: positiveDeltas ?? [] },
  };
}

describe('encodeWriteRequest / decodeWriteRequest round trip', () => {
  it('keeps labels, values bit-exact, int64 timestamps, exemplars, histograms and metadata', () => {
    const bytes = encodeWriteRequest(series, metadata);
    expectSameSeries(decodeWriteRequest(bytes), series, metadata);
  });

  it('encodes nothing as an empty message', () => {
    expect(encodeWriteRequest([])).toEqual(new Uint8Array(0));
    expect(decodeWriteRequest(new Uint8Array(0))).toEqual({ timeseries: [], metadata: [] });
  });

  it('writes the staleness marker as its exact bytes', () => {
    const bytes = encodeWriteRequest([
      { labels: labels({ __name__: 'a' }), samples: [{ value: STALE_NAN, timestampMs: 0 }] },
    ]);
    // The value is the last field of the only sample (its zero timestamp is left out).
    expect(bytes[bytes.length - 9]).toBe(0x09);
    const view = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 8, 8);
    expect(view.getUint32(0, true)).toBe(0x00000002);
    expect(view.getUint32(4, true)).toBe(0x7ff00000);
    const decoded = decodeWriteRequest(bytes).timeseries[0]?.samples[0]?.value as number;
    expect(isStaleMarker(decoded)).toBe(true);
    expect(bitsOf(decoded)).toBe(0x7ff0000000000002n);
  });

  it('leaves out labels with empty values', () => {
    const raw = Labels.fromSortedPairs(['__name__', 'a', 'empty', '', 'z', '1']);
    const decoded = decodeWriteRequest(
      encodeWriteRequest([{ labels: raw, samples: [{ value: 1, timestampMs: 1 }] }]),
    );
    expect(decoded.timeseries[0]?.labels.toRecord()).toEqual({ __name__: 'a', z: '1' });
    expect(official(encodeWriteRequest([{ labels: raw, samples: [] }]))).toEqual({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'a' },
            { name: 'z', value: '1' },
          ],
          samples: [],
          exemplars: [],
          histograms: [],
        },
      ],
      metadata: [],
    });
  });

  it('round-trips random requests', () => {
    fc.assert(
      fc.property(
        fc.array(seriesArbitrary(), { maxLength: 6 }),
        fc.array(metadataArbitrary(), { maxLength: 3 }),
        (given, meta) => {
          expectSameSeries(decodeWriteRequest(encodeWriteRequest(given, meta)), given, meta);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('against protobufjs and the official prompb definitions', () => {
  it('protobufjs reads what we write', () => {
    const decoded = official(encodeWriteRequest(series, metadata));
    const [first, second, third, fourth] = decoded.timeseries as Record<string, unknown[]>[];
    expect(first?.labels).toEqual([
      { name: '__name__', value: 'http_requests_total' },
      { name: 'code', value: '200' },
      { name: 'job', value: 'api' },
      { name: 'path', value: '/ünï/€/😀' },
    ]);
    const samples = first?.samples as { value?: number; timestamp?: string }[];
    expect(samples.map((s) => s.timestamp ?? '0')).toEqual(TIMESTAMPS.map(String));
    expect(samples.map((s) => bitsOf(s.value ?? 0))).toEqual(
      TIMESTAMPS.map((_, i) => bitsOf(VALUES[i % VALUES.length] as number)),
    );
    expect(first?.exemplars).toEqual([
      {
        labels: [
          { name: 'span_id', value: 'def' },
          { name: 'trace_id', value: 'abc123' },
        ],
        value: 0.42,
        timestamp: '1700000000100',
      },
      { labels: [] },
    ]);
    expect(second?.histograms).toEqual([
      {
        count: 'countInt',
        countInt: '12',
        sum: 18.4,
        schema: 1,
        zeroThreshold: 0.001,
        zeroCount: 'zeroCountInt',
        zeroCountInt: '2',
        negativeSpans: [{ length: 2 }],
        negativeDeltas: ['1', '1'],
        negativeCounts: [],
        positiveSpans: [
          { offset: -2, length: 2 },
          { offset: 1, length: 3 },
        ],
        positiveDeltas: ['2', '-1', '1', '-2', '3'],
        positiveCounts: [],
        resetHint: 'NO',
        timestamp: '1700000000000',
        customValues: [],
      },
      {
        count: 'countFloat',
        countFloat: 7.5,
        sum: -3.25,
        schema: -4,
        zeroCount: 'zeroCountFloat',
        zeroCountFloat: 0.5,
        negativeSpans: [],
        negativeDeltas: [],
        negativeCounts: [],
        positiveSpans: [{ offset: 3, length: 2 }],
        positiveDeltas: [],
        positiveCounts: [1.5, 5.5],
        resetHint: 'GAUGE',
        timestamp: '-5',
        customValues: [],
      },
    ]);
    expect(isStaleMarker((third?.samples?.[0] as { value: number } | undefined)?.value ?? 0)).toBe(true);
    expect(fourth?.labels).toEqual([]);
    expect(decoded.metadata).toEqual([
      { type: 'COUNTER', metricFamilyName: 'http_requests_total', help: 'Requests served.' },
      { type: 'HISTOGRAM', metricFamilyName: 'request_duration_seconds', help: 'Latency.', unit: 'seconds' },
      { type: 'GAUGE', metricFamilyName: 'temperature' },
      { type: 'INFO', metricFamilyName: 'build', help: 'Build information, with "quotes" and ünïcode.' },
      { type: 'STATESET', metricFamilyName: 'state' },
      { type: 'SUMMARY', metricFamilyName: 'q' },
      { type: 'GAUGEHISTOGRAM', metricFamilyName: 'gh' },
      { metricFamilyName: 'mystery' },
    ]);
  });

  it('writes the same bytes as protobufjs when no field holds its default', () => {
    const up = labels({ __name__: 'up', instance: 'a:9100', job: 'node' });
    const upSamples = [
      { value: 1, timestampMs: 1_700_000_000_000 },
      { value: STALE_NAN, timestampMs: -1_700_000_000_000 },
    ];
    const given: WriteSeries[] = [{ labels: up, samples: upSamples }];
    const ours = encodeWriteRequest(given, [{ family: 'up', type: 'gauge', help: 'Up.', unit: 'bool' }]);
    const theirs = officialEncode({
      timeseries: [
        {
          labels: [...up].map(([name, value]) => ({ name, value })),
          samples: upSamples.map((s) => ({ value: s.value, timestamp: s.timestampMs })),
        },
      ],
      metadata: [{ type: 'GAUGE', metricFamilyName: 'up', help: 'Up.', unit: 'bool' }],
    });
    expect(Buffer.from(ours).toString('hex')).toBe(Buffer.from(theirs).toString('hex'));
  });

  it('we read what protobufjs writes: histograms, exemplars, metadata, NaN, Inf, stale markers, int64 extremes', () => {
    const bytes = officialEncode({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'x' },
            { name: 'le', value: '+Inf' },
          ],
          samples: [
            { value: STALE_NAN, timestamp: '-9007199254740991' },
            { value: NORMAL_NAN, timestamp: '9007199254740991' },
            { value: Number.POSITIVE_INFINITY, timestamp: '-1' },
            { value: Number.NEGATIVE_INFINITY, timestamp: '0' },
            { value: 0, timestamp: '1' },
          ],
          exemplars: [{ labels: [{ name: 'trace_id', value: 't' }], value: 2, timestamp: '-3' }],
          histograms: [
            {
              countInt: '12',
              sum: 18.4,
              schema: 1,
              zeroThreshold: 0.001,
              zeroCountInt: '2',
              negativeSpans: [{ offset: 0, length: 2 }],
              negativeDeltas: ['1', '1'],
              positiveSpans: [
                { offset: -2, length: 2 },
                { offset: 1, length: 3 },
              ],
              positiveDeltas: ['2', '-1', '1', '-2', '3'],
              resetHint: 'NO',
              timestamp: '1700000000000',
            },
            {
              countFloat: 7.5,
              sum: -3.25,
              schema: -4,
              zeroCountFloat: 0.5,
              positiveSpans: [{ offset: 3, length: 2 }],
              positiveCounts: [1.5, 5.5],
              resetHint: 'GAUGE',
              timestamp: '-5',
              customValues: [1, 2],
            },
            { countInt: '0', zeroCountInt: '0' },
            { countFloat: 0 },
          ],
        },
      ],
      metadata: [
        { type: 'SUMMARY', metricFamilyName: 'rpc', help: 'RPCs.', unit: 'seconds' },
        { metricFamilyName: 'bare' },
      ],
    });
    const decoded = decodeWriteRequest(bytes);
    const only = decoded.timeseries[0];
    expect(only?.labels.toRecord()).toEqual({ __name__: 'x', le: '+Inf' });
    expect(only?.samples.map((s) => [bitsOf(s.value), s.timestampMs])).toEqual([
      [0x7ff0000000000002n, -(2 ** 53 - 1)],
      [0x7ff8000000000001n, 2 ** 53 - 1],
      [bitsOf(Number.POSITIVE_INFINITY), -1],
      [bitsOf(Number.NEGATIVE_INFINITY), 0],
      [0n, 1],
    ]);
    expect(isStaleMarker(only?.samples[0]?.value as number)).toBe(true);
    expect(only?.exemplars).toEqual([{ labels: labels({ trace_id: 't' }), value: 2, timestampMs: -3 }]);
    expect(only?.histograms).toEqual([
      normalizeHistogram({ histogram: intHistogram, timestampMs: 1_700_000_000_000 }),
      normalizeHistogram({ histogram: floatHistogram, timestampMs: -5 }),
      normalizeHistogram({
        timestampMs: 0,
        histogram: {
          count: 0,
          sum: 0,
          schema: 0,
          zeroThreshold: 0,
          zeroCount: 0,
          negativeSpans: [],
          positiveSpans: [],
          resetHint: 'unknown',
        },
      }),
      normalizeHistogram({
        timestampMs: 0,
        histogram: {
          count: 0,
          sum: 0,
          schema: 0,
          zeroThreshold: 0,
          zeroCount: 0,
          negativeSpans: [],
          positiveSpans: [],
          positiveCounts: [],
          resetHint: 'unknown',
        },
      }),
    ]);
    expect(decoded.metadata).toEqual([
      { family: 'rpc', type: 'summary', help: 'RPCs.', unit: 'seconds' },
      { family: 'bare', type: 'unknown' },
    ]);
  });

  it('protobufjs agrees with us on random requests, both ways', () => {
    fc.assert(
      fc.property(fc.array(seriesArbitrary(), { maxLength: 5 }), (given) => {
        const ours = encodeWriteRequest(given);
        const back = WriteRequest.encode(WriteRequest.decode(ours)).finish();
        expectSameSeries(decodeWriteRequest(back), given);
      }),
      { numRuns: 100 },
    );
  });

  it('reads unpacked repeated fields and skips unknown fields of every wire type', () => {
    // TimeSeries { labels { name: "__name__" value: "u" }, histograms { deltas unpacked }, unknown fields }
    const label = [0x0a, 0x0d, 0x0a, 0x08, ...Buffer.from('__name__'), 0x12, 0x01, 0x75];
    const histogram = [
      0x08, 0x03, 0x30, 0x00, 0x62, 0x01, 0x02, 0x60, 0x03, 0x5a, 0x04, 0x08, 0x00, 0x10, 0x02, 0xa0, 0x06,
      0x07,
    ];
    const unknown = [
      0xa8, 0x06, 0x96, 0x01, 0xad, 0x06, 1, 2, 3, 4, 0xa9, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0xa2, 0x06, 0x02,
      0x01, 0x02, 0xab, 0x06, 0x08, 0x01, 0xac, 0x06,
    ];
    const series = [...label, 0x22, histogram.length, ...histogram, ...unknown];
    const bytes = Uint8Array.from([0x10, 0x05, 0x0a, series.length, ...series, ...unknown]);
    const decoded = decodeWriteRequest(bytes);
    expect(decoded.timeseries[0]?.labels.toRecord()).toEqual({ __name__: 'u' });
    expect(decoded.timeseries[0]?.histograms[0]?.histogram).toMatchObject({
      count: 3,
      positiveSpans: [{ offset: 0, length: 2 }],
      positiveDeltas: [1, -2],
    });
    expect(official(bytes).timeseries).toMatchObject([{ histograms: [{ positiveDeltas: ['1', '-2'] }] }]);
  });
});

describe('label problems', () => {
  const raw = (pairs: [string, string][]) =>
    officialEncode({
      timeseries: [
        { labels: pairs.map(([name, value]) => ({ name, value })), samples: [{ value: 1, timestamp: 1 }] },
      ],
    });

  it('repairs and reports unsorted, repeated and empty names', () => {
    const unsorted = decodeWriteRequest(
      raw([
        ['__name__', 'm'],
        ['b', '1'],
        ['a', '2'],
      ]),
    ).timeseries[0];
    expect(unsorted?.labelProblem).toBe('unsorted');
    expect([...(unsorted?.labels ?? [])]).toEqual([
      ['__name__', 'm'],
      ['a', '2'],
      ['b', '1'],
    ]);
    expect(
      decodeWriteRequest(
        raw([
          ['__name__', 'm'],
          ['a', '1'],
          ['a', '2'],
        ]),
      ).timeseries[0]?.labelProblem,
    ).toBe('duplicate');
    expect(
      decodeWriteRequest(
        raw([
          ['b', '1'],
          ['__name__', 'm'],
          ['b', '2'],
        ]),
      ).timeseries[0]?.labelProblem,
    ).toBe('duplicate');
    expect(
      decodeWriteRequest(
        raw([
          ['', 'x'],
          ['__name__', 'm'],
        ]),
      ).timeseries[0]?.labelProblem,
    ).toBe('empty_name');
    const empty = decodeWriteRequest(
      raw([
        ['__name__', 'm'],
        ['a', ''],
      ]),
    ).timeseries[0];
    expect(empty?.labelProblem).toBeUndefined();
    expect(empty?.labels.toRecord()).toEqual({ __name__: 'm' });
  });

  it('reports label text that is not UTF-8', () => {
    const bytes = raw([
      ['__name__', 'm'],
      ['a', 'XYZ'],
    ]);
    bytes[bytes.indexOf(0x58)] = 0xff;
    const decoded = decodeWriteRequest(bytes).timeseries[0];
    expect(decoded?.labelProblem).toBe('invalid_utf8');
    expect(decoded?.labels.get('a')).toBe('\ufffdYZ');
  });
});

describe('malformed input', () => {
  const valid = encodeWriteRequest(series, metadata);

  const reasonOf = (bytes: Uint8Array): string => {
    try {
      decodeWriteRequest(bytes);
    } catch (error) {
      expect(error).toBeInstanceOf(RemoteWriteDecodeError);
      expect((error as RemoteWriteDecodeError).code).toBe('source');
      return (error as RemoteWriteDecodeError).reason;
    }
    throw new Error('decoded without an error');
  };

  it('refuses every truncation that cuts a field', () => {
    let refused = 0;
    for (let cut = 1; cut < valid.length; cut++) {
      try {
        decodeWriteRequest(valid.subarray(0, cut));
      } catch (error) {
        expect(error).toBeInstanceOf(RemoteWriteDecodeError);
        expect((error as RemoteWriteDecodeError).offset).toBeLessThanOrEqual(cut);
        refused++;
      }
    }
    // Only cuts between top-level fields leave a valid (shorter) message.
    expect(refused).toBe(valid.length - 1 - (series.length - 1) - metadata.length);
  });

  it('names what is wrong and where', () => {
    expect(reasonOf(Uint8Array.from([0x0a, 0x05, 0x0a]))).toBe('length past the end of the message');
    expect(reasonOf(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]))).toBe(
      'length past the end of the message',
    );
    expect(reasonOf(Uint8Array.from([0x28, ...new Array(10).fill(0xff), 0x01]))).toBe(
      'varint longer than 64 bits',
    );
    expect(reasonOf(Uint8Array.from([0x28, 0xff, 0xff]))).toBe('truncated varint');
    expect(reasonOf(Uint8Array.from([0x08, 0x01]))).toBe('wrong wire type 0 for WriteRequest field');
    expect(reasonOf(Uint8Array.from([0x0a, 0x02, 0x12, 0x00, 0x0a, 0x03, 0x12, 0x01, 0x10]))).toBe(
      'truncated varint',
    );
    expect(reasonOf(Uint8Array.from([0x0a, 0x04, 0x12, 0x02, 0x08, 0x01]))).toBe(
      'wrong wire type 0 for Sample field',
    );
    expect(reasonOf(Uint8Array.from([0x0a, 0x06, 0x12, 0x04, 0x09, 0, 0, 0]))).toBe('truncated double');
    expect(reasonOf(Uint8Array.from([0x0a, 0x02, 0x0a, 0x00, 0x00]))).toBe('field number 0');
    expect(reasonOf(Uint8Array.from([0x0e]))).toBe('invalid wire type 6');
    expect(reasonOf(Uint8Array.from([0x2c]))).toBe('end of group without a start');
    expect(reasonOf(Uint8Array.from([0x2b, 0x08, 0x01]))).toBe('unterminated group');
    expect(reasonOf(Uint8Array.from([0x0a, 0x04, 0x22, 0x02, 0x52, 0x01]))).toBe(
      'length past the end of the message',
    );
    expect(reasonOf(Uint8Array.from([0x0a, 0x05, 0x22, 0x03, 0x52, 0x01, 0x00]))).toBe(
      'packed doubles not a multiple of 8 bytes',
    );
    const error = (() => {
      try {
        decodeWriteRequest(Uint8Array.from([0x0a, 0x03, 0x12, 0x09, 0x00]));
      } catch (e) {
        return e as RemoteWriteDecodeError;
      }
    })();
    expect(error?.offset).toBe(3);
    expect(error?.message).toBe('remote write: length past the end of the message at byte 3');
  });

  it('never throws anything but RemoteWriteDecodeError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        try {
          decodeWriteRequest(bytes);
        } catch (error) {
          if (!(error instanceof RemoteWriteDecodeError)) throw error;
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('never throws anything but RemoteWriteDecodeError on corrupted valid requests', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (edits) => {
          const bytes = valid.slice();
          for (const [at, value] of edits) bytes[at] = value;
          try {
            decodeWriteRequest(bytes);
          } catch (error) {
            if (!(error instanceof RemoteWriteDecodeError)) throw error;
          }
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('snappy block format', () => {
  const payload = encodeWriteRequest(series, metadata);
  const repetitive = encodeWriteRequest(
    Array.from({ length: 500 }, (_, i) => ({
      labels: labels({
        __name__: 'node_cpu_seconds_total',
        cpu: String(i % 16),
        instance: 'host:9100',
        mode: 'idle',
      }),
      samples: [{ value: i * 1.5, timestampMs: 1_700_000_000_000 + i }],
    })),
  );

  it('round-trips, and snappyjs reads what we write and we read what it writes', () => {
    for (const bytes of [
      payload,
      repetitive,
      new Uint8Array(0),
      Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7919) & 255),
    ]) {
      const compressed = snappyCompress(bytes);
      expect(snappyDeclaredLength(compressed)).toBe(bytes.length);
      expect(same(snappyUncompress(compressed, bytes.length), bytes)).toBe(true);
      expect(same(snappyjs.uncompress(compressed), bytes)).toBe(true);
      expect(same(snappyUncompress(snappyjs.compress(Buffer.from(bytes)), bytes.length), bytes)).toBe(true);
      expect(same(snappyUncompress(snappyjs.compress(new Uint8Array(bytes)), bytes.length), bytes)).toBe(
        true,
      );
    }
    expect(snappyCompress(repetitive).length).toBeLessThan(repetitive.length / 4);
  });

  it('reads the bodies the prometheus-remote-write package sends, and writes the same protobuf', async () => {
    const timeseries = [
      {
        labels: { __name__: 'queue_depth', instance: 'a', job: 'worker' },
        samples: [{ value: 17, timestamp: 1_700_000_000_000 }],
      },
      {
        labels: { __name__: 'queue_latency_seconds', job: 'worker' },
        samples: [
          { value: 0.25, timestamp: 1_700_000_000_001 },
          { value: -1.5, timestamp: 1_700_000_000_002 },
        ],
      },
    ];
    let body: Uint8Array | undefined;
    let headers: Record<string, string> = {};
    const result = await pushTimeseries(timeseries, {
      url: 'http://receiver.invalid/api/v1/write',
      fetch: async (_url, init) => {
        body = new Uint8Array(init?.body as ArrayBuffer);
        headers = init?.headers ?? {};
        return { status: 204, statusText: 'No Content', text: async () => '' };
      },
    });
    expect(result.status).toBe(204);
    expect(headers['Content-Type']).toBe('application/x-protobuf');
    if (body === undefined) throw new Error('nothing was sent');
    const ours: WriteSeries[] = timeseries.map((t) => ({
      labels: labels(t.labels),
      samples: t.samples.map((s) => ({ value: s.value, timestampMs: s.timestamp })),
    }));
    const decoded = decodeWriteRequest(snappyUncompress(body, 1 << 20));
    expectSameSeries(decoded, ours);
    expect(same(snappyUncompress(body, 1 << 20), encodeWriteRequest(ours))).toBe(true);
    // Its `serialize` takes a WriteRequest-shaped object, whatever its type declarations say.
    const writeRequest = {
      timeseries: timeseries.map((t) => ({
        labels: Object.entries(t.labels).map(([name, value]) => ({ name, value })),
        samples: t.samples,
      })),
    };
    const theirs = await serialize(writeRequest as never);
    expect(same(encodeWriteRequest(ours), theirs as unknown as Uint8Array)).toBe(true);
    // Snappy output is not canonical (the native and JS compressors choose different copies), so
    // compare what our compressed body decompresses to, with snappyjs as the independent reader.
    expect(
      same(snappyjs.uncompress(snappyCompress(encodeWriteRequest(ours))), encodeWriteRequest(ours)),
    ).toBe(true);
  });

  it('checks the declared length against the limit before allocating', () => {
    const huge = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    expect(() => snappyUncompress(huge, 10 << 20)).toThrow(RemoteWriteDecodeError);
    try {
      snappyUncompress(huge, 10 << 20);
    } catch (error) {
      expect((error as RemoteWriteDecodeError).tooLarge).toBe(true);
      expect((error as RemoteWriteDecodeError).message).toMatch(
        /declares 4294967295 uncompressed bytes, over the limit of 10485760/,
      );
    }
    const compressed = snappyCompress(repetitive);
    expect(() => snappyUncompress(compressed, repetitive.length - 1)).toThrow(/over the limit/);
  });

  it('refuses corrupt blocks', () => {
    const cases: [number[], RegExp][] = [
      [[], /truncated snappy length/],
      [[0x80], /truncated snappy length/],
      [[0xff, 0xff, 0xff, 0xff, 0xff, 0x01], /over 32 bits/],
      [[0x05, 0x10, 1, 2, 3], /literal past the end of the block/],
      [[0x02, 0x0c, 1, 2, 3, 4], /literal past the declared length/],
      [[0x05, 0x00, 1, 0x01, 0x02], /copy offset out of range/],
      [[0x08, 0x00, 1, 0x05, 0x00], /copy offset out of range/],
      [[0x05, 0x00, 1, 0x01], /truncated copy/],
      [[0x05, 0x00, 1, 0x06, 0x01], /truncated copy/],
      [[0x06, 0x00, 1, 0x0d, 0x01], /copy past the declared length/],
      [[0x06, 0x00, 1], /block holds 1 bytes, declares 6/],
      [[0x03, 0xf0], /truncated literal length/],
    ];
    for (const [bytes, reason] of cases) {
      expect(() => snappyUncompress(Uint8Array.from(bytes), 1 << 20), String(bytes)).toThrow(reason);
    }
  });

  it('never throws anything but RemoteWriteDecodeError, nor returns the wrong length, on random input', () => {
    const compressed = snappyCompress(repetitive);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 256 }),
          fc
            .array(fc.tuple(fc.nat(compressed.length - 1), fc.integer({ min: 0, max: 255 })), {
              minLength: 1,
              maxLength: 4,
            })
            .map((edits) => {
              const bytes = compressed.slice();
              for (const [at, value] of edits) bytes[at] = value;
              return bytes;
            }),
        ),
        (bytes) => {
          try {
            const out = snappyUncompress(bytes, 1 << 20);
            expect(out.length).toBe(snappyDeclaredLength(bytes));
          } catch (error) {
            if (!(error instanceof RemoteWriteDecodeError)) throw error;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

function seriesArbitrary(): fc.Arbitrary<WriteSeries> {
  const name = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/);
  const value = fc.oneof(fc.double(), fc.constant(STALE_NAN), fc.constant(NORMAL_NAN));
  const timestampMs = fc.oneof(
    fc.maxSafeInteger(),
    fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
  );
  const labelSet = fc
    .dictionary(name, fc.string({ minLength: 1, maxLength: 20, unit: 'binary' }), { maxKeys: 6 })
    .map(Labels.from);
  const sample = fc.record({ value, timestampMs });
  const exemplarArb: fc.Arbitrary<Exemplar> = fc
    .record({
      labels: labelSet,
      value: fc.double({ noNaN: true }),
      timestampMs: fc.option(fc.maxSafeInteger(), { nil: undefined }),
    })
    .map(({ timestampMs, ...rest }) => (timestampMs === undefined ? rest : { ...rest, timestampMs }));
  const spans = fc.array(
    fc.record({ offset: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), length: fc.nat() }),
    { maxLength: 3 },
  );
  const common = {
    sum: fc.double(),
    schema: fc.integer({ min: -53, max: 8 }),
    zeroThreshold: fc.double({ min: 0, noNaN: true }),
    negativeSpans: spans,
    positiveSpans: spans,
    resetHint: fc.constantFrom('unknown', 'yes', 'no', 'gauge') as fc.Arbitrary<NativeHistogram['resetHint']>,
  };
  const delta = fc.integer({ min: -(2 ** 52), max: 2 ** 52 });
  const integer: fc.Arbitrary<NativeHistogram> = fc.record({
    ...common,
    count: fc.integer({ min: 0, max: 2 ** 52 }),
    zeroCount: fc.integer({ min: 0, max: 2 ** 52 }),
    negativeDeltas: fc.array(delta, { maxLength: 4 }),
    positiveDeltas: fc.array(delta, { maxLength: 4 }),
  });
  const float: fc.Arbitrary<NativeHistogram> = fc.record({
    ...common,
    count: fc.double(),
    zeroCount: fc.double(),
    negativeCounts: fc.array(fc.double(), { maxLength: 4 }),
    positiveCounts: fc.array(fc.double(), { maxLength: 4 }),
  });
  return fc.record({
    labels: labelSet,
    samples: fc.array(sample, { maxLength: 5 }),
    exemplars: fc.array(exemplarArb, { maxLength: 2 }),
    histograms: fc.array(fc.record({ histogram: fc.oneof(integer, float), timestampMs }), { maxLength: 2 }),
  });
}

function metadataArbitrary(): fc.Arbitrary<MetricMetadata> {
  return fc
    .record({
      family: fc.stringMatching(/^[a-z_]{1,10}$/),
      type: fc.constantFrom(
        'counter',
        'gauge',
        'histogram',
        'gaugehistogram',
        'summary',
        'info',
        'stateset',
        'unknown',
      ) as fc.Arbitrary<MetricMetadata['type']>,
      help: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
      unit: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
    })
    .map(({ help, unit, ...rest }) => ({
      ...rest,
      ...(help === undefined ? {} : { help }),
      ...(unit === undefined ? {} : { unit }),
    }));
}

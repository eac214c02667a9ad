import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Labels } from '../../src/core/labels.js';
import type { MetricMetadata, MetricSample } from '../../src/core/signals.js';
import { isStaleMarker, STALE_NAN } from '../../src/core/stale-marker.js';
import {
  type ExpositionFamily,
  ExpositionWriter,
  encodeExpositionFamily,
  encodeExpositionText,
  encodeFamilyHeader,
  encodeSeriesName,
  expositionFamilyOf,
  expositionSampleOrder,
  formatExpositionValue,
  isValidLabelName,
  isValidMetricName,
  toExpositionFamilies,
  toExpositionType,
} from '../../src/protocols/exposition-text.js';

function sample(
  name: string,
  labels: Record<string, string>,
  value: number,
  metadata?: MetricMetadata,
): MetricSample {
  const base = { labels: Labels.from({ ...labels, __name__: name }), value, timestampMs: 1_700_000_000_123 };
  return metadata === undefined ? base : { ...base, metadata };
}

/** Reads a label value back as a 0.0.4 parser does. */
function unescapeLabelValue(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Parses a value back as a 0.0.4 parser does. */
function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

describe('encodeExpositionText', () => {
  it('writes HELP, TYPE and sample lines and ends with a newline', () => {
    const text = encodeExpositionText([
      {
        name: 'http_requests_total',
        type: 'counter',
        help: 'Requests served.',
        samples: [
          {
            labels: Labels.from({ __name__: 'http_requests_total', code: '200', method: 'get' }),
            value: 1027,
          },
          { labels: Labels.from({ __name__: 'http_requests_total', code: '400', method: 'post' }), value: 3 },
        ],
      },
      { name: 'up', type: 'gauge', samples: [{ labels: Labels.from({ __name__: 'up' }), value: 1 }] },
    ]);
    expect(text).toBe(
      [
        '# HELP http_requests_total Requests served.',
        '# TYPE http_requests_total counter',
        'http_requests_total{code="200",method="get"} 1027',
        'http_requests_total{code="400",method="post"} 3',
        '# TYPE up gauge',
        'up 1',
        '',
      ].join('\n'),
    );
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toMatch(/\n\n/);
  });

  it('returns an empty string for no families and leaves out families without lines', () => {
    expect(encodeExpositionText([])).toBe('');
    expect(encodeExpositionText([{ name: 'empty', type: 'gauge', help: 'x', samples: [] }])).toBe('');
    expect(encodeExpositionFamily({ name: 'empty', type: 'gauge', samples: [] })).toBe('');
  });

  it('escapes backslash and newline in HELP, but not double quotes', () => {
    expect(encodeFamilyHeader('m', 'gauge', 'a \\ b\nc "d"')).toBe(
      '# HELP m a \\\\ b\\nc "d"\n# TYPE m gauge\n',
    );
    expect(encodeFamilyHeader('m', 'gauge', 'plain')).toBe('# HELP m plain\n# TYPE m gauge\n');
    expect(encodeFamilyHeader('m', 'gauge')).toBe('# TYPE m gauge\n');
  });

  it('escapes backslash, double quote and newline in label values', () => {
    const labels = Labels.from({ __name__: 'm', path: 'C:\\dir\\"x"\nnext', plain: 'ok' });
    expect(encodeSeriesName(labels)).toBe('m{path="C:\\\\dir\\\\\\"x\\"\\nnext",plain="ok"}');
  });

  it('round-trips any label value through the escaping', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'grapheme' }), (value) => {
        const line = encodeSeriesName(Labels.from({ __name__: 'm', l: value }));
        const match = /^m\{l="((?:[^"\\\n]|\\[\\"n])*)"\}$/.exec(line);
        expect(match).not.toBeNull();
        expect(unescapeLabelValue(match?.[1] ?? '')).toBe(value);
      }),
    );
  });

  it('writes only labels other than __name__, and no braces without labels', () => {
    expect(encodeSeriesName(Labels.from({ __name__: 'up' }))).toBe('up');
    expect(encodeSeriesName(Labels.from({ __name__: 'up', job: 'a' }))).toBe('up{job="a"}');
    expect(encodeSeriesName(Labels.from({ job: 'a' }), 'fallback')).toBe('fallback{job="a"}');
  });

  it('uses the family name for samples without __name__', () => {
    const text = encodeExpositionText([
      { name: 'm', type: 'untyped', samples: [{ labels: Labels.from({ a: 'b' }), value: 2 }] },
    ]);
    expect(text).toBe('# TYPE m untyped\nm{a="b"} 2\n');
  });

  it('writes timestamps as integer milliseconds when given', () => {
    const text = encodeExpositionText([
      {
        name: 'm',
        type: 'gauge',
        samples: [
          { labels: Labels.from({ __name__: 'm', a: '1' }), value: 1, timestampMs: 1_700_000_000_123 },
          { labels: Labels.from({ __name__: 'm', a: '2' }), value: 2, timestampMs: 1_700_000_000_123.9 },
          { labels: Labels.from({ __name__: 'm', a: '3' }), value: 3 },
        ],
      },
    ]);
    expect(text.split('\n').slice(1, 4)).toEqual([
      'm{a="1"} 1 1700000000123',
      'm{a="2"} 2 1700000000123',
      'm{a="3"} 3',
    ]);
  });

  it('writes one block per family name, merging families that share a name', () => {
    const families: ExpositionFamily[] = [
      {
        name: 'a',
        type: 'gauge',
        help: 'A.',
        samples: [{ labels: Labels.from({ __name__: 'a', x: '1' }), value: 1 }],
      },
      {
        name: 'b',
        type: 'gauge',
        help: 'B.',
        samples: [{ labels: Labels.from({ __name__: 'b' }), value: 2 }],
      },
      {
        name: 'a',
        type: 'counter',
        help: 'ignored',
        samples: [{ labels: Labels.from({ __name__: 'a', x: '2' }), value: 3 }],
      },
    ];
    const text = encodeExpositionText(families);
    expect(text).toBe(
      '# HELP a A.\n# TYPE a gauge\na{x="1"} 1\na{x="2"} 3\n# HELP b B.\n# TYPE b gauge\nb 2\n',
    );
    expect(text.match(/# TYPE a /g)).toHaveLength(1);
  });

  it('maps OpenMetrics types to the five of the text format', () => {
    expect(toExpositionType('unknown')).toBe('untyped');
    expect(toExpositionType('info')).toBe('gauge');
    expect(toExpositionType('stateset')).toBe('gauge');
    expect(toExpositionType('gaugehistogram')).toBe('histogram');
    for (const type of ['counter', 'gauge', 'histogram', 'summary', 'untyped'] as const)
      expect(toExpositionType(type)).toBe(type);
    expect(encodeFamilyHeader('m', 'unknown')).toBe('# TYPE m untyped\n');
  });
});

describe('ExpositionWriter', () => {
  it('grows as needed and keeps multi-byte text intact', () => {
    const writer = new ExpositionWriter(64);
    let expected = '';
    for (let i = 0; i < 500; i++) {
      const name = encodeSeriesName(Labels.from({ __name__: 'm', city: `Zürich ✓ ${i}` }));
      writer.sample(name, i / 4, i % 2 === 0 ? 1000 + i : undefined);
      expected += `${name} ${i / 4}${i % 2 === 0 ? ` ${1000 + i}` : ''}\n`;
    }
    expect(writer.toString()).toBe(expected);
    expect(writer.byteLength).toBe(Buffer.byteLength(expected));
    expect(writer.toBuffer().equals(Buffer.from(expected))).toBe(true);
  });

  it('encodes a single family in the streaming form', () => {
    expect(
      encodeExpositionFamily({
        name: 'm',
        type: 'summary',
        help: 'H.',
        samples: [{ labels: Labels.from({ __name__: 'm_count' }), value: 3 }],
      }),
    ).toBe('# HELP m H.\n# TYPE m summary\nm_count 3\n');
  });
});

describe('formatExpositionValue', () => {
  it('writes NaN, +Inf and -Inf as the format spells them', () => {
    expect(formatExpositionValue(Number.NaN)).toBe('NaN');
    expect(formatExpositionValue(Number.POSITIVE_INFINITY)).toBe('+Inf');
    expect(formatExpositionValue(Number.NEGATIVE_INFINITY)).toBe('-Inf');
  });

  it('writes integers as plain digits and -0 as 0', () => {
    expect(formatExpositionValue(0)).toBe('0');
    expect(formatExpositionValue(-0)).toBe('0');
    expect(formatExpositionValue(42)).toBe('42');
    expect(formatExpositionValue(-7)).toBe('-7');
    expect(formatExpositionValue(1_234_567)).toBe('1234567');
    expect(formatExpositionValue(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991');
  });

  it("formats other values as Go's FormatFloat(v, 'g', -1, 64)", () => {
    const cases: [number, string][] = [
      [0.5, '0.5'],
      [123.456, '123.456'],
      [-0.25, '-0.25'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [0.000012345, '1.2345e-05'],
      [1e-7, '1e-07'],
      [999999.5, '999999.5'],
      [1234567.5, '1.2345675e+06'],
      [2 ** 53, '9.007199254740992e+15'],
      [1e21, '1e+21'],
      [1.5e300, '1.5e+300'],
      [-2.5e-10, '-2.5e-10'],
      [5e-324, '5e-324'],
      [Number.MAX_VALUE, '1.7976931348623157e+308'],
      [0.1 + 0.2, '0.30000000000000004'],
    ];
    for (const [value, text] of cases) expect(formatExpositionValue(value), String(value)).toBe(text);
  });

  it('round-trips every double, choosing the exponent form where Go does', () => {
    fc.assert(
      fc.property(fc.double(), (value) => {
        const text = formatExpositionValue(value);
        expect(
          Object.is(parseValue(text), value === 0 ? 0 : value) || (Number.isNaN(value) && text === 'NaN'),
        ).toBe(true);
        if (Number.isFinite(value) && !Number.isSafeInteger(value) && value !== 0) {
          const exponent = Math.floor(Math.log10(Math.abs(Number(text))));
          const shouldUseExponent = Math.abs(value) < 1e-4 || Math.abs(value) >= 1e6;
          expect(text.includes('e'), `${text} (exponent ${exponent})`).toBe(shouldUseExponent);
          if (shouldUseExponent) expect(text).toMatch(/^-?\d(\.\d+)?e[+-]\d{2,3}$/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('expositionFamilyOf', () => {
  const meta = (family: string, type: MetricMetadata['type']): MetricMetadata => ({
    family,
    type,
    help: 'h',
  });

  it('puts a series without metadata in an untyped family of its own', () => {
    expect(expositionFamilyOf('foo', undefined)).toEqual({ name: 'foo', type: 'untyped' });
  });

  it('groups histogram and summary series under the family name', () => {
    for (const name of ['rt_bucket', 'rt_sum', 'rt_count']) {
      expect(expositionFamilyOf(name, meta('rt', 'histogram'))).toEqual({ name: 'rt', type: 'histogram' });
      expect(expositionFamilyOf(name, meta('rt', 'gaugehistogram'))).toEqual({
        name: 'rt',
        type: 'histogram',
      });
    }
    for (const name of ['rpc', 'rpc_sum', 'rpc_count']) {
      expect(expositionFamilyOf(name, meta('rpc', 'summary'))).toEqual({ name: 'rpc', type: 'summary' });
    }
    expect(expositionFamilyOf('rt_gsum', meta('rt', 'gaugehistogram'))).toEqual({
      name: 'rt_gsum',
      type: 'gauge',
    });
    expect(expositionFamilyOf('rt_created', meta('rt', 'histogram'))).toEqual({
      name: 'rt_created',
      type: 'untyped',
    });
  });

  it('names a counter family as its samples are named', () => {
    expect(expositionFamilyOf('jobs_total', meta('jobs', 'counter'))).toEqual({
      name: 'jobs_total',
      type: 'counter',
    });
    expect(expositionFamilyOf('jobs_total', meta('jobs_total', 'counter'))).toEqual({
      name: 'jobs_total',
      type: 'counter',
    });
    expect(expositionFamilyOf('jobs', meta('jobs_total', 'counter'))).toEqual({
      name: 'jobs',
      type: 'counter',
    });
    expect(expositionFamilyOf('jobs', meta('jobs', 'counter'))).toEqual({ name: 'jobs', type: 'counter' });
    expect(expositionFamilyOf('jobs_created', meta('jobs', 'counter'))).toEqual({
      name: 'jobs_created',
      type: 'untyped',
    });
  });

  it('maps gauges, info, stateset and unknown', () => {
    expect(expositionFamilyOf('temp', meta('temp', 'gauge'))).toEqual({ name: 'temp', type: 'gauge' });
    expect(expositionFamilyOf('build_info', meta('build', 'info'))).toEqual({
      name: 'build_info',
      type: 'gauge',
    });
    expect(expositionFamilyOf('state', meta('state', 'stateset'))).toEqual({ name: 'state', type: 'gauge' });
    expect(expositionFamilyOf('thing', meta('thing', 'unknown'))).toEqual({ name: 'thing', type: 'untyped' });
  });
});

describe('toExpositionFamilies', () => {
  const histogram: MetricMetadata = { family: 'rt_seconds', type: 'histogram', help: 'Response time.' };
  const summary: MetricMetadata = { family: 'rpc_seconds', type: 'summary', help: 'RPC time.' };

  it('groups a histogram family into one block, buckets in increasing le, then _sum and _count', () => {
    const samples = [
      sample('rt_seconds_count', { path: '/b' }, 4, histogram),
      sample('rt_seconds_bucket', { path: '/a', le: '+Inf' }, 3, histogram),
      sample('rt_seconds_sum', { path: '/a' }, 1.5, histogram),
      sample('up', {}, 1),
      sample('rt_seconds_bucket', { path: '/a', le: '0.5' }, 2, histogram),
      sample('rt_seconds_bucket', { path: '/b', le: '+Inf' }, 4, histogram),
      sample('rt_seconds_bucket', { path: '/a', le: '0.05' }, 1, histogram),
      sample('rt_seconds_count', { path: '/a' }, 3, histogram),
      sample('rt_seconds_sum', { path: '/b' }, 2, histogram),
      sample('rt_seconds_bucket', { path: '/a', le: '10' }, 3, histogram),
    ];
    expect(encodeExpositionText(toExpositionFamilies(samples))).toBe(
      [
        '# HELP rt_seconds Response time.',
        '# TYPE rt_seconds histogram',
        'rt_seconds_bucket{le="0.05",path="/a"} 1',
        'rt_seconds_bucket{le="0.5",path="/a"} 2',
        'rt_seconds_bucket{le="10",path="/a"} 3',
        'rt_seconds_bucket{le="+Inf",path="/a"} 3',
        'rt_seconds_sum{path="/a"} 1.5',
        'rt_seconds_count{path="/a"} 3',
        'rt_seconds_bucket{le="+Inf",path="/b"} 4',
        'rt_seconds_sum{path="/b"} 2',
        'rt_seconds_count{path="/b"} 4',
        '# TYPE up untyped',
        'up 1',
        '',
      ].join('\n'),
    );
  });

  it('groups a summary family into one block, quantiles in increasing order', () => {
    const samples = [
      sample('rpc_seconds_sum', {}, 17.5, summary),
      sample('rpc_seconds', { quantile: '0.99' }, 0.9, summary),
      sample('rpc_seconds_count', {}, 30, summary),
      sample('rpc_seconds', { quantile: '0.5' }, 0.25, summary),
      sample('rpc_seconds', { quantile: '0.9' }, Number.NaN, summary),
    ];
    expect(encodeExpositionText(toExpositionFamilies(samples))).toBe(
      [
        '# HELP rpc_seconds RPC time.',
        '# TYPE rpc_seconds summary',
        'rpc_seconds{quantile="0.5"} 0.25',
        'rpc_seconds{quantile="0.9"} NaN',
        'rpc_seconds{quantile="0.99"} 0.9',
        'rpc_seconds_sum 17.5',
        'rpc_seconds_count 30',
        '',
      ].join('\n'),
    );
  });

  it('keeps the last sample of a series, leaves out staleness markers and native histograms', () => {
    const gauge: MetricMetadata = { family: 'temp_celsius', type: 'gauge', help: 'Temperature.' };
    const native: MetricSample = {
      ...sample('native_seconds', {}, 0),
      histogram: {
        count: 1,
        sum: 1,
        schema: 0,
        zeroThreshold: 0,
        zeroCount: 0,
        negativeSpans: [],
        positiveSpans: [],
        resetHint: 'unknown',
      },
    };
    const families = toExpositionFamilies([
      sample('temp_celsius', { room: 'a' }, 20, gauge),
      sample('temp_celsius', { room: 'a' }, 21, gauge),
      sample('temp_celsius', { room: 'b' }, STALE_NAN, gauge),
      native,
    ]);
    expect(encodeExpositionText(families)).toBe(
      '# HELP temp_celsius Temperature.\n# TYPE temp_celsius gauge\ntemp_celsius{room="a"} 21\n',
    );
    expect(
      encodeExpositionText(toExpositionFamilies([sample('t', {}, 1)], { includeTimestamps: true })),
    ).toBe('# TYPE t untyped\nt 1 1700000000123\n');
  });

  it('exposes an OpenMetrics counter family under its _total name', () => {
    const counter: MetricMetadata = { family: 'jobs', type: 'counter', help: 'Jobs run.' };
    expect(encodeExpositionText(toExpositionFamilies([sample('jobs_total', {}, 5, counter)]))).toBe(
      '# HELP jobs_total Jobs run.\n# TYPE jobs_total counter\njobs_total 5\n',
    );
  });
});

describe('helpers', () => {
  it('orders samples without __name__, le or quantile by their labels first', () => {
    const order = expositionSampleOrder('m');
    const a = { labels: Labels.from({ __name__: 'm_count', x: 'a' }), value: 0 };
    const b = { labels: Labels.from({ __name__: 'm_bucket', le: '1', x: 'b' }), value: 0 };
    expect(order(a, b)).toBeLessThan(0);
    expect(order(b, a)).toBeGreaterThan(0);
    expect(order(a, a)).toBe(0);
  });

  it('checks names and staleness markers', () => {
    expect(isValidMetricName('http:requests_total')).toBe(true);
    expect(isValidMetricName('1abc')).toBe(false);
    expect(isValidMetricName('a.b')).toBe(false);
    expect(isValidMetricName('')).toBe(false);
    expect(isValidLabelName('le')).toBe(true);
    expect(isValidLabelName('a:b')).toBe(false);
    expect(isStaleMarker(STALE_NAN)).toBe(true);
    expect(isStaleMarker(Number.NaN)).toBe(false);
    expect(isStaleMarker(1)).toBe(false);
  });
});

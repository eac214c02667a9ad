import { Counter, Gauge, Histogram, Registry, type RegistryContentType, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RivuletError, SourceError } from '../../src/core/errors.js';
import { Labels } from '../../src/core/labels.js';
import type { Exemplar, MetricMetadata } from '../../src/core/signals.js';
import { type ExpositionFamily, encodeExpositionText } from '../../src/protocols/exposition-text.js';
import {
  type PromTextFormat,
  PromTextParseError,
  parsePromText,
  parsePromTextToSamples,
  parseSeriesLabels,
  promTextFormat,
} from '../../src/protocols/prom-text/index.js';

interface Seen {
  readonly series: string;
  readonly labels: Record<string, string>;
  readonly value: number;
  readonly timestampMs: number | undefined;
  readonly exemplar: Exemplar | undefined;
  readonly metadata: MetricMetadata | undefined;
}

function collect(body: string, format: PromTextFormat): Seen[] {
  const seen: Seen[] = [];
  parsePromText(body, format, {
    sample(series, value, timestampMs, exemplar, metadata) {
      seen.push({
        series,
        labels: parseSeriesLabels(series).toRecord(),
        value,
        timestampMs,
        exemplar,
        metadata,
      });
    },
  });
  return seen;
}

/** The samples as `[series, value, timestampMs?]`. */
function lines(body: string, format: PromTextFormat): [string, number, number?][] {
  return collect(body, format).map((s) =>
    s.timestampMs === undefined ? [s.series, s.value] : [s.series, s.value, s.timestampMs],
  );
}

function errorOf(body: string, format: PromTextFormat): [number, number, string] {
  try {
    parsePromText(body, format, { sample() {} });
  } catch (error) {
    if (!(error instanceof PromTextParseError)) throw error;
    return [error.line, error.column, error.reason];
  }
  throw new Error(`parsed without an error: ${JSON.stringify(body)}`);
}

const SPECIAL_VALUES: [string, number][] = [
  ['NaN', Number.NaN],
  ['nan', Number.NaN],
  ['NAN', Number.NaN],
  ['+Inf', Number.POSITIVE_INFINITY],
  ['-Inf', Number.NEGATIVE_INFINITY],
  ['Inf', Number.POSITIVE_INFINITY],
  ['inf', Number.POSITIVE_INFINITY],
  ['+inf', Number.POSITIVE_INFINITY],
  ['-INF', Number.NEGATIVE_INFINITY],
  ['infinity', Number.POSITIVE_INFINITY],
  ['+Infinity', Number.POSITIVE_INFINITY],
  ['-INFINITY', Number.NEGATIVE_INFINITY],
  ['0', 0],
  ['-0', -0],
  ['1', 1],
  ['-1', -1],
  ['+5', 5],
  ['00012', 12],
  ['0.1', 0.1],
  ['12345.678', 12345.678],
  ['.5', 0.5],
  ['5.', 5],
  ['-.5', -0.5],
  ['1e3', 1000],
  ['1E3', 1000],
  ['1.5e+06', 1.5e6],
  ['-1.5e-3', -0.0015],
  ['1.e2', 100],
  ['1e-400', 0],
  ['1.7976931348623157e308', 1.7976931348623157e308],
  ['5e-324', 5e-324],
  ['123456789012345678', 123456789012345680],
  ['0.30000000000000004', 0.30000000000000004],
  ['9007199254740993', 9007199254740992],
];

const BAD_VALUES = [
  '1x',
  '0x10',
  '0x1p3',
  '1_000',
  '1p5',
  '1e400',
  '-1e400',
  '+nan',
  '-NaN',
  'infin',
  'infinit',
  'Infinityy',
  '.',
  '-',
  '+',
  'e5',
  '1e',
  '1e+',
  '1..2',
  '1.2.3',
  '--1',
  '1\r',
];

describe('parsePromText, text format 0.0.4', () => {
  it.each([
    ['one sample', 'up 1\n', [['up', 1]]],
    ['no final line break', 'up 1', [['up', 1]]],
    ['an empty body', '', []],
    ['blank lines and lines of blanks', '\n\n  \t\nup 1\n\n', [['up', 1]]],
    ['labels', 'a{b="c",d="e"} 2\n', [['a{b="c",d="e"}', 2]]],
    ['a timestamp', 'a 1 1700000000123\n', [['a', 1, 1700000000123]]],
    ['a zero timestamp', 'a 1 0\n', [['a', 1, 0]]],
    ['a timestamp with leading zeros', 'a 1 000123\n', [['a', 1, 123]]],
    ['the largest timestamp', 'a 1 9223372036854775807\n', [['a', 1, 2 ** 63]]],
    [
      'blanks everywhere but before the name',
      'a  {  b = "c" , d="e" , }   3   123  \n',
      [['a  {  b = "c" , d="e" , }', 3, 123]],
    ],
    ['tabs', 'a\t{b="c"}\t3\t4\t\n', [['a\t{b="c"}', 3, 4]]],
    ['labels without commas', 'a{b="1"c="2"} 1\n', [['a{b="1"c="2"}', 1]]],
    ['a trailing comma', 'a{b="1",} 1\n', [['a{b="1",}', 1]]],
    ['empty braces', 'a{} 1\n', [['a{}', 1]]],
    ['a value right after the braces', 'a{b="1"}2\n', [['a{b="1"}', 2]]],
    ['a signed value right after the name', 'a+1\n', [['a', 1]]],
    ['colons in names', 'a:b:c_d 1\n', [['a:b:c_d', 1]]],
    ['comments', '# a comment\n#another\n# HELP\n# HELPER x\n#\nup 1\n# trailing', [['up', 1]]],
    ['a comment after blanks', '   # comment { "\nup 1\n', [['up', 1]]],
    ['a raw line break in a label value', 'a{b="x\ny"} 1\n', [['a{b="x\ny"}', 1]]],
  ] as [string, string, [string, number, number?][]][])('%s', (_, body, expected) => {
    expect(lines(body, 'text')).toEqual(expected);
  });

  it.each(SPECIAL_VALUES)('reads the value %s', (text, value) => {
    const [sample] = collect(`a ${text}\n`, 'text');
    expect(sample?.value).toBe(value);
  });

  it.each(BAD_VALUES)('rejects the value %j', (text) => {
    expect(errorOf(`a ${text}\n`, 'text')).toEqual([1, 3, `invalid value ${JSON.stringify(text)}`]);
  });

  it('unescapes label values as Prometheus does', () => {
    const [sample] = collect('a{b="x\\\\y\\"z\\nw",c="\\t\\q",d="ünï😀"} 1\n', 'text');
    expect(sample?.labels).toEqual({ __name__: 'a', b: 'x\\y"z\nw', c: '\\t\\q', d: 'ünï😀' });
  });

  it('accepts a repeated label name when a value is empty, as Prometheus does', () => {
    expect(
      collect('a{b="",b="2"} 1\nc{d="1",d=""} 2\ne{f="",f=""} 3\n', 'text').map((s) => s.labels),
    ).toEqual([{ __name__: 'a', b: '2' }, { __name__: 'c', d: '1' }, { __name__: 'e' }]);
  });

  it('sorts labels and leaves out empty values', () => {
    const [sample] = collect('a{z="1",b="",_c="2",B="3"} 1\n', 'text');
    expect(Object.entries(sample?.labels ?? {})).toEqual([
      ['B', '3'],
      ['__name__', 'a'],
      ['_c', '2'],
      ['z', '1'],
    ]);
  });

  it('reads HELP and TYPE into metadata shared by the family', () => {
    const body = [
      '# HELP http_requests_total Requests, by "code".\\nSecond line \\\\ \\"',
      '# TYPE http_requests_total counter',
      'http_requests_total{code="200"} 5',
      'http_requests_total{code="500"} 1',
      '# TYPE temperature gauge',
      'temperature 21.5',
      '# HELP latency_seconds Latency.',
      '# TYPE latency_seconds histogram',
      'latency_seconds_bucket{le="0.1"} 1',
      'latency_seconds_bucket{le="+Inf"} 2',
      'latency_seconds_sum 0.3',
      'latency_seconds_count 2',
      'latency_seconds 7',
      '#\tTYPE\trpc\tsummary',
      'rpc{quantile="0.5"} 1',
      'rpc_sum 3',
      'rpc_count 4',
      '# TYPE free untyped',
      'free 1',
      'other 2',
      '',
    ].join('\n');
    const seen = collect(body, 'text');
    const requests = {
      family: 'http_requests_total',
      type: 'counter',
      help: 'Requests, by "code".\nSecond line \\ \\"',
    };
    const latency = { family: 'latency_seconds', type: 'histogram', help: 'Latency.' };
    const rpc = { family: 'rpc', type: 'summary' };
    expect(seen.map((s) => s.metadata)).toEqual([
      requests,
      requests,
      { family: 'temperature', type: 'gauge' },
      latency,
      latency,
      latency,
      latency,
      undefined,
      rpc,
      rpc,
      rpc,
      { family: 'free', type: 'unknown' },
      undefined,
    ]);
    expect(seen[0]?.metadata).toBe(seen[1]?.metadata);
    expect(seen[3]?.metadata).toBe(seen[6]?.metadata);
  });

  it('maps a counter family with or without _total', () => {
    const seen = collect('# TYPE foo counter\nfoo_total 1\nfoo 2\nfoo_created 3\n', 'text');
    expect(seen.map((s) => s.metadata?.family)).toEqual(['foo', 'foo', undefined]);
  });

  it('finds a family described earlier in the body', () => {
    const seen = collect('# TYPE a gauge\n# TYPE b counter\na 1\nb 2\n', 'text');
    expect(seen.map((s) => s.metadata)).toEqual([
      { family: 'a', type: 'gauge' },
      { family: 'b', type: 'counter' },
    ]);
  });

  it('reads HELP text as Prometheus does', () => {
    const helpOf = (line: string): string | undefined =>
      collect(`${line}\nfoo 1\n`, 'text')[0]?.metadata?.help;
    expect(helpOf('# HELP foo plain text')).toBe('plain text');
    expect(helpOf('# HELP foo   two leading blanks kept')).toBe('  two leading blanks kept');
    expect(helpOf('# HELP foo trailing  ')).toBe('trailing  ');
    expect(helpOf('# HELP foo')).toBeUndefined();
    expect(helpOf('# HELP foo    ')).toBeUndefined();
    expect(helpOf('#   HELP\t\tfoo\tx')).toBe('x');
    expect(helpOf('# HELP foo a\\tb')).toBe('a\\tb');
  });

  it.each([
    ['up{job "x"} 1\n', 1, 8, `expected '=' after label name "job"`],
    ['a 1\nb 2\nc{x="1" y} 3\n', 3, 10, `expected '=' after label name "y"`],
    ['  a 1\n', 1, 1, 'a sample line must not start with blanks'],
    ['a 1\n\tb 2\n', 2, 1, 'a sample line must not start with blanks'],
    ['{a="b"} 1\n', 1, 1, "expected a metric name, '#' or a line break"],
    ['1a 1\n', 1, 1, "expected a metric name, '#' or a line break"],
    ['\0a 1\n', 1, 1, "expected a metric name, '#' or a line break"],
    ['a\n', 1, 2, 'expected a value after the series'],
    ['a', 1, 2, 'expected a value after the series'],
    ['a  \n', 1, 4, 'expected a value after the series'],
    ['a{b="c"}\n', 1, 9, 'expected a value after the series'],
    ['a{b="1"} {c="2"} 1\n', 1, 10, 'expected a value after the series'],
    ['a{,b="c"} 1\n', 1, 3, "expected a label name or '}'"],
    ['a{b="c",,} 1\n', 1, 9, "expected a label name or '}'"],
    ['a{1="x"} 1\n', 1, 3, "expected a label name or '}'"],
    ['a{b="c"', 1, 8, "expected a label name or '}'"],
    ['a{b=c} 1\n', 1, 5, 'expected \'"\' to start the value of label "b"'],
    ['a{b=} 1\n', 1, 5, 'expected \'"\' to start the value of label "b"'],
    ['a{b} 1\n', 1, 4, `expected '=' after label name "b"`],
    ['a{b="c} 1\nd 2\n', 1, 5, 'unterminated label value (no closing quote)'],
    ['a{b="c\\\nd"} 1\n', 1, 7, 'a backslash in a label value must escape a character'],
    ['a{b="1",b="2"} 1\n', 1, 9, 'duplicate label name "b"'],
    [
      'a{__name__=""} 1\n',
      1,
      3,
      'duplicate label name "__name__" (the metric name is given before the braces)',
    ],
    [
      'a{__name__="x"} 1\n',
      1,
      3,
      'duplicate label name "__name__" (the metric name is given before the braces)',
    ],
    ['a{b="😀😀",b="x"} 1\n', 1, 10, 'duplicate label name "b"'],
    ['a{b="\ud800"} 1\n', 1, 6, 'label value is not valid UTF-8 (unpaired surrogate)'],
    ['a{b="\udc00x"} 1\n', 1, 6, 'label value is not valid UTF-8 (unpaired surrogate)'],
    ['a 1 -5\n', 1, 5, 'expected a timestamp or a line break after the value'],
    ['a 1 1.5\n', 1, 6, 'expected a line break after the timestamp'],
    ['a 1 123 456\n', 1, 9, 'expected a line break after the timestamp'],
    ['a 1 12a\n', 1, 7, 'expected a line break after the timestamp'],
    ['a 1 9223372036854775808\n', 1, 5, 'timestamp out of range "9223372036854775808"'],
    ['a 1 99999999999999999999\n', 1, 5, 'timestamp out of range "99999999999999999999"'],
    ['a 1 {\n', 1, 5, 'expected a timestamp or a line break after the value'],
    ['# TYPE a foo\n', 1, 10, 'invalid metric type "foo"'],
    ['# TYPE a counter \n', 1, 10, 'invalid metric type "counter "'],
    ['# TYPE a  counter\n', 1, 10, 'invalid metric type " counter"'],
    ['# TYPE a\n', 1, 9, 'invalid metric type ""'],
    ['# TYPE a gaugehistogram\n', 1, 10, 'invalid metric type "gaugehistogram"'],
    ['# TYPE a unknown\n', 1, 10, 'invalid metric type "unknown"'],
    ['# HELP 1a x\n', 1, 8, "expected a metric name after '# HELP'"],
    ['# HELP \n', 1, 8, "expected a metric name after '# HELP'"],
    ['# TYPE {a} gauge\n', 1, 8, "expected a metric name after '# TYPE'"],
    ['# HELP a \ud800\n', 1, 10, 'help text is not valid UTF-8 (unpaired surrogate)'],
  ])('rejects %j at line %i, column %i: %s', (body, line, column, reason) => {
    expect(errorOf(body, 'text')).toEqual([line, column, reason]);
  });
});

describe('parsePromText, OpenMetrics 1.0', () => {
  it.each([
    ['only # EOF', '# EOF', []],
    ['# EOF and a line break', '# EOF\n', []],
    ['one sample', 'a 1\n# EOF\n', [['a', 1]]],
    ['labels', 'a{b="c",d="e"} 2\n# EOF', [['a{b="c",d="e"}', 2]]],
    ['empty braces', 'a{} 1\n# EOF', [['a{}', 1]]],
    ['a timestamp in seconds', 'a 1 1520879607.789\n# EOF', [['a', 1, 1520879607789]]],
    ['a whole timestamp', 'a 1 1520879607\n# EOF', [['a', 1, 1520879607000]]],
    ['a negative timestamp', 'a 1 -1.5\n# EOF', [['a', 1, -1500]]],
    ['an exponent timestamp', 'a 1 1e3\n# EOF', [['a', 1, 1000000]]],
    ['a timestamp truncated to the millisecond', 'a 1 0.0019\n# EOF', [['a', 1, 1]]],
    ['a negative timestamp truncated to zero', 'a 1 -0.0001\n# EOF', [['a', 1, 0]]],
    ['a non-canonical integer value', 'a 17\n# EOF', [['a', 17]]],
  ] as [string, string, [string, number, number?][]][])('%s', (_, body, expected) => {
    expect(lines(body, 'openmetrics')).toEqual(expected);
  });

  it.each(SPECIAL_VALUES)('reads the value %s', (text, value) => {
    const [sample] = collect(`a ${text}\n# EOF\n`, 'openmetrics');
    expect(sample?.value).toBe(value);
  });

  it.each(BAD_VALUES)('rejects the value %j', (text) => {
    expect(errorOf(`a ${text}\n# EOF\n`, 'openmetrics')).toEqual([
      1,
      3,
      `invalid value ${JSON.stringify(text)}`,
    ]);
  });

  it('reads every metric type with its samples, units and _created', () => {
    const body = [
      '# TYPE requests counter',
      '# HELP requests Requests with "quotes" \\" and \\\\ and\\nlines.',
      'requests_total{code="200"} 5 # {trace_id="abc"} 1 1520879607.7',
      'requests_created{code="200"} 1520879600',
      '# TYPE duration_seconds histogram',
      '# UNIT duration_seconds seconds',
      '# HELP duration_seconds Duration.',
      'duration_seconds_bucket{le="0.1"} 1 # {trace_id="x\\"y"} 0.05',
      'duration_seconds_bucket{le="+Inf"} 2',
      'duration_seconds_count 2',
      'duration_seconds_sum 0.3',
      'duration_seconds_created 1520879600',
      '# TYPE queue gaugehistogram',
      'queue_bucket{le="+Inf"} 3 # {} 2',
      'queue_gcount 3',
      'queue_gsum 4',
      '# TYPE rpc summary',
      'rpc{quantile="0.5"} 1',
      'rpc_sum 3',
      'rpc_count 4',
      'rpc_created 5',
      '# TYPE build info',
      'build_info{version="1.0"} 1',
      '# TYPE state stateset',
      'state{state="a"} 1',
      'state{state="b"} 0',
      '# TYPE temperature_celsius gauge',
      '# UNIT temperature_celsius celsius',
      'temperature_celsius 21.5',
      '# TYPE thing unknown',
      '# UNIT thing ',
      '# HELP thing ',
      'thing 1',
      'stranger 2',
      '# EOF',
      '',
    ].join('\n');
    const seen = collect(body, 'openmetrics');
    const requests = {
      family: 'requests',
      type: 'counter',
      help: 'Requests with "quotes" " and \\ and\nlines.',
    };
    const duration = { family: 'duration_seconds', type: 'histogram', unit: 'seconds', help: 'Duration.' };
    const queue = { family: 'queue', type: 'gaugehistogram' };
    const rpc = { family: 'rpc', type: 'summary' };
    expect(seen.map((s) => [s.labels.__name__, s.metadata])).toEqual([
      ['requests_total', requests],
      ['requests_created', requests],
      ['duration_seconds_bucket', duration],
      ['duration_seconds_bucket', duration],
      ['duration_seconds_count', duration],
      ['duration_seconds_sum', duration],
      ['duration_seconds_created', duration],
      ['queue_bucket', queue],
      ['queue_gcount', queue],
      ['queue_gsum', queue],
      ['rpc', rpc],
      ['rpc_sum', rpc],
      ['rpc_count', rpc],
      ['rpc_created', rpc],
      ['build_info', { family: 'build', type: 'info' }],
      ['state', { family: 'state', type: 'stateset' }],
      ['state', { family: 'state', type: 'stateset' }],
      ['temperature_celsius', { family: 'temperature_celsius', type: 'gauge', unit: 'celsius' }],
      ['thing', { family: 'thing', type: 'unknown' }],
      ['stranger', undefined],
    ]);
    expect(seen[0]?.exemplar).toEqual({
      labels: Labels.from({ trace_id: 'abc' }),
      value: 1,
      timestampMs: 1520879607700,
    });
    expect(seen[2]?.exemplar).toEqual({ labels: Labels.from({ trace_id: 'x"y' }), value: 0.05 });
    expect(seen[7]?.exemplar).toEqual({ labels: Labels.EMPTY, value: 2 });
    expect(seen[1]?.exemplar).toBeUndefined();
    expect(seen[0]?.metadata).toBe(seen[1]?.metadata);
  });

  it('accepts what Prometheus accepts in exemplars: repeated names (the last wins), __name__, empty values', () => {
    const [sample] = collect('a_total 1 # {t="x",t="y",__name__="n",e=""} 1\n# EOF\n', 'openmetrics');
    expect(sample?.exemplar?.labels.toRecord()).toEqual({ t: 'y', __name__: 'n' });
  });

  it('reads a sample timestamp and an exemplar on one line', () => {
    const [sample] = collect('a_total 1 1520879607.789 # {a="b"} 2 1520879607.7\n# EOF\n', 'openmetrics');
    expect(sample?.timestampMs).toBe(1520879607789);
    expect(sample?.exemplar).toEqual({
      labels: Labels.from({ a: 'b' }),
      value: 2,
      timestampMs: 1520879607700,
    });
  });

  it.each([
    ['a 1\n', 2, 1, "missing '# EOF' at the end of the body"],
    ['', 1, 1, "missing '# EOF' at the end of the body"],
    ['a 1', 1, 4, "missing '# EOF' at the end of the body"],
    ['a', 1, 2, "missing '# EOF' at the end of the body"],
    ['# TYPE a gauge', 1, 15, "missing '# EOF' at the end of the body"],
    ['# TYPE a', 1, 9, "missing '# EOF' at the end of the body"],
    ['# EOF\na 1\n', 2, 1, "unexpected data after '# EOF'"],
    ['# EOF\n\n', 2, 1, "unexpected data after '# EOF'"],
    ['# EOF ', 1, 6, "unexpected data after '# EOF'"],
    ['# EOFX\n', 1, 6, "unexpected data after '# EOF'"],
    ['a 1\n\n# EOF\n', 2, 1, 'blank lines are not allowed in OpenMetrics'],
    [' a 1\n# EOF\n', 1, 1, "expected a metric name or '#'"],
    ['{a="b"} 1\n# EOF\n', 1, 1, "expected a metric name or '#'"],
    ['# comment\n# EOF\n', 1, 3, "expected 'HELP ', 'TYPE ', 'UNIT ' or 'EOF' after '# '"],
    [
      '#HELP a x\n# EOF\n',
      1,
      2,
      "expected ' ' after '#' (OpenMetrics allows only # HELP, # TYPE, # UNIT and # EOF)",
    ],
    ['# HELP a\n# EOF\n', 1, 9, "expected ' ' after the metric name in '# HELP'"],
    ['# HELP a-b x\n# EOF\n', 1, 9, "expected ' ' after the metric name in '# HELP'"],
    ['# HELP  a x\n# EOF\n', 1, 8, "expected a metric name after '# HELP '"],
    ['# TYPE a untyped\n# EOF\n', 1, 10, 'invalid metric type "untyped"'],
    ['# TYPE a gauge \n# EOF\n', 1, 10, 'invalid metric type "gauge "'],
    ['# UNIT foo_bytes seconds\n# EOF\n', 1, 18, 'unit "seconds" is not a suffix of metric name "foo_bytes"'],
    ['# UNIT seconds seconds\n# EOF\n', 1, 16, 'unit "seconds" is not a suffix of metric name "seconds"'],
    ['# UNIT xseconds seconds\n# EOF\n', 1, 17, 'unit "seconds" is not a suffix of metric name "xseconds"'],
    ['# HELP a \ud800\n# EOF\n', 1, 10, 'help text is not valid UTF-8 (unpaired surrogate)'],
    ['a  1\n# EOF\n', 1, 3, 'expected a value after the series'],
    ['a\t1\n# EOF\n', 1, 2, "expected ' ' and a value after the series"],
    ['a{b="1"}1\n# EOF\n', 1, 9, "expected ' ' and a value after the series"],
    ['a {b="1"} 1\n# EOF\n', 1, 3, 'invalid value "{b=\\"1\\"}"'],
    ['a{b="1",} 1\n# EOF\n', 1, 9, "expected a label name after ','"],
    ['a{,} 1\n# EOF\n', 1, 3, "expected a label name or '}'"],
    ['a{ b="1"} 1\n# EOF\n', 1, 3, "expected a label name or '}'"],
    ['a{b="1" ,c="2"} 1\n# EOF\n', 1, 8, "expected ',' or '}' after a label value"],
    ['a{b="1"c="2"} 1\n# EOF\n', 1, 8, "expected ',' or '}' after a label value"],
    ['a{b = "1"} 1\n# EOF\n', 1, 4, `expected '=' after label name "b"`],
    ['a{b= "1"} 1\n# EOF\n', 1, 5, 'expected \'"\' to start the value of label "b"'],
    ['a{b="x\ny"} 1\n# EOF\n', 1, 7, 'unterminated label value (line break before the closing quote)'],
    ['a{b="1",b="2"} 1\n# EOF\n', 1, 9, 'duplicate label name "b"'],
    [
      'a{__name__="a"} 1\n# EOF\n',
      1,
      3,
      'duplicate label name "__name__" (the metric name is given before the braces)',
    ],
    ['a 1 \n# EOF\n', 1, 5, 'expected a timestamp or an exemplar after the value'],
    ['a 1 2 3\n# EOF\n', 1, 7, "expected '# {' to start an exemplar"],
    ['a 1 2 \n# EOF\n', 1, 7, "expected '# {' to start an exemplar"],
    ['a 1 NaN\n# EOF\n', 1, 5, 'invalid timestamp "NaN"'],
    ['a 1 +Inf\n# EOF\n', 1, 5, 'invalid timestamp "+Inf"'],
    ['a 1 x\n# EOF\n', 1, 5, 'invalid timestamp "x"'],
    ['a 1 #\n# EOF\n', 1, 5, 'invalid timestamp "#"'],
    ['a 1\r\n# EOF\n', 1, 3, 'invalid value "1\\r"'],
    ['a_total 1 # {b="c"}\n# EOF\n', 1, 20, "expected ' ' and a value after the exemplar's labels"],
    ['a_total 1 # {b="c"} \n# EOF\n', 1, 21, "expected the exemplar's value"],
    ['a_total 1 # {b="c"} x\n# EOF\n', 1, 21, 'invalid exemplar value "x"'],
    ['a_total 1 # {b="c"} 1 x\n# EOF\n', 1, 23, 'invalid exemplar timestamp "x"'],
    ['a_total 1 # {b="c"} 1 Inf\n# EOF\n', 1, 23, 'invalid exemplar timestamp "Inf"'],
    ['a_total 1 # {b="c"} 1 \n# EOF\n', 1, 23, "expected the exemplar's timestamp"],
    ['a_total 1 # {b="c"} 1 2 3\n# EOF\n', 1, 24, 'expected a line break'],
    [
      'a_count 1 # {b="c"} 1\n# EOF\n',
      1,
      11,
      'metric name "a_count" does not support exemplars (only _total and _bucket samples do)',
    ],
    [
      'a 1 # {} 1\n# EOF\n',
      1,
      5,
      'metric name "a" does not support exemplars (only _total and _bucket samples do)',
    ],
    [
      'a_totalx 1 # {} 1\n# EOF\n',
      1,
      12,
      'metric name "a_totalx" does not support exemplars (only _total and _bucket samples do)',
    ],
    ['a_total 1 # {b=c} 1\n# EOF\n', 1, 16, 'expected \'"\' to start the value of label "b"'],
    ['a_total 1 # {b="c"} 1', 1, 22, "missing '# EOF' at the end of the body"],
  ])('rejects %j at line %i, column %i: %s', (body, line, column, reason) => {
    expect(errorOf(body, 'openmetrics')).toEqual([line, column, reason]);
  });
});

describe('PromTextParseError', () => {
  it('is a source error with line, column, offset and reason', () => {
    let caught: unknown;
    try {
      parsePromText('a 1\nb 2\nc{x="1" y} 3\n', 'text', { sample() {} });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PromTextParseError);
    expect(caught).toBeInstanceOf(SourceError);
    expect(caught).toBeInstanceOf(RivuletError);
    const error = caught as PromTextParseError;
    expect(error.code).toBe('source');
    expect(error.name).toBe('PromTextParseError');
    expect(error.message).toBe(`line 3, column 10: expected '=' after label name "y"`);
    expect([error.line, error.column, error.offset, error.reason]).toEqual([
      3,
      10,
      17,
      `expected '=' after label name "y"`,
    ]);
  });

  it('has handed the samples before the error to the visitor', () => {
    const seen: string[] = [];
    expect(() =>
      parsePromText('a 1\nb 2\nc{\n', 'text', {
        sample(series) {
          seen.push(series);
        },
      }),
    ).toThrow(PromTextParseError);
    expect(seen).toEqual(['a', 'b']);
  });

  it('passes on what the visitor throws', () => {
    const thrown = new RangeError('from the visitor');
    expect(() =>
      parsePromText('a 1\n', 'text', {
        sample() {
          throw thrown;
        },
      }),
    ).toThrow(thrown);
  });
});

describe('parseSeriesLabels', () => {
  it.each([
    ['up', { __name__: 'up' }],
    ['up{}', { __name__: 'up' }],
    ['a{b="1",c="x\\"y"}', { __name__: 'a', b: '1', c: 'x"y' }],
    ['a {  b = "1" c="2", }', { __name__: 'a', b: '1', c: '2' }],
    ['a{b=""}', { __name__: 'a' }],
  ])('parses %j', (series, record) => {
    expect(parseSeriesLabels(series).toRecord()).toEqual(record);
  });

  it('gives labels equal to Labels.from', () => {
    const labels = parseSeriesLabels('node_cpu_seconds_total{mode="idle",cpu="0"}');
    expect(labels.equals(Labels.from({ __name__: 'node_cpu_seconds_total', cpu: '0', mode: 'idle' }))).toBe(
      true,
    );
    expect(labels.hash()).toBe(
      Labels.from({ __name__: 'node_cpu_seconds_total', cpu: '0', mode: 'idle' }).hash(),
    );
  });

  it.each([
    ['', 1, 1, 'expected a metric name'],
    ['{a="b"}', 1, 1, 'expected a metric name'],
    ['a b', 1, 3, "expected '{' or the end of the series"],
    ['a{b="1"} ', 1, 9, "expected the end of the series after '}'"],
    ['a{b="1"', 1, 8, "expected a label name or '}'"],
    ['a{b="1",b="2"}', 1, 9, 'duplicate label name "b"'],
  ])('rejects %j at line %i, column %i: %s', (series, line, column, reason) => {
    let caught: unknown;
    try {
      parseSeriesLabels(series);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PromTextParseError);
    const error = caught as PromTextParseError;
    expect([error.line, error.column, error.reason]).toEqual([line, column, reason]);
  });
});

describe('promTextFormat', () => {
  it.each([
    ['application/openmetrics-text; version=1.0.0; charset=utf-8', 'openmetrics'],
    ['application/openmetrics-text;version=0.0.1', 'openmetrics'],
    ['  Application/OpenMetrics-Text ', 'openmetrics'],
    ['application/openmetrics-text', 'openmetrics'],
    ['text/plain; version=0.0.4; charset=utf-8', 'text'],
    ['text/plain', 'text'],
    ['application/json', 'text'],
    ['', 'text'],
    [undefined, 'text'],
  ] as [string | undefined, PromTextFormat][])('%j is %s', (contentType, format) => {
    expect(promTextFormat(contentType)).toBe(format);
  });
});

describe('parsePromTextToSamples', () => {
  it('builds samples with labels, default timestamps, metadata and exemplars', () => {
    const samples = parsePromTextToSamples(
      '# TYPE a counter\na_total{x="1"} 1 # {t="q"} 5\na_total{x="2"} 2 17\n# EOF\n',
      'openmetrics',
      1000,
    );
    const metadata = { family: 'a', type: 'counter' };
    expect(samples).toEqual([
      {
        labels: Labels.from({ __name__: 'a_total', x: '1' }),
        value: 1,
        timestampMs: 1000,
        metadata,
        exemplars: [{ labels: Labels.from({ t: 'q' }), value: 5 }],
      },
      { labels: Labels.from({ __name__: 'a_total', x: '2' }), value: 2, timestampMs: 17000, metadata },
    ]);
    expect(samples[0]?.metadata).toBe(samples[1]?.metadata);
  });

  it('leaves out metadata when no line describes the family', () => {
    expect(parsePromTextToSamples('a 1 5\n', 'text', 0)).toEqual([
      { labels: Labels.from({ __name__: 'a' }), value: 1, timestampMs: 5 },
    ]);
  });
});

describe('round trip through encodeExpositionText', () => {
  it('reads back every family, label and value the encoder writes', () => {
    const families: ExpositionFamily[] = [
      {
        name: 'http_requests_total',
        type: 'counter',
        help: 'Requests "served"\\ by\ncode.',
        samples: [
          {
            labels: Labels.from({ __name__: 'http_requests_total', code: '200', path: 'C:\\dir\n"x"' }),
            value: 1027,
          },
          {
            labels: Labels.from({ __name__: 'http_requests_total', code: '500' }),
            value: 3,
            timestampMs: 1395066363000,
          },
        ],
      },
      {
        name: 'latency_seconds',
        type: 'histogram',
        samples: [
          { labels: Labels.from({ __name__: 'latency_seconds_bucket', le: '0.05' }), value: 24054 },
          { labels: Labels.from({ __name__: 'latency_seconds_bucket', le: '+Inf' }), value: 144320 },
          { labels: Labels.from({ __name__: 'latency_seconds_sum' }), value: 53423.5 },
          { labels: Labels.from({ __name__: 'latency_seconds_count' }), value: 144320 },
        ],
      },
      {
        name: 'odd_values',
        type: 'gauge',
        samples: [
          { labels: Labels.from({ v: 'nan' }), value: Number.NaN },
          { labels: Labels.from({ v: 'inf' }), value: Number.POSITIVE_INFINITY },
          { labels: Labels.from({ v: '-inf' }), value: Number.NEGATIVE_INFINITY },
          { labels: Labels.from({ v: 'tiny' }), value: 1.5e-7 },
          { labels: Labels.from({ v: 'huge' }), value: 1.7976931348623157e308 },
          { labels: Labels.from({ v: 'third' }), value: 1 / 3 },
        ],
      },
    ];
    const body = encodeExpositionText(families);
    const samples = parsePromTextToSamples(body, 'text', 42);
    const expected = families.flatMap((family) =>
      [...family.samples].map((s) => ({
        labels: s.labels.metricName === '' ? s.labels.with('__name__', family.name) : s.labels,
        value: s.value,
        timestampMs: s.timestampMs ?? 42,
      })),
    );
    expect(samples.map(({ labels, value, timestampMs }) => ({ labels, value, timestampMs }))).toEqual(
      expected,
    );
    expect(samples[0]?.metadata).toEqual({
      family: 'http_requests_total',
      type: 'counter',
      help: 'Requests "served"\\ by\ncode.',
    });
    expect(samples[2]?.metadata).toEqual({ family: 'latency_seconds', type: 'histogram' });
  });
});

describe('prom-client expositions', () => {
  /**
   * A registry of every prom-client metric type with fixed values, exposing OpenMetrics with
   * exemplars or the text format 0.0.4 (prom-client takes exemplars in OpenMetrics registries only).
   */
  function registry(openMetrics: boolean): Registry<RegistryContentType> {
    const registry = new Registry<RegistryContentType>();
    registry.setContentType(
      openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE,
    );
    // prom-client types exemplar labels as the metric's own label names; any names are allowed.
    const exemplar = (traceId: string): Record<string, string> => ({ trace_id: traceId });
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'Requests by "code" \\ path\nsecond line.',
      labelNames: ['code', 'path'],
      registers: [registry],
      enableExemplars: openMetrics,
    });
    const latency = new Histogram({
      name: 'latency_seconds',
      help: 'Latency.',
      labelNames: ['method'],
      buckets: [0.1, 0.5, 1],
      registers: [registry],
      enableExemplars: openMetrics,
    });
    if (openMetrics) {
      requests.inc({
        labels: { code: '200', path: '/a"b\\c\nd' },
        value: 3,
        exemplarLabels: exemplar('abc'),
      });
      requests.inc({ labels: { code: '500', path: '/' }, value: 1 });
      latency.observe({ labels: { method: 'GET' }, value: 0.3, exemplarLabels: exemplar('def') });
      latency.observe({ labels: { method: 'GET' }, value: 2 });
    } else {
      requests.inc({ code: '200', path: '/a"b\\c\nd' }, 3);
      requests.inc({ code: '500', path: '/' }, 1);
      latency.observe({ method: 'GET' }, 0.3);
      latency.observe({ method: 'GET' }, 2);
    }
    const sizes = new Summary({
      name: 'sizes_bytes',
      help: 'Sizes.',
      percentiles: [0.5, 0.9],
      registers: [registry],
    });
    sizes.observe(10);
    sizes.observe(20);
    new Gauge({ name: 'temperature_celsius', help: 'Temperature.', registers: [registry] }).set(-21.25);
    return registry;
  }

  it('parses prom-client output the same in both formats', async () => {
    const text = await registry(false).metrics();
    const openMetrics = await registry(true).metrics();
    const fromText = parsePromTextToSamples(text, promTextFormat(Registry.PROMETHEUS_CONTENT_TYPE), 0);
    const fromOpenMetrics = parsePromTextToSamples(
      openMetrics,
      promTextFormat(Registry.OPENMETRICS_CONTENT_TYPE),
      0,
    );
    expect(fromText.length).toBeGreaterThan(10);
    const strip = (samples: typeof fromText) =>
      samples.map((s) => ({
        labels: s.labels.toRecord(),
        value: s.value,
        type: s.metadata?.type,
        help: s.metadata?.help,
      }));
    expect(strip(fromOpenMetrics)).toEqual(strip(fromText));
    expect(fromText.find((s) => s.labels.get('path')?.startsWith('/a'))?.labels.get('path')).toBe(
      '/a"b\\c\nd',
    );
    expect(fromText[0]?.metadata?.help).toBe('Requests by "code" \\ path\nsecond line.');
    expect(fromText[0]?.metadata?.family).toBe('http_requests_total');
    expect(fromOpenMetrics[0]?.metadata?.family).toBe('http_requests');
    const exemplars = fromOpenMetrics.flatMap((s) =>
      (s.exemplars ?? []).map((e) => [s.labels.metricName, e.labels.toRecord(), e.value]),
    );
    expect(exemplars).toEqual([
      ['http_requests_total', { trace_id: 'abc' }, 3],
      ['latency_seconds_bucket', { trace_id: 'def' }, 0.3],
    ]);
  });
});

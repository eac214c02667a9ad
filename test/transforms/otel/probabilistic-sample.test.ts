// The probabilisticSample transform: threshold arithmetic against the OpenTelemetry
// specification's published examples, decisions and tracestates against the Collector's own
// cases, the statistics of the decision, consistency across instances, log entries,
// acknowledgements, counters, bad input and bad configuration.
import { randomBytes } from 'node:crypto';
import { firstValueFrom, of, Subject, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type Batch, createBatch } from '../../../src/core/batch.js';
import { ConfigError } from '../../../src/core/errors.js';
import type { LogEntry, Span } from '../../../src/core/signals.js';
import {
  type LogSampleOptions,
  probabilisticSample,
  type TraceSampleOptions,
} from '../../../src/transforms/otel/probabilistic-sample.js';
import {
  formatTValue,
  hashedRandomness,
  parseRValue,
  parseTValue,
  probabilityToThreshold,
  thresholdProbability,
  toBigInt,
} from '../../../src/transforms/otel/sampling-threshold.js';
import { formatTraceState, parseTraceState } from '../../../src/transforms/otel/trace-state.js';
import { attrs, componentOf, entry, hex, record, span, spanOfTrace, watch } from './helpers.js';

async function sampleSpans(options: TraceSampleOptions, spans: Span[]) {
  const stream = of(createBatch('traces', spans)).pipe(probabilisticSample(options));
  const batches = await firstValueFrom(stream.pipe(toArray()));
  return { out: batches.flatMap((b) => [...b.items]), component: componentOf(stream) };
}

async function sampleLogs(options: LogSampleOptions, entries: LogEntry[]) {
  const stream = of(createBatch('logs', entries)).pipe(probabilisticSample(options));
  const batches = await firstValueFrom(stream.pipe(toArray()));
  return { out: batches.flatMap((b) => [...b.items]), component: componentOf(stream) };
}

describe('thresholds: the specification', () => {
  // `trace/tracestate-probability-sampling.md`, "Converting floating-point probability to
  // threshold value": 1-in-N probabilities and their thresholds at precision 3, 4 and 5.
  it.each<[number, [string, string, string]]>([
    [1, ['0', '0', '0']],
    [2, ['8', '8', '8']],
    [3, ['aab', 'aaab', 'aaaab']],
    [4, ['c', 'c', 'c']],
    [5, ['ccd', 'cccd', 'ccccd']],
    [8, ['e', 'e', 'e']],
    [10, ['e66', 'e666', 'e6666']],
    [16, ['f', 'f', 'f']],
    [100, ['fd71', 'fd70a', 'fd70a4']],
    [1000, ['ffbe7', 'ffbe77', 'ffbe76d']],
    [10000, ['fff972', 'fff9724', 'fff97247']],
    [100000, ['ffff584', 'ffff583a', 'ffff583a5']],
    [1000000, ['ffffef4', 'ffffef39', 'ffffef391']],
  ])('1-in-%d', (n, expected) => {
    const got = [3, 4, 5].map((precision) =>
      formatTValue(probabilityToThreshold(1 / n, precision) as bigint),
    );
    expect(got).toEqual(expected);
  });

  it('1% with five digits is 0xfd70a400000000, written fd70a4', () => {
    expect(probabilityToThreshold(0.01, 5)).toBe(0xfd70a400000000n);
    expect(formatTValue(0xfd70a400000000n)).toBe('fd70a4');
  });

  it('reads th values with trailing zeros put back, and rv values of exactly 14 digits', () => {
    const th = (text: string) => {
      const value = parseTValue(text);
      return value === undefined ? undefined : toBigInt(value);
    };
    expect(th('0')).toBe(0n);
    expect(th('8')).toBe(0x80000000000000n);
    expect(th('fd70a4')).toBe(0xfd70a400000000n);
    expect(th('FD70A4')).toBe(0xfd70a400000000n);
    expect(th('ffffffffffffff')).toBe(0xffffffffffffffn);
    for (const bad of ['', '-1', 'x', 'abababababababab', '0x1', ' 8']) expect(th(bad)).toBeUndefined();
    const rv = parseRValue('fd70a3d70a3d71');
    expect(rv === undefined ? undefined : toBigInt(rv)).toBe(0xfd70a3d70a3d71n);
    for (const bad of ['fd70a3d70a3d7', 'abababababababab', 'fd70a3d70a3d7g'])
      expect(parseRValue(bad)).toBeUndefined();
  });

  it("hashes values into randomness exactly as the Collector's randomnessFromBytes does", () => {
    // FNV-1a (32 bits), checked against the published test vectors.
    const fnv1a = (bytes: readonly number[]): bigint => {
      let h = 0x811c9dc5n;
      for (const b of bytes) h = ((h ^ BigInt(b)) * 0x01000193n) & 0xffffffffn;
      return h;
    };
    const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));
    expect(fnv1a([])).toBe(0x811c9dc5n);
    expect(fnv1a(ascii('a'))).toBe(0xe40c292cn);
    expect(fnv1a(ascii('foobar'))).toBe(0xbf9cf968n);
    // The Collector's construction, written out with BigInt: FNV-1a over the seed's bytes
    // (little-endian) and the value's, then R' (14 bits), a mix of the unused bits, the hash.
    const reference = (bytes: Uint8Array, seed: number): bigint => {
      const h = fnv1a([seed & 0xff, (seed >>> 8) & 0xff, (seed >>> 16) & 0xff, seed >>> 24, ...bytes]);
      const hashed = h & 0x3fffn;
      const unused = h >> 18n;
      const mixed = unused ^ (unused << 10n);
      return ((0x3fffn - hashed) << 42n) | (mixed << 14n) | hashed;
    };
    const utf8 = new TextEncoder();
    for (const [value, seed] of [
      ['', 0],
      ['a', 0],
      ['request 42 served', 0],
      ['request 42 served', 22],
      ['naïve ☃ 𝄞', 0xffffffff],
      ['lone \ud800 surrogate', 7],
    ] as const) {
      const bytes = utf8.encode(value);
      expect(toBigInt(hashedRandomness(value, seed))).toBe(reference(bytes, seed));
      expect(hashedRandomness(bytes, seed)).toEqual(hashedRandomness(value, seed));
    }
  });

  it('gives back the probability and adjusted count of a threshold', () => {
    expect(thresholdProbability(0n)).toBe(1);
    expect(thresholdProbability(0x80000000000000n)).toBe(0.5);
    expect(1 / thresholdProbability(0xc0000000000000n)).toBe(4);
    expect(1 / thresholdProbability(toBigInt(parseTValue('fd70a') ?? { hi: 0, lo: 0 }))).toBeCloseTo(
      99.9977,
      3,
    );
  });

  it.each([0, -1, Number.NaN, 2 ** -57, 1.0000001])('has no threshold for probability %d', (p) => {
    expect(probabilityToThreshold(p, 4)).toBeUndefined();
  });

  it('parses and writes tracestates, keeping other members and sub-keys', () => {
    const parsed = parseTraceState(
      ' congo=t61rcWkgMzE , ot=p:8;rv:c0000000000000;th:8 ,, rojo=00f067aa0ba902b7',
    );
    expect(parsed).toMatchObject({ rv: 'c0000000000000', th: '8', otOther: 'p:8' });
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(formatTraceState(parsed, 'c')).toBe(
      'ot=rv:c0000000000000;th:c;p:8,congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    );
    expect(formatTraceState(parsed, undefined)).toBe(
      'ot=rv:c0000000000000;p:8,congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    );
    for (const bad of ['ot=th:-1', 'ot=rv:abc', 'ot=th:8;junk', 'ot=TH:8'])
      expect(typeof parseTraceState(bad)).toBe('string');
    // A second ot member is dropped; the first one counts.
    const twice = parseTraceState('ot=th:8,a=b,ot=th:c');
    expect(twice).toMatchObject({ th: '8', members: 'a=b' });
    // An ot entry past 256 characters is not written.
    const long = parseTraceState(`ot=${Array.from({ length: 44 }, (_, i) => `k${i}:v`).join(';')}`);
    if (typeof long === 'string') throw new Error(long);
    expect(formatTraceState(long, undefined)).toBeDefined();
    expect(formatTraceState(long, 'fd70a3d70a3d71')).toBeUndefined();
  });
});

describe('spans: decisions and tracestates', () => {
  // The Collector's cases for its proportional mode (`tracesprocessor_test.go`,
  // `Test_tracesamplerprocessor_TraceState`); where it used full precision, so do these (14).
  const DEFAULT = 'fefefefefefefefefe80000000000000'; // randomness 0x80000000000000
  const IMPROBABLE = '111111111111111111ffffffffffffff'; // kept at every probability
  const cases: {
    name: string;
    pct: number;
    precision?: number;
    tid?: string;
    ts?: string;
    priority?: bigint;
    failClosed?: boolean;
    out: string | null;
  }[] = [
    { name: '100 percent', pct: 100, out: 'ot=th:0' },
    { name: '50 percent sampled', pct: 50, out: 'ot=th:8' },
    { name: '25 percent sampled', pct: 25, tid: 'ddddddddddddddddddc0000000000000', out: 'ot=th:c' },
    { name: '25 percent unsampled', pct: 25, tid: 'ddddddddddddddddddb0000000000000', out: null },
    {
      name: '1 percent with rv, full precision',
      pct: 1,
      precision: 14,
      ts: 'ot=rv:FD70A3D70A3D71',
      out: 'ot=rv:FD70A3D70A3D71;th:fd70a3d70a3d71',
    },
    {
      name: '1 percent with rv, precision 4',
      pct: 1,
      ts: 'ot=rv:FD70A3D70A3D71',
      out: 'ot=rv:FD70A3D70A3D71;th:fd70a',
    },
    {
      name: '1 percent with rv, precision 3 rounds up',
      pct: 1,
      precision: 3,
      ts: 'ot=rv:FD70A3D70A3D71',
      out: null,
    },
    { name: '1 percent not sampled with rv', pct: 1, precision: 14, ts: 'ot=rv:FD70A3D70A3D70', out: null },
    { name: '49 percent not sampled', pct: 49, out: null },
    {
      name: '1 percent sampled with rv',
      pct: 1,
      precision: 14,
      ts: 'ot=rv:fd70B000000000',
      out: 'ot=rv:fd70B000000000;th:fd70a3d70a3d71',
    },
    {
      name: '1 percent sampled with trace id',
      pct: 1,
      tid: 'a0a0a0a0a0a0a0a0a0fe000000000000',
      out: 'ot=th:fd70a',
    },
    { name: 'sampled by priority', pct: 1, priority: 2n, out: 'ot=th:0' },
    { name: 'not sampled by priority', pct: 99, priority: 0n, out: null },
    {
      name: 'priority does not lower an arriving threshold',
      pct: 1,
      priority: 1n,
      ts: 'ot=th:8',
      out: 'ot=th:8',
    },
    {
      name: 'arriving 50 percent at 50 percent',
      pct: 50,
      ts: 'ot=rv:90000000000000;th:80000000000000',
      out: null,
    },
    { name: 'arriving 50 percent at 25 percent, not sampled', pct: 25, ts: 'ot=th:8', out: null },
    {
      name: 'arriving 50 percent at 25 percent, sampled',
      pct: 25,
      tid: 'ffffffffffffffffffffffffffffffff',
      ts: 'ot=th:8',
      out: 'ot=th:e',
    },
    { name: 'proportional', pct: 50, ts: 'ot=rv:c0000000000000;th:8', out: 'ot=rv:c0000000000000;th:c' },
    {
      name: 'inconsistent arriving threshold, fail open',
      pct: 100,
      failClosed: false,
      ts: 'ot=rv:40000000000000;th:8',
      out: 'ot=rv:40000000000000;th:0',
    },
    {
      name: 'inconsistent arriving threshold, fail closed',
      pct: 1,
      ts: 'ot=rv:40000000000000;th:8',
      out: null,
    },
    {
      name: '40 percent precision 3 with rv',
      pct: 40,
      precision: 3,
      ts: 'ot=rv:a0000000000000',
      out: 'ot=rv:a0000000000000;th:99a',
    },
    {
      name: 'arriving 50 percent at 40 percent, precision 6',
      pct: 40,
      precision: 6,
      tid: 'a0a0a0a0a0a0a0a0a0d0000000000000',
      ts: 'ot=th:8',
      out: 'ot=th:cccccd',
    },
    {
      name: 'arriving 50 percent at 40 percent, partly',
      pct: 40,
      precision: 3,
      tid: 'a0a0a0a0a0a0a0a0a0b0000000000000',
      ts: 'ot=th:8',
      out: null,
    },
    {
      name: 'arriving 50 percent at 40 percent, not sampled',
      pct: 40,
      precision: 3,
      tid: 'a0a0a0a0a0a0a0a0a080000000000000',
      ts: 'ot=th:8',
      out: null,
    },
    { name: '200 percent is 100 percent', pct: 200, out: 'ot=th:0' },
    {
      name: 'tiny probability',
      pct: 100 * 2 ** -14,
      precision: 14,
      tid: IMPROBABLE,
      ts: 'ot=th:fffc',
      out: 'ot=th:fffffff',
    },
    {
      name: 'almost 100 percent',
      pct: (1 - 8e-7) * 100,
      precision: 10,
      tid: IMPROBABLE,
      out: 'ot=th:00000cccccccd',
    },
    { name: 'probability underflow', pct: 2 ** -4, tid: IMPROBABLE, ts: 'ot=th:fffffffffffff8', out: null },
    // Fail closed (the default): unusable randomness drops the span.
    { name: 'missing randomness', pct: 100, tid: '00000000000000000000000000000000', out: null },
    {
      name: 'missing randomness, fail open',
      pct: 100,
      failClosed: false,
      tid: '00000000000000000000000000000000',
      out: 'ot=th:0',
    },
    { name: 'rv too long', pct: 100, ts: 'ot=rv:abababababababab', out: null },
    { name: 'th too long', pct: 100, ts: 'ot=th:abababababababab', out: null },
    { name: 'th not hex', pct: 100, ts: 'ot=th:-1', out: null },
    {
      name: 'th against the trace id',
      pct: 100,
      tid: 'ffffffffffffffffff70000000000000',
      ts: 'ot=th:8',
      out: null,
    },
    { name: 'th against rv', pct: 100, ts: 'ot=th:8;rv:70000000000000', out: null },
    { name: 'other vendors kept', pct: 50, ts: 'congo=t61rcWkgMzE', out: 'ot=th:8,congo=t61rcWkgMzE' },
  ];
  it.each(cases)('$name', async (c) => {
    const attributes = c.priority === undefined ? [] : attrs({ 'sampling.priority': c.priority });
    const input = spanOfTrace(c.tid ?? DEFAULT, { traceState: c.ts ?? '', attributes });
    const options: TraceSampleOptions = {
      samplingPercentage: c.pct,
      ...(c.precision === undefined ? {} : { samplingPrecision: c.precision }),
      ...(c.failClosed === undefined ? {} : { failClosed: c.failClosed }),
    };
    const { out } = await sampleSpans(options, [input]);
    expect(out.length === 0 ? null : out[0]?.traceState).toBe(c.out);
    if (out[0] !== undefined) expect({ ...out[0], traceState: '' }).toEqual({ ...input, traceState: '' });
  });

  it.each([
    { value: 0, kept: false },
    { value: 1.5, kept: true },
    { value: '0.0', kept: false },
    { value: '0.5', kept: true },
    { value: '-0.5', kept: 'threshold' },
    { value: 'NaN', kept: 'threshold' },
    { value: '', kept: 'threshold' },
    { value: -1n, kept: 'threshold' },
    { value: true, kept: 'threshold' },
  ])('reads sampling.priority $value', async ({ value, kept }) => {
    // At 50%, this trace id is sampled out unless the priority decides otherwise.
    const input = spanOfTrace('fefefefefefefefefe7fffffffffffff', {
      attributes: attrs({ 'sampling.priority': value }),
    });
    const { out } = await sampleSpans({ samplingPercentage: 50 }, [input]);
    expect(out.length === 1).toBe(kept === true);
  });

  it('keeps about a quarter of random trace ids at 25%, exactly those whose randomness is at least 0xc0...', async () => {
    const spans = Array.from({ length: 10_000 }, () => span({ traceId: Uint8Array.from(randomBytes(16)) }));
    const { out, component } = await sampleSpans({ samplingPercentage: 25 }, spans);
    // Four standard deviations of a binomial(10000, 0.25): 173.
    expect(Math.abs(out.length - 2500)).toBeLessThan(174);
    const expected = spans.filter((s) => (s.traceId[9] as number) >= 0xc0);
    expect(out.map((s) => s.spanId)).toEqual(expected.map((s) => s.spanId));
    expect(component.stats().dropped.get('sampled_out')).toEqual({
      count: 10_000 - out.length,
      intentional: true,
    });
  });

  it('decides the same for the same trace id in two instances, and for every span of a trace', async () => {
    const traces = Array.from({ length: 500 }, () => Uint8Array.from(randomBytes(16)));
    const first = probabilisticSample({ samplingPercentage: 30 });
    const second = probabilisticSample({ samplingPercentage: 30 });
    const kept = async (operator: typeof first, spans: Span[]) =>
      (await firstValueFrom(of(createBatch('traces', spans)).pipe(operator, toArray()))).flatMap((b) =>
        b.items.map((s) => Buffer.from(s.traceId).toString('hex')),
      );
    // Instance one sees each trace's root span; instance two its children, in another order.
    const roots = traces.map((traceId) => span({ traceId, name: 'root' }));
    const children = traces
      .flatMap((traceId) => [span({ traceId, name: 'a' }), span({ traceId, name: 'b' })])
      .reverse();
    const one = new Set(await kept(first, roots));
    const two = await kept(second, children);
    expect(one.size).toBeGreaterThan(0);
    expect(one.size).toBeLessThan(500);
    expect(new Set(two)).toEqual(one);
    expect(two).toHaveLength(one.size * 2);
  });

  it('keeps nothing at the default of 0%, and everything at 100%', async () => {
    const spans = Array.from({ length: 50 }, () => span({ traceId: Uint8Array.from(randomBytes(16)) }));
    expect((await sampleSpans({}, spans)).out).toEqual([]);
    expect((await sampleSpans({ samplingPercentage: 100 }, spans)).out).toHaveLength(50);
  });

  it('never throws on odd spans, and counts those it cannot sample', async () => {
    const odd = [
      span({ traceId: new Uint8Array(0) }),
      span({ traceId: new Uint8Array(8).fill(1) }),
      span({ traceId: undefined as unknown as Uint8Array }),
      span({ traceState: undefined as unknown as string }),
      span({ attributes: undefined as unknown as Span['attributes'] }),
      span({ attributes: attrs({ 'sampling.priority': Number.NaN }) }),
      span({ traceState: 'ot=' }),
      span({ traceState: ',,,' }),
      span({ traceState: 'ot=rv:' }),
    ];
    const { out, component } = await sampleSpans({ samplingPercentage: 100 }, odd);
    expect(out.map((s) => s.traceState)).toEqual(['ot=th:0', 'ot=th:0', 'ot=th:0', 'ot=th:0', 'ot=th:0']);
    expect(out.map((s) => s.attributes)).toEqual([
      [],
      undefined,
      attrs({ 'sampling.priority': Number.NaN }),
      [],
      [],
    ]);
    expect(component.stats().dropped.get('sampling_error')).toEqual({ count: 4, intentional: true });
    const open = await sampleSpans({ samplingPercentage: 100, failClosed: false }, odd);
    expect(open.out).toHaveLength(odd.length);
    const broken = await sampleSpans({ samplingPercentage: 100 }, [null as unknown as Span, span()]);
    expect(broken.out).toHaveLength(1);
    expect(broken.component.stats().errors.get('processing')).toBe(1);
    expect(broken.component.stats().dropped.get('sampling_error')?.count).toBe(1);
  });
});

describe('spans: acknowledgements and counters', () => {
  it('keeps the ack of a batch it passes on and settles one it drops whole', () => {
    const input = new Subject<Batch<'traces'>>();
    const stream = input.pipe(probabilisticSample({ samplingPercentage: 50 }));
    const seen = watch(stream);
    const keep = 'fefefefefefefefefe80000000000000';
    const drop = 'fefefefefefefefefe7fffffffffffff';
    const mixed = createBatch('traces', [spanOfTrace(keep), spanOfTrace(drop)]);
    const gone = createBatch('traces', [spanOfTrace(drop)]);
    input.next(mixed);
    input.next(gone);
    input.complete();
    expect(seen.out).toHaveLength(1);
    expect(seen.out[0]?.ack).toBe(mixed.ack);
    expect(seen.out[0]?.items.map((s) => s.traceState)).toEqual(['ot=th:8']);
    expect(gone.ack.result).toEqual({ status: 'dropped', reason: 'sampled_out' });
    seen.out[0]?.ack.failed(new Error('backend down'));
    expect(mixed.ack.result?.status).toBe('failed');
    const component = componentOf(stream);
    expect(component.stats()).toMatchObject({ received: 3, sent: 1 });
    expect(component.stats().dropped).toEqual(new Map([['sampled_out', { count: 2, intentional: true }]]));
    expect(component.health()).toMatchObject({ state: 'exited', message: 'completed' });
  });

  it('passes a batch on as it is when it changes nothing', async () => {
    const input = createBatch('traces', [span({ traceState: 'ot=th:0' })]);
    const [out] = await firstValueFrom(
      of(input).pipe(probabilisticSample({ samplingPercentage: 100 }), toArray()),
    );
    expect(out).toBe(input);
  });
});

describe('log entries', () => {
  const withTrace = (tid: string, fields: Parameters<typeof record>[0] = {}) =>
    entry('line', { app: 'api' }, { otlp: record({ traceId: hex(tid), ...fields }) });

  it('samples by the trace id of the record, writing sampling.threshold', async () => {
    const { out } = await sampleLogs({ kind: 'logs', samplingPercentage: 25 }, [
      withTrace('ddddddddddddddddddc0000000000000'),
      withTrace('ddddddddddddddddddb0000000000000'),
    ]);
    expect(out).toHaveLength(1);
    expect(out[0]?.otlp?.attributes).toEqual([{ key: 'sampling.threshold', value: 'c' }]);
    expect(out[0]?.line).toBe('line');
  });

  it('samples proportionally to an arriving sampling.threshold and uses sampling.randomness', async () => {
    const { out } = await sampleLogs({ kind: 'logs', samplingPercentage: 50 }, [
      entry(
        'x',
        {},
        {
          otlp: record({
            attributes: attrs({ 'sampling.randomness': 'c0000000000000', 'sampling.threshold': '8' }),
          }),
        },
      ),
      entry(
        'x',
        {},
        {
          otlp: record({
            attributes: attrs({ 'sampling.randomness': 'b0000000000000', 'sampling.threshold': '8' }),
          }),
        },
      ),
    ]);
    expect(out.map((e) => e.otlp?.attributes)).toEqual([
      attrs({ 'sampling.randomness': 'c0000000000000', 'sampling.threshold': 'c' }),
    ]);
  });

  it('hashes the line when there is no trace id, the same in every instance', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => entry(`request ${i} served`));
    const first = await sampleLogs({ kind: 'logs', samplingPercentage: 50 }, lines);
    const second = await sampleLogs({ kind: 'logs', samplingPercentage: 50 }, [...lines].reverse());
    expect(Math.abs(first.out.length - 1000)).toBeLessThan(90);
    expect(new Set(second.out.map((e) => e.line))).toEqual(new Set(first.out.map((e) => e.line)));
    expect(first.out.every((e) => e.otlp === undefined)).toBe(true);
    const seeded = await sampleLogs({ kind: 'logs', samplingPercentage: 50, hashSeed: 7 }, lines);
    expect(seeded.out.map((e) => e.line)).not.toEqual(first.out.map((e) => e.line));
  });

  it('hashes fromAttribute, so entries sharing its value share a decision', async () => {
    const entries = Array.from({ length: 400 }, (_, i) =>
      entry(`line ${i}`, { app: 'api' }, { metadata: { request_id: `r${i % 40}` } }),
    );
    const { out } = await sampleLogs(
      { kind: 'logs', samplingPercentage: 50, fromAttribute: 'request_id' },
      entries,
    );
    const kept = new Set(out.map((e) => e.structuredMetadata?.get('request_id')));
    expect(kept.size).toBeGreaterThan(0);
    expect(kept.size).toBeLessThan(40);
    expect(out).toHaveLength(kept.size * 10);
  });

  it("with attributeSource 'record', an entry without fromAttribute has no randomness", async () => {
    const entries = [entry('a', {}, { metadata: { id: '1' } }), entry('b')];
    const closed = await sampleLogs(
      { kind: 'logs', samplingPercentage: 100, attributeSource: 'record', fromAttribute: 'id' },
      entries,
    );
    expect(closed.out.map((e) => e.line)).toEqual(['a']);
    expect(closed.component.stats().dropped.get('sampling_error')).toEqual({ count: 1, intentional: true });
    const open = await sampleLogs(
      {
        kind: 'logs',
        samplingPercentage: 100,
        attributeSource: 'record',
        fromAttribute: 'id',
        failClosed: false,
      },
      entries,
    );
    expect(open.out).toHaveLength(2);
  });

  it("with attributeSource 'record', ignores the trace id", async () => {
    const entries = Array.from({ length: 200 }, (_, i) =>
      withTrace('ffffffffffffffffffffffffffffffff', { body: i }),
    );
    const byTrace = await sampleLogs({ kind: 'logs', samplingPercentage: 10 }, entries);
    expect(byTrace.out).toHaveLength(200);
    const byRecord = await sampleLogs(
      { kind: 'logs', samplingPercentage: 10, attributeSource: 'record' },
      entries,
    );
    // Every line is the same, so every entry shares one decision.
    expect([0, 200]).toContain(byRecord.out.length);
  });

  it('raises an entry to its samplingPriority percentage', async () => {
    const low = 'fefefefefefefefefe10000000000000';
    const { out } = await sampleLogs({ kind: 'logs', samplingPercentage: 1, samplingPriority: 'priority' }, [
      withTrace(low, { attributes: attrs({ priority: 100 }) }),
      withTrace(low, { attributes: attrs({ priority: 5n }) }),
      withTrace(low),
      entry('x', { priority: '100' }),
    ]);
    expect(out).toHaveLength(2);
    expect(out[0]?.otlp?.attributes).toEqual(attrs({ priority: 100, 'sampling.threshold': '0' }));
  });

  it('does not lower the sampling.threshold an entry arrived with', async () => {
    const { out } = await sampleLogs({ kind: 'logs', samplingPercentage: 1, samplingPriority: 'priority' }, [
      withTrace('fefefefefefefefefe90000000000000', {
        attributes: attrs({ 'sampling.threshold': '8', priority: 100 }),
      }),
    ]);
    expect(out[0]?.otlp?.attributes).toEqual(attrs({ 'sampling.threshold': '8', priority: 100 }));
  });

  it('never throws on odd entries', async () => {
    const odd = [
      { ...entry('x'), otlp: undefined } as unknown as LogEntry,
      entry('y', {}, { otlp: record({ traceId: new Uint8Array(3), attributes: undefined as never }) }),
      entry('z', {}, { otlp: record({ attributes: attrs({ 'sampling.threshold': 'zz' }) }) }),
      { ...entry('w'), line: undefined as unknown as string },
      entry('v', {}, { otlp: record({ attributes: attrs({ 'sampling.randomness': 5n }) }) }),
    ];
    const { out, component } = await sampleLogs({ kind: 'logs', samplingPercentage: 100 }, odd);
    expect(out.map((e) => e.line)).toEqual(['x', 'y', 'v']);
    expect(component.stats().dropped.get('sampling_error')?.count).toBe(2);
  });
});

describe('probabilisticSample: configuration', () => {
  it.each<{ options: Record<string, unknown>; option: string }>([
    { options: { samplingPercentage: Number.NaN }, option: 'samplingPercentage' },
    { options: { samplingPercentage: -1 }, option: 'samplingPercentage' },
    { options: { samplingPercentage: '25' }, option: 'samplingPercentage' },
    { options: { samplingPrecision: 0 }, option: 'samplingPrecision' },
    { options: { samplingPrecision: 15 }, option: 'samplingPrecision' },
    { options: { failClosed: 'no' }, option: 'failClosed' },
    { options: { kind: 'metrics' }, option: 'kind' },
    { options: { fromAttribute: 'id' }, option: 'fromAttribute' },
    { options: { hashSeed: 1 }, option: 'hashSeed' },
    { options: { kind: 'logs', attributeSource: 'body' }, option: 'attributeSource' },
    { options: { kind: 'logs', hashSeed: -1 }, option: 'hashSeed' },
    { options: { kind: 'logs', fromAttribute: '' }, option: 'fromAttribute' },
  ])('rejects $options naming $option', ({ options, option }) => {
    const build = () => probabilisticSample(options as TraceSampleOptions);
    expect(build).toThrow(ConfigError);
    try {
      build();
    } catch (error) {
      expect((error as ConfigError).option).toBe(option);
    }
  });
});

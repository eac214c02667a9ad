// tailSample: waiting for decisionWait on a virtual clock, each policy as a table, the
// Collector's final-decision rules, the numTraces bound, late spans and the decision caches,
// bad trace ids, and how incoming acks settle.
import { createHash } from 'node:crypto';
import { of, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { AckOutcome } from '../../../src/core/ack.js';
import type { Batch } from '../../../src/core/batch.js';
import { ConfigError } from '../../../src/core/errors.js';
import type { Span } from '../../../src/core/signals.js';
import {
  type TailSampleOptions,
  type TailSamplePolicy,
  tailSample,
} from '../../../src/transforms/otel/tail-sample/index.js';
import {
  componentOf,
  droppedCount,
  logEntry,
  logs,
  resourceOf,
  span,
  traces,
  virtualClock,
} from './attr-fixtures.js';

/** A tailSample on a virtual clock, fed by a Subject, collecting what it emits. */
function harness(options: Omit<TailSampleOptions, 'scheduler'>) {
  const clock = virtualClock();
  const operator = tailSample({ ...options, scheduler: clock.scheduler });
  const input = new Subject<Batch<'traces'>>();
  const stream = input.pipe(operator);
  const out: Batch<'traces'>[] = [];
  const state = { completed: false, error: undefined as unknown };
  const subscription = stream.subscribe({
    next: (batch) => out.push(batch),
    error: (error: unknown) => {
      state.error = error;
    },
    complete: () => {
      state.completed = true;
    },
  });
  return {
    clock,
    operator,
    input,
    out,
    state,
    subscription,
    component: componentOf(stream),
    push(...spans: Span[]): Batch<'traces'> {
      const batch = traces(...spans);
      input.next(batch);
      return batch;
    },
    spansOut: (): Span[] => out.flatMap((b) => [...b.items]),
    /** Settles every emitted batch as delivered. */
    deliverAll: () => {
      for (const b of out) b.ack.delivered();
    },
  };
}

/** Whether one trace of `spans` is sampled by `policies`. */
function sampled(policies: readonly TailSamplePolicy[], spans: readonly Span[]): boolean {
  const h = harness({ policies, decisionWait: '1s' });
  h.push(...spans);
  h.clock.advance(1000);
  return h.spansOut().length > 0;
}

const outcome = (batch: Batch<'traces'>): AckOutcome | undefined => batch.ack.result;

describe('tailSample: waiting and deciding', () => {
  it('holds spans for decisionWait (30s by default), then emits the whole trace in one batch', () => {
    const h = harness({ policies: [{ type: 'alwaysSample' }] });
    const a = h.push(span({ trace: 1 }), span({ trace: 1 }));
    h.clock.advance(10_000);
    const b = h.push(span({ trace: 1 }));
    h.clock.advance(19_999);
    expect(h.out).toHaveLength(0);
    h.clock.advance(1);
    expect(h.out).toHaveLength(1);
    expect(h.out[0]?.items).toEqual([...a.items, ...b.items]);
    expect(h.operator.stats()).toMatchObject({ tracesSampled: 1, tracesNotSampled: 0, tracesPending: 0 });
  });

  it('decides traces in groups, at most min(1s, decisionWait) after their wait is over', () => {
    const h = harness({ policies: [{ type: 'alwaysSample' }], decisionWait: '5s' });
    h.push(span({ trace: 1 }));
    h.clock.advance(1);
    h.push(span({ trace: 2 }));
    h.clock.advance(300);
    h.push(span({ trace: 3 }));
    h.clock.advance(4699); // t = 5000: only trace 1 is due
    expect(h.spansOut().map((s) => s.traceId[15])).toEqual([1]);
    h.clock.advance(999);
    expect(h.out).toHaveLength(1);
    h.clock.advance(1); // t = 6000: one run takes traces 2 and 3
    expect(h.out).toHaveLength(2);
    expect(h.out[1]?.items.map((s) => s.traceId[15])).toEqual([2, 3]);
  });

  it('decides waiting traces at once when the input completes, then completes', () => {
    const input = [traces(span({ trace: 1 }), span({ trace: 2, status: 2 }))];
    const h = harness({ policies: [{ type: 'statusCode', statusCodes: ['ERROR'] }] });
    h.input.next(input[0] as Batch<'traces'>);
    h.input.complete();
    expect(h.state.completed).toBe(true);
    expect(h.spansOut().map((s) => s.traceId[15])).toEqual([2]);
  });

  it('emits nothing and completes for an empty input; settles an empty batch as dropped', () => {
    const h = harness({ policies: [{ type: 'alwaysSample' }] });
    const empty = h.push();
    expect(outcome(empty)).toEqual({ status: 'dropped', reason: 'empty' });
    h.input.complete();
    expect(h.out).toHaveLength(0);
    expect(h.state.completed).toBe(true);
  });
});

describe('tailSample: policies', () => {
  const slow = span({ durationMs: 1500 });
  const cases: readonly { name: string; policies: TailSamplePolicy[]; spans: Span[]; sampled: boolean }[] = [
    { name: 'alwaysSample', policies: [{ type: 'alwaysSample' }], spans: [span()], sampled: true },
    {
      name: 'latency at the threshold',
      policies: [{ type: 'latency', thresholdMs: 1500 }],
      spans: [slow],
      sampled: true,
    },
    {
      name: 'latency below the threshold',
      policies: [{ type: 'latency', thresholdMs: 1501 }],
      spans: [slow],
      sampled: false,
    },
    {
      name: 'latency spans the earliest start to the latest end',
      policies: [{ type: 'latency', thresholdMs: 300 }],
      spans: [span({ startMs: 0, durationMs: 100 }), span({ startMs: 250, durationMs: 100 })],
      sampled: true,
    },
    {
      name: 'latency within (threshold, upper]',
      policies: [{ type: 'latency', thresholdMs: 1000, upperThresholdMs: 1500 }],
      spans: [slow],
      sampled: true,
    },
    {
      name: 'latency at the lower bound with an upper bound',
      policies: [{ type: 'latency', thresholdMs: 1500, upperThresholdMs: 2000 }],
      spans: [slow],
      sampled: false,
    },
    {
      name: 'latency above the upper bound',
      policies: [{ type: 'latency', thresholdMs: 100, upperThresholdMs: 1000 }],
      spans: [slow],
      sampled: false,
    },
    {
      name: 'statusCode ERROR on one span',
      policies: [{ type: 'statusCode', statusCodes: ['ERROR'] }],
      spans: [span(), span({ status: 2 })],
      sampled: true,
    },
    {
      name: 'statusCode ERROR, none',
      policies: [{ type: 'statusCode', statusCodes: ['ERROR'] }],
      spans: [span({ status: 1 })],
      sampled: false,
    },
    {
      name: 'statusCode OK or UNSET',
      policies: [{ type: 'statusCode', statusCodes: ['OK', 'UNSET'] }],
      spans: [span({ status: 0 })],
      sampled: true,
    },
    {
      name: 'numericAttribute in range (int)',
      policies: [{ type: 'numericAttribute', key: 'code', minValue: 500, maxValue: 599 }],
      spans: [span({ attributes: { code: 503n } })],
      sampled: true,
    },
    {
      name: 'numericAttribute bounds are inclusive',
      policies: [{ type: 'numericAttribute', key: 'code', minValue: 500, maxValue: 599 }],
      spans: [span({ attributes: { code: 599n } })],
      sampled: true,
    },
    {
      name: 'numericAttribute out of range',
      policies: [{ type: 'numericAttribute', key: 'code', minValue: 500, maxValue: 599 }],
      spans: [span({ attributes: { code: 200n } })],
      sampled: false,
    },
    {
      name: 'numericAttribute, a double',
      policies: [{ type: 'numericAttribute', key: 'ratio', minValue: 0.5 }],
      spans: [span({ attributes: { ratio: 0.75 } })],
      sampled: true,
    },
    {
      name: 'numericAttribute, a string is not a number',
      policies: [{ type: 'numericAttribute', key: 'code', minValue: 0 }],
      spans: [span({ attributes: { code: '503' } })],
      sampled: false,
    },
    {
      name: 'numericAttribute, missing',
      policies: [{ type: 'numericAttribute', key: 'code', maxValue: 1000n }],
      spans: [span()],
      sampled: false,
    },
    {
      name: 'numericAttribute on the resource',
      policies: [{ type: 'numericAttribute', key: 'tier', minValue: 1 }],
      spans: [span({ resource: resourceOf({ tier: 2n }) })],
      sampled: true,
    },
    {
      name: 'numericAttribute inverted, in range',
      policies: [{ type: 'numericAttribute', key: 'code', minValue: 500, invertMatch: true }],
      spans: [span({ attributes: { code: 503n } })],
      sampled: false,
    },
    {
      name: 'numericAttribute inverted, out of range',
      policies: [{ type: 'numericAttribute', key: 'code', minValue: 500, invertMatch: true }],
      spans: [span({ attributes: { code: 200n } })],
      sampled: true,
    },
    {
      name: 'stringAttribute exact',
      policies: [{ type: 'stringAttribute', key: 'route', values: ['/a', '/b'] }],
      spans: [span({ attributes: { route: '/b' } })],
      sampled: true,
    },
    {
      name: 'stringAttribute exact, no regex meaning',
      policies: [{ type: 'stringAttribute', key: 'route', values: ['/.*'] }],
      spans: [span({ attributes: { route: '/b' } })],
      sampled: false,
    },
    {
      name: 'stringAttribute regex (unanchored)',
      policies: [
        { type: 'stringAttribute', key: 'route', values: ['^/v1/name/.+'], enabledRegexMatching: true },
      ],
      spans: [span({ attributes: { route: '/v1/name/42' } })],
      sampled: true,
    },
    {
      name: 'stringAttribute regex, no match',
      policies: [{ type: 'stringAttribute', key: 'route', values: ['^/v2/'], enabledRegexMatching: true }],
      spans: [span({ attributes: { route: '/v1/name/42' } })],
      sampled: false,
    },
    {
      name: 'stringAttribute, a non-string value never matches',
      policies: [{ type: 'stringAttribute', key: 'code', values: ['200'] }],
      spans: [span({ attributes: { code: 200n } })],
      sampled: false,
    },
    {
      name: 'stringAttribute on the resource',
      policies: [{ type: 'stringAttribute', key: 'service.name', values: ['api'] }],
      spans: [span()],
      sampled: true,
    },
    {
      name: 'stringAttribute inverted, matching',
      policies: [{ type: 'stringAttribute', key: 'route', values: ['/health'], invertMatch: true }],
      spans: [span({ attributes: { route: '/health' } })],
      sampled: false,
    },
    {
      name: 'stringAttribute inverted, not matching',
      policies: [{ type: 'stringAttribute', key: 'route', values: ['/health'], invertMatch: true }],
      spans: [span({ attributes: { route: '/users' } })],
      sampled: true,
    },
    {
      name: 'probabilistic 100%',
      policies: [{ type: 'probabilistic', samplingPercentage: 100 }],
      spans: [span()],
      sampled: true,
    },
    {
      name: 'probabilistic 0%',
      policies: [{ type: 'probabilistic', samplingPercentage: 0 }],
      spans: [span()],
      sampled: false,
    },
    {
      name: 'spanCount at least 2, with 2',
      policies: [{ type: 'spanCount', minSpans: 2 }],
      spans: [span(), span()],
      sampled: true,
    },
    {
      name: 'spanCount at least 2, with 1',
      policies: [{ type: 'spanCount', minSpans: 2 }],
      spans: [span()],
      sampled: false,
    },
    {
      name: 'spanCount 1 to 2, with 3',
      policies: [{ type: 'spanCount', minSpans: 1, maxSpans: 2 }],
      spans: [span(), span(), span()],
      sampled: false,
    },
    {
      name: 'and: every sub-policy samples',
      policies: [
        {
          type: 'and',
          policies: [
            { type: 'statusCode', statusCodes: ['ERROR'] },
            { type: 'latency', thresholdMs: 1000 },
          ],
        },
      ],
      spans: [span({ status: 2, durationMs: 1200 })],
      sampled: true,
    },
    {
      name: 'and: one sub-policy does not',
      policies: [
        {
          type: 'and',
          policies: [
            { type: 'statusCode', statusCodes: ['ERROR'] },
            { type: 'latency', thresholdMs: 1000 },
          ],
        },
      ],
      spans: [span({ status: 2, durationMs: 10 })],
      sampled: false,
    },
    {
      name: 'and: an inverted sub-policy is a plain vote',
      policies: [
        {
          type: 'and',
          policies: [
            { type: 'alwaysSample' },
            { type: 'stringAttribute', key: 'route', values: ['/health'], invertMatch: true },
          ],
        },
      ],
      spans: [span({ attributes: { route: '/users' } })],
      sampled: true,
    },
    {
      name: 'OR across policies',
      policies: [
        { type: 'statusCode', statusCodes: ['ERROR'] },
        { type: 'latency', thresholdMs: 1000 },
      ],
      spans: [span({ status: 0, durationMs: 1200 })],
      sampled: true,
    },
    {
      name: 'drop vetoes every other policy',
      policies: [
        { type: 'alwaysSample' },
        { type: 'drop', policies: [{ type: 'stringAttribute', key: 'route', values: ['/health'] }] },
      ],
      spans: [span({ attributes: { route: '/health' } })],
      sampled: false,
    },
    {
      name: 'drop needs every sub-policy',
      policies: [
        { type: 'alwaysSample' },
        {
          type: 'drop',
          policies: [
            { type: 'stringAttribute', key: 'route', values: ['/health'] },
            { type: 'statusCode', statusCodes: ['OK'] },
          ],
        },
      ],
      spans: [span({ attributes: { route: '/health' }, status: 2 })],
      sampled: true,
    },
    {
      name: 'an inverted "not sampled" vetoes a "sampled" (the Collector\'s deprecated rule)',
      policies: [
        { type: 'alwaysSample' },
        { type: 'stringAttribute', key: 'route', values: ['/health'], invertMatch: true },
      ],
      spans: [span({ attributes: { route: '/health' } })],
      sampled: false,
    },
    {
      name: 'an inverted "sampled" loses to a "not sampled"',
      policies: [
        { type: 'stringAttribute', key: 'route', values: ['/health'], invertMatch: true },
        { type: 'statusCode', statusCodes: ['ERROR'] },
      ],
      spans: [span({ attributes: { route: '/users' } })],
      sampled: false,
    },
  ];
  it.each(cases)('$name', ({ policies, spans, sampled: expected }) => {
    expect(sampled(policies, spans)).toBe(expected);
  });

  it('probabilistic keeps the traces an FNV-1a reference keeps, and the chosen fraction', () => {
    const reference = (salt: string, id: Uint8Array): bigint => {
      let h = 0xcbf29ce484222325n;
      for (const byte of [...Buffer.from(salt, 'utf8'), ...id])
        h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
      return h;
    };
    const threshold = (0xffffffffffffffffn * 30n) / 100n;
    // Random-looking ids, as real ones are: FNV-1a barely moves its top bits for ids that differ
    // only in their last bytes.
    const idOf = (n: number) =>
      new Uint8Array(createHash('sha256').update(String(n)).digest().subarray(0, 16));
    const ids = Array.from({ length: 2000 }, (_, i) => i + 1);
    const byId = new Map(ids.map((n) => [Buffer.from(idOf(n)).toString('hex'), n]));
    const numberOf = (s: Span) => byId.get(Buffer.from(s.traceId).toString('hex')) as number;
    const h = harness({ policies: [{ type: 'probabilistic', samplingPercentage: 30 }], decisionWait: '1s' });
    for (const n of ids) h.push({ ...span(), traceId: idOf(n) });
    h.clock.advance(1000);
    const kept = new Set(h.spansOut().map(numberOf));
    const expected = ids.filter((n) => reference('default-hash-seed', idOf(n)) <= threshold);
    expect([...kept].sort((a, b) => a - b)).toEqual(expected);
    expect(kept.size / ids.length).toBeGreaterThan(0.25);
    expect(kept.size / ids.length).toBeLessThan(0.35);
    const salted = harness({
      policies: [{ type: 'probabilistic', samplingPercentage: 30, hashSalt: 'other' }],
      decisionWait: '1s',
    });
    for (const n of ids) salted.push({ ...span(), traceId: idOf(n) });
    salted.clock.advance(1000);
    const keptSalted = new Set(salted.spansOut().map(numberOf));
    expect(keptSalted).not.toEqual(kept);
  });

  it('rateLimiting takes one token per span from a bucket of 2 × spansPerSecond, refilled continuously', () => {
    const h = harness({ policies: [{ type: 'rateLimiting', spansPerSecond: 10 }], decisionWait: '1s' });
    h.push(...Array.from({ length: 15 }, () => span({ trace: 1 })));
    h.push(...Array.from({ length: 10 }, () => span({ trace: 2 })));
    h.clock.advance(1000); // 20 tokens: trace 1 takes 15, trace 2 (10) does not fit
    expect(new Set(h.spansOut().map((s) => s.traceId[15]))).toEqual(new Set([1]));
    h.push(...Array.from({ length: 10 }, () => span({ trace: 3 })));
    h.clock.advance(1000); // 5 + 10 refilled
    expect(h.spansOut().filter((s) => s.traceId[15] === 3)).toHaveLength(10);
  });

  it('composite: the first sub-policy that samples decides, within its share of the rate per second', () => {
    const policies: TailSamplePolicy[] = [
      {
        type: 'composite',
        maxTotalSpansPerSecond: 10,
        policies: [
          { policy: { type: 'stringAttribute', key: 'tier', values: ['gold'] }, percent: 50 },
          { policy: { type: 'alwaysSample' } },
        ],
      },
    ];
    const h = harness({ policies, decisionWait: '1s' });
    const gold = { tier: 'gold' };
    h.push(...Array.from({ length: 3 }, () => span({ trace: 1, attributes: gold })));
    h.push(...Array.from({ length: 3 }, () => span({ trace: 2, attributes: gold })));
    h.push(...Array.from({ length: 4 }, () => span({ trace: 3 })));
    h.push(...Array.from({ length: 2 }, () => span({ trace: 4 })));
    h.clock.advance(1000);
    expect([...new Set(h.spansOut().map((s) => s.traceId[15]))]).toEqual([1, 3]);
    h.push(...Array.from({ length: 3 }, () => span({ trace: 5, attributes: gold })));
    h.clock.advance(1000); // a new second: allowances start again
    expect(h.spansOut().filter((s) => s.traceId[15] === 5)).toHaveLength(3);
  });

  it('sampleOnFirstMatch stops at the first sampling policy, sparing later stateful ones', () => {
    const policies: TailSamplePolicy[] = [
      { type: 'alwaysSample' },
      { type: 'rateLimiting', spansPerSecond: 1, burstCapacity: 1 },
    ];
    const lazy = harness({ policies, decisionWait: '1s', sampleOnFirstMatch: true });
    lazy.push(span({ trace: 1 }));
    lazy.push(span({ trace: 2 }));
    lazy.clock.advance(1000);
    expect(lazy.spansOut()).toHaveLength(2);
    // Without it the rate limiter still votes (and spends tokens), which changes nothing here
    // but is visible with a veto after it:
    const eager = harness({
      policies: [...policies, { type: 'drop', policies: [{ type: 'spanCount', minSpans: 2 }] }],
      decisionWait: '1s',
    });
    eager.push(span({ trace: 1 }), span({ trace: 1 }));
    eager.clock.advance(1000);
    expect(eager.spansOut()).toHaveLength(0);
  });

  it('a policy that throws is counted as an error and its vote is left out', () => {
    const throwing = { ...span({ trace: 1 }) };
    Object.defineProperty(throwing, 'status', {
      get() {
        throw new Error('broken span');
      },
    });
    const h = harness({
      policies: [{ type: 'statusCode', statusCodes: ['ERROR'] }, { type: 'alwaysSample' }],
      decisionWait: '1s',
    });
    h.push(throwing as Span);
    h.clock.advance(1000);
    expect(h.spansOut()).toHaveLength(1);
    expect(h.component.stats().errors.get('processing')).toBe(1);
  });
});

describe('tailSample: acknowledgements', () => {
  it('settles an incoming batch only when the batch its sampled spans left in settles', () => {
    const h = harness({ policies: [{ type: 'statusCode', statusCodes: ['ERROR'] }], decisionWait: '1s' });
    const batch = h.push(span({ trace: 1, status: 2 }), span({ trace: 2 }));
    h.clock.advance(1000);
    expect(h.out).toHaveLength(1);
    expect(batch.ack.settled).toBe(false);
    h.out[0]?.ack.delivered();
    expect(outcome(batch)).toEqual({ status: 'delivered' });
    expect(droppedCount(h.component, 'not_sampled')).toBe(1);
    expect(h.component.stats().dropped.get('not_sampled')?.intentional).toBe(true);
    expect(h.component.stats()).toMatchObject({ received: 2, sent: 1 });
  });

  it('settles a batch whose traces were all not sampled as dropped (not_sampled)', () => {
    const h = harness({ policies: [{ type: 'statusCode', statusCodes: ['ERROR'] }], decisionWait: '1s' });
    const batch = h.push(span({ trace: 1 }), span({ trace: 2 }));
    h.clock.advance(999);
    expect(batch.ack.settled).toBe(false);
    h.clock.advance(1);
    expect(outcome(batch)).toEqual({ status: 'dropped', reason: 'not_sampled' });
  });

  it('settles every batch a trace came in once its outgoing batch settles; a failure fails them', () => {
    const h = harness({ policies: [{ type: 'alwaysSample' }], decisionWait: '1s' });
    const first = h.push(span({ trace: 1 }), span({ trace: 2 }));
    h.clock.advance(500);
    const second = h.push(span({ trace: 1 }));
    h.clock.advance(500);
    expect(h.out).toHaveLength(1);
    expect(h.out[0]?.items).toHaveLength(3);
    const error = new Error('backend down');
    h.out[0]?.ack.failed(error);
    expect(outcome(first)).toEqual({ status: 'failed', error });
    expect(outcome(second)).toEqual({ status: 'failed', error });
  });

  it('waits for every outgoing batch that holds spans of an incoming batch', () => {
    const h = harness({ policies: [{ type: 'alwaysSample' }], decisionWait: '1s' });
    h.push(span({ trace: 1 }));
    h.clock.advance(500);
    const batch = h.push(span({ trace: 1 }), span({ trace: 2 }));
    h.clock.advance(500); // trace 1 decided
    h.out[0]?.ack.delivered();
    expect(batch.ack.settled).toBe(false);
    h.clock.advance(1000); // trace 2 decided
    expect(h.out).toHaveLength(2);
    h.out[1]?.ack.delivered();
    expect(outcome(batch)).toEqual({ status: 'delivered' });
  });

  it('on unsubscribe, drops waiting spans (unsubscribed) and stops its timer', () => {
    const h = harness({ policies: [{ type: 'alwaysSample' }], decisionWait: '1s' });
    const batch = h.push(span({ trace: 1 }), span({ trace: 2 }));
    h.subscription.unsubscribe();
    expect(outcome(batch)).toEqual({ status: 'dropped', reason: 'unsubscribed' });
    expect(droppedCount(h.component, 'unsubscribed')).toBe(2);
    h.clock.advance(5000);
    expect(h.out).toHaveLength(0);
    expect(h.operator.stats().tracesPending).toBe(0);
  });

  it('on an upstream error, fails the waiting batches so a replaying source sends them again', () => {
    const h = harness({ policies: [{ type: 'alwaysSample' }], decisionWait: '1s' });
    const batch = h.push(span({ trace: 1 }));
    const error = new Error('source broke');
    h.input.error(error);
    expect(h.state.error).toBeInstanceOf(Error);
    expect(outcome(batch)).toEqual({ status: 'failed', error });
  });
});

describe('tailSample: bounded memory (numTraces)', () => {
  it('decides the oldest trace early when numTraces traces wait (overflow: decide)', () => {
    const h = harness({ policies: [{ type: 'alwaysSample' }], numTraces: 2 });
    h.push(span({ trace: 1 }));
    h.push(span({ trace: 2 }));
    expect(h.out).toHaveLength(0);
    h.push(span({ trace: 3 }));
    expect(h.spansOut().map((s) => s.traceId[15])).toEqual([1]);
    expect(h.operator.stats()).toMatchObject({ tracesDecidedEarly: 1, tracesPending: 2, tracesSampled: 1 });
  });

  it('never keeps more than numTraces traces waiting', () => {
    const h = harness({ policies: [{ type: 'statusCode', statusCodes: ['ERROR'] }], numTraces: 10 });
    let most = 0;
    for (let n = 1; n <= 500; n++) {
      h.push(span({ trace: n }), span({ trace: n }));
      most = Math.max(most, h.operator.stats().tracesPending);
    }
    expect(most).toBe(10);
    expect(h.operator.stats().tracesDecidedEarly).toBe(490);
    expect(droppedCount(h.component, 'not_sampled')).toBe(980);
  });

  it('drops the oldest trace undecided with overflow: drop, counted and settled as dropped_too_early', () => {
    const h = harness({ policies: [{ type: 'alwaysSample' }], numTraces: 1, overflow: 'drop' });
    const first = h.push(span({ trace: 1 }), span({ trace: 1 }));
    h.push(span({ trace: 2 }));
    expect(outcome(first)).toEqual({ status: 'dropped', reason: 'dropped_too_early' });
    expect(droppedCount(h.component, 'dropped_too_early')).toBe(2);
    expect(h.component.stats().dropped.get('dropped_too_early')?.intentional).toBe(false);
    expect(h.operator.stats()).toMatchObject({ tracesDroppedTooEarly: 1, tracesPending: 1 });
    expect(h.out).toHaveLength(0);
  });
});

describe('tailSample: late spans and the decision caches', () => {
  it('passes late spans of a sampled trace on at once', () => {
    const h = harness({ policies: [{ type: 'statusCode', statusCodes: ['ERROR'] }], decisionWait: '1s' });
    h.push(span({ trace: 1, status: 2 }));
    h.clock.advance(1000);
    const late = h.push(span({ trace: 1 }));
    expect(h.out).toHaveLength(2);
    expect(h.out[1]?.items).toEqual(late.items);
    h.out[1]?.ack.delivered();
    expect(outcome(late)).toEqual({ status: 'delivered' });
    expect(h.operator.stats()).toMatchObject({ lateSpans: 1, tracesPending: 0 });
  });

  it('drops late spans of a trace that was not sampled, even if they would now match', () => {
    const h = harness({ policies: [{ type: 'statusCode', statusCodes: ['ERROR'] }], decisionWait: '1s' });
    h.push(span({ trace: 1 }));
    h.clock.advance(1000);
    const late = h.push(span({ trace: 1, status: 2 }));
    expect(outcome(late)).toEqual({ status: 'dropped', reason: 'not_sampled' });
    h.clock.advance(5000);
    expect(h.out).toHaveLength(0);
  });

  it('forgets the least recently used decisions past the cache size: a late span then starts a new trace', () => {
    const h = harness({
      policies: [{ type: 'alwaysSample' }],
      decisionWait: '1s',
      decisionCache: { sampledCacheSize: 1 },
    });
    h.push(span({ trace: 1 }), span({ trace: 2 }));
    h.clock.advance(1000);
    h.push(span({ trace: 2 }));
    expect(h.out).toHaveLength(2); // trace 2 remembered
    h.push(span({ trace: 1 }));
    expect(h.out).toHaveLength(2); // trace 1 forgotten: it waits again
    expect(h.operator.stats().tracesPending).toBe(1);
  });

  it('with the caches off, every late span starts a new trace', () => {
    const h = harness({
      policies: [{ type: 'alwaysSample' }],
      decisionWait: '1s',
      decisionCache: { sampledCacheSize: 0, nonSampledCacheSize: 0 },
    });
    h.push(span({ trace: 1 }));
    h.clock.advance(1000);
    h.push(span({ trace: 1 }));
    expect(h.out).toHaveLength(1);
    expect(h.operator.stats()).toMatchObject({ tracesPending: 1, lateSpans: 0 });
  });
});

describe('tailSample: bad input never throws', () => {
  it('drops spans without a valid trace id (invalid_trace_id) and keeps the rest', () => {
    const h = harness({ policies: [{ type: 'alwaysSample' }], decisionWait: '1s' });
    const bad = [
      { ...span(), traceId: new Uint8Array(0) },
      { ...span(), traceId: new Uint8Array(8).fill(1) },
      { ...span(), traceId: new Uint8Array(16) },
      { ...span(), traceId: undefined },
      null,
      'not a span',
    ] as unknown as Span[];
    const allBad = h.push(...bad);
    expect(outcome(allBad)).toEqual({ status: 'dropped', reason: 'invalid_trace_id' });
    const mixed = h.push(span({ trace: 7 }), ...bad);
    h.clock.advance(1000);
    expect(h.spansOut()).toHaveLength(1);
    h.deliverAll();
    expect(outcome(mixed)).toEqual({ status: 'delivered' });
    expect(droppedCount(h.component, 'invalid_trace_id')).toBe(12);
    expect(h.component.stats().dropped.get('invalid_trace_id')?.intentional).toBe(false);
  });

  it('evaluates spans missing attributes, timestamps or status without failing', () => {
    const bare = {
      ...span({ trace: 3 }),
      attributes: undefined,
      status: undefined,
      startTimeUnixNano: undefined,
    } as unknown as Span;
    const policies: TailSamplePolicy[] = [
      { type: 'latency', thresholdMs: 1 },
      { type: 'statusCode', statusCodes: ['ERROR'] },
      { type: 'numericAttribute', key: 'a', minValue: 1 },
      { type: 'stringAttribute', key: 'a', values: ['x'], enabledRegexMatching: true },
      { type: 'spanCount', minSpans: 1 },
    ];
    const h = harness({ policies, decisionWait: '1s' });
    h.push(bare, { ...span({ trace: 4 }), resource: undefined } as unknown as Span);
    h.clock.advance(1000);
    expect(h.spansOut()).toHaveLength(2);
    expect(h.component.stats().errors.size).toBe(0);
  });
});

describe('tailSample: types', () => {
  it('takes and emits spans only, and policies are typed', () => {
    const operator = tailSample({ policies: [{ type: 'alwaysSample' }] });
    expect(componentOf(of(traces()).pipe(operator)).input).toEqual(['traces']);
    // @ts-expect-error tailSample takes spans, not log entries
    of(logs(logEntry('x'))).pipe(operator);
    // @ts-expect-error the Collector's always_sample is alwaysSample
    const typo: TailSamplePolicy = { type: 'always' };
    // @ts-expect-error a drop policy cannot sit inside an and policy
    const nested: TailSamplePolicy = { type: 'and', policies: [{ type: 'drop', policies: [] }] };
    void [typo, nested];
  });
});

describe('tailSample: configuration is checked when built', () => {
  const bad: readonly { name: string; options: unknown; option: string }[] = [
    { name: 'no options', options: undefined, option: 'policies' },
    { name: 'no policies', options: { policies: [] }, option: 'policies' },
    {
      name: 'an unknown policy type',
      options: { policies: [{ type: 'always' }] },
      option: 'policies[0].type',
    },
    {
      name: 'a percentage above 100',
      options: { policies: [{ type: 'probabilistic', samplingPercentage: 101 }] },
      option: 'policies[0].samplingPercentage',
    },
    {
      name: 'an unknown status code',
      options: { policies: [{ type: 'statusCode', statusCodes: ['FAIL'] }] },
      option: 'policies[0].statusCodes[0]',
    },
    {
      name: 'no status codes',
      options: { policies: [{ type: 'statusCode', statusCodes: [] }] },
      option: 'policies[0].statusCodes',
    },
    {
      name: 'a numeric policy without bounds',
      options: { policies: [{ type: 'numericAttribute', key: 'a' }] },
      option: 'policies[0].minValue',
    },
    {
      name: 'a numeric policy with min above max',
      options: { policies: [{ type: 'numericAttribute', key: 'a', minValue: 5, maxValue: 1 }] },
      option: 'policies[0].maxValue',
    },
    {
      name: 'a string policy without values',
      options: { policies: [{ type: 'stringAttribute', key: 'a', values: [] }] },
      option: 'policies[0].values',
    },
    {
      name: 'an invalid regex',
      options: {
        policies: [{ type: 'stringAttribute', key: 'a', values: ['('], enabledRegexMatching: true }],
      },
      option: 'policies[0].values[0]',
    },
    {
      name: 'a negative latency',
      options: { policies: [{ type: 'latency', thresholdMs: -1 }] },
      option: 'policies[0].thresholdMs',
    },
    {
      name: 'a zero rate',
      options: { policies: [{ type: 'rateLimiting', spansPerSecond: 0 }] },
      option: 'policies[0].spansPerSecond',
    },
    {
      name: 'a drop inside an and',
      options: {
        policies: [{ type: 'and', policies: [{ type: 'drop', policies: [{ type: 'alwaysSample' }] }] }],
      },
      option: 'policies[0].policies[0].type',
    },
    {
      name: 'an empty and',
      options: { policies: [{ type: 'and', policies: [] }] },
      option: 'policies[0].policies',
    },
    {
      name: 'a composite share of 0',
      options: {
        policies: [
          {
            type: 'composite',
            maxTotalSpansPerSecond: 10,
            policies: [{ policy: { type: 'alwaysSample' }, percent: 0 }],
          },
        ],
      },
      option: 'policies[0].policies[0].percent',
    },
    {
      name: 'a bad decisionWait',
      options: { policies: [{ type: 'alwaysSample' }], decisionWait: 'soon' },
      option: 'decisionWait',
    },
    {
      name: 'numTraces 0',
      options: { policies: [{ type: 'alwaysSample' }], numTraces: 0 },
      option: 'numTraces',
    },
    {
      name: 'an unknown overflow',
      options: { policies: [{ type: 'alwaysSample' }], overflow: 'block' },
      option: 'overflow',
    },
    {
      name: 'a negative cache size',
      options: { policies: [{ type: 'alwaysSample' }], decisionCache: { sampledCacheSize: -1 } },
      option: 'decisionCache.sampledCacheSize',
    },
  ];
  it.each(bad)('rejects $name, naming $option', ({ options, option }) => {
    let thrown: unknown;
    try {
      tailSample(options as TailSampleOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).option).toBe(option);
  });
});

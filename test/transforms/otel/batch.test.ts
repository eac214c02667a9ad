// The batch transform: how it cuts (sizes, order, the timer), what it does with acknowledgements,
// its counters, its memory bound, and bad configuration.
import fc from 'fast-check';
import { map, type Observable, Subject, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { AckOutcome } from '../../../src/core/ack.js';
import { type Batch, createBatch } from '../../../src/core/batch.js';
import { ConfigError } from '../../../src/core/errors.js';
import type { MetricSample } from '../../../src/core/signals.js';
import { type BatchOptions, batch } from '../../../src/transforms/otel/batch.js';
import { componentOf, dropped, sample, watch } from './helpers.js';

/** Metric samples whose values are `from`, `from + 1`, ... */
function samples(from: number, count: number): MetricSample[] {
  return Array.from({ length: count }, (_, i) => sample('m', {}, from + i));
}

/** Batches of the given sizes, numbered on from 0. */
function batchesOf(sizes: readonly number[]): Batch<'metrics'>[] {
  let next = 0;
  return sizes.map((size) => {
    const out = createBatch('metrics', samples(next, size));
    next += size;
    return out;
  });
}

type Three = [Batch<'metrics'>, Batch<'metrics'>, Batch<'metrics'>];

const values = (b: Batch<'metrics'>): number[] => b.items.map((s) => s.value);

function run(options: Partial<BatchOptions<'metrics'>>, sizes: readonly number[], complete = true) {
  const input = new Subject<Batch<'metrics'>>();
  const stream = input.pipe(batch({ kind: 'metrics', timeout: '1h', ...options }));
  const seen = watch(stream);
  const incoming = batchesOf(sizes);
  for (const b of incoming) input.next(b);
  if (complete) input.complete();
  return { input, incoming, seen, component: componentOf(stream) };
}

describe('batch: how it cuts', () => {
  it.each([
    // [sendBatchSize, sendBatchMaxSize, timeout, incoming sizes, outgoing sizes]
    { size: 3, max: 5, timeout: '1h', incoming: [1, 1, 1], out: [3] },
    { size: 3, max: 5, timeout: '1h', incoming: [1, 1], out: [2] },
    { size: 3, max: 5, timeout: '1h', incoming: [7], out: [5, 2] },
    { size: 3, max: 5, timeout: '1h', incoming: [2, 7], out: [5, 4] },
    { size: 3, max: 5, timeout: '1h', incoming: [2, 12], out: [5, 5, 4] },
    { size: 3, max: 5, timeout: '1h', incoming: [2, 1, 1, 1], out: [3, 2] },
    { size: 3, max: 0, timeout: '1h', incoming: [2, 7], out: [9] },
    { size: 3, max: 3, timeout: '1h', incoming: [10], out: [3, 3, 3, 1] },
    { size: 0, max: 4, timeout: '1h', incoming: [2, 9], out: [2, 4, 4, 1] },
    { size: 3, max: 5, timeout: 0, incoming: [2, 7, 1], out: [2, 5, 2, 1] },
    { size: 3, max: 0, timeout: 0, incoming: [2, 7, 1], out: [2, 7, 1] },
    { size: 2000, max: 3000, timeout: '1h', incoming: [2500, 499, 1501], out: [2500, 2000] },
  ])('sendBatchSize $size, sendBatchMaxSize $max, timeout $timeout: $incoming in, $out out', (c) => {
    const { seen } = run({ sendBatchSize: c.size, sendBatchMaxSize: c.max, timeout: c.timeout }, c.incoming);
    expect(seen.done).toBe(true);
    expect(seen.out.map((b) => b.items.length)).toEqual(c.out);
    const total = c.incoming.reduce((a, b) => a + b, 0);
    expect(seen.out.flatMap(values)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(seen.out.every((b) => b.kind === 'metrics')).toBe(true);
  });

  it('passes a batch of the right size through untouched when nothing is held', () => {
    const { seen, incoming } = run({ sendBatchSize: 3, sendBatchMaxSize: 5 }, [4]);
    expect(seen.out[0]).toBe(incoming[0]);
  });

  it('sends held items on the timer, counted from the oldest, and on completion', () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(
      ({ cold, expectObservable }) => {
        const [a, b, c] = batchesOf([1, 1, 1]) as Three;
        const cut = (source: Observable<Batch<'metrics'>>) =>
          source.pipe(batch({ kind: 'metrics', sendBatchSize: 3, timeout: 50 }), map(values));
        // Held until 50ms after the first arrived; the source never ends.
        expectObservable(cut(cold('a 9ms b', { a, b }))).toBe('50ms x', { x: [0, 1] });
        // The third item makes a full batch at once.
        expectObservable(cut(cold('a 9ms b 9ms c', { a, b, c }))).toBe('20ms x', { x: [0, 1, 2] });
        // Completion sends what is held, then completes.
        expectObservable(cut(cold('a 9ms |', { a }))).toBe('10ms (x|)', { x: [0] });
        // Nothing held: completes at once, with nothing sent.
        expectObservable(cut(cold('---|'))).toBe('---|');
      },
    );
  });

  it('restarts the timer for what stays behind after a full batch', () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(
      ({ cold, expectObservable }) => {
        const [a, b] = batchesOf([2, 2]) as Three;
        const source = cold('a 9ms b', { a, b });
        expectObservable(
          source.pipe(
            batch({ kind: 'metrics', sendBatchSize: 3, sendBatchMaxSize: 3, timeout: 50 }),
            map(values),
          ),
        ).toBe('10ms x 49ms y', { x: [0, 1, 2], y: [3] });
      },
    );
  });

  it('waits 200ms by default', () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(
      ({ cold, expectObservable }) => {
        const [a] = batchesOf([1]) as Three;
        expectObservable(cold('a', { a }).pipe(batch({ kind: 'metrics' }), map(values))).toBe('200ms x', {
          x: [0],
        });
      },
    );
  });

  it('keeps arrival order when downstream sends more while it is emitting', () => {
    const input = new Subject<Batch<'metrics'>>();
    const [first, second, third] = batchesOf([4, 1, 4]);
    const order: number[][] = [];
    let sentMore = false;
    input
      .pipe(batch({ kind: 'metrics', sendBatchSize: 2, sendBatchMaxSize: 2, timeout: 0 }))
      .subscribe((b) => {
        order.push(values(b));
        if (!sentMore) {
          sentMore = true;
          input.next(second as Batch<'metrics'>);
          input.next(third as Batch<'metrics'>);
        }
      });
    input.next(first as Batch<'metrics'>);
    expect(order).toEqual([[0, 1], [2, 3], [4], [5, 6], [7, 8]]);
  });

  it('holds fewer than sendBatchSize items between arrivals and never sends more than sendBatchMaxSize', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 120 }), { maxLength: 30 }),
        (size, extra, sizes) => {
          const max = extra === 0 ? 0 : size + extra - 1;
          const input = new Subject<Batch<'metrics'>>();
          const seen = watch(
            input.pipe(batch({ kind: 'metrics', sendBatchSize: size, sendBatchMaxSize: max, timeout: '1h' })),
          );
          let into = 0;
          for (const b of batchesOf(sizes)) {
            input.next(b);
            into += b.items.length;
            const out = seen.out.reduce((n, o) => n + o.items.length, 0);
            expect(into - out).toBeLessThan(size);
          }
          const bySize = seen.out.length;
          input.complete();
          for (const [i, o] of seen.out.entries()) {
            if (max > 0) expect(o.items.length).toBeLessThanOrEqual(max);
            if (i < bySize) expect(o.items.length).toBeGreaterThanOrEqual(size);
            expect(o.items.length).toBeGreaterThan(0);
          }
          expect(seen.out.flatMap(values)).toEqual(Array.from({ length: into }, (_, i) => i));
          expect(seen.done).toBe(true);
        },
      ),
    );
  });
});

describe('batch: acknowledgements', () => {
  const failure = new Error('backend down');

  it('settles an incoming batch only when every outgoing batch holding its items has', () => {
    const { seen, incoming } = run({ sendBatchSize: 3, sendBatchMaxSize: 5 }, [2, 7]);
    const [a, b] = incoming as [Batch<'metrics'>, Batch<'metrics'>];
    const [first, second] = seen.out as [Batch<'metrics'>, Batch<'metrics'>];
    expect(values(first)).toEqual([0, 1, 2, 3, 4]);
    first.ack.delivered();
    expect(a.ack.result).toEqual({ status: 'delivered' });
    expect(b.ack.settled).toBe(false);
    second.ack.delivered();
    expect(b.ack.result).toEqual({ status: 'delivered' });
  });

  it.each<{ name: string; outcomes: AckOutcome[]; expected: AckOutcome['status'] }>([
    {
      name: 'all delivered',
      outcomes: [{ status: 'delivered' }, { status: 'delivered' }, { status: 'delivered' }],
      expected: 'delivered',
    },
    {
      name: 'one failed',
      outcomes: [{ status: 'delivered' }, { status: 'failed', error: failure }, { status: 'delivered' }],
      expected: 'failed',
    },
    {
      name: 'all dropped',
      outcomes: [
        { status: 'dropped', reason: 'x' },
        { status: 'dropped', reason: 'x' },
        { status: 'dropped', reason: 'x' },
      ],
      expected: 'dropped',
    },
    {
      name: 'some dropped',
      outcomes: [{ status: 'dropped', reason: 'x' }, { status: 'delivered' }, { status: 'delivered' }],
      expected: 'delivered',
    },
    {
      name: 'failed after dropped',
      outcomes: [
        { status: 'dropped', reason: 'x' },
        { status: 'dropped', reason: 'x' },
        { status: 'failed', error: failure },
      ],
      expected: 'failed',
    },
  ])('a batch split three ways settles $expected when $name', ({ outcomes, expected }) => {
    const { seen, incoming } = run({ sendBatchSize: 2, sendBatchMaxSize: 2 }, [6]);
    expect(seen.out).toHaveLength(3);
    seen.out.forEach((b, i) => {
      b.ack.settle(outcomes[i] as AckOutcome);
      if (i < 2) expect(incoming[0]?.ack.settled).toBe(false);
    });
    expect(incoming[0]?.ack.result?.status).toBe(expected);
  });

  it('settles every batch whose items share an outgoing batch with that batch', () => {
    const { seen, incoming } = run({ sendBatchSize: 10, sendBatchMaxSize: 10 }, [3, 3, 3]);
    expect(seen.out).toHaveLength(1);
    expect(incoming.every((b) => !b.ack.settled)).toBe(true);
    seen.out[0]?.ack.failed(failure);
    expect(incoming.map((b) => b.ack.result)).toEqual(
      incoming.map(() => ({ status: 'failed', error: failure })),
    );
  });

  it('settles an empty batch at once and sends nothing', () => {
    const { seen, incoming, component } = run({ sendBatchSize: 3 }, [0]);
    expect(seen.out).toEqual([]);
    expect(incoming[0]?.ack.result).toEqual({ status: 'delivered' });
    expect(component.stats()).toMatchObject({ received: 0, sent: 0 });
  });

  it('drops what it holds when unsubscribed, and counts it', () => {
    const { seen, incoming, component } = run({ sendBatchSize: 10 }, [3, 4], false);
    expect(seen.out).toEqual([]);
    seen.subscription.unsubscribe();
    expect(incoming.map((b) => b.ack.result)).toEqual([
      { status: 'dropped', reason: 'unsubscribed' },
      { status: 'dropped', reason: 'unsubscribed' },
    ]);
    expect(component.stats().dropped.get('unsubscribed')).toEqual({ count: 7, intentional: false });
  });

  it('fails what it holds when the input fails, so a replaying source sends it again', () => {
    const input = new Subject<Batch<'metrics'>>();
    const stream = input.pipe(batch({ kind: 'metrics', sendBatchSize: 10 }));
    const seen = watch(stream);
    const [held] = batchesOf([3]);
    input.next(held as Batch<'metrics'>);
    const error = new Error('source broke');
    input.error(error);
    expect(held?.ack.result).toEqual({ status: 'failed', error });
    expect(seen.error).toBeDefined();
    expect(seen.out).toEqual([]);
    expect(dropped(componentOf(stream), 'unsubscribed')).toBe(0);
  });

  it('passes an input error on even with nothing held', () => {
    const seen = watch(throwError(() => new Error('nope')).pipe(batch({ kind: 'logs' })));
    expect((seen.error as Error).message).toBe('nope');
  });
});

describe('batch: counters', () => {
  it('counts what it takes in and sends on, and drops nothing while running', () => {
    const { component } = run({ sendBatchSize: 3, sendBatchMaxSize: 5 }, [2, 7, 1]);
    expect(component.stats()).toMatchObject({ received: 10, sent: 10 });
    expect(component.stats().dropped.size).toBe(0);
    expect(component.stats().errors.size).toBe(0);
    expect(component.health()).toMatchObject({ state: 'exited', message: 'completed' });
    expect([component.type, component.input, component.output]).toEqual(['batch', ['metrics'], 'metrics']);
  });
});

describe('batch: configuration', () => {
  it.each<{ options: Record<string, unknown>; option: string }>([
    { options: { kind: 'metrics', sendBatchSize: 5000 }, option: 'sendBatchMaxSize' },
    { options: { kind: 'metrics', sendBatchSize: 10, sendBatchMaxSize: 5 }, option: 'sendBatchMaxSize' },
    { options: { kind: 'metrics', sendBatchSize: -1 }, option: 'sendBatchSize' },
    { options: { kind: 'metrics', sendBatchSize: Number.NaN }, option: 'sendBatchSize' },
    { options: { kind: 'metrics', sendBatchSize: 1.5 }, option: 'sendBatchSize' },
    { options: { kind: 'metrics', sendBatchMaxSize: '3000' }, option: 'sendBatchMaxSize' },
    { options: { kind: 'metrics', timeout: 'soon' }, option: 'timeout' },
    { options: { kind: 'metrics', timeout: -5 }, option: 'timeout' },
    { options: { kind: 'spans' }, option: 'kind' },
    { options: {}, option: 'kind' },
  ])('rejects $options naming $option', ({ options, option }) => {
    const build = () => batch(options as unknown as BatchOptions<'metrics'>);
    expect(build).toThrow(ConfigError);
    try {
      build();
    } catch (error) {
      expect((error as ConfigError).option).toBe(option);
    }
  });

  it('takes a larger sendBatchSize with no cap', () => {
    expect(() => batch({ kind: 'traces', sendBatchSize: 5000, sendBatchMaxSize: 0 })).not.toThrow();
  });
});

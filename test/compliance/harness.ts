// Every built-in component reports the same four things (received, sent, dropped, errors), keeps
// its health, feeds its tap, and settles every batch it takes. One check per role, generic over
// the signal kind; the tables of components that go through them are in test/compliance.test.ts.
import {
  firstValueFrom,
  type Observable,
  type OperatorFunction,
  Subject,
  type Subscription,
  toArray,
} from 'rxjs';
import { expect, vi } from 'vitest';
import { type Batch, createBatch } from '../../src/core/batch.js';
import type { ComponentInfo, TapEvent } from '../../src/core/component.js';
import type { Delivery, SourceStream } from '../../src/core/define.js';
import { collectGraph } from '../../src/core/graph.js';
import { Labels } from '../../src/core/labels.js';
import type { ItemOf } from '../../src/core/signals.js';

/** The signal kinds the harness has items for. */
export type Kind = 'metrics' | 'logs';

/** Numbered test items of each kind. */
export const itemOf: { readonly [K in Kind]: (n: number) => ItemOf<K> } = {
  metrics: (n) => ({
    labels: Labels.from({ __name__: 'compliance_value', n: String(n) }),
    value: n,
    timestampMs: 1_700_000_000_000,
    metadata: { family: 'compliance_value', type: 'gauge', help: 'A test value.' },
  }),
  logs: (n) => logEntry(`compliance line ${n}`, n),
};

/** A log entry of the `compliance` job. */
export function logEntry(line: string, n = 0): ItemOf<'logs'> {
  return {
    labels: Labels.from({ job: 'compliance' }),
    line,
    timestampNs: 1_700_000_000_000_000_000n + BigInt(n),
  };
}

/** An item as plain data, to compare what a transform emits with what it should. */
const shown: { readonly [K in Kind]: (item: ItemOf<K>) => unknown } = {
  metrics: (sample) => ({ labels: sample.labels.toRecord(), value: sample.value }),
  logs: (entry) => ({ labels: entry.labels.toRecord(), line: entry.line }),
};

/** A metric's name or a log entry's line: what a source was fed, as its output shows it. */
const nameOf: { readonly [K in Kind]: (item: ItemOf<K>) => string } = {
  metrics: (sample) => sample.labels.metricName,
  logs: (entry) => entry.line,
};

/** One component of a table, with the check of its role bound to its signal kind. */
export interface Case {
  readonly name: string;
  readonly kind: Kind;
  readonly check: () => Promise<void>;
}

function componentOf(stream: Observable<unknown>): ComponentInfo {
  const [component] = collectGraph([stream]).components;
  if (component === undefined) throw new Error('no component in the graph');
  return component;
}

/** Tapped items, counted per direction. */
function tappedItems(events: readonly TapEvent[], kind: Kind): { in: number; out: number } {
  const counts = { in: 0, out: 0 };
  for (const event of events) {
    expect(event.kind).toBe(kind);
    counts[event.direction] += event.items.length;
  }
  return counts;
}

/** A sink: counts, taps its input, settles every batch, and reports exited once its input completes. */
export function sinkCase<K extends Kind>(
  name: string,
  kind: K,
  make: () => OperatorFunction<Batch<K>, Delivery>,
): Case {
  return { name, kind, check: () => checkSink(kind, make) };
}

async function checkSink<K extends Kind>(
  kind: K,
  make: () => OperatorFunction<Batch<K>, Delivery>,
): Promise<void> {
  const input = new Subject<Batch<K>>();
  const stream = input.pipe(make());
  const component = componentOf(stream);
  expect(component.role).toBe('sink');
  expect(component.input).toContain(kind);
  const tapped: TapEvent[] = [];
  const tap = component.tap({ direction: 'in' }).subscribe((e) => tapped.push(e));
  const deliveries = firstValueFrom(stream.pipe(toArray()));
  const item = itemOf[kind];
  const batches = [createBatch(kind, [item(1), item(2), item(3)]), createBatch(kind, [item(4)])];
  for (const batch of batches) input.next(batch);
  input.complete();
  const done = await deliveries;
  tap.unsubscribe();
  expect(done.map((d) => [d.component, d.kind, d.items, d.outcome.status])).toEqual([
    [component.id, kind, 3, 'delivered'],
    [component.id, kind, 1, 'delivered'],
  ]);
  expect(batches.map((b) => b.ack.result?.status)).toEqual(['delivered', 'delivered']);
  expect(component.stats()).toMatchObject({ received: 4, sent: 4 });
  expect(component.stats().dropped.size).toBe(0);
  expect(component.stats().errors.size).toBe(0);
  expect(component.health()).toMatchObject({ state: 'exited', message: 'completed' });
  expect(tappedItems(tapped, kind)).toEqual({ in: 4, out: 0 });
}

/** What a transform is given and should make of it. */
export interface TransformSpec<K extends Kind> {
  readonly make: () => OperatorFunction<Batch<K>, Batch<K>>;
  /** A batch of which some items are kept and some dropped on purpose. */
  readonly mixed: readonly ItemOf<K>[];
  /** A batch of which every item is dropped on purpose. */
  readonly allDropped: readonly ItemOf<K>[];
  /** What comes out, as plain data: labels as a record, and the value or the line. */
  readonly out: readonly unknown[];
  /** The reason the dropped items are counted under. */
  readonly dropReason: string;
  /** The reason the ack of the batch dropped whole settles with. */
  readonly batchReason: string;
}

/**
 * A transform: counts in and out, counts intentional drops, taps both sides, settles the acks of
 * batches it drops whole, and settles a batch it passes on once its output is delivered.
 */
export function transformCase<K extends Kind>(name: string, kind: K, spec: TransformSpec<K>): Case {
  return { name, kind, check: () => checkTransform(kind, spec) };
}

async function checkTransform<K extends Kind>(kind: K, spec: TransformSpec<K>): Promise<void> {
  const input = new Subject<Batch<K>>();
  const stream = input.pipe(spec.make());
  const component = componentOf(stream);
  expect(component.role).toBe('transform');
  expect([component.input, component.output]).toEqual([[kind], kind]);
  const tapped: TapEvent[] = [];
  const tap = component.tap({ direction: 'both' }).subscribe((e) => tapped.push(e));
  const out = firstValueFrom(stream.pipe(toArray()));
  const mixed = createBatch(kind, spec.mixed);
  const gone = createBatch(kind, spec.allDropped);
  input.next(mixed);
  input.next(gone);
  input.complete();
  const batches = await out;
  tap.unsubscribe();
  expect(batches.flatMap((b) => b.items.map((i) => shown[kind](i)))).toEqual(spec.out);
  expect(gone.ack.result).toEqual({ status: 'dropped', reason: spec.batchReason });
  expect(mixed.ack.result).toBeUndefined();
  for (const batch of batches) batch.ack.delivered();
  expect(mixed.ack.result).toEqual({ status: 'delivered' });
  const received = spec.mixed.length + spec.allDropped.length;
  const sent = spec.out.length;
  expect(component.stats()).toMatchObject({ received, sent });
  expect(component.stats().dropped).toEqual(
    new Map([[spec.dropReason, { count: received - sent, intentional: true }]]),
  );
  expect(component.stats().errors.size).toBe(0);
  expect(component.health()).toMatchObject({ state: 'exited', message: 'completed' });
  expect(tappedItems(tapped, kind)).toEqual({ in: received, out: sent });
}

/**
 * A source: counts what it takes in and emits, is healthy while running, taps its output, and
 * stops when unsubscribed. `fed` is what its real input carries (metric names or log lines), for
 * the sources that are fed; its first batch must hold exactly that.
 */
export function sourceCase<K extends Kind>(
  name: string,
  kind: K,
  make: () => SourceStream<K>,
  fed?: readonly string[],
): Case {
  return { name, kind, check: () => checkSource(kind, make, fed) };
}

async function checkSource<K extends Kind>(
  kind: K,
  make: () => SourceStream<K>,
  fed: readonly string[] | undefined,
): Promise<void> {
  const stream = make();
  const component = stream.component;
  expect(component.role).toBe('source');
  expect(component.output).toBe(kind);
  const tapped = firstValueFrom(component.tap({ maxItemsPerSecond: 5 }));
  const batches: Batch<K>[] = [];
  let subscription: Subscription | undefined;
  const first = new Promise<Batch<K>>((resolve, reject) => {
    subscription = stream.subscribe({
      next: (batch) => {
        batches.push(batch);
        resolve(batch);
      },
      error: reject,
    });
  });
  try {
    const batch = await first;
    expect(batch.kind).toBe(kind);
    expect(batch.items.length).toBeGreaterThan(0);
    if (fed !== undefined) {
      expect(batch.items.map((i) => nameOf[kind](i))).toEqual(fed);
      expect(component.stats().received).toBe(fed.length);
    }
    expect(component.stats().sent).toBe(batch.items.length);
    expect(component.stats().dropped.size).toBe(0);
    expect(component.stats().errors.size).toBe(0);
    expect(component.health().state).toBe('healthy');
    const event = await tapped;
    expect(event.kind).toBe(kind);
    expect(event.items).toHaveLength(Math.min(5, batch.items.length));
    expect(event.skipped).toBe(batch.items.length - event.items.length);
  } finally {
    for (const batch of batches) batch.ack.delivered();
    subscription?.unsubscribe();
  }
  await vi.waitFor(() => expect(component.health()).toMatchObject({ state: 'exited', message: 'stopped' }));
  expect(component.stats().errors.size).toBe(0);
}

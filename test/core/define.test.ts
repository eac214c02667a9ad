import { filter, firstValueFrom, map, Observable, Subject, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Ack } from '../../src/core/ack.js';
import type { Batch } from '../../src/core/batch.js';
import { createBatch, withItems } from '../../src/core/batch.js';
import { type Delivery, defineSink, defineSource, defineTransform } from '../../src/core/define.js';
import { RivuletError } from '../../src/core/errors.js';
import { fanIn, fanOut } from '../../src/core/fan.js';
import { collectGraph } from '../../src/core/graph.js';
import { Labels } from '../../src/core/labels.js';
import type { MetricSample } from '../../src/core/signals.js';

const sample = (n: number): MetricSample => ({
  labels: Labels.from({ __name__: 'n' }),
  value: n,
  timestampMs: n,
});

function numbers(count: number, options: { maxInFlight?: number; id?: string } = {}) {
  return defineSource(
    { type: 'numbers', id: options.id, kind: 'metrics', maxInFlight: options.maxInFlight },
    async (ctx) => {
      for (let i = 0; i < count && !ctx.signal.aborted; i++) await ctx.emit([sample(i)]);
    },
  );
}

const double = (id?: string) =>
  defineTransform(
    { type: 'double', id, input: 'metrics', output: 'metrics' },
    () => (upstream) =>
      upstream.pipe(
        map((batch) =>
          withItems(
            batch,
            batch.items.map((s) => ({ ...s, value: s.value * 2 })),
          ),
        ),
      ),
  );

const collect = (into: number[], id?: string) =>
  defineSink(
    { type: 'collect', id, input: 'metrics' },
    (ctx) => (upstream) =>
      upstream.pipe(
        map((batch) => {
          for (const s of batch.items) into.push(s.value);
          return ctx.settle(batch, { status: 'delivered' });
        }),
      ),
  );

describe('in-flight window', () => {
  it('a source with a window of N stops at N unacknowledged batches and resumes on ack', async () => {
    const source = numbers(10, { maxInFlight: 3 });
    const held: Batch<'metrics'>[] = [];
    const subscription = source.subscribe((batch) => held.push(batch));
    await new Promise((r) => setTimeout(r, 20));
    expect(held).toHaveLength(3);
    held[0]?.ack.delivered();
    await new Promise((r) => setTimeout(r, 20));
    expect(held).toHaveLength(4);
    held[1]?.ack.dropped('test');
    held[2]?.ack.failed(new Error('test'));
    await new Promise((r) => setTimeout(r, 20));
    expect(held).toHaveLength(6);
    subscription.unsubscribe();
  });
});

describe('defineSource, defineTransform, defineSink', () => {
  it('count received, sent and delivered items per component', async () => {
    const values: number[] = [];
    const source = numbers(5, { id: 'src' });
    const t = double('dbl');
    const sink = collect(values, 'out');
    const deliveries = await firstValueFrom(source.pipe(t, sink, toArray()));
    expect(values).toEqual([0, 2, 4, 6, 8]);
    expect(deliveries.every((d) => d.outcome.status === 'delivered' && d.component === 'out')).toBe(true);
    const { components } = collectGraph([source.pipe(t, sink)]);
    const byId = new Map(components.map((c) => [c.id, c]));
    expect(byId.get('src')?.stats()).toMatchObject({ sent: 5, received: 0 });
    expect(byId.get('dbl')?.stats()).toMatchObject({ received: 5, sent: 5 });
    expect(byId.get('out')?.stats()).toMatchObject({ received: 5, sent: 5 });
    expect(byId.get('src')?.health().state).toBe('exited');
  });

  it('derive graph edges from composition, through plain RxJS operators and fan-out', () => {
    const a = numbers(1, { id: 'a' });
    const b = numbers(1, { id: 'b' });
    const merged = fanIn(a, b).pipe(
      filter(() => true),
      double('t'),
    );
    const pipeline = fanOut(merged, collect([], 's1'), collect([], 's2'));
    const { components, edges } = collectGraph([pipeline]);
    expect(components.map((c) => c.id).sort()).toEqual(['a', 'b', 's1', 's2', 't']);
    expect(edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual(['a->t', 'b->t', 't->s1', 't->s2']);
  });

  it('tag an error with the component it started in', async () => {
    const failing = defineTransform(
      { type: 'boom', id: 'boom', input: 'metrics', output: 'metrics' },
      () => (upstream) =>
        upstream.pipe(
          map(() => {
            throw new Error('bad rule');
          }),
        ),
    );
    const sink = collect([], 'after-boom');
    const error = await firstValueFrom(numbers(1).pipe(failing, sink)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RivuletError);
    expect((error as RivuletError).component).toBe('boom');
    expect((error as RivuletError).message).toBe('bad rule');
  });

  it('a source whose producer throws errors with its id and is marked exited', async () => {
    const source = defineSource({ type: 'broken', id: 'broken-src', kind: 'metrics' }, async () => {
      throw new Error('cannot open');
    });
    const error = await firstValueFrom(source).catch((e: unknown) => e);
    expect((error as RivuletError).component).toBe('broken-src');
    expect(source.component.health()).toMatchObject({ state: 'exited', message: 'cannot open' });
    expect(source.component.stats().errors.get('receiving')).toBe(1);
  });

  const untilAborted = (signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve());
    });

  it('stop() ends a source gracefully: its stream completes', async () => {
    const source = defineSource({ type: 'forever', kind: 'metrics' }, (ctx) => untilAborted(ctx.signal));
    let completed = false;
    source.subscribe({ complete: () => (completed = true) });
    await new Promise((r) => setTimeout(r, 5));
    expect(completed).toBe(false);
    (source.component as unknown as { stop(): void }).stop();
    await new Promise((r) => setTimeout(r, 5));
    expect(completed).toBe(true);
    expect(source.component.health()).toMatchObject({ state: 'exited', message: 'stopped' });
  });

  it('unsubscribing aborts the producer', async () => {
    let aborted = false;
    const source = defineSource({ type: 'forever', kind: 'metrics' }, async (ctx) => {
      await untilAborted(ctx.signal);
      aborted = true;
    });
    const subscription = source.subscribe();
    await new Promise((r) => setTimeout(r, 5));
    subscription.unsubscribe();
    await new Promise((r) => setTimeout(r, 5));
    expect(aborted).toBe(true);
  });

  it('the tap passes sampled items, bounded per second, only while watched', async () => {
    const input = new Subject<Batch<'metrics'>>();
    const t = double('tapped');
    const out = input.pipe(t);
    out.subscribe();
    const { components } = collectGraph([out]);
    const info = components[0];
    if (info === undefined) throw new Error('no component');
    const events = firstValueFrom(info.tap({ maxItemsPerSecond: 3 }).pipe(take(1)));
    input.next(createBatch('metrics', [sample(1), sample(2), sample(3), sample(4), sample(5)]));
    const event = await events;
    expect(event.items).toHaveLength(3);
    expect(event.skipped).toBe(2);
    expect((event.items[0] as MetricSample).value).toBe(2);
  });

  it('fan-out gives each branch its own ack and settles the original once all have', async () => {
    const batchAck = new Ack();
    const source = new Observable<Batch<'metrics'>>((s) => {
      s.next(createBatch('metrics', [sample(1)], batchAck));
      s.complete();
    });
    const slowBranch = defineSink(
      { type: 'slow', input: 'metrics' },
      (ctx) => (upstream) =>
        new Observable<Delivery>((s) =>
          upstream.subscribe((batch) => {
            setTimeout(() => {
              s.next(ctx.settle(batch, { status: 'delivered' }));
              s.complete();
            }, 30);
          }),
        ),
    );
    const done = firstValueFrom(fanOut(source, collect([]), slowBranch).pipe(toArray()));
    await new Promise((r) => setTimeout(r, 5));
    expect(batchAck.settled).toBe(false);
    const deliveries = await done;
    expect(deliveries).toHaveLength(2);
    expect(batchAck.result).toEqual({ status: 'delivered' });
  });

  it('rejects ids with characters that would not survive a URL or a label', () => {
    expect(() => numbers(1, { id: 'has space' })).toThrow(/option 'id'/);
  });

  it('an unsubscribed source does not emit again', async () => {
    const source = numbers(1000);
    const seen: number[] = [];
    const subscription = source.pipe(take(2)).subscribe((b) => {
      seen.push(b.items.length);
      b.ack.delivered();
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toHaveLength(2);
    expect(subscription.closed).toBe(true);
  });
});

describe('tryEmit', () => {
  it('emits only while the window has room, and never waits', async () => {
    let context: import('../../src/core/define.js').SourceContext<'metrics'> | undefined;
    const source = defineSource({ type: 'receiver', kind: 'metrics', maxInFlight: 2 }, (ctx) => {
      context = ctx;
      return new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
    });
    const seen: Batch<'metrics'>[] = [];
    const subscription = source.subscribe((b) => seen.push(b));
    await new Promise((r) => setTimeout(r, 1));
    if (context === undefined) throw new Error('producer did not start');
    const first = context.tryEmit([sample(1)]);
    const second = context.tryEmit([sample(2)]);
    expect(context.tryEmit([sample(3)])).toBeUndefined();
    expect(seen).toHaveLength(2);
    first?.delivered();
    expect(context.tryEmit([sample(4)])).toBeDefined();
    second?.delivered();
    subscription.unsubscribe();
    expect(context.tryEmit([sample(5)])).toBeUndefined();
  });
});

describe('recent errors and component info', () => {
  it('keeps the last 10 errors with their stage, message and time, oldest first', async () => {
    const before = Date.now();
    const sink = defineSink(
      { type: 'erring', id: 'erring-sink', input: 'metrics' },
      (ctx) => (upstream) =>
        upstream.pipe(
          map((batch) => {
            const n = batch.items[0]?.value ?? -1;
            ctx.error(n % 2 === 0 ? 'sending' : 'processing', new Error(`failure ${n}`));
            return ctx.settle(batch, { status: 'delivered' });
          }),
        ),
    );
    expect(sink.component.recentErrors?.()).toEqual([]);
    await firstValueFrom(numbers(12).pipe(sink, toArray()));
    const errors = sink.component.recentErrors?.() ?? [];
    expect(errors.map((e) => e.message)).toEqual(Array.from({ length: 10 }, (_, i) => `failure ${i + 2}`));
    expect(errors[0]?.stage).toBe('sending');
    expect(errors[1]?.stage).toBe('processing');
    for (const error of errors) expect(error.timeMs).toBeGreaterThanOrEqual(before);
    expect(sink.component.stats().errors.get('sending')).toBe(6);
    expect(Object.isFrozen(errors[0])).toBe(true);
  });

  it('cuts long messages and takes non-Error values', () => {
    const transform = defineTransform(
      { type: 'noisy', input: 'metrics', output: 'metrics' },
      () => (upstream) => upstream,
    );
    const runtime = transform.component as unknown as { error(stage: 'processing', e: unknown): void };
    runtime.error('processing', 'x'.repeat(5000));
    runtime.error('processing', 42);
    const errors = transform.component.recentErrors?.() ?? [];
    expect(errors[0]?.message).toHaveLength(2048);
    expect(errors[1]?.message).toBe('42');
  });
});

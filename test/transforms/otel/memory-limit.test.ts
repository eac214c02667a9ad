// The memoryLimit transform: refusing above the soft limit and resuming below it, at each check
// interval; limits in bytes and percentages; forced collections; acknowledgements, counters,
// health; bad heap readings and bad configuration.
import { of, Subject } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Batch, createBatch } from '../../../src/core/batch.js';
import { ConfigError, RivuletError } from '../../../src/core/errors.js';
import {
  type HeapReading,
  type MemoryLimitOptions,
  type MemorySize,
  memoryLimit,
} from '../../../src/transforms/otel/memory-limit.js';
import { componentOf, entry, watch } from './helpers.js';

/** A heap whose use the test sets; its size limit is 1000 bytes. */
function fakeHeap(used = 0) {
  const heap = { used, reads: 0, broken: false };
  const readHeap = (): HeapReading => {
    heap.reads++;
    if (heap.broken) throw new Error('no heap');
    return { usedHeapSize: heap.used, heapSizeLimit: 1000 };
  };
  return Object.assign(heap, { readHeap });
}

function setup(options: Partial<MemoryLimitOptions<'logs'>>, used = 0) {
  const heap = fakeHeap(used);
  const input = new Subject<Batch<'logs'>>();
  const stream = input.pipe(memoryLimit({ kind: 'logs', readHeap: heap.readHeap, ...options }));
  const seen = watch(stream);
  const send = (lines = 2) => {
    const batch = createBatch(
      'logs',
      Array.from({ length: lines }, (_, i) => entry(`line ${i}`)),
    );
    input.next(batch);
    return batch;
  };
  return { heap, input, seen, send, component: componentOf(stream) };
}

describe('memoryLimit', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('passes batches untouched below the soft limit', () => {
    // limit 80% of 1000 = 800, spike 20% of that = 160, soft limit 640.
    const { seen, send, component } = setup({}, 639);
    const batch = send();
    expect(seen.out).toEqual([batch]);
    expect(seen.out[0]).toBe(batch);
    expect(batch.ack.settled).toBe(false);
    expect(component.health().state).toBe('healthy');
  });

  it('refuses at the soft limit: fails the ack with a clear error, counts the drop, turns unhealthy', () => {
    const { seen, send, component } = setup({}, 640);
    const batch = send(3);
    expect(seen.out).toEqual([]);
    const outcome = batch.ack.result;
    expect(outcome?.status).toBe('failed');
    const error = outcome?.status === 'failed' ? outcome.error : undefined;
    expect(error).toBeInstanceOf(RivuletError);
    expect(error?.message).toMatch(
      /^data refused: the heap holds 0\.0 MiB, above the soft limit of 0\.0 MiB/,
    );
    expect((error as RivuletError).component).toBe(component.id);
    expect(component.stats()).toMatchObject({ received: 3, sent: 0 });
    expect(component.stats().dropped).toEqual(new Map([['memory_limit', { count: 3, intentional: false }]]));
    expect(component.health()).toMatchObject({ state: 'unhealthy' });
    expect(component.health().message).toContain('data refused');
  });

  it('reads the heap every checkInterval, refusing and resuming as it crosses the soft limit', () => {
    const { heap, seen, send, component } = setup({ checkInterval: '500ms' }, 100);
    expect(heap.reads).toBe(2); // once to build (for percentages), once when subscribed
    heap.used = 700;
    expect(send().ack.settled).toBe(false); // not read again yet
    vi.advanceTimersByTime(499);
    expect(send().ack.settled).toBe(false);
    vi.advanceTimersByTime(1);
    expect(heap.reads).toBe(3);
    expect(send().ack.result?.status).toBe('failed');
    expect(component.health().state).toBe('unhealthy');
    heap.used = 639;
    vi.advanceTimersByTime(500);
    const after = send();
    expect(after.ack.settled).toBe(false);
    expect(seen.out.at(-1)).toBe(after);
    expect(seen.out).toHaveLength(3);
    expect(component.health()).toMatchObject({ state: 'healthy' });
    expect(component.health().message).toContain('below the soft limit');
  });

  it.each<{ limit: MemorySize; spikeLimit?: MemorySize; soft: number }>([
    { limit: '50%', soft: 400 },
    { limit: '50%', spikeLimit: '10%', soft: 400 },
    { limit: '50%', spikeLimit: '5%', soft: 450 },
    { limit: 500, spikeLimit: 50, soft: 450 },
    { limit: '1KiB', spikeLimit: '24B', soft: 1000 },
    { limit: '100%', soft: 800 },
  ])(
    'limit $limit and spikeLimit $spikeLimit make a soft limit of $soft bytes',
    ({ limit, spikeLimit, soft }) => {
      const below = setup({ limit, ...(spikeLimit === undefined ? {} : { spikeLimit }) }, soft - 1);
      expect(below.send().ack.settled).toBe(false);
      const at = setup({ limit, ...(spikeLimit === undefined ? {} : { spikeLimit }) }, soft);
      expect(at.send().ack.result?.status).toBe('failed');
    },
  );

  it('forces a collection above the hard limit, and on reaching the soft limit at most every 10s', () => {
    const gc = vi.fn();
    vi.stubGlobal('gc', gc);
    const { heap, send } = setup({ limit: 500, spikeLimit: 100, checkInterval: '1s' }, 450);
    expect(gc).toHaveBeenCalledTimes(1); // newly above the soft limit
    expect(send().ack.result?.status).toBe('failed');
    vi.advanceTimersByTime(1000);
    expect(gc).toHaveBeenCalledTimes(1); // still refusing: no new collection below the hard limit
    heap.used = 500;
    vi.advanceTimersByTime(1000);
    expect(gc).toHaveBeenCalledTimes(2); // at the hard limit
    gc.mockImplementation(() => {
      heap.used = 100;
    });
    heap.used = 600;
    vi.advanceTimersByTime(1000);
    expect(gc).toHaveBeenCalledTimes(3);
    expect(send().ack.settled).toBe(false); // the collection freed enough
  });

  it('resumes at once when a collection brings the heap under the soft limit', () => {
    const gc = vi.fn();
    const { heap, send } = setup({ limit: 500, spikeLimit: 100 }, 0);
    vi.stubGlobal('gc', () => {
      gc();
      heap.used = 10;
    });
    heap.used = 420;
    vi.advanceTimersByTime(1000);
    expect(gc).toHaveBeenCalledTimes(1);
    expect(send().ack.settled).toBe(false);
  });

  it('counts a heap reading that throws or is not a number as an error and keeps its last decision', () => {
    const { heap, send, component } = setup({}, 700);
    expect(send().ack.result?.status).toBe('failed');
    heap.used = Number.NaN;
    vi.advanceTimersByTime(1000);
    expect(send().ack.result?.status).toBe('failed');
    expect(component.stats().errors.get('processing')).toBe(1);
    heap.used = 0;
    heap.broken = true;
    vi.advanceTimersByTime(1000);
    expect(send().ack.result?.status).toBe('failed');
    expect(component.stats().errors.get('processing')).toBe(2);
    heap.broken = false;
    vi.advanceTimersByTime(1000);
    expect(send().ack.settled).toBe(false);
  });

  it('stops checking when the input completes or the subscriber leaves', () => {
    const done = setup({});
    expect(vi.getTimerCount()).toBe(1);
    done.input.complete();
    expect(done.seen.done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    const left = setup({});
    left.seen.subscription.unsubscribe();
    expect(vi.getTimerCount()).toBe(0);
    const failed = setup({});
    failed.input.error(new Error('source broke'));
    expect(failed.seen.error).toBeDefined();
    expect(vi.getTimerCount()).toBe(0);
    expect(done.component.health()).toMatchObject({ state: 'exited', message: 'completed' });
  });

  it('reads the real V8 heap by default', () => {
    const batch = createBatch('metrics', []);
    const seen = watch(of(batch).pipe(memoryLimit({ kind: 'metrics' })));
    expect(seen.out).toEqual([batch]);
    expect(seen.done).toBe(true);
  });

  it.each<{ options: Record<string, unknown>; option: string }>([
    { options: { kind: 'logs', limit: 500, spikeLimit: 500 }, option: 'spikeLimit' },
    { options: { kind: 'logs', limit: '10%', spikeLimit: '20%' }, option: 'spikeLimit' },
    { options: { kind: 'logs', limit: '0%' }, option: 'limit' },
    { options: { kind: 'logs', limit: '120%' }, option: 'limit' },
    { options: { kind: 'logs', limit: 'NaN%' }, option: 'limit' },
    { options: { kind: 'logs', limit: 'lots' }, option: 'limit' },
    { options: { kind: 'logs', limit: Number.NaN }, option: 'limit' },
    { options: { kind: 'logs', limit: 0 }, option: 'limit' },
    { options: { kind: 'logs', limit: {} }, option: 'limit' },
    { options: { kind: 'logs', spikeLimit: -1 }, option: 'spikeLimit' },
    { options: { kind: 'logs', checkInterval: 0 }, option: 'checkInterval' },
    { options: { kind: 'logs', checkInterval: 'often' }, option: 'checkInterval' },
    { options: { kind: 'logs', readHeap: 5 }, option: 'readHeap' },
    { options: { kind: 'spans' }, option: 'kind' },
  ])('rejects $options naming $option', ({ options, option }) => {
    const build = () =>
      memoryLimit({ readHeap: fakeHeap().readHeap, ...options } as MemoryLimitOptions<'logs'>);
    expect(build).toThrow(ConfigError);
    try {
      build();
    } catch (error) {
      expect((error as ConfigError).option).toBe(option);
    }
  });
});

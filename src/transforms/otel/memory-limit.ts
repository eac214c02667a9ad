/**
 * `memoryLimit`: Alloy's `otelcol.processor.memory_limiter` as a transform, for any signal
 * kind. Watches the V8 heap and refuses data while it is too full, so that a pipeline under
 * more load than it can hold pushes back on its senders instead of running out of memory.
 *
 * Every `checkInterval` it reads the heap in use (`v8.getHeapStatistics().used_heap_size`):
 *
 * - at or above the soft limit (`limit - spikeLimit`) it refuses: each batch that arrives has
 *   its ack settled as failed with an error saying so, and goes no further. Receivers answer
 *   503 and replaying sources (file tailers, the WAL) send it again later. Refused items are
 *   counted as dropped with the reason `memory_limit` and the component is unhealthy;
 * - at or above `limit` (the hard limit), and when it starts refusing, it also runs the
 *   garbage collector if Node exposes it (`--expose-gc`), as the Collector forces a GC;
 * - below the soft limit it lets batches through untouched.
 *
 * It holds nothing: a refused batch is settled and let go, a passed one is emitted at once.
 * Percentages are of the heap's size limit (`heap_size_limit`, set by `--max-old-space-size`).
 */
import { getHeapStatistics } from 'node:v8';
import { Observable, type OperatorFunction } from 'rxjs';
import type { Batch } from '../../core/batch.js';
import type { ComponentContext } from '../../core/component.js';
import { defineTransform } from '../../core/define.js';
import { ConfigError, RivuletError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import { SIGNAL_KINDS, type SignalKind } from '../../core/signals.js';
import { type ByteSize, type Duration, durationOption, parseByteSize } from '../../core/units.js';
import { describeValue, kindOption, optionsObject } from './option-checks.js';

/** A size in bytes (`'1GiB'`, `512 * 2 ** 20`) or a percentage of the heap size limit (`'80%'`). */
export type MemorySize = ByteSize | `${number}%`;

/** A reading of the heap, in bytes. */
export interface HeapReading {
  /** Bytes of the heap in use. */
  readonly usedHeapSize: number;
  /** The most the heap may grow to. */
  readonly heapSizeLimit: number;
}

/** Options of {@link memoryLimit}. */
export interface MemoryLimitOptions<K extends SignalKind> {
  /** A unique component id. @defaultValue `memoryLimit.N` */
  readonly id?: string;
  /** The signal kind the transform takes and emits. */
  readonly kind: K;
  /** The hard limit (Alloy's `limit` or `limit_percentage`). @defaultValue `'80%'` */
  readonly limit?: MemorySize;
  /**
   * The most the heap is expected to grow between two checks (Alloy's `spike_limit` or
   * `spike_limit_percentage`); the soft limit is `limit - spikeLimit`. Less than `limit`.
   * @defaultValue 20% of `limit`
   */
  readonly spikeLimit?: MemorySize;
  /** How often the heap is read (Alloy's `check_interval`). @defaultValue `'1s'` */
  readonly checkInterval?: Duration;
  /**
   * For testing: reads the heap instead of `v8.getHeapStatistics()`. Called once when the
   * component is built (for percentages) and at every check.
   * @defaultValue the V8 heap statistics
   */
  readonly readHeap?: () => HeapReading;
}

/** The least time between two collections forced on reaching the soft limit, as the Collector's default. */
const MIN_GC_INTERVAL_SOFT_MS = 10_000;
const REASON = 'memory_limit';
const MIB = 2 ** 20;

/**
 * Refuses data while the heap is above its soft limit.
 *
 * @example
 * ```ts
 * // spans: Observable<Batch<'traces'>>; put the limiter first, right after the source.
 * spans.pipe(memoryLimit({ kind: 'traces', limit: '75%', spikeLimit: '15%', checkInterval: '500ms' }));
 * ```
 */
export function memoryLimit<K extends SignalKind>(
  options: MemoryLimitOptions<K>,
): OperatorFunction<Batch<K>, Batch<K>> {
  const type = 'memoryLimit';
  const given = optionsObject(type, options);
  const name = given.id ?? type;
  const kind = kindOption(name, given.kind, SIGNAL_KINDS) as K;
  const readHeap = given.readHeap ?? v8Heap;
  if (typeof readHeap !== 'function') {
    throw new ConfigError(name, 'readHeap', `must be a function, got ${describeValue(readHeap)}`);
  }
  const checkMs = durationOption(name, 'checkInterval', given.checkInterval ?? '1s', 1);
  const heapLimit = readHeap().heapSizeLimit;
  const hard = sizeOption(name, 'limit', given.limit ?? '80%', heapLimit);
  if (hard <= 0)
    throw new ConfigError(name, 'limit', `must be more than 0 bytes, got ${describeValue(given.limit)}`);
  const spike =
    given.spikeLimit === undefined
      ? Math.floor(hard * 0.2)
      : sizeOption(name, 'spikeLimit', given.spikeLimit, heapLimit);
  if (spike >= hard) {
    throw new ConfigError(
      name,
      'spikeLimit',
      `must be less than limit (${mib(hard)}), got ${mib(spike)}: the soft limit would be nothing`,
    );
  }
  const limits: Limits = { hard, soft: hard - spike, checkMs, readHeap };
  const transform = defineTransform(
    { type, id: given.id, input: kind, output: kind },
    (context) => (upstream) =>
      new Observable<Batch<K>>((subscriber) => {
        const guard = new HeapGuard(limits, context);
        const subscription = upstream.subscribe({
          next: (batch) => {
            const refusal = guard.refusal;
            if (refusal === undefined) {
              subscriber.next(batch);
              return;
            }
            context.dropped(batch.items.length, REASON);
            batch.ack.failed(refusal);
          },
          error: (error: unknown) => {
            guard.stop();
            subscriber.error(error);
          },
          complete: () => {
            guard.stop();
            subscriber.complete();
          },
        });
        return () => {
          subscription.unsubscribe();
          guard.stop();
        };
      }),
  );
  return declareOptions(transform, { ...given });
}

/** The resolved limits, in bytes. */
interface Limits {
  readonly hard: number;
  readonly soft: number;
  readonly checkMs: number;
  readonly readHeap: () => HeapReading;
}

/** One subscription's view of the heap: read now and at every check until stopped. */
class HeapGuard {
  /** The error refused batches fail with, while refusing. */
  refusal: RivuletError | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastGc = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly limits: Limits,
    private readonly context: ComponentContext,
  ) {
    this.check();
    this.timer = setInterval(() => this.check(), limits.checkMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.refusal = undefined;
  }

  /** Reads the heap and decides whether to refuse, as the Collector's `CheckMemLimits` does. */
  check(): void {
    const { hard, soft } = this.limits;
    let used = this.read();
    if (used === undefined) return;
    if (used >= hard) used = this.collect() ?? used;
    const wasRefusing = this.refusal !== undefined;
    let refuse = used >= soft;
    if (refuse && !wasRefusing && Date.now() - this.lastGc > MIN_GC_INTERVAL_SOFT_MS) {
      used = this.collect() ?? used;
      refuse = used >= soft;
    }
    if (refuse) {
      const message = `data refused: the heap holds ${mib(used)}, above the soft limit of ${mib(soft)} (limit ${mib(hard)} less the spike limit)`;
      this.refusal = new RivuletError('transform', message, { component: this.context.id });
      if (!wasRefusing) this.context.setHealth('unhealthy', message);
    } else if (wasRefusing) {
      this.refusal = undefined;
      this.context.setHealth('healthy', `heap back to ${mib(used)}, below the soft limit of ${mib(soft)}`);
    }
  }

  /** The heap in use, or `undefined` (counted as an error) when it cannot be read. */
  private read(): number | undefined {
    try {
      const used = this.limits.readHeap().usedHeapSize;
      if (typeof used === 'number' && Number.isFinite(used) && used >= 0) return used;
      throw new Error(`the heap reading is not a number of bytes: ${describeValue(used)}`);
    } catch (error) {
      this.context.error('processing', error);
      return undefined;
    }
  }

  /** Runs the garbage collector when Node exposes it and reads the heap again. */
  private collect(): number | undefined {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (typeof gc !== 'function') return undefined;
    try {
      gc();
    } catch (error) {
      this.context.error('processing', error);
      return undefined;
    }
    this.lastGc = Date.now();
    return this.read();
  }
}

function v8Heap(): HeapReading {
  const stats = getHeapStatistics();
  return { usedHeapSize: stats.used_heap_size, heapSizeLimit: stats.heap_size_limit };
}

/** A size option in bytes: a byte size, or a percentage (more than 0, at most 100) of `of`. */
function sizeOption(component: string, option: string, value: unknown, of: number): number {
  if (typeof value === 'string' && value.trim().endsWith('%')) {
    const pct = Number(value.trim().slice(0, -1));
    if (!(pct > 0 && pct <= 100)) {
      throw new ConfigError(
        component,
        option,
        `must be a percentage above 0 and at most 100, got ${describeValue(value)}`,
      );
    }
    return Math.floor((of * pct) / 100);
  }
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw new ConfigError(
      component,
      option,
      `must be a byte size such as '1GiB' or a percentage such as '80%', got ${describeValue(value)}`,
    );
  }
  try {
    return parseByteSize(value);
  } catch (error) {
    throw new ConfigError(component, option, `${(error as Error).message}, or a percentage such as '80%'`, {
      cause: error,
    });
  }
}

function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

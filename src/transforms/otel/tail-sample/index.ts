/**
 * `tailSample`: Alloy's `otelcol.processor.tail_sampling` (the OpenTelemetry Collector's
 * `tail_sampling` processor) as a transform. Takes and emits batches of spans. Spans wait,
 * grouped by trace id, for `decisionWait` after the first span of their trace; then the trace
 * is decided by `policies` and its spans either leave together in one batch or are dropped.
 *
 * Decisions, as the Collector makes them: every policy votes; a `drop` policy or an inverted
 * "not sampled" (`invertMatch`) vetoes the trace; otherwise any policy voting "sampled"
 * samples it, and so does an inverted "sampled" when no policy voted "not sampled".
 *
 * Memory is bounded: at most `numTraces` traces wait. A new trace past that limit makes room
 * by deciding the oldest waiting trace at once, with the spans it has (`overflow: 'decide'`,
 * the default), or by dropping it (`overflow: 'drop'`, the Collector's behaviour, counted as
 * dropped with reason `dropped_too_early`). Decisions are remembered in two LRU caches of
 * trace ids, so late spans of a decided trace follow its decision: sampled ones leave at once,
 * the others are dropped (`not_sampled`). A late span whose trace was forgotten starts a new
 * trace, as in the Collector.
 *
 * Acknowledgements: an incoming batch's ack settles once every one of its spans has either been
 * dropped (not sampled: reason `not_sampled`, counted as an intentional drop) or delivered in an
 * outgoing batch that settled. Spans hold their batch's ack while they wait, so a source's
 * `maxInFlight` must cover about `decisionWait` worth of batches, or the source (an OTLP
 * receiver answers 429) slows down to that rate.
 *
 * Spans without a valid trace id (16 bytes, not all zero) are dropped (`invalid_trace_id`).
 * When the input completes, waiting traces are decided at once; when the subscriber leaves,
 * their spans are dropped (`unsubscribed`).
 */
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { Batch } from '../../../core/batch.js';
import { defineTransform } from '../../../core/define.js';
import { ConfigError } from '../../../core/errors.js';
import { declareOptions } from '../../../core/extension-points.js';
import { type Duration, durationOption, positiveIntegerOption } from '../../../core/units.js';
import { compileTailSamplePolicies, type TailSamplePolicy } from './policies.js';
import { type TailSampleCounters, TailSampler } from './sampler.js';

export {
  TAIL_SAMPLE_POLICY_TYPES,
  type TailSampleAlwaysSamplePolicy,
  type TailSampleAndPolicy,
  type TailSampleCompositePolicy,
  type TailSampleCompositeSubPolicy,
  type TailSampleDropPolicy,
  type TailSampleLatencyPolicy,
  type TailSampleLeafPolicy,
  type TailSampleNumericAttributePolicy,
  type TailSamplePolicy,
  type TailSampleProbabilisticPolicy,
  type TailSampleRateLimitingPolicy,
  type TailSampleSpanCountPolicy,
  type TailSampleStatusCode,
  type TailSampleStatusCodePolicy,
  type TailSampleStringAttributePolicy,
} from './policies.js';

/** The sizes of the decision caches, as Alloy's `decision_cache` block. */
export interface TailSampleDecisionCache {
  /** How many sampled trace ids are remembered. 0 turns the cache off. @defaultValue `numTraces` */
  readonly sampledCacheSize?: number;
  /** How many not-sampled trace ids are remembered. 0 turns the cache off. @defaultValue `numTraces` */
  readonly nonSampledCacheSize?: number;
}

/** Options of {@link tailSample}. */
export interface TailSampleOptions {
  /** A unique component id. @defaultValue `tailSample.N` */
  readonly id?: string;
  /** The policies deciding each trace; at least one. */
  readonly policies: readonly TailSamplePolicy[];
  /**
   * How long after the first span of a trace its decision is made. Traces are decided in
   * groups, at most `min(1s, decisionWait)` after their wait is over.
   * @defaultValue `'30s'`
   */
  readonly decisionWait?: Duration;
  /** The most traces waiting for their decision at once. @defaultValue 50000 */
  readonly numTraces?: number;
  /**
   * What makes room when `numTraces` traces wait and another arrives: `'decide'` decides the
   * oldest at once with the spans it has (counted in `tracesDecidedEarly`); `'drop'` drops its
   * spans (reason `dropped_too_early`, counted in `tracesDroppedTooEarly`), as the Collector.
   * @defaultValue `'decide'`
   */
  readonly overflow?: 'decide' | 'drop';
  /** How many decisions are remembered for late spans. @defaultValue both `numTraces` */
  readonly decisionCache?: TailSampleDecisionCache;
  /** Stop evaluating policies at the first that samples. @defaultValue false */
  readonly sampleOnFirstMatch?: boolean;
  /**
   * The clock and timers: `decisionWait` runs on this scheduler and rate-limiting policies read
   * its `now()`. Tests pass a `VirtualTimeScheduler` (or run inside `TestScheduler.run`) to
   * move time by hand.
   * @defaultValue `asyncScheduler`
   */
  readonly scheduler?: SchedulerLike;
}

/** Counts of one {@link tailSample}'s decisions, over all its subscriptions. */
export interface TailSampleStats {
  /** Traces sampled. */
  readonly tracesSampled: number;
  /** Traces not sampled. */
  readonly tracesNotSampled: number;
  /** Traces decided before their wait was over, to make room at `numTraces`. */
  readonly tracesDecidedEarly: number;
  /** Traces dropped undecided to make room at `numTraces` (`overflow: 'drop'`). */
  readonly tracesDroppedTooEarly: number;
  /** Spans that arrived after their trace was decided and followed the remembered decision. */
  readonly lateSpans: number;
  /** Traces waiting now. */
  readonly tracesPending: number;
}

/**
 * The operator {@link tailSample} returns, with its decision counts.
 *
 * @example
 * ```ts
 * const sampling = tailSample({ policies: [{ type: 'alwaysSample' }] });
 * const { tracesPending, tracesDecidedEarly } = sampling.stats();
 * ```
 */
export type TailSampleOperator = OperatorFunction<Batch<'traces'>, Batch<'traces'>> & {
  /** The decision counts so far. */
  stats(): TailSampleStats;
};

/**
 * Samples whole traces after waiting for their spans.
 *
 * @example
 * ```ts
 * const sampling = tailSample({
 *   decisionWait: '10s',
 *   policies: [
 *     { type: 'statusCode', statusCodes: ['ERROR'] },
 *     { type: 'latency', thresholdMs: 500 },
 *     { type: 'probabilistic', samplingPercentage: 10 },
 *     { type: 'drop', policies: [{ type: 'stringAttribute', key: 'http.route', values: ['/health'] }] },
 *   ],
 * });
 * // spans: Observable<Batch<'traces'>>, from a source whose maxInFlight covers decisionWait,
 * // such as otlpReceiver({ maxInFlight: 256 }).traces
 * spans.pipe(sampling, consoleSink());
 * ```
 */
export function tailSample(options: TailSampleOptions): TailSampleOperator {
  const type = 'tailSample';
  if (typeof options !== 'object' || options === null)
    throw new ConfigError(type, 'policies', 'is required: pass { policies: [...] }');
  const name = options.id ?? type;
  const decisionWaitMs = durationOption(name, 'decisionWait', options.decisionWait ?? '30s');
  const numTraces = positiveIntegerOption(name, 'numTraces', options.numTraces ?? 50_000);
  const overflow = options.overflow ?? 'decide';
  if (overflow !== 'decide' && overflow !== 'drop')
    throw new ConfigError(name, 'overflow', `must be 'decide' or 'drop', got ${JSON.stringify(overflow)}`);
  const cacheSize = (option: 'sampledCacheSize' | 'nonSampledCacheSize'): number => {
    const value = options.decisionCache?.[option] ?? numTraces;
    if (!Number.isInteger(value) || value < 0)
      throw new ConfigError(
        name,
        `decisionCache.${option}`,
        `must be a whole number (0 or more), got ${value}`,
      );
    return value;
  };
  const sampledCacheSize = cacheSize('sampledCacheSize');
  const nonSampledCacheSize = cacheSize('nonSampledCacheSize');
  const sampleOnFirstMatch = options.sampleOnFirstMatch ?? false;
  if (typeof sampleOnFirstMatch !== 'boolean')
    throw new ConfigError(name, 'sampleOnFirstMatch', 'must be a boolean');
  const policies = compileTailSamplePolicies(options.policies, name, sampleOnFirstMatch);
  const scheduler = options.scheduler ?? asyncScheduler;
  const counters: TailSampleCounters = {
    tracesSampled: 0,
    tracesNotSampled: 0,
    tracesDecidedEarly: 0,
    tracesDroppedTooEarly: 0,
    lateSpans: 0,
    tracesPending: 0,
  };
  const operator = defineTransform(
    { type, id: options.id, input: 'traces', output: 'traces' },
    (context) => (upstream) =>
      new Observable<Batch<'traces'>>((subscriber) => {
        const decide = policies.create((error) => context.error('processing', error));
        const sampler = new TailSampler(
          { decisionWaitMs, numTraces, overflow, sampledCacheSize, nonSampledCacheSize, scheduler, decide },
          context,
          counters,
          subscriber,
        );
        const subscription = upstream.subscribe({
          next: (batch) => sampler.push(batch),
          error: (error: unknown) => {
            sampler.fail(error);
            subscriber.error(error);
          },
          complete: () => sampler.end(),
        });
        return () => {
          subscription.unsubscribe();
          sampler.dispose();
        };
      }),
  );
  declareOptions(operator, { ...options });
  return Object.assign(operator, { stats: (): TailSampleStats => ({ ...counters }) });
}

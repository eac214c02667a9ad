/**
 * `limit`: Alloy's `stage.limit`, a token bucket of `burst` lines refilled at `rate` lines per
 * second (full at the start).
 *
 * - `drop: true`: a line over the limit is dropped, counted as `ratelimit_drop_stage`. With
 *   `byLabelName`, each value of that label has its own bucket (lines without the label are not
 *   limited); at most `maxDistinctLabels` buckets are kept, the least recently used forgotten.
 * - `drop: false` (the default): a line over the limit waits for a token. Processing pauses
 *   there; the batches arriving meanwhile queue, unacknowledged, behind it, so the sources'
 *   in-flight windows fill and they stop reading: the limit becomes backpressure, as Alloy's
 *   blocking limiter does. Nothing is dropped, and the queue is bounded by those windows.
 */
import { ConfigError } from '../../core/errors.js';
import { describe, labelNameOption, objectOption, positiveInteger, positiveNumber } from './options.js';
import { type Stage, type StepInstance, stepStage } from './stage.js';

/** Options of {@link limit}. */
export interface LimitStageOptions {
  /** Lines per second. */
  readonly rate: number;
  /** The most lines let through at once (the bucket size). */
  readonly burst: number;
  /** Drop lines over the limit instead of waiting. @defaultValue `false` */
  readonly drop?: boolean;
  /** Limit each value of this label separately; needs `drop: true`. */
  readonly byLabelName?: string;
  /** The most label values tracked with `byLabelName` (Alloy raises lower values to 10000). @defaultValue 10000 */
  readonly maxDistinctLabels?: number;
}

/** Alloy's floor for `max_distinct_labels`. */
const MIN_DISTINCT_LABELS = 10_000;

class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes a token if there is one; otherwise returns how many ms until there is. */
  take(now: number): number {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
    }
    if (this.tokens >= 1 - 1e-9) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) / this.rate) * 1000));
  }
}

/**
 * Rate-limits lines.
 *
 * @example
 * ```ts
 * // At most 100 lines a second per namespace, the rest dropped.
 * processLogs(limit({ rate: 100, burst: 200, drop: true, byLabelName: 'namespace' }));
 * ```
 */
export function limit(options: LimitStageOptions): Stage {
  const stage = 'limit';
  objectOption(stage, options);
  const rate = positiveNumber(stage, 'rate', options.rate);
  const burst = positiveInteger(stage, 'burst', options.burst);
  const drop = options.drop ?? false;
  if (typeof drop !== 'boolean')
    throw new ConfigError(stage, 'drop', `must be a boolean, got ${describe(drop)}`);
  const byLabel =
    options.byLabelName === undefined
      ? undefined
      : labelNameOption(stage, 'byLabelName', options.byLabelName);
  if (byLabel !== undefined && !drop) {
    throw new ConfigError(stage, 'drop', 'must be true when byLabelName is set (per-label limits only drop)');
  }
  const maxDistinct = Math.max(
    MIN_DISTINCT_LABELS,
    positiveInteger(stage, 'maxDistinctLabels', options.maxDistinctLabels ?? MIN_DISTINCT_LABELS),
  );
  return stepStage(stage, () => {
    let single: TokenBucket | undefined;
    // Alloy's generational map: the current generation, and the one before it.
    let current = new Map<string, TokenBucket>();
    let previous = new Map<string, TokenBucket>();
    const bucketFor = (value: string, now: number): TokenBucket => {
      let bucket = current.get(value);
      if (bucket === undefined) {
        bucket = previous.get(value) ?? new TokenBucket(rate, burst, now);
        current.set(value, bucket);
        if (current.size >= maxDistinct) {
          previous = current;
          current = new Map();
        }
      }
      return bucket;
    };
    const instance: StepInstance = {
      process(entry, run) {
        const now = run.now();
        if (byLabel !== undefined) {
          const value = entry.labels.get(byLabel);
          if (value === undefined) return undefined;
          return bucketFor(value, now).take(now) === 0 ? undefined : run.drop(entry, 'ratelimit_drop_stage');
        }
        single ??= new TokenBucket(rate, burst, now);
        const waitMs = single.take(now);
        if (waitMs === 0) return undefined;
        return drop ? run.drop(entry, 'ratelimit_drop_stage') : { waitMs };
      },
    };
    return instance;
  });
}

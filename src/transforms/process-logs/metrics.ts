/**
 * `metrics`: Alloy's `stage.metrics`, one metric per stage. Counts, sets or observes a value for
 * each entry into a {@link LogMetrics} registry, in the series of the entry's labels; the entry
 * goes on unchanged. The metric's value comes from the extracted key `source` (the metric's
 * `name` unless set); an entry without it is not counted. With `value`, only entries whose
 * `source` equals it count.
 *
 * - counter, `action: 'inc'` adds 1; `'add'` adds the value as a number (Go float or duration
 *   syntax: `'250ms'` adds 0.25). `matchAll` counts every entry whatever the extracted map holds,
 *   and with `countEntryBytes` (and `'add'`) adds the line's size in bytes.
 * - gauge, `action`: `'set'`, `'add'`, `'sub'` use the value as a number; `'inc'`, `'dec'` by 1.
 * - histogram: observes the value as a number, into `buckets`.
 *
 * A value that is not a number (or a negative one for a counter) counts as a processing error.
 * Names get `prefix` (`'loki_process_custom_'` unless set), as in Alloy.
 */
import { ConfigError } from '../../core/errors.js';
import { type Duration, durationOption } from '../../core/units.js';
import { valueToNumber, valueToString } from './extracted.js';
import { type LogMetrics, LogMetricsRegistry, type LogMetricType, type MetricFamily } from './log-metrics.js';
import { describe, objectOption, optionalString, requiredString, utf8Length } from './options.js';
import { type Stage, simpleStage } from './stage.js';

/** What every metric of {@link metrics} has. */
export interface MetricStageBase {
  /** The registry to count into. */
  readonly registry: LogMetrics;
  /** The metric name, after `prefix`. */
  readonly name: string;
  /** The metric's help text. @defaultValue `''` */
  readonly description?: string;
  /** The extracted key holding the value. @defaultValue `name` */
  readonly source?: string;
  /** Put before `name`. @defaultValue `'loki_process_custom_'` */
  readonly prefix?: string;
  /** How long a series may go without updates before it is forgotten (at least 1s). @defaultValue `'5m'` */
  readonly maxIdleDuration?: Duration;
  /** Count only entries whose `source` value equals this. */
  readonly value?: string;
}

/** A counter. */
export interface CounterMetricStageOptions extends MetricStageBase {
  readonly type: 'counter';
  readonly config: {
    /** `'inc'` adds 1, `'add'` adds the value. */
    readonly action: 'inc' | 'add';
    /** Count every entry, whatever the extracted map holds. @defaultValue `false` */
    readonly matchAll?: boolean;
    /** With `matchAll` and `'add'`, add the line's size in bytes. @defaultValue `false` */
    readonly countEntryBytes?: boolean;
  };
}

/** A gauge. */
export interface GaugeMetricStageOptions extends MetricStageBase {
  readonly type: 'gauge';
  readonly config: { readonly action: 'set' | 'inc' | 'dec' | 'add' | 'sub' };
}

/** A histogram. */
export interface HistogramMetricStageOptions extends MetricStageBase {
  readonly type: 'histogram';
  readonly config: {
    /** Bucket upper bounds, ascending. */
    readonly buckets: readonly number[];
  };
}

/** Options of {@link metrics}: a counter, a gauge or a histogram. */
export type MetricsStageOptions =
  | CounterMetricStageOptions
  | GaugeMetricStageOptions
  | HistogramMetricStageOptions;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Makes a metric from log entries.
 *
 * @example
 * ```ts
 * const logCounts = logMetrics();
 * processLogs(
 *   json({ expressions: { level: '', duration: 'took' } }),
 *   metrics({ registry: logCounts, type: 'counter', name: 'errors_total', source: 'level', value: 'error', config: { action: 'inc' } }),
 *   metrics({ registry: logCounts, type: 'histogram', name: 'duration_seconds', source: 'duration', config: { buckets: [0.1, 0.5, 1, 5] } }),
 * );
 * ```
 */
export function metrics(options: MetricsStageOptions): Stage {
  const stage = 'metrics';
  objectOption(stage, options);
  const registry = options.registry;
  if (!(registry instanceof LogMetricsRegistry)) {
    throw new ConfigError(stage, 'registry', 'must be a registry made by logMetrics()');
  }
  const type: LogMetricType = options.type;
  if (type !== 'counter' && type !== 'gauge' && type !== 'histogram') {
    throw new ConfigError(stage, 'type', `must be 'counter', 'gauge' or 'histogram', got ${describe(type)}`);
  }
  const name = requiredString(stage, 'name', options.name);
  const prefix = options.prefix ?? 'loki_process_custom_';
  if (typeof prefix !== 'string')
    throw new ConfigError(stage, 'prefix', `must be a string, got ${describe(prefix)}`);
  const fullName = prefix + name;
  if (!METRIC_NAME.test(fullName)) {
    throw new ConfigError(stage, 'name', `must make a valid metric name with its prefix, got '${fullName}'`);
  }
  const source = optionalString(stage, 'source', options.source) ?? name;
  const description = options.description ?? '';
  const maxIdleMs = durationOption(stage, 'maxIdleDuration', options.maxIdleDuration ?? '5m', 1000);
  const expected = optionalString(stage, 'value', options.value);
  const config = objectOption(stage, options.config as object | undefined) as Record<string, unknown>;
  const action = type === 'histogram' ? undefined : config.action;
  let buckets: number[] | undefined;
  let matchAll = false;
  let countBytes = false;
  if (type === 'counter') {
    if (action !== 'inc' && action !== 'add') {
      throw new ConfigError(
        stage,
        'config.action',
        `must be 'inc' or 'add' for a counter, got ${describe(action)}`,
      );
    }
    matchAll = config.matchAll === true;
    countBytes = config.countEntryBytes === true;
    if (matchAll && expected !== undefined)
      throw new ConfigError(stage, 'value', 'cannot be set with config.matchAll');
    if (countBytes && (!matchAll || action !== 'add')) {
      throw new ConfigError(stage, 'config.countEntryBytes', "needs config.matchAll and action 'add'");
    }
  } else if (type === 'gauge') {
    if (!['set', 'inc', 'dec', 'add', 'sub'].includes(action as string)) {
      throw new ConfigError(
        stage,
        'config.action',
        `must be one of set, inc, dec, add, sub, got ${describe(action)}`,
      );
    }
  } else {
    const list = config.buckets;
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      list.some((b) => typeof b !== 'number' || Number.isNaN(b))
    ) {
      throw new ConfigError(
        stage,
        'config.buckets',
        `must be a non-empty list of numbers, got ${describe(list)}`,
      );
    }
    buckets = [...(list as number[])].filter((b) => b !== Number.POSITIVE_INFINITY);
    for (let i = 1; i < buckets.length; i++) {
      if ((buckets[i] as number) <= (buckets[i - 1] as number)) {
        throw new ConfigError(stage, 'config.buckets', 'must be in increasing order');
      }
    }
  }
  const family = registry.family(fullName, type, description, buckets, maxIdleMs);
  if (typeof family === 'string') throw new ConfigError(stage, 'name', `'${fullName}' ${family}`);
  return simpleStage(stage, (entry, run) => {
    const now = run.now();
    if (matchAll) {
      family.at(entry.labels, now).value += countBytes ? utf8Length(entry.line) : 1;
      return undefined;
    }
    const raw = entry.extracted.get(source);
    if (raw === undefined) return undefined;
    if (expected !== undefined && valueToString(raw) !== expected) return undefined;
    if (action === 'inc' || action === 'dec') {
      family.at(entry.labels, now).value += action === 'inc' ? 1 : -1;
      return undefined;
    }
    const number = valueToNumber(raw);
    if (number === undefined || (type === 'counter' && number < 0)) {
      run.problem(
        stage,
        `${fullName}: '${valueToString(raw) ?? 'null'}' is not a ${type === 'counter' ? 'non-negative ' : ''}number`,
      );
      return undefined;
    }
    record(family, type, action as string, entry.labels, number, now);
    return undefined;
  });
}

function record(
  family: MetricFamily,
  type: LogMetricType,
  action: string,
  labels: Parameters<MetricFamily['at']>[0],
  value: number,
  now: number,
): void {
  if (type === 'histogram') {
    family.observe(labels, value, now);
    return;
  }
  const series = family.at(labels, now);
  if (action === 'set') series.value = value;
  else if (action === 'sub') series.value -= value;
  else series.value += value;
}

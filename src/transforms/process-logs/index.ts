/**
 * `processLogs`: Alloy's `loki.process` as a transform. Takes and emits batches of log entries,
 * running each entry through `stages` in order: parsing stages (`json`, `logfmt`, `regex`,
 * `pattern`, `cri`, `docker`) put values into the entry's extracted map, and later stages use
 * them to set labels, structured metadata, the timestamp, the line or the tenant, to drop,
 * rate-limit, join or truncate entries, or to count metrics.
 *
 * The extracted map starts with the entry's labels and lives only while the entry is processed.
 * Bad input never fails the pipeline: each stage's rule (Alloy's) says whether the entry goes on
 * unchanged, counted as a processing error, or is dropped, counted with a reason.
 *
 * Acknowledgements: a batch's ack settles once every one of its lines has left in an output
 * batch (when that batch settles) or been dropped. Lines held past the batch (`multiline`
 * blocks, CRI partial lines) keep a piece of it until the entry they become is delivered; see
 * `runner.ts`. A `limit` that waits pauses processing, and batches arriving meanwhile wait
 * unacknowledged, which slows the sources.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { Batch } from '../../core/batch.js';
import { defineTransform } from '../../core/define.js';
import { ConfigError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import { type LogMetrics, LogMetricsRegistry } from './log-metrics.js';
import { Runner } from './runner.js';
import { compileStage, Stage, type Step, type StepList } from './stage.js';

export { type CriStageOptions, cri } from './cri.js';
export { decolorize } from './decolorize.js';
export { docker } from './docker.js';
export { type DropStageOptions, drop } from './drop.js';
export type { ExtractedValue } from './extracted.js';
export { type JsonStageOptions, json } from './json.js';
export { labelDrop } from './label-drop.js';
export { labelKeep } from './label-keep.js';
export { type LabelsStageValues, labels } from './labels.js';
export { type LimitStageOptions, limit } from './limit.js';
export { type LogMetrics, type LogMetricsOptions, type LogMetricType, logMetrics } from './log-metrics.js';
export { type LogfmtStageOptions, logfmt } from './logfmt.js';
export { type MatchStageOptions, match } from './match.js';
export {
  type CounterMetricStageOptions,
  type GaugeMetricStageOptions,
  type HistogramMetricStageOptions,
  type MetricStageBase,
  type MetricsStageOptions,
  metrics,
} from './metrics.js';
export { type MultilineStageOptions, multiline } from './multiline.js';
export { type OutputStageOptions, output } from './output.js';
export { type PatternStageOptions, pattern } from './pattern.js';
export { type RegexStageOptions, regex } from './regex.js';
export { type ReplaceStageOptions, replace } from './replace.js';
export { Stage, type StageType } from './stage.js';
export { staticLabels } from './static-labels.js';
export { structuredMetadata } from './structured-metadata.js';
export { type TemplateStageOptions, template } from './template.js';
export { TENANT_LABEL, type TenantStageOptions, tenant } from './tenant.js';
export { type TimestampStageOptions, timestamp } from './timestamp.js';
export {
  type TruncateRule,
  type TruncateSourceType,
  type TruncateStageOptions,
  truncate,
} from './truncate.js';

/** Options of {@link processLogs}. */
export interface ProcessLogsOptions {
  /** A unique component id. @defaultValue `processLogs.N` */
  readonly id?: string;
  /**
   * A registry for the pipeline's own metrics, as Alloy exposes them:
   * `loki_process_dropped_lines_total{reason}`, `loki_process_truncated_fields_total{field}`
   * and the CRI stage's counters. @defaultValue none
   */
  readonly metrics?: LogMetrics;
}

const DROPPED = 'loki_process_dropped_lines_total';
const DROPPED_HELP = 'A count of all log lines dropped as a result of a pipeline stage';

/**
 * Processes log entries with Alloy's `loki.process` stages.
 *
 * @example
 * ```ts
 * // logs: Observable<Batch<'logs'>>, from a file tailer or any other log source
 * logs.pipe(
 *   processLogs(
 *     json({ expressions: { level: '', ts: 'time', msg: 'message' } }),
 *     labels(['level']),
 *     timestamp({ source: 'ts', format: 'RFC3339Nano' }),
 *     drop({ source: 'level', value: 'debug' }),
 *     output({ source: 'msg' }),
 *   ),
 * );
 * ```
 */
export function processLogs(...stages: Stage[]): OperatorFunction<Batch<'logs'>, Batch<'logs'>>;
/**
 * Processes log entries, with options (a component id, a registry for the pipeline's own metrics).
 *
 * @example
 * ```ts
 * logs.pipe(processLogs({ id: 'app-logs' }, logfmt({ mapping: { level: '' } }), labels(['level'])));
 * ```
 */
export function processLogs(
  options: ProcessLogsOptions,
  ...stages: Stage[]
): OperatorFunction<Batch<'logs'>, Batch<'logs'>>;
export function processLogs(
  ...args: [ProcessLogsOptions | Stage, ...Stage[]] | Stage[]
): OperatorFunction<Batch<'logs'>, Batch<'logs'>> {
  const type = 'processLogs';
  const first = args[0];
  const hasOptions = first !== null && typeof first === 'object' && !(first instanceof Stage);
  const options: ProcessLogsOptions = hasOptions ? (first as ProcessLogsOptions) : {};
  const stages: unknown[] = hasOptions ? args.slice(1) : args;
  const name = options.id ?? type;
  const registry = options.metrics;
  if (registry !== undefined && !(registry instanceof LogMetricsRegistry)) {
    throw new ConfigError(name, 'metrics', 'must be a registry made by logMetrics()');
  }
  const list: StepList = { steps: [] as Step[], component: name };
  stages.forEach((stage, i) => {
    if (!(stage instanceof Stage)) {
      throw new ConfigError(
        name,
        `stages[${i}]`,
        'must be a stage made by a stage function such as json() or labels()',
      );
    }
    compileStage(stage, list);
  });
  const steps = list.steps;
  const counter =
    registry === undefined
      ? undefined
      : (metric: string, help: string, labels: Readonly<Record<string, string>>, by: number) =>
          registry.count(metric, help, labels, by);
  const transform = defineTransform({ type, id: options.id, input: 'logs', output: 'logs' }, (context) => {
    const reporting =
      counter === undefined
        ? context
        : {
            ...context,
            dropped(count: number, reason: string, intentional?: boolean) {
              context.dropped(count, reason, intentional);
              if (intentional === true) counter(DROPPED, DROPPED_HELP, { reason }, count);
            },
          };
    return (upstream) =>
      new Observable<Batch<'logs'>>((subscriber) => {
        const runner = new Runner(
          steps,
          reporting,
          {
            next: (batch) => subscriber.next(batch),
            complete: () => subscriber.complete(),
          },
          counter,
        );
        const subscription = upstream.subscribe({
          next: (batch) => runner.push(batch),
          error: (error: unknown) => {
            runner.fail(error);
            subscriber.error(error);
          },
          complete: () => runner.end(),
        });
        return () => {
          subscription.unsubscribe();
          runner.dispose();
        };
      });
  });
  return declareOptions(transform, { ...options, stages });
}

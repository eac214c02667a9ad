import type { Observable, OperatorFunction } from 'rxjs';
import { expectTypeOf, test } from 'vitest';
import type { Batch } from '../../../src/core/batch.js';
import type { SourceStream } from '../../../src/core/define.js';
import {
  json,
  labels,
  logMetrics,
  metrics,
  processLogs,
  type Stage,
  tenant,
  timestamp,
} from '../../../src/transforms/process-logs/index.js';

declare const logs: Observable<Batch<'logs'>>;
declare const samples: Observable<Batch<'metrics'>>;

test('processLogs takes and emits log batches', () => {
  expectTypeOf(processLogs(json({ expressions: { a: '' } }))).toEqualTypeOf<
    OperatorFunction<Batch<'logs'>, Batch<'logs'>>
  >();
  expectTypeOf(logs.pipe(processLogs({ id: 'x' }, labels(['a'])))).toEqualTypeOf<Observable<Batch<'logs'>>>();
  // @ts-expect-error metrics are not log entries
  samples.pipe(processLogs(labels(['a'])));
});

test('stage functions return stages, and only stages go into processLogs', () => {
  expectTypeOf(timestamp({ source: 'ts', format: 'RFC3339' })).toEqualTypeOf<Stage>();
  // @ts-expect-error a stage's options are not a stage
  processLogs({ id: 'x' }, { expressions: {} });
  // @ts-expect-error actionOnFailure is 'fudge' or 'skip'
  timestamp({ source: 'ts', format: 'RFC3339', actionOnFailure: 'drop' });
});

test('tenant takes exactly one of value, source and label', () => {
  tenant({ value: 'a' });
  tenant({ source: 'org' });
  // @ts-expect-error value and source together
  tenant({ value: 'a', source: 'org' });
});

test('metrics options follow the metric type', () => {
  const registry = logMetrics();
  expectTypeOf(registry.stream).toEqualTypeOf<SourceStream<'metrics'>>();
  metrics({ registry, type: 'gauge', name: 'g', config: { action: 'set' } });
  metrics({ registry, type: 'histogram', name: 'h', config: { buckets: [1, 2] } });
  // @ts-expect-error a counter cannot be set
  metrics({ registry, type: 'counter', name: 'c', config: { action: 'set' } });
  // @ts-expect-error a histogram needs buckets
  metrics({ registry, type: 'histogram', name: 'h', config: { action: 'inc' } });
});

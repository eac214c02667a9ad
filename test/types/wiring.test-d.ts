import type { Observable } from 'rxjs';
import { expectTypeOf, test } from 'vitest';
import type { Batch } from '../../src/core/batch.js';
import { type Delivery, defineSink, defineTransform } from '../../src/core/define.js';
import { fileSink } from '../../src/sinks/file-sink.js';
import { selfMetrics } from '../../src/sources/self-metrics.js';

declare const logs: Observable<Batch<'logs'>>;
declare const traces: Observable<Batch<'traces'>>;

const metricsOnlySink = defineSink({ type: 'metricsOnly', input: 'metrics' }, () => () => {
  throw new Error('types only');
});
const metricsToMetrics = defineTransform(
  { type: 'm2m', input: 'metrics', output: 'metrics' },
  () => (s) => s,
);

test('a metrics stream flows through metrics transforms into a metrics sink', () => {
  expectTypeOf(selfMetrics().pipe(metricsToMetrics, metricsOnlySink)).toEqualTypeOf<Observable<Delivery>>();
});

test('a log stream cannot be piped into a metrics-only sink', () => {
  // @ts-expect-error Batch<'logs'> is not Batch<'metrics'>
  logs.pipe(metricsOnlySink);
  // @ts-expect-error nor through a metrics transform
  traces.pipe(metricsToMetrics);
});

test('a sink that takes every kind takes logs too', () => {
  expectTypeOf(logs.pipe(fileSink({ path: '/tmp/x' }))).toEqualTypeOf<Observable<Delivery>>();
});

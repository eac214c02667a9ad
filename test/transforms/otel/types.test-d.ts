import type { Observable, OperatorFunction } from 'rxjs';
import { expectTypeOf, test } from 'vitest';
import type { Batch } from '../../../src/core/batch.js';
import { batch } from '../../../src/transforms/otel/batch.js';
import { filter } from '../../../src/transforms/otel/filter.js';
import { memoryLimit } from '../../../src/transforms/otel/memory-limit.js';
import { probabilisticSample } from '../../../src/transforms/otel/probabilistic-sample.js';

declare const spans: Observable<Batch<'traces'>>;
declare const logs: Observable<Batch<'logs'>>;
declare const samples: Observable<Batch<'metrics'>>;
declare const profiles: Observable<Batch<'profiles'>>;

test('batch and memoryLimit keep the kind they are given, for every kind', () => {
  expectTypeOf(batch({ kind: 'traces' })).toEqualTypeOf<OperatorFunction<Batch<'traces'>, Batch<'traces'>>>();
  expectTypeOf(profiles.pipe(batch({ kind: 'profiles' }))).toEqualTypeOf<Observable<Batch<'profiles'>>>();
  expectTypeOf(samples.pipe(memoryLimit({ kind: 'metrics' }), batch({ kind: 'metrics' }))).toEqualTypeOf<
    Observable<Batch<'metrics'>>
  >();
  // @ts-expect-error a traces batcher does not take logs
  logs.pipe(batch({ kind: 'traces' }));
  // @ts-expect-error the kind is required
  batch({ sendBatchSize: 10 });
  // @ts-expect-error memoryLimit limits are sizes or percentages
  memoryLimit({ kind: 'logs', limit: true });
});

test('filter rules are typed by kind', () => {
  expectTypeOf(
    filter({ kind: 'traces', drop: [{ name: { regex: 'GET .*' }, kind: 'server' }] }),
  ).toEqualTypeOf<OperatorFunction<Batch<'traces'>, Batch<'traces'>>>();
  expectTypeOf(logs.pipe(filter({ kind: 'logs', keep: [{ severity: { min: 'warn' } }] }))).toEqualTypeOf<
    Observable<Batch<'logs'>>
  >();
  filter({ kind: 'traces', drop: [(span) => span.name === 'x', { statusCode: ['error', 'unset'] }] });
  filter({
    kind: 'logs',
    drop: [(entry) => entry.line === '', { labels: [{ name: 'app', type: '=~', value: 'a.*' }] }],
  });
  filter({ kind: 'metrics', drop: [(sample) => sample.value > 1, { name: 'up' }] });
  // @ts-expect-error severity is a log condition, not a span one
  filter({ kind: 'traces', drop: [{ severity: { min: 'warn' } }] });
  // @ts-expect-error span kinds are named
  filter({ kind: 'traces', drop: [{ kind: 'sever' }] });
  // @ts-expect-error a span predicate does not get log entries
  filter({ kind: 'logs', drop: [(span: { name: string; kind: number }) => span.kind === 1] });
  // @ts-expect-error profiles are not filtered
  filter({ kind: 'profiles' });
  // @ts-expect-error a log filter does not take spans
  spans.pipe(filter({ kind: 'logs', drop: [{ body: 'x' }] }));
});

test('probabilisticSample takes spans by default and logs when asked', () => {
  expectTypeOf(probabilisticSample({ samplingPercentage: 10 })).toEqualTypeOf<
    OperatorFunction<Batch<'traces'>, Batch<'traces'>>
  >();
  expectTypeOf(
    logs.pipe(probabilisticSample({ kind: 'logs', samplingPercentage: 10, fromAttribute: 'id' })),
  ).toEqualTypeOf<Observable<Batch<'logs'>>>();
  // @ts-expect-error log options are for logs only
  probabilisticSample({ samplingPercentage: 10, fromAttribute: 'id' });
  // @ts-expect-error metrics are not sampled here
  samples.pipe(probabilisticSample({ samplingPercentage: 10 }));
  // @ts-expect-error attributeSource is 'traceID' or 'record'
  probabilisticSample({ kind: 'logs', attributeSource: 'body' });
});

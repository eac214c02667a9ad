import type { Observable, OperatorFunction } from 'rxjs';
import { expectTypeOf, test } from 'vitest';
import type { Batch } from '../../src/core/batch.js';
import { type Delivery, defineSink } from '../../src/core/define.js';
import { compileRelabelRules, type RelabelRule, relabel } from '../../src/transforms/relabel/index.js';

declare const metrics: Observable<Batch<'metrics'>>;
declare const logs: Observable<Batch<'logs'>>;
declare const profiles: Observable<Batch<'profiles'>>;
declare const traces: Observable<Batch<'traces'>>;
declare const liveRules: Observable<readonly RelabelRule[]>;

const rules = [{ action: 'labeldrop', regex: 'filename' }] as const satisfies readonly RelabelRule[];

const logsOnlySink = defineSink({ type: 'logsOnly', input: 'logs' }, () => () => {
  throw new Error('types only');
});

test('relabel takes metrics by default', () => {
  expectTypeOf(relabel(rules)).toEqualTypeOf<OperatorFunction<Batch<'metrics'>, Batch<'metrics'>>>();
  expectTypeOf(metrics.pipe(relabel(rules))).toEqualTypeOf<Observable<Batch<'metrics'>>>();
  expectTypeOf(metrics.pipe(relabel(liveRules, { id: 'r' }))).toEqualTypeOf<Observable<Batch<'metrics'>>>();
});

test('the kind option makes it take and emit that kind', () => {
  expectTypeOf(logs.pipe(relabel(rules, { kind: 'logs' }))).toEqualTypeOf<Observable<Batch<'logs'>>>();
  expectTypeOf(profiles.pipe(relabel(rules, { kind: 'profiles' }))).toEqualTypeOf<
    Observable<Batch<'profiles'>>
  >();
  expectTypeOf(logs.pipe(relabel(rules, { kind: 'logs' }), logsOnlySink)).toEqualTypeOf<
    Observable<Delivery>
  >();
});

test('a wrong kind does not compile', () => {
  // @ts-expect-error without `kind: 'logs'` relabel takes metrics
  logs.pipe(relabel(rules));
  // @ts-expect-error a logs relabel does not take metrics
  metrics.pipe(relabel(rules, { kind: 'logs' }));
  // @ts-expect-error traces carry no labels
  relabel(rules, { kind: 'traces' });
  // @ts-expect-error nor can a metrics relabel feed a logs-only sink
  metrics.pipe(relabel(rules), logsOnlySink);
  // @ts-expect-error nor does a traces stream take any relabel
  traces.pipe(relabel(rules));
});

test('rules are typed', () => {
  // @ts-expect-error not an action
  relabel([{ action: 'rename' }]);
  // @ts-expect-error Prometheus's snake_case names are not fields
  relabel([{ source_labels: ['a'] }]);
  expectTypeOf(compileRelabelRules(rules).apply).returns.toEqualTypeOf<
    import('../../src/core/labels.js').Labels | undefined
  >();
});

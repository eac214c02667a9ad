import type { Observable, OperatorFunction } from 'rxjs';
import { expectTypeOf, test } from 'vitest';
import type { Batch } from '../../src/core/batch.js';
import type { Delivery } from '../../src/core/define.js';
import { type OtlpExportOptions, otlpExport } from '../../src/sinks/otlp-export/index.js';

declare const metrics: Observable<Batch<'metrics'>>;
declare const logs: Observable<Batch<'logs'>>;
declare const traces: Observable<Batch<'traces'>>;
declare const profiles: Observable<Batch<'profiles'>>;

test('otlpExport takes traces, metrics and logs', () => {
  expectTypeOf(otlpExport({ url: 'http://x' })).toEqualTypeOf<
    OperatorFunction<Batch<'traces' | 'metrics' | 'logs'>, Delivery>
  >();
  expectTypeOf(traces.pipe(otlpExport({ url: 'http://x' }))).toEqualTypeOf<Observable<Delivery>>();
  expectTypeOf(metrics.pipe(otlpExport({ url: 'http://x' }))).toEqualTypeOf<Observable<Delivery>>();
  expectTypeOf(logs.pipe(otlpExport({ url: 'http://x' }))).toEqualTypeOf<Observable<Delivery>>();
});

test('the protocol is http or grpc', () => {
  expectTypeOf<OtlpExportOptions['protocol']>().toEqualTypeOf<'http' | 'grpc' | undefined>();
  expectTypeOf(traces.pipe(otlpExport({ protocol: 'grpc', url: 'collector:4317' }))).toEqualTypeOf<
    Observable<Delivery>
  >();
  // @ts-expect-error no such transport
  otlpExport({ protocol: 'quic', url: 'http://x' });
});

test('profiles do not compile', () => {
  // @ts-expect-error OTLP/HTTP export carries no profiles
  profiles.pipe(otlpExport({ url: 'http://x' }));
});

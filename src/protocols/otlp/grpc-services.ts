/**
 * What the OTLP/gRPC receiver and exporter share: the `Export` method of each signal's service,
 * and loading the optional package `@grpc/grpc-js` only when gRPC is asked for.
 */
import type * as GrpcModule from '@grpc/grpc-js';
import { ConfigError } from '../../core/errors.js';
import type { OtlpSignal } from './types.js';

/** The `@grpc/grpc-js` module. */
export type Grpc = typeof GrpcModule;

/** The method path of each signal's `Export` call. */
export const GRPC_METHODS: Readonly<Record<OtlpSignal, string>> = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
};

/**
 * Loads `@grpc/grpc-js`, or throws a `ConfigError` on `component`'s `option` that says how to
 * get it.
 */
export async function loadGrpc(component: string, option: string, asked: string): Promise<Grpc> {
  try {
    return (await import('@grpc/grpc-js')) as Grpc;
  } catch (error) {
    throw new ConfigError(
      component,
      option,
      `${asked}, which needs the package @grpc/grpc-js: npm install @grpc/grpc-js`,
      {
        cause: error,
      },
    );
  }
}

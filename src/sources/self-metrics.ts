/**
 * `selfMetrics`: reads a prom-client `Registry` on an interval and emits its values as metric
 * batches. It reads prom-client's structured values (`getMetricsAsJSON`), never its text output,
 * so nothing is rendered and parsed back.
 *
 * Emits: metrics.
 */
import client, { type Registry } from 'prom-client';
import { defineSource, type SourceStream } from '../core/define.js';
import { declareOptions } from '../core/extension-points.js';
import { Labels } from '../core/labels.js';
import type { MetricMetadata, MetricSample, MetricType } from '../core/signals.js';
import { sleep } from '../core/sleep.js';
import { type Duration, durationOption } from '../core/units.js';

/** Options of {@link selfMetrics}. */
export interface SelfMetricsOptions {
  /** A unique component id. @defaultValue `selfMetrics.N` */
  readonly id?: string;
  /** The registry to read. @defaultValue prom-client's global registry */
  readonly registry?: Registry;
  /**
   * Whether to start prom-client's default Node.js metrics (process CPU, memory, event loop lag,
   * GC, handles) on the registry, unless they are already registered there.
   * @defaultValue `true` for the global registry, `false` for a registry you pass
   */
  readonly defaultMetrics?: boolean;
  /** How often to read the registry. @defaultValue `'15s'` */
  readonly interval?: Duration;
  /** Extra labels on every sample, such as `{ job: 'my-service' }`. @defaultValue none */
  readonly labels?: Readonly<Record<string, string>>;
  /** The most unacknowledged batches. @defaultValue 4 */
  readonly maxInFlight?: number;
}

/**
 * Reads a prom-client registry every `interval` (the first read at once) into metric batches.
 *
 * @example
 * ```ts
 * import { Registry, Counter } from 'prom-client';
 * const registry = new Registry();
 * new Counter({ name: 'jobs_done_total', help: 'Jobs done.', registers: [registry] }).inc();
 * const stream = selfMetrics({ registry, interval: '10s' });
 * ```
 */
export function selfMetrics(options: SelfMetricsOptions = {}): SourceStream<'metrics'> {
  const type = 'selfMetrics';
  const intervalMs = durationOption(type, 'interval', options.interval ?? '15s', 1);
  const registry = options.registry ?? client.register;
  const extra = Labels.from(options.labels ?? {});
  if (options.defaultMetrics ?? options.registry === undefined) {
    if (registry.getSingleMetric('process_cpu_user_seconds_total') === undefined) {
      client.collectDefaultMetrics({ register: registry });
    }
  }

  const source = defineSource(
    { type, id: options.id, kind: 'metrics', maxInFlight: options.maxInFlight ?? 4 },
    async (context) => {
      const metadataCache = new Map<string, MetricMetadata>();
      while (!context.signal.aborted) {
        const started = Date.now();
        try {
          const families = await registry.getMetricsAsJSON();
          const samples = toSamples(families, started, extra, metadataCache);
          context.received(samples.length);
          context.setHealth('healthy');
          await context.emit(samples);
        } catch (error) {
          context.error('receiving', error);
          context.setHealth(
            'unhealthy',
            `reading the prom-client registry failed: ${(error as Error).message}`,
          );
        }
        await sleep(Math.max(0, intervalMs - (Date.now() - started)), context.signal);
      }
    },
  );
  return declareOptions(source, { ...options });
}

type Family = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];

function toSamples(
  families: readonly Family[],
  timestampMs: number,
  extra: Labels,
  metadataCache: Map<string, MetricMetadata>,
): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const family of families) {
    const metadata = metadataFor(family, metadataCache);
    for (const point of family.values) {
      const name = (point as { metricName?: string }).metricName ?? family.name;
      const builder = extra.builder();
      for (const [labelName, labelValue] of Object.entries(point.labels)) {
        if (labelValue !== undefined) builder.set(labelName, String(labelValue));
      }
      builder.set('__name__', name);
      samples.push({ labels: builder.build(), value: point.value, timestampMs, metadata });
    }
  }
  return samples;
}

function metadataFor(family: Family, cache: Map<string, MetricMetadata>): MetricMetadata {
  const type = toMetricType(String(family.type));
  const cached = cache.get(family.name);
  if (cached !== undefined && cached.help === family.help && cached.type === type) return cached;
  const metadata: MetricMetadata = { family: family.name, type, help: family.help };
  cache.set(family.name, metadata);
  return metadata;
}

function toMetricType(type: string): MetricType {
  switch (type) {
    case 'counter':
    case 'gauge':
    case 'histogram':
    case 'summary':
      return type;
    default:
      return 'unknown';
  }
}

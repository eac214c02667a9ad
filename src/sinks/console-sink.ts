/**
 * `consoleSink`: prints items in a readable form, one line each, for scripts and debugging.
 * Takes any signal kind. Waits for the stream to drain before acknowledging.
 */
import type { Writable } from 'node:stream';
import { concatMap, from, type OperatorFunction } from 'rxjs';
import type { Batch } from '../core/batch.js';
import { type Delivery, defineSink } from '../core/define.js';
import { ConfigError } from '../core/errors.js';
import { declareOptions } from '../core/extension-points.js';
import { type ItemOf, SIGNAL_KINDS, type SignalKind } from '../core/signals.js';

/** Options of {@link consoleSink}. */
export interface ConsoleSinkOptions {
  /** A unique component id. @defaultValue `consoleSink.N` */
  readonly id?: string;
  /** Where to write. @defaultValue `process.stdout` */
  readonly stream?: Writable;
  /** The most items printed per batch; the rest are summarised in one line. @defaultValue 50 */
  readonly maxItemsPerBatch?: number;
}

/**
 * Prints items readably:
 * `node_load1{instance="a"} 0.52 @2026-11-24T07:40:06.000Z`,
 * `2026-11-24T07:40:06.123456789Z {app="api"} GET /health 200`.
 *
 * @example
 * ```ts
 * hostMetrics({ interval: '5s' }).pipe(consoleSink({ maxItemsPerBatch: 10 }));
 * ```
 */
export function consoleSink(options: ConsoleSinkOptions = {}): OperatorFunction<Batch<SignalKind>, Delivery> {
  const type = 'consoleSink';
  const maxItems = options.maxItemsPerBatch ?? 50;
  if (!Number.isInteger(maxItems) || maxItems < 0) {
    throw new ConfigError(type, 'maxItemsPerBatch', `must be a whole number (0 or more), got ${maxItems}`);
  }
  const sink = defineSink(
    { type, id: options.id, input: SIGNAL_KINDS },
    (context) => (upstream) =>
      upstream.pipe(
        concatMap((batch) =>
          from(
            (async () => {
              const out = options.stream ?? process.stdout;
              const shown = batch.items.slice(0, maxItems).map((item) => formatItem(batch.kind, item));
              if (batch.items.length > maxItems)
                shown.push(`... and ${batch.items.length - maxItems} more ${batch.kind} items`);
              try {
                await writeAll(out, `${shown.join('\n')}\n`);
                return context.settle(batch, { status: 'delivered' });
              } catch (error) {
                return context.settle(batch, { status: 'failed', error: error as Error });
              }
            })(),
          ),
        ),
      ),
  );
  return declareOptions(sink, { ...options });
}

/** One readable line for an item. */
export function formatItem<K extends SignalKind>(kind: K, item: ItemOf<K>): string {
  switch (kind) {
    case 'metrics': {
      const sample = item as ItemOf<'metrics'>;
      const name = sample.labels.metricName;
      const rest = sample.labels.without('__name__');
      return `${name}${rest.size > 0 ? rest.toString() : ''} ${formatFloat(sample.value)} @${new Date(sample.timestampMs).toISOString()}`;
    }
    case 'logs': {
      const entry = item as ItemOf<'logs'>;
      return `${nanosToIso(entry.timestampNs)} ${entry.labels.toString()} ${entry.line}`;
    }
    case 'traces': {
      const span = item as ItemOf<'traces'>;
      const micros = (span.endTimeUnixNano - span.startTimeUnixNano) / 1000n;
      return `${Buffer.from(span.traceId).toString('hex')}/${Buffer.from(span.spanId).toString('hex')} ${span.name} ${micros}us status=${span.status.code}`;
    }
    default: {
      const profile = item as ItemOf<'profiles'>;
      return `profile ${profile.labels.toString()} ${profile.pprof.byteLength} bytes ${nanosToIso(profile.startTimeNs)}..${nanosToIso(profile.endTimeNs)}`;
    }
  }
}

function formatFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function nanosToIso(ns: bigint): string {
  const seconds = ns / 1_000_000_000n;
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`;
}

function writeAll(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * `hostMetrics`: a metrics source that reads the host's own figures from procfs every interval,
 * as Prometheus's node_exporter does, and emits them under node_exporter's metric names, label
 * names, types and HELP texts, so dashboards and alerts written for node_exporter work as they
 * are. Emits one batch of metric samples per round; takes no input.
 *
 * A collector that fails (a missing file, a line it cannot parse) is counted as a receiving
 * error and marks the source unhealthy, naming the collector, while the other collectors' samples
 * are still emitted; the next round in which every collector succeeds marks it healthy again.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SourceContext, SourceStream } from '../core/define.js';
import { defineSource } from '../core/define.js';
import { ConfigError, SourceError, toError } from '../core/errors.js';
import { declareOptions } from '../core/extension-points.js';
import type { MetricSample } from '../core/signals.js';
import { sleep } from '../core/sleep.js';
import type { Duration } from '../core/units.js';
import { durationOption, positiveIntegerOption } from '../core/units.js';
import type { Collect, CollectorName } from './host-metrics/collectors.js';
import { COLLECTOR_NAMES, createCollectors } from './host-metrics/collectors.js';

/**
 * A collector of {@link hostMetrics}, named after the node_exporter collector it mirrors:
 *
 * - `cpu`: `node_cpu_seconds_total{cpu,mode}` and `node_cpu_guest_seconds_total{cpu,mode}` from `/proc/stat`.
 * - `filesystem`: `node_filesystem_{size_bytes,free_bytes,avail_bytes,files,files_free,readonly,device_error}`
 *   `{device,fstype,mountpoint}` from the mount table and `statfs`.
 * - `loadavg`: `node_load1`, `node_load5`, `node_load15` from `/proc/loadavg`.
 * - `meminfo`: one `node_memory_*` gauge per `/proc/meminfo` field, such as `node_memory_MemAvailable_bytes`.
 * - `netdev`: `node_network_{receive,transmit}_*_total{device}` from `/proc/net/dev`.
 * - `stat`: `node_boot_time_seconds`, `node_context_switches_total`, `node_forks_total`,
 *   `node_intr_total`, `node_procs_running`, `node_procs_blocked` from `/proc/stat`.
 * - `time`: `node_time_seconds`.
 * - `uname`: `node_uname_info{sysname,release,version,machine,nodename,domainname}`.
 */
export type HostMetricsCollector =
  | 'cpu'
  | 'filesystem'
  | 'loadavg'
  | 'meminfo'
  | 'netdev'
  | 'stat'
  | 'time'
  | 'uname';

/** Options of {@link hostMetrics}. */
export interface HostMetricsOptions {
  /** The component id. @defaultValue `'hostMetrics.'` followed by a counter */
  readonly id?: string | undefined;
  /** How often to collect: milliseconds, or a duration string such as `'30s'`. @defaultValue `'15s'` */
  readonly interval?: Duration | undefined;
  /** Where procfs is mounted, like node_exporter's `--path.procfs`. @defaultValue `'/proc'` */
  readonly procPath?: string | undefined;
  /** The collectors to run. @defaultValue every collector: `cpu`, `filesystem`, `loadavg`, `meminfo`, `netdev`, `stat`, `time`, `uname` */
  readonly collectors?: readonly HostMetricsCollector[] | undefined;
  /** The most batches left unacknowledged before collection waits. @defaultValue 16 */
  readonly maxInFlight?: number | undefined;
}

const TYPE = 'hostMetrics';

/**
 * Collects host metrics the way node_exporter does. The first round runs as soon as the stream
 * is subscribed, then one every `interval`; each round is one batch, every sample stamped with
 * the time the round started. Stops when unsubscribed or asked to stop.
 *
 * @example
 * ```ts
 * import { firstValueFrom } from 'rxjs';
 *
 * const batch = await firstValueFrom(hostMetrics({ interval: '30s', collectors: ['cpu', 'meminfo'] }));
 * const total = batch.items.find((s) => s.labels.metricName === 'node_memory_MemTotal_bytes');
 * batch.ack.delivered();
 * ```
 *
 * @throws ConfigError when an option is invalid, naming it.
 */
export function hostMetrics(options: HostMetricsOptions = {}): SourceStream<'metrics'> {
  const intervalMs = durationOption(TYPE, 'interval', options.interval ?? '15s', 1);
  const procPath = options.procPath ?? '/proc';
  if (typeof procPath !== 'string' || procPath === '') {
    throw new ConfigError(TYPE, 'procPath', 'must be a non-empty path');
  }
  const collectors = collectorsOption(options.collectors);
  const maxInFlight =
    options.maxInFlight === undefined
      ? undefined
      : positiveIntegerOption(TYPE, 'maxInFlight', options.maxInFlight);

  const source = defineSource(
    { type: TYPE, id: options.id, kind: 'metrics', maxInFlight },
    async (context) => {
      const running = createCollectors(collectors);
      const { signal } = context;
      while (!signal.aborted) {
        const timestampMs = Date.now();
        const samples = await collectRound(running, context, procPath, timestampMs);
        if (signal.aborted) break;
        context.received(samples.length);
        if (samples.length > 0) await untilAborted(context.emit(samples), signal);
        await sleep(intervalMs - (Date.now() - timestampMs), signal);
      }
    },
  );
  return declareOptions(source, { ...options });
}

function collectorsOption(value: readonly HostMetricsCollector[] | undefined): ReadonlySet<CollectorName> {
  if (value === undefined) return new Set(COLLECTOR_NAMES);
  const valid = `valid collectors are ${COLLECTOR_NAMES.join(', ')}`;
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError(TYPE, 'collectors', `must list at least one collector; ${valid}`);
  }
  const known: ReadonlySet<string> = new Set(COLLECTOR_NAMES);
  value.forEach((name: unknown, i) => {
    if (typeof name !== 'string' || !known.has(name)) {
      throw new ConfigError(
        TYPE,
        `collectors[${i}]`,
        `is not a known collector: '${String(name)}'; ${valid}`,
      );
    }
  });
  return new Set(value);
}

/**
 * Runs every collector at once and gathers the samples of those that succeed, in collector
 * order. Reports each failure as a receiving error and sets the health to match the round.
 */
async function collectRound(
  running: readonly (readonly [CollectorName, Collect])[],
  context: SourceContext<'metrics'>,
  procPath: string,
  timestampMs: number,
): Promise<MetricSample[]> {
  const reads = new Map<string, Promise<string>>();
  const round = {
    timestampMs,
    signal: context.signal,
    read(relativePath: string): Promise<string> {
      let text = reads.get(relativePath);
      if (text === undefined) {
        text = readFile(path.join(procPath, relativePath), 'utf8');
        // Each reader awaits the shared promise; this keeps a read no one awaited from going unhandled.
        text.catch(() => undefined);
        reads.set(relativePath, text);
      }
      return text;
    },
  };
  const outcomes = await Promise.allSettled(running.map(([, collect]) => collect(round)));
  const samples: MetricSample[] = [];
  const failures: string[] = [];
  outcomes.forEach((outcome, i) => {
    const name = (running[i] as readonly [CollectorName, Collect])[0];
    if (outcome.status === 'fulfilled') {
      for (const sample of outcome.value) samples.push(sample);
      return;
    }
    const cause = toError(outcome.reason);
    const message = `collector '${name}' failed: ${cause.message}`;
    failures.push(message);
    context.error('receiving', new SourceError(`${TYPE}: ${message}`, { component: context.id, cause }));
  });
  if (!context.signal.aborted) {
    if (failures.length === 0) context.setHealth('healthy');
    else context.setHealth('unhealthy', failures.join('; '));
  }
  return samples;
}

/** Waits for `promise`, or until `signal` aborts, whichever comes first. */
function untilAborted(promise: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    promise.then(done, done);
  });
}

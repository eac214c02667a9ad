/**
 * `scrape`: scrapes Prometheus targets, as Alloy's `prometheus.scrape` and a Prometheus scrape
 * job do. Emits metrics: one batch per scrape of each target, with the report series (`up`,
 * `scrape_duration_seconds`, `scrape_samples_scraped`, `scrape_samples_post_metric_relabeling`,
 * `scrape_series_added`) and staleness markers for series that disappear.
 *
 * Targets are label sets (`__address__`, `__scheme__`, `__metrics_path__`, `__param_*`, `job`,
 * and any others) given as a list or as an Observable of lists, so discovery can feed them.
 * With `clustering`, the replicas of a cluster share the targets out, as Alloy's clustered
 * `prometheus.scrape` does.
 */
import { isObservable, type Observable, of, Subscription } from 'rxjs';
import { defineSource, type SourceStream } from '../../core/define.js';
import { ClusterError, ConfigError } from '../../core/errors.js';
import { declareOptions, type Membership, type Peer } from '../../core/extension-points.js';
import type { Secret } from '../../core/secret.js';
import { ownsKey, targetKey } from '../../core/shard-key.js';
import type { MetricSample } from '../../core/signals.js';
import { type ByteSize, byteSizeOption, type Duration, durationOption } from '../../core/units.js';
import { type BasicAuth, basicAuthorization, credential } from '../../sinks/shared/auth-headers.js';
import { compileRelabelRules, type RelabelRule } from '../../transforms/relabel/index.js';
import type { FetchSettings } from './fetch-metrics.js';
import { type LoopSettings, ScrapeLoop } from './scrape-loop.js';
import {
  isResolved,
  type Relabel,
  resolveTarget,
  type Target,
  type TargetDefaults,
} from './target-labels.js';

export type { Target } from './target-labels.js';

/** Options of {@link scrape}. Defaults are Alloy's `prometheus.scrape`. */
export interface ScrapeOptions {
  /** The targets: label sets with at least `__address__` (`host:port`), or a stream of such lists. */
  readonly targets: readonly Target[] | Observable<readonly Target[]>;
  /** A unique component id. @defaultValue `scrape.N` */
  readonly id?: string;
  /** The `job` label of targets that have none. @defaultValue the component id */
  readonly jobName?: string;
  /** How often each target is scraped. @defaultValue `'60s'` */
  readonly interval?: Duration;
  /** How long one scrape may take; at most `interval`. @defaultValue `'10s'` */
  readonly timeout?: Duration;
  /** `http` or `https`, for targets without `__scheme__`. @defaultValue `'http'` */
  readonly scheme?: 'http' | 'https';
  /** The path, for targets without `__metrics_path__`. @defaultValue `'/metrics'` */
  readonly metricsPath?: string;
  /** URL query parameters, such as `{ module: ['http_2xx'] }`. @defaultValue none */
  readonly params?: Readonly<Record<string, readonly string[]>>;
  /** Whether labels the target exposes win over target labels. @defaultValue `false` */
  readonly honorLabels?: boolean;
  /** Whether timestamps the target exposes are kept. @defaultValue `true` */
  readonly honorTimestamps?: boolean;
  /** Samples a scrape may hold after relabelling; more fails the scrape. 0: no limit. @defaultValue 0 */
  readonly sampleLimit?: number;
  /** Labels a series may have; more fails the scrape. 0: no limit. @defaultValue 0 */
  readonly labelLimit?: number;
  /** The longest label name; longer fails the scrape. 0: no limit. @defaultValue 0 */
  readonly labelNameLengthLimit?: number;
  /** The longest label value; longer fails the scrape. 0: no limit. @defaultValue 0 */
  readonly labelValueLengthLimit?: number;
  /** The largest (uncompressed) body; larger fails the scrape. @defaultValue `'100MiB'` */
  readonly bodySizeLimit?: ByteSize;
  /** Whether to ask for gzip. @defaultValue `true` */
  readonly enableCompression?: boolean;
  /** Relabelling of targets before scraping (Prometheus's `relabel_configs`). @defaultValue none */
  readonly relabelConfigs?: readonly RelabelRule[];
  /** Relabelling of scraped series (Prometheus's `metric_relabel_configs`). @defaultValue none */
  readonly metricRelabelConfigs?: readonly RelabelRule[];
  /**
   * HTTP basic authentication. Give the password as `secret(process.env.PASSWORD ?? '')` so that
   * logs and the debug endpoint show `<secret>`; a plain string works too. @defaultValue none
   */
  readonly basicAuth?: BasicAuth;
  /**
   * A bearer token. Give it as `secret(process.env.TOKEN ?? '')` so that logs and the debug
   * endpoint show `<secret>`; a plain string works too. @defaultValue none
   */
  readonly bearerToken?: string | Secret;
  /**
   * TLS settings for `https` targets; give the client `key` as `secret(...)`.
   * @defaultValue the system's trust store
   */
  readonly tls?: FetchSettings['tls'];
  /**
   * Extra request headers. A value that is a credential can be given as `secret(...)`, so it is
   * never shown or logged. @defaultValue none
   */
  readonly headers?: Readonly<Record<string, string | Secret>>;
  /** The most unacknowledged scrapes across all targets. @defaultValue 16 */
  readonly maxInFlight?: number;
  /**
   * Shares the targets out among the members of a cluster, as Alloy's `clustering { enabled =
   * true }`: this node scrapes only the targets that `clustering.owner()` gives it. A target's
   * key is the hash of its discovered labels without `__meta_*` ones (before `relabelConfigs`),
   * the key `shardTargets` uses, so every node agrees on each target's owner.
   *
   * Nothing is scraped until the membership reports its first peer list. When the peers change,
   * targets this node now owns start scraping afresh, and targets that moved to another node
   * stop without staleness markers (their new owner carries the series on); targets that leave
   * discovery still get staleness markers. With an empty peer list this node scrapes every
   * target; with peers that do not include it, none.
   *
   * @defaultValue none: every target is scraped here
   *
   * @example
   * ```ts
   * import { cluster } from 'rivulet/cluster';
   *
   * const node = cluster({ name: 'collector-1', join: ['collector-0:7946'] });
   * scrape({ targets: discovered$, interval: '15s', clustering: node.membership });
   * ```
   */
  readonly clustering?: Membership;
}

/**
 * Scrapes targets on an interval.
 *
 * @example
 * ```ts
 * scrape({ targets: [{ __address__: '127.0.0.1:9100', job: 'node' }], interval: '15s' });
 * ```
 */
export function scrape(options: ScrapeOptions): SourceStream<'metrics'> {
  const type = 'scrape';
  if (options?.targets === undefined) {
    throw new ConfigError(
      type,
      'targets',
      "is required: a list of label sets such as [{ __address__: 'localhost:9100' }]",
    );
  }
  const intervalText = String(options.interval ?? '60s');
  const intervalMs = durationOption(type, 'interval', options.interval ?? '60s', 1);
  const timeoutMs = durationOption(type, 'timeout', options.timeout ?? '10s', 1);
  if (timeoutMs > intervalMs) {
    throw new ConfigError(
      type,
      'timeout',
      `(${timeoutMs}ms) must not be longer than interval (${intervalMs}ms)`,
    );
  }
  const scheme = options.scheme ?? 'http';
  if (scheme !== 'http' && scheme !== 'https')
    throw new ConfigError(type, 'scheme', `must be 'http' or 'https', got '${String(scheme)}'`);
  const nonNegative = (option: string, value: number | undefined): number => {
    const v = value ?? 0;
    if (!Number.isInteger(v) || v < 0)
      throw new ConfigError(type, option, `must be a whole number, 0 for no limit; got ${v}`);
    return v;
  };
  const targetRelabel = relabelFunction(options.relabelConfigs, type, 'relabelConfigs');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    headers[name] = credential(type, `headers.${name}`, value);
  }
  if (options.basicAuth !== undefined && options.bearerToken !== undefined) {
    throw new ConfigError(type, 'bearerToken', 'cannot be used together with basicAuth; choose one');
  }
  if (options.basicAuth !== undefined) {
    headers.Authorization = basicAuthorization(type, 'basicAuth', options.basicAuth);
  }
  if (options.bearerToken !== undefined) {
    headers.Authorization = `Bearer ${credential(type, 'bearerToken', options.bearerToken)}`;
  }
  const clustering = options.clustering;
  if (
    clustering !== undefined &&
    (clustering === null ||
      !isObservable(clustering.peers) ||
      typeof (clustering as { owner?: unknown }).owner !== 'function')
  ) {
    throw new ConfigError(
      type,
      'clustering',
      "must be a Membership (peers and owner()), such as cluster({ ... }).membership from 'rivulet/cluster'",
    );
  }

  const settings: LoopSettings = {
    intervalMs,
    timeoutMs,
    honorLabels: options.honorLabels ?? false,
    honorTimestamps: options.honorTimestamps ?? true,
    sampleLimit: nonNegative('sampleLimit', options.sampleLimit),
    labelLimit: nonNegative('labelLimit', options.labelLimit),
    labelNameLengthLimit: nonNegative('labelNameLengthLimit', options.labelNameLengthLimit),
    labelValueLengthLimit: nonNegative('labelValueLengthLimit', options.labelValueLengthLimit),
    metricRelabel: relabelFunction(options.metricRelabelConfigs, type, 'metricRelabelConfigs'),
    fetch: {
      timeoutMs,
      bodySizeLimit: byteSizeOption(type, 'bodySizeLimit', options.bodySizeLimit ?? '100MiB', 1),
      enableCompression: options.enableCompression ?? true,
      headers,
      tls: options.tls,
    },
  };

  const source = defineSource(
    { type, id: options.id, kind: 'metrics', maxInFlight: options.maxInFlight ?? 16 },
    async (context) => {
      const defaults: TargetDefaults = {
        job: options.jobName ?? context.id,
        scheme,
        metricsPath: options.metricsPath ?? '/metrics',
        params: options.params ?? {},
        intervalText,
        timeoutText: String(options.timeout ?? '10s'),
      };
      const loops = new Map<string, ScrapeLoop>();
      const failing = new Map<string, string>();
      const updateHealth = (): void => {
        if (failing.size === 0) context.setHealth('healthy');
        else context.setHealth('unhealthy', [...failing.values()].slice(0, 5).join('; '));
      };
      const hooks = {
        emit: async (samples: MetricSample[]): Promise<void> => {
          context.received(samples.length);
          await context.emit(samples);
        },
        failed: (target: { url: URL }, error: Error) => {
          context.error('receiving', error);
          failing.set(target.url.href, `${target.url.href}: ${error.message}`);
          updateHealth();
        },
        succeeded: (target: { url: URL }) => {
          if (failing.delete(target.url.href)) updateHealth();
        },
        requested: context.request,
      };

      /** With clustering, the shard key (`targetKey`) of the target each loop scrapes. */
      const shardKeys = new Map<string, bigint>();
      const applyTargets = async (
        targets: readonly Target[],
        owned: ((index: number) => boolean) | undefined,
        keys: readonly bigint[],
      ): Promise<void> => {
        const wanted = new Map<string, ScrapeLoop>();
        const elsewhere = new Set<bigint>();
        for (let i = 0; i < targets.length; i++) {
          if (owned !== undefined && !owned(i)) {
            elsewhere.add(keys[i] as bigint);
            continue;
          }
          const resolved = resolveTarget(targets[i] as Target, defaults, targetRelabel);
          if (resolved === undefined) continue;
          if (!isResolved(resolved)) {
            context.error(
              'receiving',
              new ConfigError(type, 'targets', `has a target that cannot be scraped: ${resolved.reason}`),
            );
            continue;
          }
          const key = resolved.discovered.key();
          wanted.set(key, loops.get(key) ?? new ScrapeLoop(resolved, settings, hooks));
          if (owned !== undefined) shardKeys.set(key, keys[i] as bigint);
        }
        const removed = [...loops].filter(([key]) => !wanted.has(key));
        loops.clear();
        for (const [key, loop] of wanted) {
          loops.set(key, loop);
          loop.start();
        }
        const stopping: Promise<void>[] = [];
        for (const [key, loop] of removed) {
          failing.delete(loop.target.url.href);
          // A target handed to another peer stops quietly: its new owner scrapes it on.
          const shardKey = shardKeys.get(key);
          shardKeys.delete(key);
          stopping.push(loop.stop(shardKey === undefined || !elsewhere.has(shardKey)));
        }
        await Promise.all(stopping);
      };

      if (clustering === undefined && !isObservable(options.targets)) {
        await applyTargets(options.targets, undefined, []);
      } else {
        const targets$ = isObservable(options.targets) ? options.targets : of(options.targets);
        let targets: readonly Target[] | undefined;
        let keys: bigint[] = [];
        let peers: readonly Peer[] | undefined;
        const update = (): void => {
          if (targets === undefined) return;
          if (clustering === undefined) {
            void applyTargets(targets, undefined, keys);
            return;
          }
          if (peers === undefined) return;
          const current = peers;
          const owns = keys.map((key) => ownsKey(clustering, current, key));
          void applyTargets(targets, (i) => owns[i] === true, keys);
        };
        const guarded = (what: string, fn: () => void): void => {
          try {
            fn();
          } catch (error) {
            context.error('receiving', error);
            context.setHealth('unhealthy', `${what}: ${(error as Error).message}`);
          }
        };
        const subscription = new Subscription();
        subscription.add(
          targets$.subscribe({
            next: (list) =>
              guarded('the targets could not be applied', () => {
                keys = clustering === undefined ? [] : list.map((target) => targetKey(target, []));
                targets = list;
                update();
              }),
            error: (error: unknown) => {
              context.error('receiving', error);
              context.setHealth('unhealthy', `the targets stream failed: ${(error as Error).message}`);
            },
          }),
        );
        if (clustering !== undefined) {
          subscription.add(
            clustering.peers.subscribe({
              next: (list) =>
                guarded('the cluster membership could not place the targets', () => {
                  peers = list;
                  update();
                }),
              error: (error: unknown) => {
                context.error('receiving', error);
                context.setHealth('unhealthy', `the cluster membership failed: ${(error as Error).message}`);
              },
              complete: () => {
                if (peers !== undefined) return;
                const error = new ClusterError('scrape: the membership ended without reporting any peers');
                context.error('receiving', error);
                context.setHealth('unhealthy', error.message);
              },
            }),
          );
        }
        context.signal.addEventListener('abort', () => subscription.unsubscribe(), { once: true });
      }
      await new Promise<void>((resolve) => {
        if (context.signal.aborted) resolve();
        else context.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await Promise.all([...loops.values()].map((loop) => loop.stop(false)));
    },
  );
  return declareOptions(source, { ...options });
}

function relabelFunction(
  rules: readonly RelabelRule[] | undefined,
  type: string,
  option: string,
): Relabel | undefined {
  if (rules === undefined || rules.length === 0) return undefined;
  let program: ReturnType<typeof compileRelabelRules>;
  try {
    program = compileRelabelRules(rules, type);
  } catch (error) {
    // The engine names options 'rules[i]...'; here they are this option's entries.
    if (error instanceof ConfigError)
      throw new ConfigError(type, error.option.replace(/^rules/, option), error.problem, { cause: error });
    throw error;
  }
  return (labels) => program.apply(labels);
}

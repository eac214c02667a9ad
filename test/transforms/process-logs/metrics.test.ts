// The metrics stage and the logMetrics registry: counters, gauges and histograms from entries,
// value matching, bad values, idle expiry, the pipeline's own counters, and the metrics stream.
import { firstValueFrom, of, take } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBatch } from '../../../src/core/batch.js';
import { ConfigError } from '../../../src/core/errors.js';
import type { MetricSample } from '../../../src/core/signals.js';
import {
  drop,
  json,
  logMetrics,
  metrics,
  processLogs,
  tenant,
} from '../../../src/transforms/process-logs/index.js';
import { entry, errors, run } from './helpers.js';

const values = (samples: readonly MetricSample[]) =>
  samples.map((s) => `${s.labels.toString()} ${s.value}`).sort();

describe('metrics', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts lines per label set, matching a value, into a prefixed family', async () => {
    const registry = logMetrics();
    await run(
      [
        json({ expressions: { level: '' } }),
        tenant({ value: 't1' }),
        metrics({
          registry,
          type: 'counter',
          name: 'errors_total',
          source: 'level',
          value: 'error',
          config: { action: 'inc' },
        }),
        metrics({
          registry,
          type: 'counter',
          name: 'lines_total',
          description: 'All lines.',
          config: { action: 'inc', matchAll: true },
        }),
        metrics({
          registry,
          type: 'counter',
          name: 'bytes_total',
          config: { action: 'add', matchAll: true, countEntryBytes: true },
        }),
      ],
      [
        entry('{"level":"error"}'),
        entry('{"level":"info"}'),
        entry('{"level":"error"}', { app: 'web' }),
        entry('{}'),
      ],
    );
    const samples = registry.collect(1);
    expect(values(samples)).toEqual([
      '{__name__="loki_process_custom_bytes_total", app="api"} 35', // 17 + 16 + 2 bytes
      '{__name__="loki_process_custom_bytes_total", app="web"} 17',
      '{__name__="loki_process_custom_errors_total", app="api"} 1',
      '{__name__="loki_process_custom_errors_total", app="web"} 1',
      '{__name__="loki_process_custom_lines_total", app="api"} 3',
      '{__name__="loki_process_custom_lines_total", app="web"} 1',
    ]);
    expect(samples.find((s) => s.labels.metricName.endsWith('lines_total'))?.metadata).toEqual({
      family: 'loki_process_custom_lines_total',
      type: 'counter',
      help: 'All lines.',
    });
    expect(samples.every((s) => s.timestampMs === 1)).toBe(true);
  });

  it('adds values as numbers, durations as seconds, and counts bad values as errors', async () => {
    const registry = logMetrics();
    const { component } = await run(
      [
        json({ expressions: { took: '' } }),
        metrics({
          registry,
          type: 'counter',
          name: 'took_seconds_total',
          source: 'took',
          prefix: '',
          config: { action: 'add' },
        }),
      ],
      [
        entry('{"took":1.5}'),
        entry('{"took":"250ms"}'),
        entry('{"took":"1m"}'),
        entry('{"took":"slow"}'),
        entry('{"took":-1}'),
      ],
    );
    expect(values(registry.collect())).toEqual(['{__name__="took_seconds_total", app="api"} 61.75']);
    expect(errors(component)).toBe(2);
  });

  it('sets, adds and subtracts gauges', async () => {
    const registry = logMetrics();
    const gauge = (action: 'set' | 'inc' | 'dec' | 'add' | 'sub', name: string) =>
      metrics({ registry, type: 'gauge', name, source: 'v', prefix: 'g_', config: { action } });
    await run(
      [
        json({ expressions: { v: '' } }),
        gauge('set', 'set'),
        gauge('inc', 'inc'),
        gauge('dec', 'dec'),
        gauge('add', 'add'),
        gauge('sub', 'sub'),
      ],
      [entry('{"v":5}'), entry('{"v":"2"}')],
    );
    expect(values(registry.collect())).toEqual([
      '{__name__="g_add", app="api"} 7',
      '{__name__="g_dec", app="api"} -2',
      '{__name__="g_inc", app="api"} 2',
      '{__name__="g_set", app="api"} 2',
      '{__name__="g_sub", app="api"} -7',
    ]);
  });

  it('observes histograms with cumulative buckets, sum and count', async () => {
    const registry = logMetrics();
    await run(
      [
        json({ expressions: { d: '' } }),
        metrics({ registry, type: 'histogram', name: 'd', prefix: 'h_', config: { buckets: [0.1, 1] } }),
      ],
      [entry('{"d":0.05}'), entry('{"d":0.5}'), entry('{"d":3}'), entry('{"d":0.1}')],
    );
    expect(values(registry.collect())).toEqual([
      '{__name__="h_d_bucket", app="api", le="+Inf"} 4',
      '{__name__="h_d_bucket", app="api", le="0.1"} 2',
      '{__name__="h_d_bucket", app="api", le="1"} 3',
      '{__name__="h_d_count", app="api"} 4',
      '{__name__="h_d_sum", app="api"} 3.65',
    ]);
  });

  it('forgets series idle for maxIdleDuration', async () => {
    vi.useFakeTimers({ now: 10_000 });
    const registry = logMetrics();
    await run(
      [
        metrics({
          registry,
          type: 'counter',
          name: 'n',
          maxIdleDuration: '1s',
          config: { action: 'inc', matchAll: true },
        }),
      ],
      [entry('x')],
    );
    expect(registry.collect(10_999)).toHaveLength(1);
    expect(registry.collect(11_000)).toHaveLength(0);
  });

  it("counts the pipeline's drops by reason when given as processLogs metrics", async () => {
    const registry = logMetrics();
    const stream = of(createBatch('logs', [entry('a'), entry('b'), entry('c')])).pipe(
      processLogs({ metrics: registry }, drop({ expression: '[ab]', dropCounterReason: 'ab' })),
    );
    await firstValueFrom(stream, { defaultValue: undefined });
    expect(values(registry.collect())).toEqual([
      '{__name__="loki_process_dropped_lines_total", reason="ab"} 2',
    ]);
  });

  it('emits every series on its stream each interval', async () => {
    vi.useFakeTimers({ now: 0 });
    const registry = logMetrics({ interval: '10s' });
    await run(
      [metrics({ registry, type: 'counter', name: 'n', config: { action: 'inc', matchAll: true } })],
      [entry('x')],
    );
    const batch = firstValueFrom(registry.stream.pipe(take(1)));
    await vi.advanceTimersByTimeAsync(10_000);
    const got = await batch;
    expect(got.kind).toBe('metrics');
    expect(values(got.items)).toEqual(['{__name__="loki_process_custom_n", app="api"} 1']);
  });

  it.each([
    [{ type: 'counter', name: 'x', config: { action: 'inc' } }, 'registry'],
    [{ type: 'summary', name: 'x', config: {} }, 'type'],
    [{ type: 'counter', name: 'bad-name', config: { action: 'inc' } }, 'name'],
    [{ type: 'counter', name: 'x', config: { action: 'set' } }, 'config.action'],
    [{ type: 'counter', name: 'x', value: 'v', config: { action: 'inc', matchAll: true } }, 'value'],
    [
      { type: 'counter', name: 'x', config: { action: 'inc', matchAll: true, countEntryBytes: true } },
      'config.countEntryBytes',
    ],
    [{ type: 'gauge', name: 'x', config: { action: 'observe' } }, 'config.action'],
    [{ type: 'histogram', name: 'x', config: { buckets: [] } }, 'config.buckets'],
    [{ type: 'histogram', name: 'x', config: { buckets: [2, 1] } }, 'config.buckets'],
    [{ type: 'counter', name: 'x', maxIdleDuration: '500ms', config: { action: 'inc' } }, 'maxIdleDuration'],
  ])('rejects %j naming the option', (options, option) => {
    const registry = logMetrics();
    const withRegistry = option === 'registry' ? options : { registry, ...options };
    let thrown: unknown;
    try {
      metrics(withRegistry as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).option).toBe(option);
  });

  it('rejects a name already used with another type in the registry', () => {
    const registry = logMetrics();
    metrics({ registry, type: 'counter', name: 'x', config: { action: 'inc' } });
    expect(() => metrics({ registry, type: 'gauge', name: 'x', config: { action: 'set' } })).toThrow(
      /already a counter/,
    );
  });
});

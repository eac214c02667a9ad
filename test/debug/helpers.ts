/** Shared pieces of the debug server tests: runs with a server on a free port, and components. */
import { Registry } from 'prom-client';
import { map, type Observable } from 'rxjs';
import type { ComponentInfo, HealthState } from '../../src/core/component.js';
import { defineSink, defineSource } from '../../src/core/define.js';
import { Labels } from '../../src/core/labels.js';
import { type RunningPipelines, type RunOptions, run } from '../../src/core/runner.js';
import type { MetricSample } from '../../src/core/signals.js';
import { type DebugServerHandle, type DebugServerOptions, debugServer } from '../../src/debug/index.js';

export interface DebugRun {
  readonly running: RunningPipelines;
  readonly handle: DebugServerHandle;
  readonly base: string;
  readonly logs: string[];
  readonly serverLogs: string[];
  readonly metricsRegistry: Registry;
}

const started: DebugRun[] = [];

/** Runs `pipelines` with a debug server on a free port of 127.0.0.1. */
export async function startDebugRun(
  pipelines: Readonly<Record<string, Observable<unknown>>>,
  serverOptions: DebugServerOptions = {},
  runOptions: RunOptions = {},
): Promise<DebugRun> {
  const logs: string[] = [];
  const serverLogs: string[] = [];
  const metricsRegistry = new Registry();
  const server = debugServer({
    listen: '127.0.0.1:0',
    log: (line) => serverLogs.push(line),
    ...serverOptions,
  });
  let handle: DebugServerHandle | undefined;
  const running = run(pipelines, {
    handleSignals: false,
    metricsRegistry,
    log: (line) => logs.push(line),
    debug: {
      attach(r) {
        handle = server.attach(r);
        return handle;
      },
    },
    ...runOptions,
  });
  if (handle === undefined) throw new Error('the run did not attach the debug server');
  const { port } = await handle.listening;
  const debugRun: DebugRun = {
    running,
    handle,
    base: `http://127.0.0.1:${port}`,
    logs,
    serverLogs,
    metricsRegistry,
  };
  started.push(debugRun);
  return debugRun;
}

/** Stops every run started by {@link startDebugRun}; for `afterEach`. */
export async function stopDebugRuns(): Promise<void> {
  await Promise.all(started.splice(0).map((r) => r.running.stop()));
}

export const seriesLabels = Labels.from({ __name__: 'ticks_total', job: 'test' });

/**
 * A metrics source that emits one sample every `everyMs` until stopped. With `startingMs`, it
 * reports `starting` for that long first; `stopDelayMs` makes its drain take that long.
 */
export function ticker(
  id: string,
  options: { everyMs?: number; startingMs?: number; stopDelayMs?: number; perBatch?: number } = {},
) {
  return defineSource({ type: 'ticker', id, kind: 'metrics' }, async (ctx) => {
    if (options.startingMs !== undefined) {
      ctx.setHealth('starting', 'connecting');
      await sleep(options.startingMs);
      ctx.setHealth('healthy');
    }
    for (let i = 0; !ctx.signal.aborted; i++) {
      const items: MetricSample[] = [];
      for (let j = 0; j < (options.perBatch ?? 1); j++)
        items.push({ labels: seriesLabels, value: i, timestampMs: 1_700_000_000_000 + i });
      await ctx.emit(items);
      await sleep(options.everyMs ?? 10, ctx.signal);
    }
    if (options.stopDelayMs !== undefined) await sleep(options.stopDelayMs);
  });
}

/** A sink that counts what it gets and delivers it. */
export function countingSink(id: string, delivered: { count: number } = { count: 0 }) {
  return defineSink(
    { type: 'counting', id, input: 'metrics' },
    (ctx) => (upstream) =>
      upstream.pipe(
        map((batch) => {
          delivered.count += batch.items.length;
          return ctx.settle(batch, { status: 'delivered' });
        }),
      ),
  );
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Polls `check` until it returns a value other than `undefined`, or fails after `ms`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  ms = 5_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms}ms`);
    await sleep(20);
  }
}

/** Fetches `path` and returns the status, the content type and the body text. */
export async function get(
  base: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; type: string; text: string; headers: Headers }> {
  const response = await fetch(`${base}${path}`, init);
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    text: await response.text(),
    headers: response.headers,
  };
}

/** Whether the component (a runtime) has a tap subscriber. */
export function tapping(component: ComponentInfo): boolean {
  return (component as unknown as { readonly tapping: boolean }).tapping;
}

export function healthOf(running: RunningPipelines, id: string): HealthState | undefined {
  return running.registry.component(id)?.health().state;
}

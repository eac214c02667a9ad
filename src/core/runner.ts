/**
 * The runner: subscribes pipelines, reports readiness and health, drains gracefully on SIGTERM
 * and SIGINT within a deadline, and fails loudly, naming the component, when a pipeline dies.
 */
import client, { type Registry } from 'prom-client';
import type { Observable, Subscription } from 'rxjs';
import type { ComponentInfo, ComponentRuntime } from './component.js';
import { exposeComponentMetrics } from './component-metrics.js';
import { ConfigError, RivuletError, toError } from './errors.js';
import { declaredOptions, type RunAttachment, type RunAttachmentHandle } from './extension-points.js';
import { collectGraph, type GraphEdge } from './graph.js';
import { maskRevealed, revealedSecrets } from './secret.js';
import { type Duration, durationOption } from './units.js';

/** Options of {@link run}. */
export interface RunOptions {
  /** How long a drain may take before the remaining work is cut off. @defaultValue `'30s'` */
  readonly drainTimeout?: Duration;
  /**
   * Whether SIGTERM and SIGINT start a drain. A second signal during a drain exits at once.
   * Services that own their own shutdown set this to `false` and call {@link RunningPipelines.stop}.
   * @defaultValue `true`
   */
  readonly handleSignals?: boolean;
  /**
   * Whether to end the process once a drain started by a signal, or a fatal failure, is over:
   * exit code 0 after a clean drain, 1 after a failure or a drain cut off by the deadline.
   * @defaultValue the value of `handleSignals`
   */
  readonly exitProcess?: boolean;
  /** Where the runner writes its few lines (drain started, failures). @defaultValue `console.error` */
  readonly log?: (line: string) => void;
  /**
   * The prom-client registry that gets the `rivulet_component_*` metrics (received, sent,
   * dropped by reason, errors by stage, healthy) of every component in the run; `false` for none.
   * @defaultValue prom-client's global registry, which `selfMetrics` reads by default
   */
  readonly metricsRegistry?: Registry | false;
  /**
   * What watches the run, such as `debugServer({ listen: '127.0.0.1:12345' })` from
   * `rivulet/debug`: attached right after the pipelines are subscribed, closed once the run is
   * done ({@link RunningPipelines.done} waits for it to close).
   * @defaultValue none
   */
  readonly debug?: RunAttachment;
}

/** A pipeline that failed, and the component it failed in. */
export interface PipelineFailure {
  readonly pipeline: string;
  /** The id of the component the error started in, when known. */
  readonly component: string | undefined;
  readonly error: Error;
}

/** How a run ended. */
export interface RunResult {
  /** `true` when no pipeline failed and every pipeline finished before the deadline. */
  readonly ok: boolean;
  /** `false` when the drain deadline cut pipelines off. */
  readonly drained: boolean;
  readonly failures: readonly PipelineFailure[];
}

/** The components of a run and the edges between them, as composed. */
export interface ComponentRegistry {
  readonly pipelines: readonly string[];
  components(): readonly ComponentInfo[];
  component(id: string): ComponentInfo | undefined;
  edges(): readonly GraphEdge[];
}

/** A handle on running pipelines. */
export interface RunningPipelines {
  readonly registry: ComponentRegistry;
  /** Resolves once every component has started. */
  readonly ready: Promise<void>;
  /** Resolves once every pipeline has finished, failed, or been cut off. */
  readonly done: Promise<RunResult>;
  isReady(): boolean;
  /** Whether every component is healthy (components that have exited cleanly count as healthy). */
  isHealthy(): boolean;
  /**
   * The components that are unhealthy or have exited with an error. Components still starting
   * are not listed: readiness covers them.
   */
  unhealthy(): readonly ComponentInfo[];
  /** Whether a drain has started: the sources were asked to stop and the run is winding down. */
  isDraining(): boolean;
  /** The registry that has the run's `rivulet_component_*` metrics; `undefined` when disabled. */
  readonly metricsRegistry: Registry | undefined;
  /** Drains: stops the sources, lets transforms and sinks flush, waits up to the deadline. */
  stop(): Promise<RunResult>;
}

/** The pipelines to run: one stream, or several by name. */
export type Pipelines = Observable<unknown> | Readonly<Record<string, Observable<unknown>>>;

/**
 * Runs pipelines until they finish, fail, or are drained.
 *
 * @example
 * ```ts
 * const running = run({ metrics: hostMetrics().pipe(consoleSink()) }, { handleSignals: false });
 * await running.ready;
 * const result = await running.stop();
 * ```
 */
export function run(pipelines: Pipelines, options: RunOptions = {}): RunningPipelines {
  const drainMs = durationOption('run', 'drainTimeout', options.drainTimeout ?? '30s');
  const handleSignals = options.handleSignals ?? true;
  const exitProcess = options.exitProcess ?? handleSignals;
  const write = options.log ?? ((line: string) => console.error(line));
  const named: [string, Observable<unknown>][] = isObservable(pipelines)
    ? [['main', pipelines]]
    : Object.entries(pipelines);
  if (named.length === 0) throw new ConfigError('run', 'pipelines', 'must name at least one pipeline');

  const graph = collectGraph(named.map(([, stream]) => stream));
  const byId = new Map<string, ComponentRuntime>();
  for (const component of graph.components) {
    const existing = byId.get(component.id);
    if (existing !== undefined && existing !== component) {
      throw new ConfigError(
        'run',
        'id',
        `'${component.id}' is used by two components; give each component a unique id`,
      );
    }
    byId.set(component.id, component);
  }
  /** Writes a log line, masking any secret a component's declared options hold. */
  const log = (line: string): void => {
    const secrets = new Set<string>();
    for (const component of graph.components) revealedSecrets(declaredOptions(component), secrets);
    write(maskRevealed(line, secrets));
  };
  const registry: ComponentRegistry = {
    pipelines: named.map(([name]) => name),
    components: () => graph.components,
    component: (id) => byId.get(id),
    edges: () => graph.edges,
  };

  const metricsRegistry = options.metricsRegistry ?? client.register;
  const unexpose =
    metricsRegistry === false ? () => undefined : exposeComponentMetrics(metricsRegistry, graph.components);

  const failures: PipelineFailure[] = [];
  const subscriptions = new Map<string, Subscription>();
  const remaining = new Set(named.map(([name]) => name));
  let stopping = false;
  let drained = true;
  let deadline: NodeJS.Timeout | undefined;
  let attachment: RunAttachmentHandle | undefined;
  let settled = false;
  let finish!: (result: RunResult) => void;
  const done = new Promise<RunResult>((resolve) => {
    finish = resolve;
  });

  const isReady = (): boolean => graph.components.every((c) => c.health().state !== 'starting');
  const ready = new Promise<void>((resolve) => {
    if (isReady()) return resolve();
    const watchers = graph.components.map((c) =>
      c.healthUpdates.subscribe(() => {
        if (isReady()) {
          for (const w of watchers) w.unsubscribe();
          resolve();
        }
      }),
    );
    void done.then(() => {
      for (const w of watchers) w.unsubscribe();
      resolve();
    });
  });

  const settleIfFinished = (): void => {
    if (remaining.size > 0 || settled) return;
    settled = true;
    if (deadline !== undefined) clearTimeout(deadline);
    removeSignalHandlers();
    unexpose();
    const result: RunResult = { ok: failures.length === 0 && drained, drained, failures };
    if (attachment === undefined) {
      finish(result);
      return;
    }
    const closing = attachment;
    attachment = undefined;
    closing.close().then(
      () => finish(result),
      (error: unknown) => {
        log(`rivulet: closing the run's debug attachment failed: ${toError(error).message}`);
        finish(result);
      },
    );
  };

  const pipelineEnded = (name: string): void => {
    remaining.delete(name);
    settleIfFinished();
  };

  const stop = (): Promise<RunResult> => {
    if (!stopping) {
      stopping = true;
      for (const component of graph.components) if (component.role === 'source') component.stop();
      deadline = setTimeout(() => {
        drained = false;
        const busy = graph.components.filter((c) => c.health().state !== 'exited').map((c) => c.id);
        log(
          `rivulet: drain deadline of ${drainMs}ms passed; cutting off ${[...remaining].join(', ')} (still busy: ${busy.join(', ') || 'none'})`,
        );
        for (const name of [...remaining]) {
          subscriptions.get(name)?.unsubscribe();
          remaining.delete(name);
        }
        settleIfFinished();
      }, drainMs);
      deadline.unref();
    }
    return done;
  };

  let signalCount = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signalCount++;
    if (signalCount > 1) {
      log(`rivulet: second ${signal}; exiting without finishing the drain`);
      process.exit(1);
    }
    log(`rivulet: ${signal} received; draining (deadline ${drainMs}ms)`);
    void stop();
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  if (handleSignals) for (const signal of signals) process.on(signal, onSignal);
  function removeSignalHandlers(): void {
    if (handleSignals) for (const signal of signals) process.off(signal, onSignal);
  }

  for (const [name, stream] of named) {
    const subscription = stream.subscribe({
      error(thrown: unknown) {
        const error = toError(thrown);
        const component = error instanceof RivuletError ? error.component : undefined;
        failures.push({ pipeline: name, component, error });
        log(`rivulet: pipeline '${name}' failed in component '${component ?? 'unknown'}': ${error.message}`);
        pipelineEnded(name);
        void stop();
      },
      complete() {
        pipelineEnded(name);
      },
    });
    if (remaining.has(name)) subscriptions.set(name, subscription);
  }

  if (exitProcess) {
    void done.then((result) => {
      if (result.ok) {
        if (signalCount > 0) process.exit(0);
      } else {
        process.exit(1);
      }
    });
  }

  const running: RunningPipelines = {
    registry,
    ready,
    done,
    isReady,
    isHealthy: () => graph.components.every(healthy),
    unhealthy: () => graph.components.filter((c) => c.health().state !== 'starting' && !healthy(c)),
    isDraining: () => stopping,
    metricsRegistry: metricsRegistry === false ? undefined : metricsRegistry,
    stop,
  };
  if (options.debug !== undefined) {
    try {
      const handle = options.debug.attach(running);
      if (settled) handle.close().catch(() => undefined);
      else attachment = handle;
    } catch (error) {
      log(`rivulet: attaching the run's debug attachment failed: ${toError(error).message}`);
    }
  }
  return running;
}

function healthy(component: ComponentInfo): boolean {
  const { state, message } = component.health();
  return state === 'healthy' || (state === 'exited' && (message === 'stopped' || message === 'completed'));
}

function isObservable(value: Pipelines): value is Observable<unknown> {
  return typeof (value as Observable<unknown>).subscribe === 'function';
}

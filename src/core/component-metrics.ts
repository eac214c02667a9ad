/**
 * Every running component's counters, health, send queue fill and request durations as
 * prom-client metrics, so a pipeline's own state is scraped and shipped like any other metric
 * (`selfMetrics` picks them up).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ComponentInfo, QueueFill, RequestDurations, RequestOutcome } from './component.js';

const LABELS = ['component_id', 'component_type'] as const;
type RequestLabel = (typeof LABELS)[number] | 'outcome';
const REQUEST_DURATION_NAME = 'rivulet_component_request_duration_seconds';
const REQUEST_DURATION_HELP =
  "How long a component's outbound request attempts (pushes, scrapes) took, by outcome (success, retry, drop, error).";

interface Registered {
  readonly components: Set<ComponentInfo>;
}

const byRegistry = new WeakMap<Registry, Registered>();

/**
 * Adds `components` to the `rivulet_component_*` metrics of `registry`, registering the metrics
 * on first use. Returns the function that takes them out again.
 */
export function exposeComponentMetrics(registry: Registry, components: readonly ComponentInfo[]): () => void {
  let registered = byRegistry.get(registry);
  if (registered === undefined) {
    registered = { components: new Set() };
    byRegistry.set(registry, registered);
    register(registry, registered.components);
  }
  const set = registered.components;
  for (const component of components) set.add(component);
  return () => {
    for (const component of components) set.delete(component);
  };
}

function register(registry: Registry, components: ReadonlySet<ComponentInfo>): void {
  const base = (c: ComponentInfo) => ({ component_id: c.id, component_type: c.type });
  new Counter({
    name: 'rivulet_component_received_items_total',
    help: 'Items a component took in.',
    labelNames: LABELS,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of components) this.inc(base(c), c.stats().received);
    },
  });
  new Counter({
    name: 'rivulet_component_sent_items_total',
    help: 'Items a component passed on, or for a sink, delivered.',
    labelNames: LABELS,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of components) this.inc(base(c), c.stats().sent);
    },
  });
  new Counter({
    name: 'rivulet_component_dropped_items_total',
    help: 'Items a component dropped, by reason; intentional="true" for filtering, "false" for data lost.',
    labelNames: [...LABELS, 'reason', 'intentional'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of components) {
        for (const [reason, drop] of c.stats().dropped) {
          this.inc({ ...base(c), reason, intentional: String(drop.intentional) }, drop.count);
        }
      }
    },
  });
  new Counter({
    name: 'rivulet_component_errors_total',
    help: 'Errors a component met, by stage (receiving, processing, sending).',
    labelNames: [...LABELS, 'stage'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of components) {
        for (const [stage, count] of c.stats().errors) this.inc({ ...base(c), stage }, count);
      }
    },
  });
  new Gauge({
    name: 'rivulet_component_healthy',
    help: 'Whether a component is healthy (1) or not (0); exited components report 0.',
    labelNames: LABELS,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of components) this.set(base(c), c.health().state === 'healthy' ? 1 : 0);
    },
  });
  const queueGauge = (name: string, help: string, value: (fill: QueueFill) => number | undefined): void => {
    new Gauge({
      name,
      help,
      labelNames: LABELS,
      registers: [registry],
      collect() {
        this.reset();
        for (const c of components) {
          const fill = c.queue?.();
          const v = fill === undefined ? undefined : value(fill);
          if (v !== undefined) this.set(base(c), v);
        }
      },
    });
  };
  queueGauge(
    'rivulet_component_queue_items',
    "Items in a component's send queue, for components that have one.",
    (fill) => fill.items,
  );
  queueGauge(
    'rivulet_component_queue_bytes',
    "Bytes in a component's send queue, for components that count them.",
    (fill) => fill.bytes,
  );
  queueGauge(
    'rivulet_component_queue_capacity_items',
    "The most items a component's send queue holds, for queues bounded by a count of items.",
    (fill) => fill.maxItems,
  );
  queueGauge(
    'rivulet_component_queue_capacity_bytes',
    "The most bytes a component's send queue holds, for queues bounded by a size.",
    (fill) => fill.maxBytes,
  );
  new RequestDurationHistogram(registry, components);
}

/** One series of a rendered histogram, in the shape prom-client's registry reads. */
interface HistogramPoint {
  readonly value: number;
  readonly labels: { readonly le?: number | '+Inf' };
  readonly sharedLabels: Readonly<Record<RequestLabel, string>>;
  readonly metricName: string;
}

/**
 * `rivulet_component_request_duration_seconds`. The component runtimes already count their
 * requests in buckets, so rather than observing each request a second time, this histogram
 * renders the runtimes' counts whenever the registry reads it.
 */
class RequestDurationHistogram extends Histogram<RequestLabel> {
  constructor(
    registry: Registry,
    private readonly components: ReadonlySet<ComponentInfo>,
  ) {
    super({
      name: REQUEST_DURATION_NAME,
      help: REQUEST_DURATION_HELP,
      labelNames: [...LABELS, 'outcome'],
      registers: [registry],
    });
  }

  /**
   * What prom-client's registry renders as text, and what `get()` (and so `getMetricsAsJSON`)
   * turns into plain label sets: the shape of prom-client's own histograms.
   */
  async getForPromString(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: HistogramPoint[];
  }> {
    const values: HistogramPoint[] = [];
    for (const c of this.components) {
      const durations = c.requestDurations?.();
      if (durations === undefined) continue;
      for (const [outcome, histogram] of durations) {
        pushHistogram(values, { component_id: c.id, component_type: c.type, outcome }, histogram);
      }
    }
    return {
      name: REQUEST_DURATION_NAME,
      help: REQUEST_DURATION_HELP,
      type: 'histogram',
      aggregator: 'sum',
      values,
    };
  }
}

function pushHistogram(
  values: HistogramPoint[],
  labels: { component_id: string; component_type: string; outcome: RequestOutcome },
  histogram: RequestDurations,
): void {
  for (let i = 0; i < histogram.bounds.length; i++) {
    values.push({
      value: histogram.buckets[i] ?? histogram.count,
      labels: { le: histogram.bounds[i] as number },
      sharedLabels: labels,
      metricName: `${REQUEST_DURATION_NAME}_bucket`,
    });
  }
  values.push({
    value: histogram.count,
    labels: { le: '+Inf' },
    sharedLabels: labels,
    metricName: `${REQUEST_DURATION_NAME}_bucket`,
  });
  values.push({
    value: histogram.sum,
    labels: {},
    sharedLabels: labels,
    metricName: `${REQUEST_DURATION_NAME}_sum`,
  });
  values.push({
    value: histogram.count,
    labels: {},
    sharedLabels: labels,
    metricName: `${REQUEST_DURATION_NAME}_count`,
  });
}

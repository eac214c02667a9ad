/**
 * Every running component's counters and health as prom-client metrics, so a pipeline's own
 * state is scraped and shipped like any other metric (`selfMetrics` picks them up).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ComponentInfo } from './component.js';

const LABELS = ['component_id', 'component_type'] as const;

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
}

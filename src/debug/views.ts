/**
 * The JSON shapes of the debug API (`/api/v0/...`) and the functions that build them from a
 * running pipeline. Everything here is plain JSON: times are ISO 8601 strings, counts numbers.
 */
import type { ComponentInfo, ComponentRole, ErrorStage, HealthState } from '../core/component.js';
import { declaredOptions } from '../core/extension-points.js';
import type { RunningPipelines } from '../core/runner.js';
import type { SignalKind } from '../core/signals.js';
import { toDisplay } from './mask.js';
import type { CounterSampler } from './sampler.js';

/** A component's health, as the debug API shows it. */
export interface HealthView {
  readonly state: HealthState;
  readonly message: string;
  /** When the state last changed, ISO 8601. */
  readonly since: string;
}

/** The signal kinds a component takes and emits. */
export interface KindsView {
  /** The kinds it takes; empty for sources. */
  readonly input: readonly SignalKind[];
  /** The kind it emits; `null` for sinks. */
  readonly output: SignalKind | null;
}

/** A component's counters, in items. */
export interface CountersView {
  readonly received: number;
  readonly sent: number;
  /** Dropped items by reason; `intentional` is `true` for filtering, `false` for data lost. */
  readonly dropped: Readonly<Record<string, { readonly count: number; readonly intentional: boolean }>>;
  readonly droppedTotal: number;
  /** Errors by stage. */
  readonly errors: Readonly<Partial<Record<ErrorStage, number>>>;
  readonly errorsTotal: number;
}

/** Items per second over the server's sliding window. */
export interface RatesView {
  readonly receivedPerSecond: number;
  readonly sentPerSecond: number;
}

/** One component in `/api/v0/components`. */
export interface ComponentView {
  readonly id: string;
  /** The factory that made it, such as `scrape`. */
  readonly type: string;
  readonly role: ComponentRole;
  readonly kinds: KindsView;
  readonly health: HealthView;
  readonly counters: CountersView;
  readonly rates: RatesView;
}

/** The body of `GET /api/v0/components`: the run's state and its components, sources first. */
export interface ComponentListView {
  readonly pipelines: readonly string[];
  /** What `/-/ready` answers: every component started and no drain under way. */
  readonly ready: boolean;
  /** What `/-/healthy` answers: no component unhealthy or failed. */
  readonly healthy: boolean;
  readonly draining: boolean;
  readonly components: readonly ComponentView[];
}

/**
 * An error a component reported, with its own message. For a component that does not keep its
 * errors (a `ComponentInfo` without `recentErrors`), the errors the server's sampling counted
 * since the previous entry instead, with the latest message.
 */
export interface RecentErrorView {
  /** When the error was reported (or the server noticed the errors), ISO 8601. */
  readonly time: string;
  readonly stages: readonly ErrorStage[];
  /** How many errors the entry stands for: 1, except for components that do not keep their errors. */
  readonly count: number;
  /** The error's message (the latest one's, when the entry stands for several). */
  readonly message: string;
}

/** The body of `GET /api/v0/components/:id`. */
export interface ComponentDetailView extends ComponentView {
  /** Ids of the components feeding this one. */
  readonly upstream: readonly string[];
  /** Ids of the components this one feeds. */
  readonly downstream: readonly string[];
  /**
   * The options the component declared (`declareOptions`), secrets masked; `null` when it
   * declared none.
   */
  readonly options: Readonly<Record<string, unknown>> | null;
  /** The last errors, oldest first; at most the server's `recentErrors` entries. */
  readonly recentErrors: readonly RecentErrorView[];
}

/** A node of `/api/v0/graph`. */
export interface GraphNodeView {
  readonly id: string;
  readonly type: string;
  readonly role: ComponentRole;
  readonly kinds: KindsView;
  readonly health: HealthState;
  readonly rates: RatesView;
}

/** An edge of `/api/v0/graph`: items flow from `from` to `to`. */
export interface GraphEdgeView {
  readonly from: string;
  readonly to: string;
  /** The signal kind on the edge. */
  readonly kind: SignalKind | null;
  /**
   * Items per second along the edge: what `to` received when `from` is its only input,
   * otherwise what `from` sent.
   */
  readonly itemsPerSecond: number;
}

/** The body of `GET /api/v0/graph`. */
export interface GraphView {
  /** The span the rates were computed over, in seconds. */
  readonly windowSeconds: number;
  readonly nodes: readonly GraphNodeView[];
  readonly edges: readonly GraphEdgeView[];
}

/** A cluster peer in `/api/v0/peers`. */
export interface PeerView {
  readonly name: string;
  readonly address: string;
  /** Whether the peer is this process. */
  readonly self: boolean;
}

/** The body of `GET /api/v0/peers`. */
export interface PeersView {
  readonly peers: readonly PeerView[];
}

/** The body of every error answer (400, 404, 405, 429, 500). */
export interface ErrorView {
  /** A short, stable code: `not_found`, `method_not_allowed`, `bad_request`, `too_many_taps`,
   * `unavailable`, `internal`. */
  readonly error: string;
  readonly message: string;
}

/** The components of a run in flow order: sources first, then what they feed. */
export function orderedComponents(running: RunningPipelines): readonly ComponentInfo[] {
  const components = running.registry.components();
  const edges = running.registry.edges();
  const incoming = new Map<string, number>(components.map((c) => [c.id, 0]));
  for (const edge of edges) incoming.set(edge.to, (incoming.get(edge.to) ?? 0) + 1);
  const ordered: ComponentInfo[] = [];
  const placed = new Set<string>();
  const byId = new Map(components.map((c) => [c.id, c]));
  let ready = components.filter((c) => incoming.get(c.id) === 0);
  while (ready.length > 0) {
    const next: ComponentInfo[] = [];
    for (const component of ready) {
      if (placed.has(component.id)) continue;
      placed.add(component.id);
      ordered.push(component);
      for (const edge of edges) {
        if (edge.from !== component.id) continue;
        const left = (incoming.get(edge.to) ?? 0) - 1;
        incoming.set(edge.to, left);
        const downstream = byId.get(edge.to);
        if (left === 0 && downstream !== undefined) next.push(downstream);
      }
    }
    ready = next;
  }
  for (const component of components) if (!placed.has(component.id)) ordered.push(component);
  return ordered;
}

/** One component's identity, health, counters and rates. */
export function componentView(component: ComponentInfo, sampler: CounterSampler): ComponentView {
  const stats = component.stats();
  const health = component.health();
  const dropped: Record<string, { count: number; intentional: boolean }> = {};
  let droppedTotal = 0;
  for (const [reason, drop] of stats.dropped) {
    dropped[reason] = { count: drop.count, intentional: drop.intentional };
    droppedTotal += drop.count;
  }
  const errors: Partial<Record<ErrorStage, number>> = {};
  let errorsTotal = 0;
  for (const [stage, count] of stats.errors) {
    errors[stage] = count;
    errorsTotal += count;
  }
  return {
    id: component.id,
    type: component.type,
    role: component.role,
    kinds: kindsOf(component),
    health: { state: health.state, message: health.message, since: new Date(health.since).toISOString() },
    counters: { received: stats.received, sent: stats.sent, dropped, droppedTotal, errors, errorsTotal },
    rates: sampler.rates(component),
  };
}

/** The body of `GET /api/v0/components`. */
export function componentListView(running: RunningPipelines, sampler: CounterSampler): ComponentListView {
  return {
    pipelines: running.registry.pipelines,
    ready: running.isReady() && !running.isDraining(),
    healthy: running.unhealthy().length === 0,
    draining: running.isDraining(),
    components: orderedComponents(running).map((component) => componentView(component, sampler)),
  };
}

/** The body of `GET /api/v0/components/:id`. */
export function componentDetailView(
  running: RunningPipelines,
  component: ComponentInfo,
  sampler: CounterSampler,
): ComponentDetailView {
  const edges = running.registry.edges();
  const options = declaredOptions(component);
  return {
    ...componentView(component, sampler),
    upstream: edges.filter((e) => e.to === component.id).map((e) => e.from),
    downstream: edges.filter((e) => e.from === component.id).map((e) => e.to),
    options: options === undefined ? null : (toDisplay(options) as Record<string, unknown>),
    recentErrors: sampler.recentErrors(component).map((entry) => ({
      time: new Date(entry.atMs).toISOString(),
      stages: entry.stages,
      count: entry.count,
      message: entry.message,
    })),
  };
}

/** The body of `GET /api/v0/graph`: nodes and edges in flow order, with rates. */
export function graphView(running: RunningPipelines, sampler: CounterSampler): GraphView {
  const now = Date.now();
  const components = orderedComponents(running);
  const byId = new Map(components.map((c) => [c.id, c]));
  const rates = new Map(components.map((c) => [c.id, sampler.rates(c, now)]));
  const position = new Map(components.map((c, i) => [c.id, i]));
  const at = (id: string): number => position.get(id) ?? components.length;
  const edges = [...running.registry.edges()].sort((x, y) => at(x.from) - at(y.from) || at(x.to) - at(y.to));
  const inputs = new Map<string, number>();
  for (const edge of edges) inputs.set(edge.to, (inputs.get(edge.to) ?? 0) + 1);
  return {
    windowSeconds: sampler.windowSeconds(now),
    nodes: components.map((c) => ({
      id: c.id,
      type: c.type,
      role: c.role,
      kinds: kindsOf(c),
      health: c.health().state,
      rates: rates.get(c.id) as RatesView,
    })),
    edges: edges.map((edge) => {
      const from = byId.get(edge.from);
      const itemsPerSecond =
        inputs.get(edge.to) === 1
          ? (rates.get(edge.to)?.receivedPerSecond ?? 0)
          : (rates.get(edge.from)?.sentPerSecond ?? 0);
      return { from: edge.from, to: edge.to, kind: from?.output ?? null, itemsPerSecond };
    }),
  };
}

function kindsOf(component: ComponentInfo): KindsView {
  return { input: component.input, output: component.output ?? null };
}

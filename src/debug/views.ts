/**
 * The JSON shapes of the debug API (`/api/v0/...`) and the functions that build them from a
 * running pipeline. Everything here is plain JSON: times are ISO 8601 strings, counts numbers.
 */
import type {
  ComponentInfo,
  ComponentRole,
  ErrorStage,
  HealthState,
  RequestDurations,
  RequestOutcome,
} from '../core/component.js';
import type { ClusterMemberState, ClusterView, Membership, Peer } from '../core/extension-points.js';
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
  /**
   * How full its send queue is; `null` for a component without one. `bytes`, `maxItems` and
   * `maxBytes` are `null` where the component does not say (a capacity is given only in the unit
   * the queue is bounded by).
   */
  readonly queue: {
    readonly items: number;
    readonly bytes: number | null;
    readonly maxItems: number | null;
    readonly maxBytes: number | null;
  } | null;
  /**
   * Its outbound request attempts (pushes, scrapes) since it started: how many, the seconds they
   * took in all, attempts by outcome, and the median and 99th percentile durations estimated
   * from the duration buckets as Prometheus's `histogram_quantile` does (interpolated within a
   * bucket; the highest finite bound when the rank falls in `+Inf`). `null` until it makes one.
   */
  readonly requests: {
    readonly count: number;
    readonly sumSeconds: number;
    readonly p50Seconds: number;
    readonly p99Seconds: number;
    readonly outcomes: Readonly<Partial<Record<RequestOutcome, number>>>;
  } | null;
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

/** A cluster member in `/api/v0/peers`. */
export interface PeerView {
  readonly name: string;
  /**
   * Its IP address; for a peer of a plain `Membership`, the address it gave (usually
   * `host:port`).
   */
  readonly address: string;
  /** Its gossip port; `null` for a peer of a plain `Membership`. */
  readonly port: number | null;
  /** Its state as this node sees it; `null` for a peer of a plain `Membership` (all are live). */
  readonly state: ClusterMemberState | null;
  /** Its incarnation number; `null` for a peer of a plain `Membership`. */
  readonly incarnation: number | null;
  /** Whether the peer is this process. */
  readonly self: boolean;
  /**
   * The fraction of the 64-bit hash space it owns (0 to 1), estimated from the owners of 4096
   * evenly spaced hashes; `null` when it is not a live peer of the membership, or there is no
   * membership that answers.
   */
  readonly share: number | null;
}

/** The body of `GET /api/v0/peers`. */
export interface PeersView {
  /** This node's name; `null` for a plain `Membership`. */
  readonly name: string | null;
  /** This node's local health score (0 is healthy); `null` when the cluster does not report one. */
  readonly healthScore: number | null;
  /** Every member, sorted by name. */
  readonly peers: readonly PeerView[];
}

/** The body of `GET /api/v0/status`: what the server has attached. */
export interface StatusView {
  /** Whether a cluster is attached, so `/api/v0/peers` answers. */
  readonly cluster: boolean;
}

/** How many evenly spaced hashes {@link ringShares} asks the membership about. */
const RING_SHARE_SAMPLES = 4096;

/**
 * The fraction of the 64-bit hash space each peer owns, by name, from the owners of
 * {@link RING_SHARE_SAMPLES} evenly spaced hashes; `undefined` when the membership cannot answer
 * (no peers yet).
 */
export function ringShares(membership: Membership): ReadonlyMap<string, number> | undefined {
  const step = (1n << 64n) / BigInt(RING_SHARE_SAMPLES);
  const counts = new Map<string, number>();
  try {
    for (let i = 0; i < RING_SHARE_SAMPLES; i++) {
      const { name } = membership.owner(BigInt(i) * step + step / 2n);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  } catch {
    return undefined;
  }
  return new Map([...counts].map(([name, count]) => [name, count / RING_SHARE_SAMPLES]));
}

/** The live peers of a membership, with their shares when known. */
export interface RingState {
  readonly peers: readonly Peer[];
  readonly shares: ReadonlyMap<string, number> | undefined;
}

/**
 * The body of `GET /api/v0/peers` for a cluster: from a {@link ClusterView}'s members, or from a
 * plain membership's live peers.
 */
export function peersView(cluster: ClusterView | undefined, ring: RingState | undefined): PeersView {
  const live = new Set(ring?.shares === undefined ? [] : ring.peers.map((p) => p.name));
  const share = (name: string): number | null => (live.has(name) ? (ring?.shares?.get(name) ?? 0) : null);
  const peers: PeerView[] =
    cluster === undefined
      ? (ring?.peers ?? []).map((p) => ({
          name: p.name,
          address: p.address,
          port: null,
          state: null,
          incarnation: null,
          self: p.self,
          share: share(p.name),
        }))
      : cluster.members().map((m) => ({
          name: m.name,
          address: m.address,
          port: m.port,
          state: m.state,
          incarnation: m.incarnation,
          self: m.self,
          share: share(m.name),
        }));
  peers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const score = cluster?.healthScore?.();
  return { name: cluster?.name ?? null, healthScore: score ?? null, peers };
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
    queue: queueView(component),
    requests: requestsView(component),
  };
}

function queueView(component: ComponentInfo): ComponentDetailView['queue'] {
  const fill = component.queue?.();
  if (fill === undefined) return null;
  return {
    items: fill.items,
    bytes: fill.bytes ?? null,
    maxItems: fill.maxItems ?? null,
    maxBytes: fill.maxBytes ?? null,
  };
}

function requestsView(component: ComponentInfo): ComponentDetailView['requests'] {
  const durations = component.requestDurations?.();
  if (durations === undefined || durations.size === 0) return null;
  let count = 0;
  let sum = 0;
  const outcomes: Partial<Record<RequestOutcome, number>> = {};
  // Outcomes share their bounds; one with other bounds still counts, but not in the quantiles.
  let merged: { bounds: readonly number[]; buckets: number[]; count: number } | undefined;
  for (const [outcome, histogram] of durations) {
    count += histogram.count;
    sum += histogram.sum;
    outcomes[outcome] = histogram.count;
    if (merged === undefined) {
      merged = { bounds: histogram.bounds, buckets: [...histogram.buckets], count: histogram.count };
    } else if (sameBounds(merged.bounds, histogram)) {
      for (let i = 0; i < merged.buckets.length; i++)
        merged.buckets[i] = (merged.buckets[i] as number) + (histogram.buckets[i] ?? 0);
      merged.count += histogram.count;
    }
  }
  if (merged === undefined) return null;
  return {
    count,
    sumSeconds: sum,
    p50Seconds: bucketQuantile(0.5, merged),
    p99Seconds: bucketQuantile(0.99, merged),
    outcomes,
  };
}

function sameBounds(bounds: readonly number[], histogram: RequestDurations): boolean {
  return bounds.length === histogram.bounds.length && bounds.every((b, i) => b === histogram.bounds[i]);
}

/** The `q` quantile of cumulative buckets, as Prometheus's `histogram_quantile` estimates it. */
function bucketQuantile(
  q: number,
  histogram: {
    readonly bounds: readonly number[];
    readonly buckets: readonly number[];
    readonly count: number;
  },
): number {
  const { bounds, buckets, count } = histogram;
  if (count === 0 || bounds.length === 0) return 0;
  const rank = q * count;
  for (let i = 0; i < bounds.length; i++) {
    const upTo = buckets[i] as number;
    if (upTo < rank) continue;
    const lower = i === 0 ? 0 : (bounds[i - 1] as number);
    const below = i === 0 ? 0 : (buckets[i - 1] as number);
    const upper = bounds[i] as number;
    return lower + ((upper - lower) * (rank - below)) / (upTo - below);
  }
  return bounds[bounds.length - 1] as number;
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

/**
 * A plain, JSON-serialisable snapshot of a component registry.
 */
import type { ComponentRole, HealthState } from '../core/component.js';
import type { GraphEdge } from '../core/graph.js';
import type { ComponentRegistry } from '../core/runner.js';
import type { SignalKind } from '../core/signals.js';

/** One component as the debug endpoint shows it. */
export interface ComponentSnapshot {
  readonly id: string;
  readonly type: string;
  readonly role: ComponentRole;
  readonly input: readonly SignalKind[];
  readonly output: SignalKind | null;
  readonly health: { readonly state: HealthState; readonly message: string; readonly since: string };
  readonly received: number;
  readonly sent: number;
  readonly dropped: Readonly<Record<string, { readonly count: number; readonly intentional: boolean }>>;
  readonly errors: Readonly<Record<string, number>>;
}

/** A whole registry as the debug endpoint shows it. */
export interface RegistrySnapshot {
  readonly pipelines: readonly string[];
  readonly components: readonly ComponentSnapshot[];
  readonly edges: readonly GraphEdge[];
}

/**
 * Takes a snapshot of a running pipeline's registry (`run(...).registry`).
 *
 * @example
 * ```ts
 * const running = run({ metrics }, { handleSignals: false });
 * console.log(JSON.stringify(snapshotRegistry(running.registry), null, 2));
 * ```
 */
export function snapshotRegistry(registry: ComponentRegistry): RegistrySnapshot {
  return {
    pipelines: registry.pipelines,
    components: registry.components().map((component) => {
      const stats = component.stats();
      const health = component.health();
      return {
        id: component.id,
        type: component.type,
        role: component.role,
        input: component.input,
        output: component.output ?? null,
        health: { state: health.state, message: health.message, since: new Date(health.since).toISOString() },
        received: stats.received,
        sent: stats.sent,
        dropped: Object.fromEntries(stats.dropped),
        errors: Object.fromEntries(stats.errors),
      };
    }),
    edges: registry.edges(),
  };
}

/**
 * The pipeline graph, derived from composition. Each component operator tags the Observable it
 * returns with its component and the stream it was applied to; the runner walks these tags back
 * from the pipelines it is given. Users never restate the wiring.
 */
import type { Observable } from 'rxjs';
import type { ComponentRuntime } from './component.js';

/** A directed edge between two components, by id. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
}

interface GraphNode {
  readonly component: ComponentRuntime | undefined;
  readonly upstreams: readonly Observable<unknown>[];
}

const nodes = new WeakMap<Observable<unknown>, GraphNode>();

/** Records that `stream` is the output of `component` (if any) fed by `upstreams`. */
export function tagStream<T extends Observable<unknown>>(
  stream: T,
  component: ComponentRuntime | undefined,
  upstreams: readonly Observable<unknown>[],
): T {
  nodes.set(stream, { component, upstreams });
  if (component !== undefined) recordOutput(component, stream);
  return stream;
}

/**
 * The components reachable upstream of `stream` that feed it directly, looking through streams
 * made by plain RxJS operators (`map`, `filter`, ...), which keep their source in `source`.
 */
function nearestComponents(
  stream: Observable<unknown>,
  seen: Set<Observable<unknown>>,
  out: ComponentRuntime[],
): void {
  let current: Observable<unknown> | undefined = stream;
  while (current !== undefined && !seen.has(current)) {
    seen.add(current);
    const node = nodes.get(current);
    if (node !== undefined) {
      if (node.component !== undefined) {
        out.push(node.component);
        return;
      }
      for (const upstream of node.upstreams) nearestComponents(upstream, seen, out);
      return;
    }
    current = (current as { source?: Observable<unknown> }).source;
  }
}

/** The components and edges of the pipelines ending in `roots`. */
export function collectGraph(roots: readonly Observable<unknown>[]): {
  components: ComponentRuntime[];
  edges: GraphEdge[];
} {
  const components: ComponentRuntime[] = [];
  const edges: GraphEdge[] = [];
  const visited = new Set<ComponentRuntime>();
  const edgeKeys = new Set<string>();
  const pending: ComponentRuntime[] = [];

  for (const root of roots) {
    const found: ComponentRuntime[] = [];
    nearestComponents(root, new Set(), found);
    pending.push(...found);
  }
  while (pending.length > 0) {
    const component = pending.pop() as ComponentRuntime;
    if (visited.has(component)) continue;
    visited.add(component);
    components.push(component);
    for (const output of outputsOf(component)) {
      const node = nodes.get(output);
      for (const upstream of node?.upstreams ?? []) {
        const found: ComponentRuntime[] = [];
        nearestComponents(upstream, new Set(), found);
        for (const from of found) {
          const key = `${from.id}\u0000${component.id}`;
          if (!edgeKeys.has(key)) {
            edgeKeys.add(key);
            edges.push({ from: from.id, to: component.id });
          }
          pending.push(from);
        }
      }
    }
  }
  return { components, edges };
}

const outputs = new WeakMap<ComponentRuntime, Set<Observable<unknown>>>();

/** Remembers each stream a component produced, so the walk can find all of its inputs. */
function recordOutput(component: ComponentRuntime, stream: Observable<unknown>): void {
  let set = outputs.get(component);
  if (set === undefined) {
    set = new Set();
    outputs.set(component, set);
  }
  set.add(stream);
}

function outputsOf(component: ComponentRuntime): Iterable<Observable<unknown>> {
  return outputs.get(component) ?? [];
}

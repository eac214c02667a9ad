/**
 * Tapped items as JSON for the live tap's server-sent events: the file sink's item shape
 * (labels as objects, nanosecond timestamps as strings, byte ids as hex), and for items that do
 * not fit their kind's shape, a generic copy with the same conversions and secrets masked.
 */
import type { TapEvent } from '../core/component.js';
import type { ItemOf, SignalKind } from '../core/signals.js';
import { itemToJson } from '../sinks/item-json.js';
import { toDisplay } from './mask.js';

/** One event of the live tap stream, the JSON in each server-sent event's `data` line. */
export interface TapEventView {
  /** The id of the component tapped. */
  readonly component: string;
  /** Which side of the component the items were seen on. */
  readonly direction: 'in' | 'out';
  readonly kind: SignalKind;
  /** When the items passed, in milliseconds since the Unix epoch. */
  readonly timestampMs: number;
  /**
   * The sampled items in the file sink's JSON shape: labels as objects, nanosecond times as
   * strings, byte ids as hex, non-finite floats as `NaN`, `+Inf`, `-Inf`.
   */
  readonly items: readonly unknown[];
  /** Items of the batch left out by the tap's rate. */
  readonly skipped: number;
  /** Events dropped since the previous one because the client read too slowly. */
  readonly dropped: number;
}

/** The JSON text of a {@link TapEventView}, on one line. */
export function tapEventJson(event: TapEvent, dropped: number): string {
  const items = event.items.map((item) => itemJson(event.kind, item)).join(',');
  const head = JSON.stringify({
    component: event.component,
    direction: event.direction,
    kind: event.kind,
    timestampMs: event.timestampMs,
    skipped: event.skipped,
    dropped,
  });
  return `${head.slice(0, -1)},"items":[${items}]}`;
}

function itemJson(kind: SignalKind, item: unknown): string {
  try {
    return itemToJson(kind, item as ItemOf<SignalKind>);
  } catch {
    const plain = toDisplay(item, 'hex');
    return JSON.stringify(
      typeof plain === 'object' && plain !== null && !Array.isArray(plain)
        ? { kind, ...plain }
        : { kind, value: plain },
    );
  }
}

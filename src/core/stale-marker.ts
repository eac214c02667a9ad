/**
 * Prometheus's staleness marker: the NaN with bits `0x7ff0000000000002`, written when a series
 * disappears. It is distinct from an ordinary NaN (`0x7ff8000000000001` in Prometheus) and
 * must never be used for anything else.
 *
 * Its bits survive object fields, typed-array element writes and DataViews, but not a plain
 * array of numbers: V8 keeps those as doubles and quiets NaNs (`0x7ff8000000000002`). Keep
 * sample values in objects, as `MetricSample` does, and write them with a DataView.
 */

const view = new DataView(new ArrayBuffer(8));
view.setUint32(0, 0x7ff00000);
view.setUint32(4, 0x00000002);

/** The staleness marker value. Compare with {@link isStaleMarker}, never with `===`. */
export const STALE_NAN: number = view.getFloat64(0);

/** Whether `value` is the staleness marker (and not just any NaN). */
export function isStaleMarker(value: number): boolean {
  if (!Number.isNaN(value)) return false;
  view.setFloat64(0, value);
  return view.getUint32(0) === 0x7ff00000 && view.getUint32(4) === 2;
}

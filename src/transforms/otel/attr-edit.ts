/**
 * Editing the items of a batch one by one, for the `attributes` and `resource` transforms.
 */
import { type Batch, withItems } from '../../core/batch.js';
import type { ComponentContext } from '../../core/component.js';
import type { ItemOf, SignalKind } from '../../core/signals.js';

/**
 * Edits every item of a batch. Returns the same batch when no item changed; an item that cannot
 * be edited (malformed) is passed on unchanged and counted as a processing error.
 */
export function attrEditBatch<K extends SignalKind>(
  batch: Batch<K>,
  edit: (item: ItemOf<K>) => ItemOf<K>,
  context: ComponentContext,
): Batch<K> {
  const items = batch.items;
  let out: ItemOf<K>[] | undefined;
  let failures = 0;
  let lastError: unknown;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as ItemOf<K>;
    let next = item;
    try {
      next = edit(item);
    } catch (error) {
      failures++;
      lastError = error;
    }
    if (next === item && out === undefined) continue;
    out ??= items.slice(0, i);
    out.push(next);
  }
  if (failures > 0)
    context.error('processing', `${failures} item(s) could not be edited: ${String(lastError)}`);
  return out === undefined ? batch : withItems(batch, out);
}

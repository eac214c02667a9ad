/** `labelDrop`: Alloy's `stage.label_drop`. Removes the named labels. */
import { labelListOption } from './options.js';
import { type Stage, simpleStage } from './stage.js';

/**
 * Removes labels.
 *
 * @example
 * ```ts
 * processLogs(labelDrop(['filename', 'pod_template_hash']));
 * ```
 */
export function labelDrop(names: readonly string[]): Stage {
  const drop = labelListOption('labelDrop', 'names', names);
  return simpleStage('labelDrop', (entry) => {
    if (drop.some((name) => entry.labels.has(name))) entry.labels = entry.labels.without(...drop);
    return undefined;
  });
}

/** `labelKeep`: Alloy's `stage.label_keep`. Removes every label but the named ones. */
import { Labels } from '../../core/labels.js';
import { labelListOption } from './options.js';
import { type Stage, simpleStage } from './stage.js';

/**
 * Keeps only the named labels.
 *
 * @example
 * ```ts
 * processLogs(labelKeep(['app', 'level', 'namespace']));
 * ```
 */
export function labelKeep(names: readonly string[]): Stage {
  const keep = new Set(labelListOption('labelKeep', 'names', names));
  return simpleStage('labelKeep', (entry) => {
    const current = entry.labels;
    if (current.names().every((name) => keep.has(name))) return undefined;
    const pairs: [string, string][] = [];
    current.forEach((name, value) => {
      if (keep.has(name)) pairs.push([name, value]);
    });
    entry.labels = Labels.fromEntries(pairs);
    return undefined;
  });
}

/**
 * The labels a scraped sample ends up with: the target's labels merged in, then metric
 * relabelling, as Prometheus's `mutateSampleLabels`. With `honorLabels`, labels the target
 * exposes win; without, target labels win and the exposed ones are kept as `exported_<name>`.
 */
import type { Labels } from '../../core/labels.js';
import type { Relabel } from './target-labels.js';

/** Merges target labels into scraped ones and applies metric relabelling. */
export function sampleLabels(
  scraped: Labels,
  target: Labels,
  honorLabels: boolean,
  relabel: Relabel | undefined,
): Labels | undefined {
  const builder = scraped.builder();
  if (honorLabels) {
    target.forEach((name, value) => {
      if (scraped.get(name) === undefined) builder.set(name, value);
    });
  } else {
    const conflicts: [string, string][] = [];
    target.forEach((name, value) => {
      const exposed = scraped.get(name);
      if (exposed !== undefined) conflicts.push([name, exposed]);
      builder.set(name, value);
    });
    conflicts.sort((a, b) => a[0].length - b[0].length);
    for (const [name, value] of conflicts) {
      let exported = `exported_${name}`;
      while (builder.get(exported) !== undefined) exported = `exported_${exported}`;
      builder.set(exported, value);
    }
  }
  const merged = builder.build();
  return relabel === undefined ? merged : relabel(merged);
}

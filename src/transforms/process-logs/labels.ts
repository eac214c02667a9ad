/**
 * `labels`: Alloy's `stage.labels`. Sets labels from extracted values. A key that is absent,
 * `null`, or not valid UTF-8 leaves its label alone; an empty value removes the label (Loki
 * treats an empty label as absent).
 */
import type { Labels, LabelsBuilder } from '../../core/labels.js';
import { valueToString } from './extracted.js';
import { isValidLabelValue, labelMapOption } from './options.js';
import { type Stage, simpleStage } from './stage.js';

/**
 * Which labels to set from which extracted keys: a list of names (each label from the key of
 * the same name), or an object from label name to extracted key (`null` or `''` for the same name).
 */
export type LabelsStageValues = readonly string[] | Readonly<Record<string, string | null | undefined>>;

/**
 * Sets labels from extracted values.
 *
 * @example
 * ```ts
 * // `level` from the extracted `level`, `service` from the extracted `app`.
 * processLogs(json({ expressions: { level: '', app: '' } }), labels({ level: null, service: 'app' }));
 * ```
 */
export function labels(values: LabelsStageValues): Stage {
  const stage = 'labels';
  const pairs = labelMapOption(stage, 'values', values);
  // Results by input label set and values: entries of a stream mostly repeat a few combinations,
  // and a cached set is returned as the same object, whose hash and key are then computed once.
  const cache = new Map<string, Labels>();
  const found: (string | undefined)[] = new Array(pairs.length);
  return simpleStage(stage, (entry) => {
    const extracted = entry.extracted;
    let key: string | undefined;
    for (let i = 0; i < pairs.length; i++) {
      const value = valueToString(extracted.get((pairs[i] as [string, string])[1]));
      const usable = value !== undefined && isValidLabelValue(value) ? value : undefined;
      found[i] = usable;
      if (usable !== undefined) key = `${key ?? entry.labels.key()}${i}:${usable.length}:${usable}`;
    }
    if (key === undefined) return undefined;
    const cached = cache.get(key);
    if (cached !== undefined) {
      entry.labels = cached;
      return undefined;
    }
    const builder: LabelsBuilder = entry.labels.builder();
    for (let i = 0; i < pairs.length; i++) {
      const value = found[i];
      if (value !== undefined) builder.set((pairs[i] as [string, string])[0], value);
    }
    const built = builder.build();
    if (cache.size >= CACHE_SIZE) cache.clear();
    cache.set(key, built);
    entry.labels = built;
    return undefined;
  });
}

/** Label sets a `labels` stage remembers. */
const CACHE_SIZE = 4096;

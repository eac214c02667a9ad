/**
 * `structuredMetadata`: Alloy's `stage.structured_metadata`. Sets Loki structured metadata
 * (per-line, not indexed) from extracted values, with the same mapping as `labels`. When the
 * source key is also a label, the label moves to structured metadata: it is removed from the
 * stream labels, which keeps high-cardinality values such as trace ids out of the index.
 */
import type { LabelsBuilder } from '../../core/labels.js';
import { Labels } from '../../core/labels.js';
import { valueToString } from './extracted.js';
import type { LabelsStageValues } from './labels.js';
import { isValidLabelValue, labelMapOption } from './options.js';
import { type Stage, simpleStage } from './stage.js';

/**
 * Sets structured metadata from extracted values (and moves labels of the same name there).
 *
 * @example
 * ```ts
 * processLogs(json({ expressions: { trace_id: 'traceId' } }), structuredMetadata(['trace_id']));
 * ```
 */
export function structuredMetadata(values: LabelsStageValues): Stage {
  const stage = 'structuredMetadata';
  const pairs = labelMapOption(stage, 'values', values);
  return simpleStage(stage, (entry) => {
    let metadata: LabelsBuilder | undefined;
    let labels: LabelsBuilder | undefined;
    for (let i = 0; i < pairs.length; i++) {
      const [name, key] = pairs[i] as [string, string];
      let value = valueToString(entry.extracted.get(key));
      const label = entry.labels.get(key);
      if (label !== undefined) {
        value = label;
        labels ??= entry.labels.builder();
        labels.delete(key);
      }
      if (value === undefined || !isValidLabelValue(value)) continue;
      metadata ??= (entry.structuredMetadata ?? Labels.EMPTY).builder();
      metadata.set(name, value);
    }
    if (metadata !== undefined) entry.structuredMetadata = metadata.build();
    if (labels !== undefined) entry.labels = labels.build();
    return undefined;
  });
}

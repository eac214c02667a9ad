/**
 * `staticLabels`: Alloy's `stage.static_labels`. Sets fixed labels on every entry. A `null` or
 * empty value is skipped.
 */
import { ConfigError } from '../../core/errors.js';
import { describe, isValidLabelValue, labelNameOption } from './options.js';
import { type Stage, simpleStage } from './stage.js';

/**
 * Sets fixed labels.
 *
 * @example
 * ```ts
 * processLogs(staticLabels({ env: 'prod', cluster: 'eu-1' }));
 * ```
 */
export function staticLabels(values: Readonly<Record<string, string | null | undefined>>): Stage {
  const stage = 'staticLabels';
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new ConfigError(
      stage,
      'values',
      `must be an object of label names and values, got ${describe(values)}`,
    );
  }
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(values)) {
    labelNameOption(stage, `values.${name}`, name);
    if (value === null || value === undefined || value === '') continue;
    if (typeof value !== 'string' || !isValidLabelValue(value)) {
      throw new ConfigError(
        stage,
        `values.${name}`,
        `must be a string of valid UTF-8, got ${describe(value)}`,
      );
    }
    pairs.push([name, value]);
  }
  return simpleStage(stage, (entry) => {
    if (pairs.length === 0) return undefined;
    const builder = entry.labels.builder();
    for (const [name, value] of pairs) builder.set(name, value);
    entry.labels = builder.build();
    return undefined;
  });
}

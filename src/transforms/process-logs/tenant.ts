/**
 * `tenant`: Alloy's `stage.tenant`. Sets the Loki tenant of an entry, from a fixed `value`, an
 * extracted key (`source`) or a label (`label`); exactly one of them. An empty or missing
 * tenant leaves the entry alone.
 *
 * The tenant travels as the reserved label {@link TENANT_LABEL} (`__tenant_id__`), Alloy's and
 * Promtail's convention: a Loki sink sends an entry carrying it with that tenant as
 * `X-Scope-OrgID` and removes the label from the stream. Like every label starting with `__`,
 * it is not meant to reach storage.
 */
import { ConfigError } from '../../core/errors.js';
import { valueToString } from './extracted.js';
import { isValidLabelValue, objectOption, optionalString } from './options.js';
import { type Stage, simpleStage } from './stage.js';

/** The reserved label carrying an entry's Loki tenant, which a Loki sink turns into `X-Scope-OrgID`. */
export const TENANT_LABEL = '__tenant_id__';

/** Options of {@link tenant}: exactly one of `value`, `source` and `label`. */
export type TenantStageOptions =
  | { readonly value: string; readonly source?: undefined; readonly label?: undefined }
  | { readonly source: string; readonly value?: undefined; readonly label?: undefined }
  | { readonly label: string; readonly value?: undefined; readonly source?: undefined };

/**
 * Sets the tenant an entry is sent to.
 *
 * @example
 * ```ts
 * processLogs(json({ expressions: { customer: 'org' } }), tenant({ source: 'customer' }));
 * ```
 */
export function tenant(options: TenantStageOptions): Stage {
  const stage = 'tenant';
  objectOption(stage, options);
  const value = optionalString(stage, 'value', options.value);
  const source = optionalString(stage, 'source', options.source);
  const label = optionalString(stage, 'label', options.label);
  const set = [value, source, label].filter((v) => v !== undefined).length;
  if (set !== 1) {
    throw new ConfigError(stage, 'options', `must set exactly one of value, source and label, got ${set}`);
  }
  if (value !== undefined && !isValidLabelValue(value))
    throw new ConfigError(stage, 'value', 'must be valid UTF-8');
  return simpleStage(stage, (entry) => {
    let id: string | undefined;
    if (value !== undefined) id = value;
    else if (source !== undefined) id = valueToString(entry.extracted.get(source));
    else id = entry.labels.get(label as string);
    if (id === undefined || id === '' || !isValidLabelValue(id)) return undefined;
    if (entry.labels.get(TENANT_LABEL) !== id) entry.labels = entry.labels.with(TENANT_LABEL, id);
    return undefined;
  });
}

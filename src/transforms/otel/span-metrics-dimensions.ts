/**
 * The dimensions of `spanMetrics`: checked as the connector checks them, with their Prometheus
 * label names.
 */
import { ConfigError } from '../../core/errors.js';
import type { SpanMetricsDimension } from './span-metrics.js';

/** A checked dimension: the attribute, its label name and its default. */
export interface SpanMetricsResolvedDimension {
  readonly name: string;
  readonly label: string;
  readonly fallback: string | undefined;
}

const RESERVED = ['service.name', 'span.name', 'span.kind', 'status.code'];

/** Checks dimensions as the connector does: names unique, none of the four built-in ones. */
export function spanMetricsDimensions(
  list: readonly (string | SpanMetricsDimension)[],
  component: string,
): SpanMetricsResolvedDimension[] {
  const seen = new Set(RESERVED);
  const labels = new Set(['service_name', 'span_name', 'span_kind', 'status_code']);
  return list.map((entry, i) => {
    const d = typeof entry === 'string' ? { name: entry } : entry;
    if (typeof d?.name !== 'string' || d.name === '')
      throw new ConfigError(component, `dimensions[${i}]`, 'must be an attribute name or { name, default? }');
    if (d.default !== undefined && typeof d.default !== 'string')
      throw new ConfigError(component, `dimensions[${i}].default`, 'must be a string');
    if (seen.has(d.name))
      throw new ConfigError(component, `dimensions[${i}]`, `duplicate dimension name ${d.name}`);
    seen.add(d.name);
    const label = spanMetricsLabelName(d.name);
    if (labels.has(label))
      throw new ConfigError(
        component,
        `dimensions[${i}]`,
        `'${d.name}' would be the label '${label}', already in use`,
      );
    labels.add(label);
    return { name: d.name, label, fallback: d.default };
  });
}

/**
 * An attribute name as a Prometheus label name: characters outside `[a-zA-Z0-9_]` become `_`,
 * runs of `_` one, and a leading digit gets `key_`.
 */
export function spanMetricsLabelName(name: string): string {
  if (/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) return name;
  const sanitized = name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/__+/g, '_');
  return /^[0-9]/.test(sanitized) ? `key_${sanitized}` : sanitized;
}

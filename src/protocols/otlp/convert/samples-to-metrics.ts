/**
 * Prometheus samples as OTLP metrics, as the Collector's `prometheus` receiver builds them: the
 * series of a family become one metric, the `_bucket`, `_sum` and `_count` series of a classic
 * histogram one point, `job` and `instance` a resource, `otel_scope_*` labels a scope. Takes
 * `MetricSample`s, gives `OtlpMetric`s. Pure: no I/O, no state between calls.
 */
import type { Labels } from '../../../core/labels.js';
import type {
  Attributes,
  InstrumentationScope,
  MetricSample,
  MetricType,
  Resource,
} from '../../../core/signals.js';
import { isStaleMarker } from '../../../core/stale-marker.js';
import type { OtlpMetric, OtlpMetricData } from '../types.js';
import { compareStrings } from './attributes.js';
import { otlpUnit } from './metric-names.js';
import {
  histogramPoint,
  nativePoint,
  numberPoints,
  type PointState,
  type Role,
  summaryPoint,
} from './sample-points.js';

/** The family a sample belongs to, and its part in it. */
interface Place {
  readonly name: string;
  readonly type: MetricType;
  readonly role: Role;
}

/** One metric being assembled. */
interface FamilyState {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  readonly place: Place;
  readonly sample: MetricSample;
  readonly points: Map<string, PointState>;
}

const EMPTY_SCOPE_ATTRIBUTES: Attributes = [];
const HIDDEN = new Set(['__name__', 'job', 'instance', 'otel_scope_name', 'otel_scope_version']);

/** Converts samples to OTLP metrics; see the TSDoc on the folder's `index.ts`. */
export function samplesToOtlpMetrics(samples: readonly MetricSample[]): OtlpMetric[] {
  const targets = new Map<string, Attributes>();
  const scopeInfos = new Map<string, Attributes>();
  for (const sample of samples) {
    const name = sample.labels.metricName;
    if ((name !== 'target_info' && name !== 'otel_scope_info') || isStaleMarker(sample.value)) continue;
    if (name === 'target_info')
      targets.set(resourceKey(sample.labels), attributesOf(sample.labels, 'target'));
    else scopeInfos.set(scopeNameKey(sample.labels), attributesOf(sample.labels, 'scope'));
  }

  const resources = new Map<string, Resource>();
  const scopes = new Map<string, InstrumentationScope>();
  const families = new Map<string, FamilyState>();
  for (const sample of samples) {
    const labels = sample.labels;
    const name = labels.metricName;
    if (name === '' || name === 'target_info' || name === 'otel_scope_info') continue;
    const place = placeOf(sample);
    if (place === undefined) continue;
    const rKey = resourceKey(labels);
    let resource = resources.get(rKey);
    if (resource === undefined) {
      resource = makeResource(labels, targets.get(rKey) ?? []);
      resources.set(rKey, resource);
    }
    const sKey = scopeKey(labels);
    let scope = scopes.get(sKey);
    if (scope === undefined) {
      scope = makeScope(labels, scopeInfos.get(scopeNameKey(labels)) ?? EMPTY_SCOPE_ATTRIBUTES);
      scopes.set(sKey, scope);
    }
    const familyKey = JSON.stringify([rKey, sKey, place.name, place.type]);
    let family = families.get(familyKey);
    if (family === undefined) {
      family = { resource, scope, place, sample, points: new Map() };
      families.set(familyKey, family);
    }
    const attributes = attributesOf(
      labels,
      place.role === 'bucket' ? 'le' : place.role === 'quantile' ? 'quantile' : 'point',
    );
    const pointKey = JSON.stringify([attributes.map((kv) => [kv.key, kv.value]), sample.timestampMs]);
    let point = family.points.get(pointKey);
    if (point === undefined) {
      point = { attributes, timeMs: sample.timestampMs, buckets: [], quantiles: [] };
      family.points.set(pointKey, point);
    }
    addToPoint(point, place.role, sample);
  }

  const out: OtlpMetric[] = [];
  for (const family of families.values()) {
    const data = dataOf(family);
    if (data === undefined) continue;
    // A series its metadata does not account for is untyped; the family's help is not its own.
    const metadata = family.sample.metadata?.type === family.place.type ? family.sample.metadata : undefined;
    out.push({
      resource: family.resource,
      scope: family.scope,
      name: family.place.name,
      description: metadata?.help ?? '',
      unit: otlpUnit(metadata?.unit ?? ''),
      metadata: [{ key: 'prometheus.type', value: family.place.type }],
      data,
    });
  }
  return out;
}

/** Where a sample belongs, by its name and metadata; `undefined` for what OTLP cannot carry. */
function placeOf(sample: MetricSample): Place | undefined {
  const name = sample.labels.metricName;
  const metadata = sample.metadata;
  if (sample.histogram !== undefined)
    return { name: metadata?.family ?? name, type: 'histogram', role: 'native' };
  if (metadata === undefined) return { name, type: 'unknown', role: 'value' };
  const family = metadata.family;
  switch (metadata.type) {
    case 'counter': {
      const base = family.endsWith('_total') ? family.slice(0, -6) : family;
      if (name === base || name === `${base}_total`) return { name: base, type: 'counter', role: 'value' };
      break;
    }
    case 'gauge':
    case 'unknown':
    case 'stateset':
      if (name === family) return { name, type: metadata.type, role: 'value' };
      break;
    case 'info':
      if (name === family || name === `${family}_info`) return { name: family, type: 'info', role: 'value' };
      break;
    case 'histogram':
      if (name === `${family}_bucket` && sample.labels.has('le'))
        return { name: family, type: 'histogram', role: 'bucket' };
      if (name === `${family}_sum`) return { name: family, type: 'histogram', role: 'sum' };
      if (name === `${family}_count`) return { name: family, type: 'histogram', role: 'count' };
      break;
    case 'summary':
      if (name === family && sample.labels.has('quantile'))
        return { name, type: 'summary', role: 'quantile' };
      if (name === `${family}_sum`) return { name: family, type: 'summary', role: 'sum' };
      if (name === `${family}_count`) return { name: family, type: 'summary', role: 'count' };
      break;
    case 'gaugehistogram':
      // The specification drops gauge histograms: OTLP has no equivalent.
      return undefined;
  }
  // A series its family does not account for (a `_created`, say) is a gauge of its own.
  return { name, type: 'unknown', role: 'value' };
}

function addToPoint(point: PointState, role: Role, sample: MetricSample): void {
  switch (role) {
    case 'bucket': {
      const le = Number(sample.labels.get('le'));
      if (!Number.isNaN(le)) point.buckets.push({ le, sample });
      return;
    }
    case 'quantile': {
      const quantile = Number(sample.labels.get('quantile'));
      if (!Number.isNaN(quantile)) point.quantiles.push({ quantile, sample });
      return;
    }
    default:
      point[role] = sample;
  }
}

/** The OTLP data of a family, or `undefined` when none of its points can be built. */
function dataOf(family: FamilyState): OtlpMetricData | undefined {
  const points = [...family.points.values()];
  switch (family.place.type) {
    case 'counter':
      return { type: 'sum', aggregationTemporality: 2, isMonotonic: true, dataPoints: numberPoints(points) };
    case 'info':
    case 'stateset':
      return { type: 'sum', aggregationTemporality: 2, isMonotonic: false, dataPoints: numberPoints(points) };
    case 'histogram': {
      if (points.some((p) => p.native !== undefined)) {
        const dataPoints = points.flatMap((p) => nativePoint(p) ?? []);
        if (dataPoints.length === 0) return undefined;
        return { type: 'exponentialHistogram', aggregationTemporality: 2, dataPoints };
      }
      const dataPoints = points.flatMap((p) => histogramPoint(p) ?? []);
      if (dataPoints.length === 0) return undefined;
      return { type: 'histogram', aggregationTemporality: 2, dataPoints };
    }
    case 'summary': {
      const dataPoints = points.flatMap((p) => summaryPoint(p) ?? []);
      return dataPoints.length === 0 ? undefined : { type: 'summary', dataPoints };
    }
    default:
      return { type: 'gauge', dataPoints: numberPoints(points) };
  }
}

/**
 * A label set's attributes: every label but `__name__`, `job`, `instance` and the scope labels
 * (`point`), those and `le` or `quantile`, or (`target`, for `target_info`) all but `__name__`,
 * `job` and `instance`, or (`scope`, for `otel_scope_info`) all but the name and the scope's
 * name and version.
 */
function attributesOf(labels: Labels, kind: 'point' | 'le' | 'quantile' | 'target' | 'scope'): Attributes {
  const out: { key: string; value: string }[] = [];
  labels.forEach((name, value) => {
    if (HIDDEN.has(name) || ((kind === 'le' || kind === 'quantile') && name === kind)) return;
    if (kind === 'scope') {
      if (name.startsWith('otel_scope_')) out.push({ key: name.slice('otel_scope_'.length), value });
      else out.push({ key: name, value });
      return;
    }
    if (kind !== 'target' && name.startsWith('otel_scope_')) return;
    out.push({ key: name, value });
  });
  return out;
}

function resourceKey(labels: Labels): string {
  return JSON.stringify([labels.get('job') ?? '', labels.get('instance') ?? '']);
}

function scopeKey(labels: Labels): string {
  const parts: string[] = [];
  labels.forEach((name, value) => {
    if (name.startsWith('otel_scope_')) parts.push(name, value);
  });
  return JSON.stringify(parts);
}

/** The scope name and version, which `otel_scope_info` samples are matched on. */
function scopeNameKey(labels: Labels): string {
  return JSON.stringify([labels.get('otel_scope_name') ?? '', labels.get('otel_scope_version') ?? '']);
}

/** A resource from `job` (`namespace/name`) and `instance`, with `target_info`'s labels. */
function makeResource(labels: Labels, extra: Attributes): Resource {
  const attributes: { key: string; value: string }[] = [];
  const job = labels.get('job');
  const instance = labels.get('instance');
  if (job !== undefined) {
    const slash = job.indexOf('/');
    if (slash > 0 && slash < job.length - 1) {
      attributes.push({ key: 'service.name', value: job.slice(slash + 1) });
      attributes.push({ key: 'service.namespace', value: job.slice(0, slash) });
    } else attributes.push({ key: 'service.name', value: job });
  }
  if (instance !== undefined) attributes.push({ key: 'service.instance.id', value: instance });
  return { attributes: [...attributes, ...extra], droppedAttributesCount: 0, schemaUrl: '' };
}

/** A scope from the `otel_scope_*` labels, with `otel_scope_info`'s labels as attributes. */
function makeScope(labels: Labels, info: Attributes): InstrumentationScope {
  const attributes = new Map<string, string>();
  labels.forEach((name, value) => {
    if (name.startsWith('otel_scope_') && !HIDDEN.has(name)) attributes.set(name.slice(11), value);
  });
  for (const kv of info) attributes.set(kv.key, kv.value as string);
  return {
    name: labels.get('otel_scope_name') ?? '',
    version: labels.get('otel_scope_version') ?? '',
    attributes: [...attributes]
      .sort((a, b) => compareStrings(a[0], b[0]))
      .map(([key, value]) => ({ key, value })),
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
}

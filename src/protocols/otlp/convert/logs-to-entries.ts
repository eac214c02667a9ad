/**
 * OTLP log records as Loki-shaped log entries, as Loki's OTLP endpoint stores them by default
 * (`pkg/loghttp/push/otlp.go`): a default list of resource attributes become stream labels, the
 * rest of the resource, the scope and the record's attributes and fields become structured
 * metadata. Takes `OtlpLogRecord`s, gives `LogEntry`s that keep their record in `otlp`.
 */
import { Labels } from '../../../core/labels.js';
import type {
  AnyValue,
  Attributes,
  InstrumentationScope,
  LogEntry,
  OtlpLogRecord,
  Resource,
} from '../../../core/signals.js';
import { anyValueToString, isKvList, lokiLabelName, toHex } from './attributes.js';

/**
 * The resource attributes Loki makes stream labels by default
 * (`distributor.otlp.default_resource_attributes_as_index_labels`).
 */
export const LOKI_DEFAULT_INDEX_LABELS: readonly string[] = Object.freeze([
  'service.name',
  'service.namespace',
  'service.instance.id',
  'deployment.environment',
  'deployment.environment.name',
  'cloud.region',
  'cloud.availability_zone',
  'k8s.cluster.name',
  'k8s.namespace.name',
  'k8s.pod.name',
  'k8s.container.name',
  'container.name',
  'k8s.replicaset.name',
  'k8s.deployment.name',
  'k8s.statefulset.name',
  'k8s.daemonset.name',
  'k8s.cronjob.name',
  'k8s.job.name',
]);

/** The labels Loki takes `service_name` from when a resource has no `service.name` (its default). */
export const LOKI_DEFAULT_DISCOVER_SERVICE_NAME: readonly string[] = Object.freeze([
  'service',
  'app',
  'application',
  'app_name',
  'name',
  'app_kubernetes_io_name',
  'container',
  'container_name',
  'k8s_container_name',
  'component',
  'workload',
  'job',
  'k8s_job_name',
]);

/** The `service_name` Loki gives a stream it found no service name for. */
const UNKNOWN_SERVICE = 'unknown_service';

/** Options of {@link otlpLogsToEntries}, named after Loki's `limits_config.otlp_config`. */
export interface OtlpLogsToEntriesOptions {
  /**
   * The resource attributes that become stream labels (with `.` and other characters outside
   * `[a-zA-Z0-9_]` as `_`); the other resource attributes become structured metadata. Replaces
   * the default list, as Loki's `ignore_defaults` does.
   * @defaultValue {@link LOKI_DEFAULT_INDEX_LABELS}
   */
  readonly indexLabels?: readonly string[];
  /**
   * When a resource has no `service.name`, the first stream label (in attribute order) named
   * in this list gives `service_name`, else it is `unknown_service`, as Loki's
   * `discover_service_name` does. An empty list turns this off.
   * @defaultValue {@link LOKI_DEFAULT_DISCOVER_SERVICE_NAME}
   */
  readonly discoverServiceName?: readonly string[];
}

/** Converts OTLP log records to entries; see the TSDoc on the folder's `index.ts`. */
export function otlpLogsToEntries(
  records: readonly OtlpLogRecord[],
  options: OtlpLogsToEntriesOptions = {},
): LogEntry[] {
  const indexLabels = new Set(options.indexLabels ?? LOKI_DEFAULT_INDEX_LABELS);
  const discover = new Set(options.discoverServiceName ?? LOKI_DEFAULT_DISCOVER_SERVICE_NAME);
  const resources = new Map<Resource, { labels: Labels; metadata: [string, string][] }>();
  const scopes = new Map<InstrumentationScope, [string, string][]>();
  const out: LogEntry[] = [];
  for (const record of records) {
    let resource = resources.get(record.resource);
    if (resource === undefined) {
      resource = resourceLabels(record.resource.attributes, indexLabels, discover);
      resources.set(record.resource, resource);
    }
    let scope = scopes.get(record.scope);
    if (scope === undefined) {
      scope = scopeMetadata(record.scope);
      scopes.set(record.scope, scope);
    }
    const metadata = Labels.fromEntries([...scope, ...resource.metadata, ...recordMetadata(record)]);
    out.push({
      labels: resource.labels,
      line: bodyLine(record.body),
      timestampNs: timestampOf(record),
      ...(metadata.size === 0 ? {} : { structuredMetadata: metadata }),
      otlp: record,
    });
  }
  return out;
}

/** A record's body as a log line: a string as it is, anything else as its string rendering. */
export function bodyLine(body: AnyValue): string {
  return anyValueToString(body);
}

/** The stream labels and structured metadata of a resource. */
function resourceLabels(
  attributes: Attributes,
  indexLabels: ReadonlySet<string>,
  discover: ReadonlySet<string>,
): { labels: Labels; metadata: [string, string][] } {
  const stream: [string, string][] = [];
  const metadata: [string, string][] = [];
  let serviceName: string | undefined;
  for (const { key, value } of attributes) {
    if (key === 'service.name' && anyValueToString(value) !== '') serviceName = anyValueToString(value);
  }
  for (const { key, value } of attributes) {
    if (!indexLabels.has(key)) {
      flatten(key, value, '', metadata);
      continue;
    }
    const start = stream.length;
    flatten(key, value, '', stream);
    if (serviceName !== undefined || discover.size === 0) continue;
    for (let i = start; i < stream.length; i++) {
      const [name, labelValue] = stream[i] as [string, string];
      if (discover.has(name) && labelValue !== '') {
        serviceName = labelValue;
        break;
      }
    }
    if (serviceName !== undefined) stream.push(['service_name', serviceName]);
  }
  if (serviceName === undefined && discover.size > 0) stream.push(['service_name', UNKNOWN_SERVICE]);
  return { labels: Labels.fromEntries(stream), metadata };
}

/** A scope's attributes, name, version and dropped-attribute count, as Loki names them. */
function scopeMetadata(scope: InstrumentationScope): [string, string][] {
  const out: [string, string][] = [];
  for (const { key, value } of scope.attributes) flatten(key, value, '', out);
  if (scope.name !== '') out.push(['scope_name', scope.name]);
  if (scope.version !== '') out.push(['scope_version', scope.version]);
  if (scope.droppedAttributesCount !== 0) {
    out.push(['scope_dropped_attributes_count', String(scope.droppedAttributesCount)]);
  }
  return out;
}

/** A record's attributes and fields (but the body and time), as Loki names them. */
function recordMetadata(record: OtlpLogRecord): [string, string][] {
  const out: [string, string][] = [];
  for (const { key, value } of record.attributes) flatten(key, value, '', out);
  if (record.timeUnixNano !== 0n && record.observedTimeUnixNano !== 0n) {
    out.push(['observed_timestamp', record.observedTimeUnixNano.toString()]);
  }
  if (record.severityNumber !== 0) out.push(['severity_number', String(record.severityNumber)]);
  if (record.severityText !== '') out.push(['severity_text', record.severityText]);
  if (record.droppedAttributesCount !== 0) {
    out.push(['dropped_attributes_count', String(record.droppedAttributesCount)]);
  }
  if (record.flags !== 0) out.push(['flags', String(record.flags)]);
  if (!isEmptyId(record.traceId)) out.push(['trace_id', toHex(record.traceId)]);
  if (!isEmptyId(record.spanId)) out.push(['span_id', toHex(record.spanId)]);
  return out;
}

/**
 * An attribute as labels, as Loki's `attributeToLabels` makes them: a map becomes one label per
 * member, named `<key>_<member>` (recursively), anything else one label with its string value.
 */
function flatten(key: string, value: AnyValue, prefix: string, out: [string, string][]): void {
  const name = lokiLabelName(prefix === '' ? key : `${prefix}_${key}`);
  if (name === '') return;
  if (isKvList(value)) {
    for (const member of value.kvlist) flatten(member.key, member.value, name, out);
  } else out.push([name, anyValueToString(value)]);
}

/** The entry time: the record's time, else its observed time, else now (as Loki does). */
function timestampOf(record: OtlpLogRecord): bigint {
  if (record.timeUnixNano !== 0n) return record.timeUnixNano;
  if (record.observedTimeUnixNano !== 0n) return record.observedTimeUnixNano;
  return BigInt(Date.now()) * 1_000_000n;
}

/** Whether a trace or span id is absent: no bytes or all zeros, as OTLP defines it. */
function isEmptyId(id: Uint8Array): boolean {
  for (const byte of id) if (byte !== 0) return false;
  return true;
}

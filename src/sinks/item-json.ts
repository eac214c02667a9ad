/**
 * The JSON shape of signal items, as the file sink writes them: one object per line, with
 * exact values. Labels become objects, nanosecond timestamps decimal strings, byte ids hex,
 * and non-finite floats the strings `NaN`, `+Inf` and `-Inf` (as Prometheus's JSON API writes them).
 */
import type { AnyValue, Attributes, ItemOf, SignalKind } from '../core/signals.js';

/** Serializes one item of kind `kind` as a JSON line, without the newline. */
export function itemToJson<K extends SignalKind>(kind: K, item: ItemOf<K>): string {
  return JSON.stringify({ kind, ...(toPlain(kind, item) as object) });
}

function toPlain(kind: SignalKind, item: ItemOf<SignalKind>): unknown {
  switch (kind) {
    case 'metrics': {
      const sample = item as ItemOf<'metrics'>;
      return {
        labels: sample.labels.toRecord(),
        value: floatToJson(sample.value),
        timestampMs: sample.timestampMs,
        ...(sample.histogram === undefined ? {} : { histogram: sample.histogram }),
      };
    }
    case 'logs': {
      const entry = item as ItemOf<'logs'>;
      return {
        labels: entry.labels.toRecord(),
        timestampNs: entry.timestampNs.toString(),
        line: entry.line,
        ...(entry.structuredMetadata === undefined
          ? {}
          : { structuredMetadata: entry.structuredMetadata.toRecord() }),
      };
    }
    case 'traces': {
      const span = item as ItemOf<'traces'>;
      return {
        resource: attributesToJson(span.resource.attributes),
        scope: { name: span.scope.name, version: span.scope.version },
        traceId: hex(span.traceId),
        spanId: hex(span.spanId),
        parentSpanId: hex(span.parentSpanId),
        name: span.name,
        kind: span.kind,
        startTimeUnixNano: span.startTimeUnixNano.toString(),
        endTimeUnixNano: span.endTimeUnixNano.toString(),
        attributes: attributesToJson(span.attributes),
        status: span.status,
      };
    }
    case 'profiles': {
      const profile = item as ItemOf<'profiles'>;
      return {
        labels: profile.labels.toRecord(),
        startTimeNs: profile.startTimeNs.toString(),
        endTimeNs: profile.endTimeNs.toString(),
        pprofBase64: Buffer.from(profile.pprof).toString('base64'),
      };
    }
  }
}

/** A float as JSON: finite numbers as numbers, the rest as Prometheus's strings. */
export function floatToJson(value: number): number | string {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

function attributesToJson(attributes: Attributes): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of attributes) out[key] = valueToJson(value);
  return out;
}

function valueToJson(value: AnyValue): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return floatToJson(value);
  if (value instanceof Uint8Array) return hex(value);
  if (Array.isArray(value)) return value.map(valueToJson);
  if (value !== null && typeof value === 'object' && 'kvlist' in value) return attributesToJson(value.kvlist);
  return value;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

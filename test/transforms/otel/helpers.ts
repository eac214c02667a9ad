// Shared helpers for the OpenTelemetry-style processor tests: items of each kind, the component
// behind a stream, and a subscription that records what it saw.
import type { Observable } from 'rxjs';
import type { ComponentInfo } from '../../../src/core/component.js';
import { collectGraph } from '../../../src/core/graph.js';
import { type LabelRecord, Labels } from '../../../src/core/labels.js';
import type {
  Attributes,
  LogEntry,
  MetricSample,
  OtlpLogRecord,
  Resource,
  Span,
} from '../../../src/core/signals.js';

export const RESOURCE: Resource = {
  attributes: [{ key: 'service.name', value: 'checkout' }],
  droppedAttributesCount: 0,
  schemaUrl: '',
};

/** Bytes from hex. */
export function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

/** A span with the given fields over sensible defaults. */
export function span(fields: Partial<Span> = {}): Span {
  return {
    resource: RESOURCE,
    scope: { name: 'http', version: '1.0.0', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
    traceId: hex('0af7651916cd43dd8448eb211c80319c'),
    spanId: hex('b7ad6b7169203331'),
    traceState: '',
    parentSpanId: new Uint8Array(0),
    flags: 1,
    name: 'GET /cart',
    kind: 2,
    startTimeUnixNano: 1_700_000_000_000_000_000n,
    endTimeUnixNano: 1_700_000_000_100_000_000n,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
    ...fields,
  };
}

/** A span with the trace id `traceIdHex` (32 hex digits). */
export function spanOfTrace(traceIdHex: string, fields: Partial<Span> = {}): Span {
  return span({ traceId: hex(traceIdHex), ...fields });
}

/** An OTLP log record with the given fields over sensible defaults. */
export function record(fields: Partial<OtlpLogRecord> = {}): OtlpLogRecord {
  return {
    resource: RESOURCE,
    scope: { name: 'app', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
    timeUnixNano: 1_700_000_000_000_000_000n,
    observedTimeUnixNano: 1_700_000_000_000_000_000n,
    severityNumber: 9,
    severityText: 'INFO',
    body: 'hello',
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
    traceId: new Uint8Array(0),
    spanId: new Uint8Array(0),
    eventName: '',
    ...fields,
  };
}

/** A log entry, with an OTLP record when `otlp` is given. */
export function entry(
  line: string,
  labels: LabelRecord = { app: 'api' },
  extra: { otlp?: OtlpLogRecord; metadata?: LabelRecord } = {},
): LogEntry {
  return {
    labels: Labels.from(labels),
    line,
    timestampNs: 1_700_000_000_000_000_000n,
    ...(extra.otlp === undefined ? {} : { otlp: extra.otlp }),
    ...(extra.metadata === undefined ? {} : { structuredMetadata: Labels.from(extra.metadata) }),
  };
}

/** A metric sample. */
export function sample(name: string, labels: LabelRecord = {}, value = 1): MetricSample {
  return {
    labels: Labels.from({ __name__: name, job: 'api', ...labels }),
    value,
    timestampMs: 1_700_000_000_000,
  };
}

/** Attributes from a record. */
export function attrs(record: Readonly<Record<string, Attributes[number]['value']>>): Attributes {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}

/** The component behind a stream. */
export function componentOf(stream: Observable<unknown>): ComponentInfo {
  const [component] = collectGraph([stream]).components;
  if (component === undefined) throw new Error('no component in the graph');
  return component;
}

/** Items dropped for `reason`. */
export function dropped(component: ComponentInfo, reason: string): number {
  return component.stats().dropped.get(reason)?.count ?? 0;
}

/** Subscribes, returning what was emitted so far and whether the stream ended. */
export function watch<T>(stream: Observable<T>) {
  const state = { out: [] as T[], done: false, error: undefined as unknown };
  const subscription = stream.subscribe({
    next: (value) => state.out.push(value),
    error: (error: unknown) => {
      state.error = error;
    },
    complete: () => {
      state.done = true;
    },
  });
  return Object.assign(state, { subscription });
}

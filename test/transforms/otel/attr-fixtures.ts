// Spans, log entries and clocks shared by the attributes, resource, tailSample and spanMetrics
// tests.
import {
  firstValueFrom,
  from,
  type Observable,
  type OperatorFunction,
  toArray,
  VirtualTimeScheduler,
} from 'rxjs';
import { type Batch, createBatch } from '../../../src/core/batch.js';
import type { ComponentInfo } from '../../../src/core/component.js';
import { collectGraph } from '../../../src/core/graph.js';
import { Labels } from '../../../src/core/labels.js';
import type {
  AnyValue,
  Attributes,
  InstrumentationScope,
  LogEntry,
  OtlpLogRecord,
  Resource,
  Span,
} from '../../../src/core/signals.js';

/** Attributes from a record, in its key order. */
export function attrs(record: Readonly<Record<string, AnyValue>>): Attributes {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}

/** Attributes as a record (the last of a repeated key wins). */
export function record(attributes: Attributes): Record<string, AnyValue> {
  return Object.fromEntries(attributes.map((kv) => [kv.key, kv.value]));
}

export function resourceOf(record: Readonly<Record<string, AnyValue>> = { 'service.name': 'api' }): Resource {
  return { attributes: attrs(record), droppedAttributesCount: 0, schemaUrl: '' };
}

export const SCOPE: InstrumentationScope = {
  name: 'io.opentelemetry.http',
  version: '1.2.0',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
};

export const RESOURCE = resourceOf();

/** A 16-byte trace id whose last two bytes are `n`. */
export function traceId(n: number): Uint8Array {
  const id = new Uint8Array(16);
  id[0] = 0xab;
  id[14] = (n >> 8) & 0xff;
  id[15] = n & 0xff;
  return id;
}

export const T0 = 1_700_000_000_000_000_000n;

export interface SpanSpec {
  readonly trace?: number;
  readonly name?: string;
  readonly attributes?: Readonly<Record<string, AnyValue>>;
  readonly resource?: Resource;
  readonly scope?: InstrumentationScope;
  readonly kind?: Span['kind'];
  readonly status?: 0 | 1 | 2;
  /** Start, in milliseconds after T0. */
  readonly startMs?: number;
  readonly durationMs?: number;
}

let spanCounter = 0;

export function span(spec: SpanSpec = {}): Span {
  const start = T0 + BigInt(Math.round((spec.startMs ?? 0) * 1e6));
  const spanId = new Uint8Array(8);
  spanId[7] = ++spanCounter & 0xff;
  spanId[6] = (spanCounter >> 8) & 0xff;
  return {
    resource: spec.resource ?? RESOURCE,
    scope: spec.scope ?? SCOPE,
    traceId: traceId(spec.trace ?? 1),
    spanId,
    traceState: '',
    parentSpanId: new Uint8Array(0),
    flags: 0,
    name: spec.name ?? 'GET /users',
    kind: spec.kind ?? 2,
    startTimeUnixNano: start,
    endTimeUnixNano: start + BigInt(Math.round((spec.durationMs ?? 10) * 1e6)),
    attributes: attrs(spec.attributes ?? {}),
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: spec.status ?? 0, message: '' },
  };
}

export function otlpRecord(spec: {
  readonly attributes?: Readonly<Record<string, AnyValue>>;
  readonly resource?: Resource;
  readonly body?: AnyValue;
  readonly severityNumber?: number;
  readonly severityText?: string;
}): OtlpLogRecord {
  return {
    resource: spec.resource ?? RESOURCE,
    scope: SCOPE,
    timeUnixNano: T0,
    observedTimeUnixNano: T0,
    severityNumber: spec.severityNumber ?? 9,
    severityText: spec.severityText ?? 'INFO',
    body: spec.body ?? 'user logged in',
    attributes: attrs(spec.attributes ?? {}),
    droppedAttributesCount: 0,
    flags: 0,
    traceId: new Uint8Array(0),
    spanId: new Uint8Array(0),
    eventName: '',
  };
}

/** A log entry; with `otlp`, one as the OTLP receiver makes it. */
export function logEntry(
  line: string,
  labels: Readonly<Record<string, string>> = { job: 'app' },
  metadata?: Readonly<Record<string, string>>,
  otlp?: OtlpLogRecord,
): LogEntry {
  return {
    labels: Labels.from(labels),
    line,
    timestampNs: T0,
    ...(metadata === undefined ? {} : { structuredMetadata: Labels.from(metadata) }),
    ...(otlp === undefined ? {} : { otlp }),
  };
}

export function componentOf(stream: Observable<unknown>): ComponentInfo {
  const [component] = collectGraph([stream]).components;
  if (component === undefined) throw new Error('no component in the graph');
  return component;
}

/** Runs batches through an operator to completion; returns the batches out and the component. */
export async function through<I extends Batch<'traces' | 'logs'>, O>(
  operator: OperatorFunction<I, O>,
  batches: readonly I[],
): Promise<{ out: O[]; component: ComponentInfo }> {
  const stream = from(batches).pipe(operator);
  const out = await firstValueFrom(stream.pipe(toArray()));
  return { out, component: componentOf(stream) };
}

export const traces = (...items: Span[]): Batch<'traces'> => createBatch('traces', items);
export const logs = (...items: LogEntry[]): Batch<'logs'> => createBatch('logs', items);

/** A virtual clock: `advance(ms)` runs every timer due by then. */
export function virtualClock(): {
  scheduler: VirtualTimeScheduler;
  advance(ms: number): void;
  now(): number;
} {
  const scheduler = new VirtualTimeScheduler();
  return {
    scheduler,
    advance(ms: number) {
      const target = scheduler.frame + ms;
      scheduler.maxFrames = target;
      scheduler.flush();
      scheduler.frame = target;
    },
    now: () => scheduler.now(),
  };
}

/** Item `i` of batch `b`; throws when there is none, so tests read it without `?.`. */
export function nth<T>(batches: readonly { readonly items: readonly T[] }[], b = 0, i = 0): T {
  const item = batches[b]?.items[i];
  if (item === undefined) throw new Error(`no item ${i} in batch ${b}`);
  return item;
}

/** Items dropped for `reason`. */
export function droppedCount(component: ComponentInfo, reason: string): number {
  return component.stats().dropped.get(reason)?.count ?? 0;
}

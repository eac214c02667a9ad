/**
 * `attributes`: Alloy's `otelcol.processor.attributes` (the OpenTelemetry Collector's
 * `attributes` processor) as a transform. Takes and emits batches of spans (the default) or of
 * log entries, editing each item's attributes with the Collector's actions: `insert`, `update`,
 * `upsert`, `delete`, `hash`, `extract` and `convert`, in order.
 *
 * - Spans: the span's own attributes. Resource and scope objects are shared, untouched.
 * - Log entries that carry their OTLP record (`otlp`, from the OTLP receiver): the record's
 *   attributes. The entry's Loki-shaped `labels` and `structuredMetadata` are left as they were.
 * - Other log entries: their structured metadata, as strings (typed values are written as the
 *   Collector's `AsString` renders them, and setting the empty string removes the label).
 *
 * `include` and `exclude` pick the items the actions apply to, with the Collector's match
 * properties; items they leave out pass unchanged. Nothing is dropped: every batch goes on with
 * its ack, and items whose attributes did not change are passed on as the same objects.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { Batch } from '../../core/batch.js';
import { defineTransform } from '../../core/define.js';
import { ConfigError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import { Labels } from '../../core/labels.js';
import type { ItemOf, LogEntry, Span } from '../../core/signals.js';
import {
  type AttrCompiledAction,
  type AttributeAction,
  attrApplyActions,
  attrCompileActions,
} from './attr-actions.js';
import { attrEditBatch } from './attr-edit.js';
import { type AttributesMatchProperties, type AttrSkip, attrLogSkip, attrSpanSkip } from './attr-match.js';
import { AttrLabels, AttrList } from './attr-values.js';

export type {
  AttributeAction,
  AttributeConvertAction,
  AttributeConvertedType,
  AttributeExtractAction,
  AttributeHashAlgorithm,
  AttributeKeyPatternAction,
  AttributeSetAction,
  AttributeValueSource,
} from './attr-actions.js';
export type {
  AttributesMatchAttribute,
  AttributesMatchLibrary,
  AttributesMatchLogSeverity,
  AttributesMatchProperties,
} from './attr-match.js';

/** The signal kinds `attributes` and `resource` work on. */
export type OtelAttributesKind = 'traces' | 'logs';

/** Options of {@link attributes}. */
export interface AttributesOptions<K extends OtelAttributesKind = 'traces'> {
  /** A unique component id. @defaultValue `attributes.N` */
  readonly id?: string;
  /** The signal kind the transform takes and emits. @defaultValue `'traces'` */
  readonly kind?: K;
  /** Apply the actions only to items these properties match. @defaultValue every item */
  readonly include?: AttributesMatchProperties;
  /** Do not apply the actions to items these properties match (checked after `include`). @defaultValue none */
  readonly exclude?: AttributesMatchProperties;
}

/**
 * Edits span attributes with the Collector's attribute actions.
 *
 * @example
 * ```ts
 * // spans: Observable<Batch<'traces'>>, from an OTLP receiver or any other traces source
 * spans.pipe(
 *   attributes(
 *     [
 *       { action: 'upsert', key: 'deployment.environment', value: 'prod' },
 *       { action: 'hash', key: 'user.email' },
 *       { action: 'extract', key: 'http.url', pattern: '^https?://(?P<host>[^/]+)' },
 *       { action: 'convert', key: 'http.status_code', convertedType: 'int' },
 *       { action: 'delete', pattern: '^internal\\.' },
 *     ],
 *     { exclude: { matchType: 'strict', services: ['healthcheck'] } },
 *   ),
 * );
 * ```
 */
export function attributes(
  actions: readonly AttributeAction[],
  options?: AttributesOptions<'traces'>,
): OperatorFunction<Batch<'traces'>, Batch<'traces'>>;
/**
 * Edits log record attributes (or structured metadata) with the Collector's attribute actions.
 *
 * @example
 * ```ts
 * // logs: Observable<Batch<'logs'>>, OTLP log records or lines from files
 * logs.pipe(
 *   attributes([{ action: 'delete', key: 'password' }], {
 *     kind: 'logs',
 *     include: { matchType: 'regexp', logBodies: ['login'] },
 *   }),
 * );
 * ```
 */
export function attributes<K extends OtelAttributesKind>(
  actions: readonly AttributeAction[],
  options: AttributesOptions<K> & { readonly kind: K },
): OperatorFunction<Batch<K>, Batch<K>>;
export function attributes<K extends OtelAttributesKind>(
  actions: readonly AttributeAction[],
  options: AttributesOptions<K> = {},
): OperatorFunction<Batch<K>, Batch<K>> {
  const type = 'attributes';
  const name = options.id ?? type;
  const kind = (options.kind ?? 'traces') as K;
  if (kind !== 'traces' && kind !== 'logs')
    throw new ConfigError(name, 'kind', `must be 'traces' or 'logs', got ${JSON.stringify(kind)}`);
  const compiled = attrCompileActions(actions, name);
  const edit: (item: ItemOf<K>) => ItemOf<K> =
    kind === 'traces'
      ? (spanEditor(compiled, attrSpanSkip(options.include, options.exclude, name)) as unknown as (
          item: ItemOf<K>,
        ) => ItemOf<K>)
      : (logEditor(compiled, attrLogSkip(options.include, options.exclude, name)) as unknown as (
          item: ItemOf<K>,
        ) => ItemOf<K>);
  const transform = defineTransform(
    { type, id: options.id, input: kind, output: kind },
    (context) => (upstream) =>
      new Observable<Batch<K>>((subscriber) =>
        upstream.subscribe({
          next: (batch) => subscriber.next(attrEditBatch(batch, edit, context)),
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        }),
      ),
  );
  return declareOptions(transform, { actions, ...options });
}

function spanEditor(
  actions: readonly AttrCompiledAction[],
  skip: AttrSkip<Span> | undefined,
): (span: Span) => Span {
  return (span) => {
    if (skip?.(span) === true) return span;
    const target = new AttrList(span.attributes ?? []);
    attrApplyActions(actions, target);
    const result = target.result();
    return result === span.attributes ? span : { ...span, attributes: result };
  };
}

function logEditor(
  actions: readonly AttrCompiledAction[],
  skip: AttrSkip<LogEntry> | undefined,
): (entry: LogEntry) => LogEntry {
  return (entry) => {
    if (skip?.(entry) === true) return entry;
    const record = entry.otlp;
    if (record !== undefined) {
      const target = new AttrList(record.attributes ?? []);
      attrApplyActions(actions, target);
      const result = target.result();
      return result === record.attributes ? entry : { ...entry, otlp: { ...record, attributes: result } };
    }
    const before = entry.structuredMetadata;
    const target = new AttrLabels(before ?? Labels.EMPTY);
    attrApplyActions(actions, target);
    const result = target.result();
    if (result === before || (before === undefined && result.size === 0)) return entry;
    if (result.size > 0) return { ...entry, structuredMetadata: result };
    const { structuredMetadata: _, ...rest } = entry;
    return rest;
  };
}

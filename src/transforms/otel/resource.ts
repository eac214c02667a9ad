/**
 * `resource`: Alloy's `otelcol.processor.resource` (the OpenTelemetry Collector's `resource`
 * processor) as a transform. Takes and emits batches of spans (the default) or of log entries,
 * editing resource attributes with the Collector's attribute actions (`insert`, `update`,
 * `upsert`, `delete`, `hash`, `extract`, `convert`), in order.
 *
 * - Spans, and log entries that carry their OTLP record (`otlp`): the resource's attributes.
 *   Each distinct resource object is edited once, and every item that shared it shares the
 *   edited one, so the OTLP encoders still group those items under one resource.
 * - Other log entries: their stream labels, as strings (typed values are written as the
 *   Collector's `AsString` renders them; setting the empty string removes the label).
 *
 * Nothing is dropped: every batch goes on with its ack.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { Batch } from '../../core/batch.js';
import { defineTransform } from '../../core/define.js';
import { ConfigError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import type { Labels } from '../../core/labels.js';
import type { ItemOf, LogEntry, Resource, Span } from '../../core/signals.js';
import {
  type AttrCompiledAction,
  type AttributeAction,
  attrApplyActions,
  attrCompileActions,
} from './attr-actions.js';
import { attrEditBatch } from './attr-edit.js';
import { AttrLabels, AttrList } from './attr-values.js';
import type { OtelAttributesKind } from './attributes.js';

/** Options of {@link resource}. */
export interface ResourceOptions<K extends OtelAttributesKind = 'traces'> {
  /** A unique component id. @defaultValue `resource.N` */
  readonly id?: string;
  /** The signal kind the transform takes and emits. @defaultValue `'traces'` */
  readonly kind?: K;
}

/**
 * Edits the resource attributes of spans with the Collector's attribute actions.
 *
 * @example
 * ```ts
 * // spans: Observable<Batch<'traces'>>, from an OTLP receiver or any other traces source
 * spans.pipe(
 *   resource([
 *     { action: 'insert', key: 'deployment.environment', value: 'prod' },
 *     { action: 'delete', key: 'host.id' },
 *   ]),
 * );
 * ```
 */
export function resource(
  actions: readonly AttributeAction[],
  options?: ResourceOptions<'traces'>,
): OperatorFunction<Batch<'traces'>, Batch<'traces'>>;
/**
 * Edits the resource attributes of OTLP log records, or the stream labels of other log entries.
 *
 * @example
 * ```ts
 * // logs: Observable<Batch<'logs'>>, from tailFiles or any other log source
 * logs.pipe(
 *   resource([{ action: 'upsert', key: 'cluster', value: 'eu-1' }], { kind: 'logs' }),
 * );
 * ```
 */
export function resource<K extends OtelAttributesKind>(
  actions: readonly AttributeAction[],
  options: ResourceOptions<K> & { readonly kind: K },
): OperatorFunction<Batch<K>, Batch<K>>;
export function resource<K extends OtelAttributesKind>(
  actions: readonly AttributeAction[],
  options: ResourceOptions<K> = {},
): OperatorFunction<Batch<K>, Batch<K>> {
  const type = 'resource';
  const name = options.id ?? type;
  const kind = (options.kind ?? 'traces') as K;
  if (kind !== 'traces' && kind !== 'logs')
    throw new ConfigError(name, 'kind', `must be 'traces' or 'logs', got ${JSON.stringify(kind)}`);
  const compiled = attrCompileActions(actions, name);
  const transform = defineTransform(
    { type, id: options.id, input: kind, output: kind },
    (context) => (upstream) =>
      new Observable<Batch<K>>((subscriber) => {
        // Edited resources and label sets by the original object, for this subscription.
        const resources = new WeakMap<Resource, Resource>();
        const labelSets = new WeakMap<Labels, Labels>();
        const editResource = (original: Resource): Resource => {
          let edited = resources.get(original);
          if (edited === undefined) {
            edited = applyToResource(compiled, original);
            resources.set(original, edited);
          }
          return edited;
        };
        const edit = (kind === 'traces'
          ? (span: Span) => {
              const next = editResource(span.resource);
              return next === span.resource ? span : { ...span, resource: next };
            }
          : (entry: LogEntry) => {
              const record = entry.otlp;
              if (record !== undefined) {
                const next = editResource(record.resource);
                return next === record.resource ? entry : { ...entry, otlp: { ...record, resource: next } };
              }
              let labels = labelSets.get(entry.labels);
              if (labels === undefined) {
                const target = new AttrLabels(entry.labels);
                attrApplyActions(compiled, target);
                labels = target.result();
                labelSets.set(entry.labels, labels);
              }
              return labels === entry.labels ? entry : { ...entry, labels };
            }) as unknown as (item: ItemOf<K>) => ItemOf<K>;
        return upstream.subscribe({
          next: (batch) => subscriber.next(attrEditBatch(batch, edit, context)),
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        });
      }),
  );
  return declareOptions(transform, { actions, ...options });
}

function applyToResource(actions: readonly AttrCompiledAction[], original: Resource): Resource {
  const target = new AttrList(original.attributes ?? []);
  attrApplyActions(actions, target);
  const result = target.result();
  return result === original.attributes ? original : { ...original, attributes: result };
}

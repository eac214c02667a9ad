/**
 * `relabel`: Prometheus relabelling (Alloy's `prometheus.relabel`) as a transform. Rewrites the
 * `labels` of every item of a labelled signal (metric samples, log entries, profiles) with
 * Prometheus's rules and semantics, dropping the items a `keep`, `drop`, `keepequal` or
 * `dropequal` rule drops. Takes and emits batches of one kind, `metrics` unless `kind` says
 * otherwise.
 *
 * Rules are a list, or an Observable of lists (a watched file, another component's output):
 * the latest valid list applies. The pure engine is {@link compileRelabelRules}.
 */
import { isObservable, Observable, type OperatorFunction, type Subscription } from 'rxjs';
import type { Batch } from '../../core/batch.js';
import { withItems } from '../../core/batch.js';
import type { ComponentContext } from '../../core/component.js';
import { defineTransform } from '../../core/define.js';
import { ConfigError, toError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import type { ItemOf, LabelledKind } from '../../core/signals.js';
import { cacheSizeOption, createProgram, type RelabelProgram } from './program.js';
import { type CompiledRule, compileRules, type RelabelRule } from './rules.js';

export {
  compileRelabelRules,
  DEFAULT_MAX_CACHE_SIZE,
  type RelabelProgram,
  type RelabelProgramOptions,
} from './program.js';
export { RELABEL_ACTIONS, type RelabelAction, type RelabelRule } from './rules.js';

/** Options of {@link relabel}. */
export interface RelabelOptions<K extends LabelledKind = 'metrics'> {
  /** A unique component id. @defaultValue `relabel.N` */
  readonly id?: string;
  /** The signal kind the transform takes and emits. @defaultValue `'metrics'` */
  readonly kind?: K;
  /**
   * The most relabelling results cached, keyed by input label set (Alloy's `max_cache_size`);
   * 0 turns the cache off.
   * @defaultValue 100000
   */
  readonly maxCacheSize?: number;
}

/** Rules, or an Observable whose latest valid list applies. */
export type RelabelRulesInput = readonly RelabelRule[] | Observable<readonly RelabelRule[]>;

/**
 * Batches that wait for the first valid rules of an Observable. A source's in-flight window
 * usually stops it well before this; past it, the oldest waiting batch is dropped
 * (`relabel_no_rules`) so memory stays bounded.
 */
export const MAX_BATCHES_WAITING_FOR_RULES = 64;

const LABELLED_KINDS: readonly LabelledKind[] = ['metrics', 'logs', 'profiles'];

/**
 * Relabels metric samples with Prometheus's rules.
 *
 * @example
 * ```ts
 * // metrics: Observable<Batch<'metrics'>>, from a scrape or any other metrics source
 * metrics.pipe(
 *   relabel([
 *     { action: 'drop', sourceLabels: ['__name__'], regex: 'go_.*' },
 *     { sourceLabels: ['instance'], regex: '([^:]+):\\d+', targetLabel: 'host' },
 *   ]),
 * );
 * ```
 */
export function relabel(
  rules: RelabelRulesInput,
  options?: RelabelOptions<'metrics'>,
): OperatorFunction<Batch<'metrics'>, Batch<'metrics'>>;
/**
 * Relabels the items of signal kind `options.kind` (`logs`, `profiles` or `metrics`).
 *
 * @example
 * ```ts
 * logs.pipe(relabel([{ action: 'labeldrop', regex: 'filename' }], { kind: 'logs' }));
 * ```
 */
export function relabel<K extends LabelledKind>(
  rules: RelabelRulesInput,
  options: RelabelOptions<K> & { readonly kind: K },
): OperatorFunction<Batch<K>, Batch<K>>;
export function relabel<K extends LabelledKind>(
  rules: RelabelRulesInput,
  options: RelabelOptions<K> = {},
): OperatorFunction<Batch<K>, Batch<K>> {
  const type = 'relabel';
  const name = options.id ?? type;
  const kind = (options.kind ?? 'metrics') as K;
  if (!LABELLED_KINDS.includes(kind)) {
    throw new ConfigError(name, 'kind', `must be one of ${LABELLED_KINDS.join(', ')}, got '${String(kind)}'`);
  }
  const maxCacheSize = cacheSizeOption(name, options.maxCacheSize);
  const fixed = isObservable(rules) ? undefined : compileRules(rules, name);
  const transform = defineTransform(
    { type, id: options.id, input: kind, output: kind },
    (context) => (upstream) => {
      if (fixed !== undefined) {
        return new Observable<Batch<K>>((subscriber) => {
          const program = createProgram(fixed, maxCacheSize);
          const subscription = upstream.subscribe({
            next: (batch) => {
              const out = relabelBatch(batch, program, context);
              if (out !== undefined) subscriber.next(out);
            },
            error: (error: unknown) => subscriber.error(error),
            complete: () => subscriber.complete(),
          });
          return () => {
            subscription.unsubscribe();
            program.clearCache();
          };
        });
      }
      return withLiveRules(
        upstream,
        rules as Observable<readonly RelabelRule[]>,
        name,
        maxCacheSize,
        context,
      );
    },
  );
  return declareOptions(transform, { rules, ...options });
}

/**
 * Relabels with the latest valid rules of `rules$`. Until the first valid rules arrive, batches
 * wait (at most {@link MAX_BATCHES_WAITING_FOR_RULES}); if `rules$` ends without any, waiting and
 * later batches are dropped (`relabel_no_rules`). Invalid rules are reported and skipped.
 */
function withLiveRules<K extends LabelledKind>(
  upstream: Observable<Batch<K>>,
  rules$: Observable<readonly RelabelRule[]>,
  name: string,
  maxCacheSize: number,
  context: ComponentContext,
): Observable<Batch<K>> {
  return new Observable<Batch<K>>((subscriber) => {
    let program: RelabelProgram | undefined;
    let rulesEnded = false;
    let upstreamEnded = false;
    const waiting: Batch<K>[] = [];
    const drop = (batch: Batch<K>, reason: string): void => {
      context.dropped(batch.items.length, reason);
      batch.ack.dropped(reason);
    };
    const emit = (batch: Batch<K>): void => {
      const out = relabelBatch(batch, program as RelabelProgram, context);
      if (out !== undefined) subscriber.next(out);
    };
    const flush = (): void => {
      while (waiting.length > 0) {
        const batch = waiting.shift() as Batch<K>;
        if (program !== undefined) emit(batch);
        else drop(batch, 'relabel_no_rules');
      }
      if (upstreamEnded) subscriber.complete();
    };
    const noMoreRules = (problem: string | undefined): void => {
      rulesEnded = true;
      if (program === undefined) {
        context.setHealth('unhealthy', problem ?? 'the rules stream ended without valid rules');
        flush();
      }
    };
    const rulesSubscription: Subscription = rules$.subscribe({
      next(list) {
        let compiled: CompiledRule[];
        try {
          compiled = compileRules(list, name);
        } catch (error) {
          context.error('processing', error);
          context.setHealth(
            'unhealthy',
            `rules rejected, ${program === undefined ? 'none' : 'previous rules'} in use: ${(error as Error).message}`,
          );
          return;
        }
        program?.clearCache();
        program = createProgram(compiled, maxCacheSize);
        context.setHealth('healthy');
        flush();
      },
      error(error: unknown) {
        const message = toError(error).message;
        context.error('processing', error);
        if (program !== undefined)
          context.setHealth('unhealthy', `the rules stream failed, last rules in use: ${message}`);
        noMoreRules(`the rules stream failed before any valid rules: ${message}`);
      },
      complete() {
        noMoreRules(undefined);
      },
    });
    const subscription = upstream.subscribe({
      next(batch) {
        if (program !== undefined) emit(batch);
        else if (rulesEnded) drop(batch, 'relabel_no_rules');
        else {
          if (waiting.length >= MAX_BATCHES_WAITING_FOR_RULES)
            drop(waiting.shift() as Batch<K>, 'relabel_no_rules');
          waiting.push(batch);
        }
      },
      error: (error: unknown) => subscriber.error(error),
      complete() {
        upstreamEnded = true;
        if (waiting.length === 0) subscriber.complete();
      },
    });
    return () => {
      subscription.unsubscribe();
      rulesSubscription.unsubscribe();
      for (const batch of waiting.splice(0)) drop(batch, 'unsubscribed');
      program?.clearCache();
    };
  });
}

/**
 * Relabels one batch. Returns the batch to emit (the same one when no labels changed), or
 * `undefined` when every item was dropped, in which case its ack is settled as dropped.
 */
function relabelBatch<K extends LabelledKind>(
  batch: Batch<K>,
  program: RelabelProgram,
  context: ComponentContext,
): Batch<K> | undefined {
  const items = batch.items;
  let out: ItemOf<K>[] | undefined;
  let dropped = 0;
  try {
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as ItemOf<K>;
      const labels = program.apply(item.labels);
      if (labels === item.labels && out === undefined) continue;
      out ??= items.slice(0, i);
      if (labels === undefined) dropped++;
      else out.push(labels === item.labels ? item : { ...item, labels });
    }
  } catch (error) {
    context.error('processing', error);
    context.dropped(items.length, 'relabel_error');
    batch.ack.dropped('relabel_error');
    return undefined;
  }
  if (dropped > 0) context.dropped(dropped, 'relabel_drop', true);
  if (out === undefined) return batch;
  if (out.length === 0) {
    batch.ack.dropped('relabel_drop');
    return undefined;
  }
  return withItems(batch, out);
}

/**
 * Batches: what every stream carries. A batch holds items of one signal kind and the
 * acknowledgement its sink settles.
 */
import { Ack } from './ack.js';
import type { ItemOf, SignalKind } from './signals.js';

/**
 * Items of one signal kind travelling together, with the acknowledgement that settles when
 * they are delivered. The `kind` field makes streams of different signals distinct types.
 */
export interface Batch<K extends SignalKind> {
  readonly kind: K;
  readonly items: readonly ItemOf<K>[];
  readonly ack: Ack;
}

/** A batch of metric samples. */
export type MetricBatch = Batch<'metrics'>;
/** A batch of log entries. */
export type LogBatch = Batch<'logs'>;
/** A batch of spans. */
export type TraceBatch = Batch<'traces'>;
/** A batch of profiles. */
export type ProfileBatch = Batch<'profiles'>;

/** Makes a batch. Without an `ack`, a fresh one is made. */
export function createBatch<K extends SignalKind>(
  kind: K,
  items: readonly ItemOf<K>[],
  ack: Ack = new Ack(),
): Batch<K> {
  return { kind, items, ack };
}

/** The same batch (kind and ack) with other items: what a transform emits. */
export function withItems<K extends SignalKind>(batch: Batch<K>, items: readonly ItemOf<K>[]): Batch<K> {
  return { kind: batch.kind, items, ack: batch.ack };
}

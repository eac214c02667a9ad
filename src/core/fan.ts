/**
 * Fan-out and fan-in that keep acknowledgements and the pipeline graph intact.
 */
import { merge, Observable, type OperatorFunction, Subject } from 'rxjs';
import type { Batch } from './batch.js';
import { tagStream } from './graph.js';
import type { SignalKind } from './signals.js';

/**
 * Sends every batch of `source` to each branch. Each branch gets its own child ack, and the
 * original ack settles only when every branch has settled its copy: failed if any branch failed.
 * The result merges what the branches emit (usually their deliveries). Subscribe to it once.
 *
 * @example
 * ```ts
 * const deliveries = fanOut(hostMetrics(), exposition(), fileSink({ path: './data/metrics.jsonl' }));
 * ```
 */
export function fanOut<K extends SignalKind, R>(
  source: Observable<Batch<K>>,
  ...branches: readonly OperatorFunction<Batch<K>, R>[]
): Observable<R> {
  if (branches.length === 0) throw new RangeError('fanOut needs at least one branch');
  const inputs = branches.map(() => tagStream(new Subject<Batch<K>>(), undefined, [source]));
  const outputs = branches.map((branch, i) => branch((inputs[i] as Subject<Batch<K>>).asObservable()));
  const stream = new Observable<R>((subscriber) => {
    const merged = merge(...outputs).subscribe(subscriber);
    const upstream = source.subscribe({
      next(batch) {
        const acks = batch.ack.split(inputs.length);
        inputs.forEach((input, i) => {
          input.next({ kind: batch.kind, items: batch.items, ack: acks[i] ?? batch.ack });
        });
      },
      error(error: unknown) {
        for (const input of inputs) input.error(error);
      },
      complete() {
        for (const input of inputs) input.complete();
      },
    });
    return () => {
      upstream.unsubscribe();
      merged.unsubscribe();
    };
  });
  return tagStream(stream, undefined, outputs);
}

/**
 * Merges streams of the same signal kind into one, keeping each as an upstream in the graph.
 */
export function fanIn<K extends SignalKind>(
  ...streams: readonly Observable<Batch<K>>[]
): Observable<Batch<K>> {
  return tagStream(merge(...streams), undefined, streams);
}

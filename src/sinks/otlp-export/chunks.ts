/**
 * Cuts an incoming batch into the chunks the send queue combines into requests: the whole batch
 * when it fits in one request, else slices of at most `sendBatchSize` items. Metric samples are
 * cut between metric families where one ends within the slice, so the series an OTLP data point
 * is built from (a histogram's buckets, sum and count) go in the same request.
 */
import type { MetricSample } from '../../core/signals.js';
import type { ItemTracker } from '../shared/item-outcome.js';
import type { OtlpExportSignal } from './options.js';
import type { Chunk } from './queue.js';

/**
 * The chunks of `items`, all tracked by `tracker`. `samples` says metrics are metric samples,
 * cut between families; OTLP metrics, each whole already, are cut anywhere.
 */
export function chunksOf(
  signal: OtlpExportSignal,
  items: readonly unknown[],
  sendBatchSize: number,
  tracker: ItemTracker,
  samples = true,
): Chunk[] {
  const queuedAt = performance.now();
  const chunk = (slice: readonly unknown[]): Chunk => ({
    items: slice,
    count: slice.length,
    tracker,
    queuedAt,
  });
  if (items.length <= sendBatchSize) return [chunk(items)];
  const chunks: Chunk[] = [];
  let start = 0;
  while (items.length - start > sendBatchSize) {
    let end = start + sendBatchSize;
    if (signal === 'metrics' && samples) end = familyBoundary(items as readonly MetricSample[], start, end);
    chunks.push(chunk(items.slice(start, end)));
    start = end;
  }
  chunks.push(chunk(items.slice(start)));
  return chunks;
}

/** The last index in (start, end] where a metric family begins, or `end` when there is none. */
function familyBoundary(samples: readonly MetricSample[], start: number, end: number): number {
  for (let i = end; i > start; i--) {
    if (familyOf(samples[i - 1] as MetricSample) !== familyOf(samples[i] as MetricSample)) return i;
  }
  return end;
}

/** A sample's metric family: from its metadata, else its name without a histogram or summary suffix. */
function familyOf(sample: MetricSample): string {
  return sample.metadata?.family ?? sample.labels.metricName.replace(/_(bucket|sum|count|created)$/, '');
}

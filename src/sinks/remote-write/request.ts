/**
 * Turns queued entries into one compressed remote write request: samples grouped per series in
 * arrival order (so each series' samples stay in timestamp order), then protobuf, then snappy.
 */
import type { MetricMetadata } from '../../core/signals.js';
import { encodeWriteRequest, snappyCompress, type WriteSeries } from '../../protocols/remote-write/index.js';
import type { Entry } from './tracker.js';

/** What a request carries besides float samples. */
export interface RequestContent {
  readonly sendExemplars: boolean;
  readonly sendNativeHistograms: boolean;
}

interface MutableSeries {
  labels: WriteSeries['labels'];
  samples: { value: number; timestampMs: number }[];
  exemplars: NonNullable<WriteSeries['exemplars']>[number][];
  histograms: NonNullable<WriteSeries['histograms']>[number][];
}

/** The snappy-compressed protobuf body for `entries`. */
export function buildRequest(entries: readonly Entry[], content: RequestContent): Uint8Array {
  const bySeries = new Map<string, MutableSeries>();
  for (const { sample, labels } of entries) {
    const key = labels.key();
    let series = bySeries.get(key);
    if (series === undefined) {
      series = { labels, samples: [], exemplars: [], histograms: [] };
      bySeries.set(key, series);
    }
    if (sample.histogram !== undefined) {
      if (content.sendNativeHistograms)
        series.histograms.push({ histogram: sample.histogram, timestampMs: sample.timestampMs });
    } else {
      series.samples.push({ value: sample.value, timestampMs: sample.timestampMs });
    }
    if (content.sendExemplars && sample.exemplars !== undefined) series.exemplars.push(...sample.exemplars);
  }
  return snappyCompress(encodeWriteRequest([...bySeries.values()]));
}

/** The snappy-compressed protobuf body carrying only metadata. */
export function buildMetadataRequest(metadata: readonly MetricMetadata[]): Uint8Array {
  return snappyCompress(encodeWriteRequest([], metadata));
}

/**
 * The shapes the remote write 1.0 codec reads and writes: series with their samples, exemplars and
 * native histograms grouped as `prometheus.TimeSeries` groups them, and the error a malformed
 * payload raises.
 */
import { RivuletError } from '../../core/errors.js';
import type { Labels } from '../../core/labels.js';
import type { Exemplar, MetricMetadata, NativeHistogram } from '../../core/signals.js';

/** The `Content-Type` of a remote write 1.0 request. */
export const REMOTE_WRITE_CONTENT_TYPE = 'application/x-protobuf';

/** The `X-Prometheus-Remote-Write-Version` a 1.0 sender sends. */
export const REMOTE_WRITE_VERSION = '0.1.0';

/** One float sample of a series. A `MetricSample` is one, so samples can be passed as they are. */
export interface WriteSample {
  /** A float64; the staleness marker (NaN with bits `0x7ff0000000000002`) is written bit-exact. */
  readonly value: number;
  /** Milliseconds since the Unix epoch (an int64 on the wire; fractions are truncated). */
  readonly timestampMs: number;
}

/** One native histogram sample of a series. */
export interface WriteHistogram {
  readonly histogram: NativeHistogram;
  /** Milliseconds since the Unix epoch. */
  readonly timestampMs: number;
}

/**
 * One `prometheus.TimeSeries`: a label set and what was observed for it. A sender groups its
 * samples by series into these; the codec writes them in the order given.
 */
export interface WriteSeries {
  /** The series, `__name__` included. Already sorted and free of empty values, as `Labels` are. */
  readonly labels: Labels;
  /** Float samples, oldest first (the protocol requires per-series time order). */
  readonly samples: readonly WriteSample[];
  readonly exemplars?: readonly Exemplar[] | undefined;
  readonly histograms?: readonly WriteHistogram[] | undefined;
}

/**
 * Why a decoded series' labels break the protocol's rules. The series' `labels` then hold the
 * repaired set (sorted, last value of a repeated name kept, empty names left out); a receiver
 * decides whether to accept it.
 * - `unsorted`: names are not in byte order.
 * - `duplicate`: a name appears twice.
 * - `empty_name`: a label has an empty name.
 * - `invalid_utf8`: a name or value is not valid UTF-8 (it was decoded with U+FFFD replacements).
 */
export type LabelProblem = 'unsorted' | 'duplicate' | 'empty_name' | 'invalid_utf8';

/** A series as {@link decodeWriteRequest} returns it. */
export interface DecodedSeries {
  readonly labels: Labels;
  readonly samples: readonly WriteSample[];
  readonly exemplars: readonly Exemplar[];
  readonly histograms: readonly WriteHistogram[];
  /** Set when the labels on the wire broke the rules; see {@link LabelProblem}. */
  readonly labelProblem?: LabelProblem;
}

/** A decoded `prometheus.WriteRequest`. */
export interface DecodedWriteRequest {
  readonly timeseries: readonly DecodedSeries[];
  /** The request's `metadata` field, one entry per metric family it describes. */
  readonly metadata: readonly MetricMetadata[];
}

/**
 * A remote write payload could not be read: corrupt snappy, malformed protobuf, or a declared
 * size over the limit. `offset` is the byte of the (decompressed, for protobuf) payload where the
 * problem was found.
 */
export class RemoteWriteDecodeError extends RivuletError {
  /** What is wrong, such as `length past the end of the message`. */
  readonly reason: string;
  /** The byte offset where the problem was found. */
  readonly offset: number;
  /** Whether the payload was refused for its size rather than its content. */
  readonly tooLarge: boolean;

  constructor(reason: string, offset: number, options: { readonly tooLarge?: boolean } = {}) {
    super('source', `remote write: ${reason} at byte ${offset}`);
    this.name = 'RemoteWriteDecodeError';
    this.reason = reason;
    this.offset = offset;
    this.tooLarge = options.tooLarge ?? false;
  }
}

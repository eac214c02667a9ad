/**
 * The write-ahead log record format of OTLP items, `rivulet.otlp.v1`: spans, OTLP metrics and
 * OTLP log records, each record holding items of one signal.
 *
 * An items record is a signal byte (`1` traces, `2` metrics, `3` logs) followed by an OTLP
 * protobuf export request of that signal (`ExportTraceServiceRequest`, ...) carrying the
 * record's items, as `encodeOtlpProto` writes it. There are no definitions records: resources
 * and scopes are written in each request, grouped as OTLP groups them.
 */
import type { WalCodec, WalDecoder, WalEncoder, WalRecordOut } from '../../core/extension-points.js';
import { decodeOtlpProto } from '../otlp/proto-decode.js';
import { encodeOtlpProto } from '../otlp/proto-encode.js';
import type { OtlpSignal, OtlpSignals } from '../otlp/types.js';
import { WalRecordError } from './bytes.js';

/** An item of any OTLP signal: a span, an OTLP metric or an OTLP log record. */
export type OtlpItem = OtlpSignals[OtlpSignal];

const SIGNAL_TAGS: Readonly<Record<OtlpSignal, number>> = { traces: 1, metrics: 2, logs: 3 };
const TAGGED_SIGNALS: readonly (OtlpSignal | undefined)[] = [undefined, 'traces', 'metrics', 'logs'];

/**
 * The signal of an OTLP item: a metric has `data`, a span `kind`, a log record neither.
 *
 * @example
 * ```ts
 * const signal = otlpSignalOf(record.items[0]); // 'traces', 'metrics' or 'logs'
 * ```
 */
export function otlpSignalOf(item: OtlpItem): OtlpSignal {
  if ('data' in item) return 'metrics';
  if ('kind' in item) return 'traces';
  return 'logs';
}

class OtlpEncoder implements WalEncoder<OtlpItem> {
  encode(items: readonly OtlpItem[]): readonly WalRecordOut[] {
    const records: WalRecordOut[] = [];
    let start = 0;
    while (start < items.length) {
      const signal = otlpSignalOf(items[start] as OtlpItem);
      let end = start + 1;
      while (end < items.length && otlpSignalOf(items[end] as OtlpItem) === signal) end++;
      const run = start === 0 && end === items.length ? items : items.slice(start, end);
      const request = encodeOtlpProto(signal, run as readonly OtlpSignals[typeof signal][]);
      const payload = new Uint8Array(request.length + 1);
      payload[0] = SIGNAL_TAGS[signal];
      payload.set(request, 1);
      records.push({ type: 'items', count: run.length, payload });
      start = end;
    }
    return records;
  }
}

class OtlpDecoder implements WalDecoder<OtlpItem> {
  define(payload: Uint8Array): void {
    throw new WalRecordError(`unexpected definitions record of ${payload.length} bytes`, 0);
  }

  decode(payload: Uint8Array): readonly OtlpItem[] {
    if (payload.length === 0) throw new WalRecordError('empty record', 0);
    const signal = TAGGED_SIGNALS[payload[0] as number];
    if (signal === undefined) throw new WalRecordError(`unknown signal tag ${payload[0]}`, 0);
    return decodeOtlpProto(signal, payload.subarray(1));
  }
}

/**
 * The write-ahead log codec of OTLP items (`rivulet.otlp.v1`). Each record is one signal's OTLP
 * protobuf export request, so every field round-trips exactly; an append mixing signals is
 * written as one record per run of items of one signal. Within a record, items come back
 * grouped by resource and scope, as the request carries them, and the items of a group share
 * its `resource` and `scope` objects.
 *
 * @example
 * ```ts
 * const channel = await fileWal('./data/wal/otlp').open('my-sink', otlpWalCodec);
 * await channel.append(spans);
 * ```
 */
export const otlpWalCodec: WalCodec<OtlpItem> = {
  format: 'rivulet.otlp.v1',
  encoder: () => new OtlpEncoder(),
  decoder: () => new OtlpDecoder(),
};

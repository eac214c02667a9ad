/**
 * The write-ahead log record format of log entries, `rivulet.logs.v1`.
 *
 * A definitions record is a count of definitions, then each one, tagged; the only tag is `1`, a
 * stream label set (ref, label count, then names and values), refs handed out from 0 in each
 * segment.
 *
 * An items record is the entry count, then per entry: the stream label-set ref, a flags byte, the
 * timestamp in nanoseconds as a little-endian int64, the line as length-prefixed UTF-8, and, when
 * the flags say so, the structured metadata as an inline label set.
 */
import type { WalCodec, WalDecoder, WalEncoder, WalRecordOut } from '../../core/extension-points.js';
import type { Labels } from '../../core/labels.js';
import type { LogEntry } from '../../core/signals.js';
import { ByteReader, ByteWriter, LABELS_DEFINITION, labelRefs, storeDefinition } from './bytes.js';

const HAS_STRUCTURED_METADATA = 1;

class LogsEncoder implements WalEncoder<LogEntry> {
  private readonly labels = labelRefs();
  private readonly definitions = new ByteWriter(1024);
  private readonly out = new ByteWriter(65536);

  encode(items: readonly LogEntry[]): readonly WalRecordOut[] {
    const count = items.length;
    if (count === 0) return [];
    const definitions = this.definitions;
    const out = this.out;
    definitions.reset();
    out.reset();
    try {
      out.uvarint(count);
      for (let i = 0; i < count; i++) {
        const entry = items[i] as LogEntry;
        out.uvarint(this.labels.ref(entry.labels, definitions));
        const structuredMetadata = entry.structuredMetadata;
        out.u8(structuredMetadata !== undefined ? HAS_STRUCTURED_METADATA : 0);
        out.i64(entry.timestampNs);
        out.string(entry.line);
        if (structuredMetadata !== undefined) out.labels(structuredMetadata);
      }
    } catch (error) {
      this.labels.rollback();
      throw error;
    }
    const defined = this.labels.pending;
    this.labels.commit();
    const itemsRecord: WalRecordOut = { type: 'items', count, payload: out.copy() };
    if (defined === 0) return [itemsRecord];
    return [{ type: 'definitions', count: 0, payload: definitions.copyAfterCount(defined) }, itemsRecord];
  }
}

class LogsDecoder implements WalDecoder<LogEntry> {
  private readonly labels: (Labels | undefined)[] = [];

  define(payload: Uint8Array): void {
    const reader = new ByteReader(payload);
    // A definition takes at least 3 bytes: tag, ref, label count.
    const count = reader.count(3);
    for (let i = 0; i < count; i++) {
      const at = reader.pos;
      const tag = reader.u8();
      if (tag !== LABELS_DEFINITION) reader.fail(`unknown definition tag ${tag}`, at);
      const ref = reader.uvarint();
      storeDefinition(reader, this.labels, ref, reader.labels(), at);
    }
    reader.expectEnd();
  }

  decode(payload: Uint8Array): readonly LogEntry[] {
    const reader: ByteReader = new ByteReader(payload);
    // An entry takes at least 11 bytes: ref, flags, timestamp, line length.
    const count = reader.count(11);
    const labelsByRef = this.labels;
    const out: LogEntry[] = [];
    for (let i = 0; i < count; i++) {
      const at = reader.pos;
      const ref = reader.uvarint();
      const labels = labelsByRef[ref];
      if (labels === undefined) {
        reader.fail(`entry refers to label set ref ${ref}, which this segment never defined`, at);
      }
      const flags = reader.u8();
      if ((flags & ~HAS_STRUCTURED_METADATA) !== 0) reader.fail(`unknown entry flags ${flags}`, at);
      const timestampNs = reader.i64();
      const line = reader.string();
      out.push(
        (flags & HAS_STRUCTURED_METADATA) !== 0
          ? { labels, line, timestampNs, structuredMetadata: reader.labels() }
          : { labels, line, timestampNs },
      );
    }
    reader.expectEnd();
    return out;
  }
}

/**
 * The write-ahead log codec of log entries (`rivulet.logs.v1`). Each segment's encoder defines a
 * stream label set once, the first time an entry refers to it; timestamps round-trip exactly
 * over the whole int64 range, and structured metadata is written inline with its entry. Decoded
 * entries of one stream share one `Labels` object.
 */
export const logsWalCodec: WalCodec<LogEntry> = {
  format: 'rivulet.logs.v1',
  encoder: () => new LogsEncoder(),
  decoder: () => new LogsDecoder(),
};

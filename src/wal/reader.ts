/**
 * Reads a WAL back from a position: segment after segment, frame after frame, then follows the
 * live segment as it grows, waking on the writer's changes instead of polling. Damage is
 * stepped over and reported; a segment that retention deleted under the reader is left.
 */

import { toError } from '../core/errors.js';
import type { WalCodec, WalDecoder } from '../core/extension-points.js';
import type { WalFiles, WalReadableFile } from './files.js';
import { FrameType, SEGMENT_HEADER_SIZE } from './format.js';
import { SegmentScanner } from './scanner.js';
import type { Position, Segment, SegmentList } from './segments.js';

/** A record read, with where it lies. */
export interface ReadRecord<T> {
  readonly items: readonly T[];
  readonly appendedAtMs: number;
  readonly start: Position;
  readonly end: Position;
}

/** What a reader tells its owner about the damage and losses it meets. */
export interface ReaderEvents {
  /** A segment header that is damaged; its frames are read all the same. */
  damagedHeader(segment: Segment, problem: string): void;
  /** Bytes that held no readable frame. */
  damage(segment: Segment, start: number, end: number, problem: string): void;
  /** A record whose checksum held but whose payload would not decode. */
  undecodable(segment: Segment, start: number, count: number, error: Error): void;
}

/** Reads records in order from a start position. */
export class WalReader<T> {
  /** Just past the last frame this reader consumed. */
  position: Position;
  /** When the last record read was appended. */
  lastAppendedAtMs = 0;
  /** Segments whose damaged header was already reported. */
  private readonly damagedHeaders = new Set<number>();

  constructor(
    private readonly files: WalFiles,
    private readonly segments: SegmentList,
    private readonly codec: WalCodec<T>,
    private readonly events: ReaderEvents,
    start: Position,
  ) {
    this.position = start;
  }

  /** Whether the reader has consumed everything written so far. */
  atEnd(): boolean {
    const { segment, offset } = this.position;
    for (const s of this.segments.all) {
      if (s.evicted || s.index < segment) continue;
      if (s.index === segment ? offset < s.size : s.size > SEGMENT_HEADER_SIZE) return false;
    }
    return true;
  }

  /** The records from the position on; ends when `signal` aborts. */
  async *records(signal: AbortSignal): AsyncGenerator<ReadRecord<T>> {
    while (!signal.aborted) {
      const version = this.segments.version;
      const segment = this.segments.atOrAfter(this.position.segment);
      if (segment === undefined) {
        await this.segments.waitForChange(signal);
        continue;
      }
      if (segment.index !== this.position.segment)
        this.position = { segment: segment.index, offset: SEGMENT_HEADER_SIZE };
      const file = await this.files.openRead(segment.path).catch(() => undefined);
      if (file === undefined) {
        // Deleted between listing and opening: move on.
        if (this.segments.version === version) await this.segments.waitForChange(signal);
        this.position = { segment: segment.index + 1, offset: SEGMENT_HEADER_SIZE };
        continue;
      }
      try {
        yield* this.readSegment(segment, file, signal);
      } finally {
        await file.close().catch(() => undefined);
      }
    }
  }

  private async *readSegment(
    segment: Segment,
    file: WalReadableFile,
    signal: AbortSignal,
  ): AsyncGenerator<ReadRecord<T>> {
    const scanner = new SegmentScanner(file);
    const problem = await scanner.checkHeader(segment.size);
    if (problem !== undefined && !this.damagedHeaders.has(segment.index)) {
      this.damagedHeaders.add(segment.index);
      this.events.damagedHeader(segment, problem);
    }
    const decoder = this.codec.decoder();
    await this.replayDefinitions(
      segment,
      scanner,
      decoder,
      Math.max(this.position.offset, SEGMENT_HEADER_SIZE),
    );
    while (!signal.aborted) {
      const version = this.segments.version;
      const end = segment.size;
      const step = await scanner.next(end);
      if (segment.evicted) {
        this.position = { segment: segment.index + 1, offset: SEGMENT_HEADER_SIZE };
        return;
      }
      if (step.kind === 'end') {
        if (segment.closed && scanner.position >= segment.size) {
          this.position = { segment: segment.index + 1, offset: SEGMENT_HEADER_SIZE };
          return;
        }
        if (this.segments.version === version) await this.segments.waitForChange(signal);
        continue;
      }
      if (step.kind === 'damage') {
        this.events.damage(
          segment,
          step.start,
          step.end,
          step.atEnd ? 'unreadable bytes up to the end of the segment' : 'unreadable bytes',
        );
        this.position = { segment: segment.index, offset: step.end };
        continue;
      }
      const here = { segment: segment.index, offset: step.end };
      if (step.header.type === FrameType.definitions) {
        this.define(segment, decoder, step.start, step.payload);
        this.position = here;
        continue;
      }
      let items: readonly T[];
      try {
        items = decoder.decode(step.payload);
      } catch (error) {
        this.events.undecodable(segment, step.start, step.header.count, toError(error));
        this.position = here;
        continue;
      }
      const start = { segment: segment.index, offset: step.start };
      this.position = here;
      this.lastAppendedAtMs = step.header.appendedAtMs;
      yield { items, appendedAtMs: step.header.appendedAtMs, start, end: here };
    }
  }

  /** Reads the definitions before `offset`, which the records from `offset` on may refer to. */
  private async replayDefinitions(
    segment: Segment,
    scanner: SegmentScanner,
    decoder: WalDecoder<T>,
    offset: number,
  ): Promise<void> {
    while (scanner.position < offset) {
      const step = await scanner.next(Math.min(offset, segment.size));
      if (step.kind === 'end') break;
      if (step.kind === 'frame' && step.header.type === FrameType.definitions)
        this.define(segment, decoder, step.start, step.payload);
    }
    scanner.position = Math.max(scanner.position, offset);
  }

  private define(segment: Segment, decoder: WalDecoder<T>, start: number, payload: Uint8Array): void {
    try {
      decoder.define(payload);
    } catch (error) {
      this.events.undecodable(segment, start, 0, toError(error));
    }
  }
}

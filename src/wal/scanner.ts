/**
 * Reads the frames of one segment in order through a buffered window, and steps over damage:
 * where no valid frame starts, it searches for the next frame marker whose checksum holds, and
 * reports the bytes in between.
 */
import { crc32c } from './crc32c.js';
import type { WalReadableFile } from './files.js';
import {
  checkSegmentHeader,
  FRAME_HEADER_SIZE,
  FRAME_MARKER,
  type FrameHeader,
  readFrameHeader,
  SEGMENT_HEADER_SIZE,
} from './format.js';

const CHUNK = 1024 * 1024;
const MARKER_FIRST_BYTE = FRAME_MARKER & 0xff;

/** One step through a segment. */
export type ScanStep =
  | {
      readonly kind: 'frame';
      readonly start: number;
      readonly end: number;
      readonly header: FrameHeader;
      /** Valid until the next call to the scanner. */
      readonly payload: Uint8Array;
    }
  /** Bytes `[start, end)` hold no readable frame; `atEnd` when nothing valid follows them. */
  | { readonly kind: 'damage'; readonly start: number; readonly end: number; readonly atEnd: boolean }
  | { readonly kind: 'end' };

/** A cursor over the frames of one segment file. */
export class SegmentScanner {
  /** Grows to what the reads need, at most a chunk unless a frame is larger. */
  private window = new Uint8Array(0);
  private view = new DataView(this.window.buffer);
  private windowStart = 0;
  private windowLength = 0;

  /** The offset of the next frame to read. */
  position: number;

  constructor(
    private readonly file: WalReadableFile,
    start: number = SEGMENT_HEADER_SIZE,
  ) {
    this.position = start;
  }

  /** Checks the segment header; returns the problem, or `undefined` when it is sound. */
  async checkHeader(fileSize: number): Promise<string | undefined> {
    if (!(await this.fill(0, SEGMENT_HEADER_SIZE, fileSize))) return 'the segment header is cut short';
    return checkSegmentHeader(
      this.window.subarray(-this.windowStart, -this.windowStart + SEGMENT_HEADER_SIZE),
    );
  }

  /** The next step, reading no further than `end`. */
  async next(end: number): Promise<ScanStep> {
    const start = this.position;
    if (start >= end) return { kind: 'end' };
    const frame = await this.frameAt(start, end);
    if (frame !== undefined) {
      this.position = frame.end;
      return frame;
    }
    const resume = await this.findNextFrame(start + 1, end);
    this.position = resume ?? end;
    return { kind: 'damage', start, end: this.position, atEnd: resume === undefined };
  }

  /** The valid frame starting at `at`, if there is one. */
  private async frameAt(at: number, end: number): Promise<Extract<ScanStep, { kind: 'frame' }> | undefined> {
    if (!(await this.fill(at, FRAME_HEADER_SIZE, end))) return undefined;
    const offset = at - this.windowStart;
    const header = readFrameHeader(this.window, this.view, offset);
    if (header === undefined) return undefined;
    const size = FRAME_HEADER_SIZE + header.length;
    if (!(await this.fill(at, size, end))) return undefined;
    const base = at - this.windowStart;
    if (crc32c(this.window, base + 8, base + size) !== header.crc) return undefined;
    return {
      kind: 'frame',
      start: at,
      end: at + size,
      header,
      payload: this.window.subarray(base + FRAME_HEADER_SIZE, base + size),
    };
  }

  /** The offset of the first valid frame at or after `from`, before `end`. */
  private async findNextFrame(from: number, end: number): Promise<number | undefined> {
    let at = from;
    while (at + FRAME_HEADER_SIZE <= end) {
      if (!(await this.fill(at, Math.min(CHUNK, end - at), end))) return undefined;
      const base = at - this.windowStart;
      const limit = base + Math.min(this.windowLength - base, end - at) - FRAME_HEADER_SIZE;
      let candidate = -1;
      for (let i = base; i <= limit; i++) {
        if (this.window[i] === MARKER_FIRST_BYTE && this.view.getUint32(i, true) === FRAME_MARKER) {
          candidate = i;
          break;
        }
      }
      if (candidate < 0) {
        at = this.windowStart + limit + 1;
        continue;
      }
      const offset = this.windowStart + candidate;
      if ((await this.frameAt(offset, end)) !== undefined) return offset;
      at = offset + 1;
    }
    return undefined;
  }

  /** Makes `[at, at + length)` readable in the window; `false` if that passes `end` or the file's end. */
  private async fill(at: number, length: number, end: number): Promise<boolean> {
    if (at + length > end) return false;
    if (at >= this.windowStart && at + length <= this.windowStart + this.windowLength) return true;
    const want = Math.max(length, Math.min(CHUNK, end - at));
    if (this.window.length < want) {
      this.window = new Uint8Array(Math.max(want, Math.min(CHUNK, this.window.length * 2)));
      this.view = new DataView(this.window.buffer);
    }
    let got = 0;
    while (got < want) {
      const n = await this.file.read(this.window, got, want - got, at + got);
      if (n === 0) break;
      got += n;
    }
    this.windowStart = at;
    this.windowLength = got;
    return got >= length;
  }
}

/**
 * Syslog over a byte stream (RFC 6587): octet counting (`LEN SP MSG`) and non-transparent
 * framing (each message ends with a newline), told apart from the first byte of the stream as
 * Alloy and Promtail do, and the same rules applied to one datagram. Memory stays within one
 * message of `maxMessageLength` bytes per stream, whatever the sender does.
 */
import { SyslogParseError } from './types.js';

/** How messages are delimited in a stream. */
export type SyslogFraming = 'octet-counting' | 'non-transparent';

/** Receives what a decoder finds. */
export interface SyslogFrameHandler {
  /** One message's bytes. The buffer may share memory with the input: copy it to keep it. */
  frame(bytes: Buffer): void;
  /**
   * A part of the input that is not a message. Unless `error.fatal`, decoding goes on after it;
   * a fatal error (the framing is lost) ends the stream.
   */
  error(error: SyslogParseError): void;
}

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const SP = 0x20;
/** Digits in the longest octet count read: enough for any length a stream could carry. */
const MAX_LENGTH_DIGITS = 10;

type State = 'detect' | 'line' | 'length' | 'body' | 'skip' | 'failed';

/**
 * Splits a byte stream into syslog messages. The framing is chosen from the first byte: `<`
 * starts newline-delimited messages (LF or NUL ends each; a CR before the LF is dropped; blank
 * lines are skipped), a digit starts octet-counted ones (newlines between frames are skipped, and
 * so is a line end closing a frame's own bytes); anything else is a fatal error. A message over
 * `maxMessageLength` bytes is reported (`tooLong`) and skipped, and the stream goes on; an octet
 * count that is not digits and a space is fatal, since the next message cannot be found.
 *
 * @example
 * ```ts
 * const decoder = new SyslogStreamDecoder(8192);
 * const handler = { frame: (b: Buffer) => console.log(b.toString()), error: console.error };
 * decoder.push(Buffer.from('11 <13>1 - - -3 <1'), handler); // logs '<13>1 - - -'
 * decoder.push(Buffer.from('>'), handler); // logs '<1>', the 3 bytes counted
 * ```
 */
export class SyslogStreamDecoder {
  private readonly maxMessageLength: number;
  private state: State = 'detect';
  private detected: SyslogFraming | undefined;
  /** Copied bytes of a message that started in an earlier chunk. */
  private parts: Buffer[] = [];
  private partSize = 0;
  /** Bytes of an octet-counted frame still to come (body) or to skip (skip). */
  private remaining = 0;
  /** The octet count read so far, and how many digits it has. */
  private length = 0;
  private lengthDigits = 0;
  /** Bytes of the stream consumed before the current chunk, for error offsets. */
  private consumed = 0;
  /** Set while a newline-delimited message over the limit is being skipped. */
  private discarding = false;

  constructor(maxMessageLength: number) {
    if (!Number.isInteger(maxMessageLength) || maxMessageLength < 1)
      throw new RangeError(`maxMessageLength must be a positive integer, got ${maxMessageLength}`);
    this.maxMessageLength = maxMessageLength;
  }

  /** The framing found from the first byte, once it has arrived. */
  get framing(): SyslogFraming | undefined {
    return this.detected;
  }

  /** Whether a fatal error has ended the stream; further input is ignored. */
  get failed(): boolean {
    return this.state === 'failed';
  }

  /**
   * Decodes the next bytes of the stream, calling `handler` for each message and problem.
   * Returns `false` once the stream has failed.
   */
  push(chunk: Buffer, handler: SyslogFrameHandler): boolean {
    let pos = 0;
    const end = chunk.length;
    while (pos < end && this.state !== 'failed') {
      switch (this.state) {
        case 'detect':
          pos = this.detect(chunk, pos, handler);
          break;
        case 'line':
          pos = this.line(chunk, pos, handler);
          break;
        case 'length':
          pos = this.readLength(chunk, pos, handler);
          break;
        case 'body':
          pos = this.body(chunk, pos, handler);
          break;
        case 'skip': {
          const take = Math.min(this.remaining, end - pos);
          this.remaining -= take;
          pos += take;
          if (this.remaining === 0) this.state = 'length';
          break;
        }
      }
    }
    this.consumed += end;
    return this.state !== 'failed';
  }

  /**
   * Ends the stream: a last newline-delimited message without its newline is passed on; an
   * octet-counted frame cut short is reported.
   */
  end(handler: SyslogFrameHandler): void {
    if (this.state === 'line' && this.partSize > 0 && !this.discarding) {
      const frame = this.takeParts();
      const trimmed = trimCr(frame);
      if (trimmed.length > 0) handler.frame(trimmed);
    } else if (this.state === 'body') {
      handler.error(
        new SyslogParseError(
          `the stream ended ${this.remaining} bytes short of an octet-counted message of ${this.length}`,
          this.consumed,
        ),
      );
    } else if (this.state === 'length' && this.lengthDigits > 0) {
      handler.error(new SyslogParseError('the stream ended inside an octet count', this.consumed));
    }
    this.parts = [];
    this.partSize = 0;
    this.state = 'failed';
  }

  private detect(chunk: Buffer, at: number, handler: SyslogFrameHandler): number {
    let pos = at;
    // Blank lines before the first message say nothing about the framing.
    while (pos < chunk.length && isBlank(chunk[pos] as number)) pos++;
    if (pos === chunk.length) return pos;
    const first = chunk[pos] as number;
    if (first === 0x3c /* < */) {
      this.detected = 'non-transparent';
      this.state = 'line';
    } else if (first >= 0x31 && first <= 0x39) {
      this.detected = 'octet-counting';
      this.state = 'length';
    } else {
      this.fatal(
        handler,
        `cannot tell the framing from first byte 0x${first.toString(16).padStart(2, '0')}: a syslog stream starts with '<' (one message per line) or a digit (octet counting)`,
        this.consumed + pos,
      );
    }
    return pos;
  }

  private line(chunk: Buffer, at: number, handler: SyslogFrameHandler): number {
    const end = chunk.length;
    let pos = at;
    let nextLf = chunk.indexOf(LF, pos);
    let nextNul = chunk.indexOf(NUL, pos);
    while (pos < end) {
      if (nextLf >= 0 && nextLf < pos) nextLf = chunk.indexOf(LF, pos);
      if (nextNul >= 0 && nextNul < pos) nextNul = chunk.indexOf(NUL, pos);
      const stop = nextNul < 0 ? nextLf : nextLf < 0 ? nextNul : Math.min(nextLf, nextNul);
      if (stop < 0) {
        // The message goes on in the next chunk: keep a copy, within the limit.
        if (!this.discarding) {
          const size = this.partSize + (end - pos);
          if (size > this.maxMessageLength) {
            this.tooLong(handler, size, this.consumed + pos);
            this.discarding = true;
            this.parts = [];
            this.partSize = 0;
          } else {
            this.parts.push(Buffer.from(chunk.subarray(pos, end)));
            this.partSize = size;
          }
        }
        return end;
      }
      if (this.discarding) {
        this.discarding = false;
      } else {
        const size = this.partSize + (stop - pos);
        if (size > this.maxMessageLength) {
          this.tooLong(handler, size, this.consumed + pos);
          this.parts = [];
          this.partSize = 0;
        } else {
          const frame = trimCr(
            this.partSize === 0 ? chunk.subarray(pos, stop) : this.takeParts(chunk.subarray(pos, stop)),
          );
          if (frame.length > 0) handler.frame(frame);
        }
      }
      pos = stop + 1;
    }
    return pos;
  }

  private readLength(chunk: Buffer, at: number, handler: SyslogFrameHandler): number {
    let pos = at;
    const end = chunk.length;
    // Newlines between octet-counted frames are tolerated.
    if (this.lengthDigits === 0) while (pos < end && isBlank(chunk[pos] as number)) pos++;
    for (; pos < end; pos++) {
      const byte = chunk[pos] as number;
      if (byte >= 0x30 && byte <= 0x39) {
        if (this.lengthDigits === 0 && byte === 0x30) {
          this.fatal(handler, 'an octet count must not start with 0', this.consumed + pos);
          return end;
        }
        if (++this.lengthDigits > MAX_LENGTH_DIGITS) {
          this.fatal(
            handler,
            `an octet count has more than ${MAX_LENGTH_DIGITS} digits`,
            this.consumed + pos,
          );
          return end;
        }
        this.length = this.length * 10 + (byte - 0x30);
        continue;
      }
      if (byte === SP && this.lengthDigits > 0) {
        const length = this.length;
        this.length = 0;
        this.lengthDigits = 0;
        if (length > this.maxMessageLength) {
          this.tooLong(handler, length, this.consumed + pos);
          this.remaining = length;
          this.state = 'skip';
        } else {
          this.remaining = length;
          this.length = length;
          this.state = 'body';
        }
        return pos + 1;
      }
      this.fatal(
        handler,
        `expected an octet count (digits, then a space), got byte 0x${byte.toString(16).padStart(2, '0')}`,
        this.consumed + pos,
      );
      return end;
    }
    return pos;
  }

  private body(chunk: Buffer, at: number, handler: SyslogFrameHandler): number {
    const available = chunk.length - at;
    if (this.partSize === 0 && available >= this.remaining) {
      const stop = at + this.remaining;
      this.finishBody();
      handler.frame(trimLineEnd(chunk.subarray(at, stop)));
      return stop;
    }
    const take = Math.min(available, this.remaining);
    this.parts.push(Buffer.from(chunk.subarray(at, at + take)));
    this.partSize += take;
    this.remaining -= take;
    if (this.remaining === 0) {
      const frame = this.takeParts();
      this.finishBody();
      handler.frame(trimLineEnd(frame));
    }
    return at + take;
  }

  private finishBody(): void {
    this.remaining = 0;
    this.length = 0;
    this.state = 'length';
  }

  private takeParts(last?: Buffer): Buffer {
    const parts = last === undefined ? this.parts : [...this.parts, last];
    const size = this.partSize + (last === undefined ? 0 : last.length);
    this.parts = [];
    this.partSize = 0;
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size);
  }

  private tooLong(handler: SyslogFrameHandler, size: number, offset: number): void {
    handler.error(
      new SyslogParseError(
        `message of ${size} bytes or more is over the limit of ${this.maxMessageLength}`,
        offset,
        { tooLong: true },
      ),
    );
  }

  private fatal(handler: SyslogFrameHandler, reason: string, offset: number): void {
    this.state = 'failed';
    this.parts = [];
    this.partSize = 0;
    handler.error(new SyslogParseError(reason, offset, { fatal: true }));
  }
}

/**
 * Splits one datagram into messages (RFC 5426: usually exactly one). The framing is chosen from
 * its first byte as for a stream, so a sender that frames datagrams (a trailing newline, several
 * newline-delimited messages, an octet count) is understood too. Problems are reported to
 * `handler`; the rest of a datagram after a fatal one is skipped.
 */
export function decodeSyslogDatagram(
  datagram: Buffer,
  maxMessageLength: number,
  handler: SyslogFrameHandler,
): void {
  // The common case, one message with no newline, needs no copy.
  if (datagram[0] === 0x3c && datagram.indexOf(LF) < 0 && datagram.indexOf(NUL) < 0) {
    if (datagram.length > maxMessageLength) {
      handler.error(
        new SyslogParseError(
          `message of ${datagram.length} bytes is over the limit of ${maxMessageLength}`,
          0,
          { tooLong: true },
        ),
      );
    } else {
      const frame = trimCr(datagram);
      if (frame.length > 0) handler.frame(frame);
    }
    return;
  }
  const decoder = new SyslogStreamDecoder(maxMessageLength);
  if (decoder.push(datagram, handler)) decoder.end(handler);
}

/** Frames a message for octet counting: its length in UTF-8 bytes, a space, the message. */
export function frameOctetCounting(message: string): string {
  return `${Buffer.byteLength(message)} ${message}`;
}

function isBlank(byte: number): boolean {
  return byte === LF || byte === CR || byte === NUL;
}

/** An octet-counted frame without the line end some senders count in (rsyslog's templates end in one). */
function trimLineEnd(frame: Buffer): Buffer {
  return frame.length > 0 && frame[frame.length - 1] === LF
    ? trimCr(frame.subarray(0, frame.length - 1))
    : frame;
}

function trimCr(frame: Buffer): Buffer {
  return frame.length > 0 && frame[frame.length - 1] === CR ? frame.subarray(0, frame.length - 1) : frame;
}

/**
 * Stream (TCP) framing. One memberlist stream carries one message each way:
 *
 * - push/pull: `[6][msgpack pushPullHeader][msgpack pushNodeState × Nodes][UserStateLen bytes]`
 * - ping and ack (the TCP fallback probe): `[0][msgpack ping]`, answered by `[2][msgpack ackResp]`
 * - user message: `[8][msgpack userMsgHeader{UserMsgLen}][UserMsgLen bytes]`
 * - error: `[13][msgpack errResp]`, sent back when the receiving side failed
 *
 * With compression on, that whole message becomes `[9][msgpack compress]` (always, not only when
 * smaller). With a key, the result is sealed into `[10][length: uint32 BE][encrypted payload]`,
 * authenticated with the first five bytes and the cluster label. Plaintext has no length prefix,
 * so a reader has to parse the msgpack values to find the end; {@link StreamDecoder} does so
 * incrementally as chunks arrive. The side that dials writes the label header once, first.
 *
 * @module
 */
import { compressMessage, readCompressed } from './compress.js';
import { TruncatedError, WireError } from './errors.js';
import { labelBytes, labelHeader } from './label.js';
import {
  encodeMessage,
  readAck,
  readErrResp,
  readPing,
  readPushNodeState,
  readPushPullHeader,
  readUserMsgHeader,
  writePushNodeState,
  writePushPullHeader,
  writeUserMsgHeader,
} from './message-codec.js';
import { MessageType, type PushNodeState, type PushPullHeader, type StreamMessage } from './messages.js';
import { MsgpackReader, MsgpackWriter } from './msgpack.js';
import { decryptPayload, type EncryptionVersion, encryptedLength, encryptPayload } from './security.js';

/** The largest encrypted stream frame memberlist accepts (`maxPushStateBytes`). */
export const MAX_PUSH_STATE_BYTES = 20 * 1024 * 1024;

/** How a stream message is framed on the way out. */
export interface StreamEncodeOptions {
  /**
   * Wrap the message in a `compressMsg` (`EnableCompression`).
   * @defaultValue false
   */
  readonly compress?: boolean;
  /** Encrypt with this key (the keyring's primary key). Unencrypted when absent. */
  readonly key?: Uint8Array;
  /**
   * The encryption format: 1 unless speaking protocol version 1.
   * @defaultValue 1
   */
  readonly encryptionVersion?: EncryptionVersion;
  /**
   * The cluster label, authenticated by encryption.
   * @defaultValue ''
   */
  readonly label?: string;
  /**
   * Put the label header in front. Only the side that dialed does so, once, at the start of
   * the connection; the answering side leaves it out.
   * @defaultValue false
   */
  readonly writeLabelHeader?: boolean;
}

/** Encodes the plaintext body of a stream message (type byte first, no compression). */
export function encodeStreamBody(message: StreamMessage): Uint8Array {
  switch (message.type) {
    case 'pushPull': {
      const writer = new MsgpackWriter(128 + message.nodes.length * 96 + message.userState.length);
      writer.append(Uint8Array.of(MessageType.pushPull));
      writePushPullHeader(writer, {
        nodes: message.nodes.length,
        userStateLen: message.userState.length,
        join: message.join,
      });
      for (const node of message.nodes) writePushNodeState(writer, node);
      writer.append(message.userState);
      return writer.finish();
    }
    case 'user': {
      const writer = new MsgpackWriter(16 + message.payload.length);
      writer.append(Uint8Array.of(MessageType.user));
      writeUserMsgHeader(writer, { userMsgLen: message.payload.length });
      writer.append(message.payload);
      return writer.finish();
    }
    default:
      return encodeMessage(message);
  }
}

/** Encodes a stream message with the layers `options` ask for. */
export function encodeStream(message: StreamMessage, options: StreamEncodeOptions = {}): Uint8Array {
  let out = encodeStreamBody(message);
  if (options.compress === true) out = compressMessage(out);
  const label = options.label ?? '';
  if (options.key !== undefined)
    out = encryptStreamFrame(out, options.key, options.encryptionVersion ?? 1, label);
  if (options.writeLabelHeader === true) {
    const header = labelHeader(label);
    if (header.length > 0) {
      const framed = new Uint8Array(header.length + out.length);
      framed.set(header);
      framed.set(out, header.length);
      out = framed;
    }
  }
  return out;
}

/** Seals `plain` into `[10][length][encrypted]`, authenticating the first five bytes and the label. */
export function encryptStreamFrame(
  plain: Uint8Array,
  key: Uint8Array,
  version: EncryptionVersion = 1,
  label = '',
): Uint8Array {
  const head = new Uint8Array(5);
  head[0] = MessageType.encrypt;
  new DataView(head.buffer).setUint32(1, encryptedLength(version, plain.length));
  const sealed = encryptPayload(version, key, plain, streamAad(head, label));
  const out = new Uint8Array(5 + sealed.length);
  out.set(head);
  out.set(sealed, 5);
  return out;
}

/** How an incoming stream is checked and read. */
export interface StreamDecodeOptions {
  /** The keyring; when set, streams are expected encrypted. */
  readonly keys?: readonly Uint8Array[];
  /**
   * Accept an unencrypted stream even though `keys` is set (`GossipVerifyIncoming: false`).
   * @defaultValue true
   */
  readonly verifyIncoming?: boolean;
  /**
   * The cluster label expected.
   * @defaultValue ''
   */
  readonly label?: string;
  /**
   * Whether the stream starts with a label header: true on the side that accepted the
   * connection, false when reading the answer on a connection this side dialed.
   * @defaultValue true
   */
  readonly readLabelHeader?: boolean;
  /**
   * The most node states a push/pull may carry.
   * @defaultValue 1048576
   */
  readonly maxNodes?: number;
  /**
   * The most bytes of application state, or of a user message.
   * @defaultValue 20 MiB
   */
  readonly maxUserBytes?: number;
  /**
   * The most bytes one stream message may take, encrypted, compressed or plain.
   * @defaultValue 64 MiB
   */
  readonly maxMessageBytes?: number;
}

/**
 * Reads one stream message from chunks as they arrive.
 *
 * ```ts
 * const decoder = new StreamDecoder({ keys, label });
 * socket.on('data', (chunk) => {
 *   decoder.push(chunk);
 *   const message = decoder.next(); // undefined until complete; throws WireError on bad input
 * });
 * ```
 */
export class StreamDecoder {
  private readonly options: Required<Omit<StreamDecodeOptions, 'keys'>> & {
    keys: readonly Uint8Array[] | undefined;
  };
  private buf = new Uint8Array(0);
  private length = 0;
  private needed = 1;
  private ended = false;
  private phase: 'label' | 'type' | 'encrypted' | 'compressed' | 'body' | 'done' = 'label';
  private body: BodyParser | undefined;
  private result: StreamMessage | undefined;
  private restStart = 0;
  private failure: WireError | undefined;
  private labelRead = '';
  private bodyStart = 0;

  constructor(options: StreamDecodeOptions = {}) {
    this.options = {
      keys: options.keys,
      verifyIncoming: options.verifyIncoming ?? true,
      label: options.label ?? '',
      readLabelHeader: options.readLabelHeader ?? true,
      maxNodes: options.maxNodes ?? 1024 * 1024,
      maxUserBytes: options.maxUserBytes ?? 20 * 1024 * 1024,
      maxMessageBytes: options.maxMessageBytes ?? 64 * 1024 * 1024,
    };
    if (!this.options.readLabelHeader) this.phase = 'type';
  }

  /** The label the stream carried (`''` when none). */
  get label(): string {
    return this.labelRead;
  }

  /** Adds received bytes. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.length + chunk.length > this.buf.length) {
      let size = Math.max(256, this.buf.length * 2);
      while (size < this.length + chunk.length) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.buf.set(chunk, this.length);
    this.length += chunk.length;
  }

  /** Marks the end of the stream: a message still incomplete is then an error. */
  end(): void {
    this.ended = true;
  }

  /**
   * The message, once all of it has arrived; `undefined` while more bytes are needed.
   *
   * @throws {WireError} for bad input (and again on every later call), or `truncated` after
   * {@link end} when the message is incomplete.
   */
  next(): StreamMessage | undefined {
    if (this.failure !== undefined) throw this.failure;
    if (this.result !== undefined) return this.result;
    try {
      if (this.length >= this.needed) this.step();
      if (this.result === undefined && this.ended) {
        throw new WireError(
          'truncated',
          `stream ended after ${this.length} bytes, before its message was complete`,
        );
      }
      return this.result;
    } catch (err) {
      this.failure =
        err instanceof WireError
          ? err
          : new WireError('malformed', 'stream could not be decoded', { cause: err });
      throw this.failure;
    }
  }

  /** The bytes received after the message (normally none). */
  rest(): Uint8Array {
    return this.result === undefined ? new Uint8Array(0) : this.buf.slice(this.restStart, this.length);
  }

  private step(): void {
    const data = this.buf.subarray(0, this.length);
    if (this.phase === 'label') {
      const expected = this.options.label;
      if (data[0] === MessageType.hasLabel) {
        if (data.length < 2) {
          this.wait(2);
          return;
        }
        const size = data[1] as number;
        if (size === 0) throw new WireError('label', 'label header cannot be empty when present');
        if (data.length < 2 + size) {
          this.wait(2 + size);
          return;
        }
        this.labelRead = new TextDecoder().decode(data.subarray(2, 2 + size));
      }
      if (this.labelRead !== expected) {
        throw new WireError(
          'label',
          this.labelRead === ''
            ? `stream has no label, expected "${expected}"`
            : `stream label "${this.labelRead}" is not "${expected}"`,
        );
      }
      this.phase = 'type';
      this.bodyStart = this.labelRead === '' ? 0 : 2 + labelBytes(this.labelRead).length;
    }
    const at = this.bodyStart;
    if (this.phase === 'type') {
      if (data.length <= at) {
        this.wait(at + 1);
        return;
      }
      const type = data[at] as number;
      const keys = this.options.keys;
      if (type === MessageType.encrypt) {
        if (keys === undefined)
          throw new WireError('decrypt', 'stream is encrypted and encryption is not configured');
        this.phase = 'encrypted';
      } else {
        if (keys !== undefined && this.options.verifyIncoming) {
          throw new WireError('decrypt', 'encryption is configured but the stream is not encrypted');
        }
        this.phase = type === MessageType.compress ? 'compressed' : 'body';
        if (this.phase === 'body') this.body = new BodyParser(type, at + 1, this.options);
      }
    }
    if (this.phase === 'encrypted') {
      if (data.length < at + 5) {
        this.wait(at + 5);
        return;
      }
      const frameLength = new DataView(data.buffer, data.byteOffset + at + 1, 4).getUint32(0);
      if (frameLength > MAX_PUSH_STATE_BYTES || frameLength > this.options.maxMessageBytes) {
        throw new WireError('limit', `encrypted stream frame of ${frameLength} bytes is over the limit`);
      }
      const end = at + 5 + frameLength;
      if (data.length < end) {
        this.wait(end);
        return;
      }
      const plain = decryptPayload(
        this.options.keys ?? [],
        data.subarray(at + 5, end),
        streamAad(data.subarray(at, at + 5), this.options.label),
      );
      this.finish(this.decodeComplete(plain), end);
      return;
    }
    if (this.phase === 'compressed') {
      const reader = new MsgpackReader(data, at + 1);
      let plain: Uint8Array;
      try {
        plain = readCompressed(reader, this.options.maxMessageBytes);
      } catch (err) {
        if (err instanceof TruncatedError) {
          this.wait(err.needed);
          return;
        }
        throw err;
      }
      this.finish(this.decodeInner(plain), reader.offset);
      return;
    }
    if (this.phase === 'body' && this.body !== undefined) {
      const outcome = this.body.parse(data);
      if ('needed' in outcome) {
        this.wait(outcome.needed);
        return;
      }
      this.finish(outcome.message, outcome.end);
      return;
    }
  }

  /** A decrypted frame: complete, possibly compressed. */
  private decodeComplete(plain: Uint8Array): StreamMessage {
    if (plain.length === 0) throw new WireError('truncated', 'encrypted stream frame is empty');
    if (plain[0] === MessageType.compress) {
      return this.decodeInner(readCompressedComplete(plain, this.options.maxMessageBytes));
    }
    return this.decodeInner(plain);
  }

  /** A complete plaintext message body. */
  private decodeInner(plain: Uint8Array): StreamMessage {
    if (plain.length === 0) throw new WireError('truncated', 'stream message is empty');
    const outcome = new BodyParser(plain[0] as number, 1, this.options).parse(plain);
    if ('needed' in outcome) {
      throw new WireError('truncated', `stream message needs ${outcome.needed} bytes, has ${plain.length}`);
    }
    return outcome.message;
  }

  private wait(needed: number): void {
    if (needed > this.options.maxMessageBytes + 512) {
      throw new WireError('limit', `stream message would need ${needed} bytes, over the limit`);
    }
    this.needed = needed;
  }

  private finish(message: StreamMessage, end: number): void {
    this.result = message;
    this.restStart = end;
    this.phase = 'done';
  }
}

/**
 * Decodes one complete stream message held in `buf` (label header included when
 * `readLabelHeader` is set, as it is by default).
 *
 * @throws {WireError} for bad or incomplete input.
 */
export function decodeStream(buf: Uint8Array, options: StreamDecodeOptions = {}): StreamMessage {
  const decoder = new StreamDecoder(options);
  decoder.push(buf);
  decoder.end();
  return decoder.next() as StreamMessage;
}

function streamAad(head: Uint8Array, label: string): Uint8Array {
  if (label === '') return head;
  const l = labelBytes(label);
  const out = new Uint8Array(head.length + l.length);
  out.set(head);
  out.set(l, head.length);
  return out;
}

function readCompressedComplete(message: Uint8Array, maxOutputBytes: number): Uint8Array {
  try {
    return readCompressed(new MsgpackReader(message, 1), maxOutputBytes);
  } catch (err) {
    if (err instanceof TruncatedError)
      throw new WireError('truncated', 'compressed stream message is truncated');
    throw err;
  }
}

type ParseOutcome = { readonly message: StreamMessage; readonly end: number } | { readonly needed: number };

/** Parses a stream message body item by item, resuming where it stopped when more bytes arrive. */
class BodyParser {
  private offset: number;
  private header: PushPullHeader | undefined;
  private readonly nodes: PushNodeState[] = [];
  private userMsgLen: number | undefined;

  constructor(
    private readonly type: number,
    start: number,
    private readonly limits: { readonly maxNodes: number; readonly maxUserBytes: number },
  ) {
    this.offset = start;
  }

  parse(data: Uint8Array): ParseOutcome {
    try {
      return this.parseItems(data);
    } catch (err) {
      if (err instanceof TruncatedError) return { needed: err.needed };
      throw err;
    }
  }

  private parseItems(data: Uint8Array): ParseOutcome {
    switch (this.type) {
      case MessageType.ping:
        return this.single(data, readPing);
      case MessageType.ackResp:
        return this.single(data, readAck);
      case MessageType.err:
        return this.single(data, readErrResp);
      case MessageType.user: {
        if (this.userMsgLen === undefined) {
          const reader = new MsgpackReader(data, this.offset);
          const { userMsgLen } = readUserMsgHeader(reader);
          if (userMsgLen < 0 || userMsgLen > this.limits.maxUserBytes) {
            throw new WireError('limit', `user message of ${userMsgLen} bytes is out of range`);
          }
          this.userMsgLen = userMsgLen;
          this.offset = reader.offset;
        }
        const end = this.offset + this.userMsgLen;
        if (data.length < end) return { needed: end };
        return { message: { type: 'user', payload: data.slice(this.offset, end) }, end };
      }
      case MessageType.pushPull: {
        if (this.header === undefined) {
          const reader = new MsgpackReader(data, this.offset);
          const header = readPushPullHeader(reader);
          if (header.nodes < 0 || header.nodes > this.limits.maxNodes) {
            throw new WireError(
              'limit',
              `push/pull announces ${header.nodes} nodes, limit is ${this.limits.maxNodes}`,
            );
          }
          if (header.userStateLen < 0 || header.userStateLen > this.limits.maxUserBytes) {
            throw new WireError(
              'limit',
              `push/pull user state of ${header.userStateLen} bytes is out of range`,
            );
          }
          this.header = header;
          this.offset = reader.offset;
        }
        while (this.nodes.length < this.header.nodes) {
          const reader = new MsgpackReader(data, this.offset);
          this.nodes.push(readPushNodeState(reader));
          this.offset = reader.offset;
        }
        const end = this.offset + this.header.userStateLen;
        if (data.length < end) return { needed: end };
        return {
          message: {
            type: 'pushPull',
            join: this.header.join,
            nodes: this.nodes,
            userState: data.slice(this.offset, end),
          },
          end,
        };
      }
      default:
        throw new WireError('unsupported', `message type ${this.type} cannot start a stream`);
    }
  }

  private single(data: Uint8Array, read: (reader: MsgpackReader) => StreamMessage): ParseOutcome {
    const reader = new MsgpackReader(data, this.offset);
    const message = read(reader);
    return { message, end: reader.offset };
  }
}

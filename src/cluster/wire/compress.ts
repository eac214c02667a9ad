/**
 * memberlist's `compressMsg`: `[9][msgpack compress{Algo, Buf}]`, where `Buf` holds the LZW
 * compression of a whole message (type byte included). Packets and streams use the same form.
 *
 * @module
 */
import { WireError } from './errors.js';
import { lzwCompress, lzwDecompress } from './lzw.js';
import { readCompressBody, writeCompressBody } from './message-codec.js';
import { CompressionAlgo, MessageType } from './messages.js';
import { MsgpackReader, MsgpackWriter } from './msgpack.js';

/** Wraps `message` (a full message, type byte first) in a `compressMsg`. */
export function compressMessage(message: Uint8Array): Uint8Array {
  const buf = lzwCompress(message);
  const writer = new MsgpackWriter(buf.length + 24);
  writer.append(Uint8Array.of(MessageType.compress));
  writeCompressBody(writer, { algo: CompressionAlgo.lzw, buf });
  return writer.finish();
}

/**
 * Reads a compress body from `reader` (positioned after the type byte) and returns the message
 * it holds.
 *
 * @throws {WireError} for an unknown algorithm, bad LZW data, or output over `maxOutputBytes`.
 */
export function readCompressed(reader: MsgpackReader, maxOutputBytes: number): Uint8Array {
  const body = readCompressBody(reader);
  if (body.algo !== CompressionAlgo.lzw) {
    throw new WireError('unsupported', `cannot decompress unknown algorithm ${body.algo}`);
  }
  const out = lzwDecompress(body.buf, { maxOutputBytes });
  if (out.length === 0) throw new WireError('malformed', 'compressed message is empty');
  return out;
}

/** Unwraps a whole `compressMsg` (type byte included) into the message it holds. */
export function decompressMessage(message: Uint8Array, maxOutputBytes = 20 * 1024 * 1024): Uint8Array {
  if (message[0] !== MessageType.compress) {
    throw new WireError('malformed', `expected a compress message (type ${MessageType.compress})`);
  }
  return readCompressed(new MsgpackReader(message, 1), maxOutputBytes);
}

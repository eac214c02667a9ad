/**
 * The cluster label header memberlist 0.3.2 and later put in front of every packet and at the
 * start of every stream a node dials: `[244][length: 1..255][label bytes]`. An empty label
 * means no header at all. The label also becomes additional authenticated data for encryption,
 * so peers with different labels cannot read each other even when they share a key.
 *
 * @module
 */
import { WireError } from './errors.js';
import { MessageType } from './messages.js';

/** The longest label, in UTF-8 bytes (`LabelMaxSize`). */
export const LABEL_MAX_SIZE = 255;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The label header for `label`, or an empty array for no label.
 *
 * @throws {WireError} `invalid` when the label is longer than {@link LABEL_MAX_SIZE} bytes.
 */
export function labelHeader(label: string): Uint8Array {
  if (label === '') return new Uint8Array(0);
  const bytes = encoder.encode(label);
  if (bytes.length > LABEL_MAX_SIZE) {
    throw new WireError('invalid', `label is ${bytes.length} bytes, more than ${LABEL_MAX_SIZE}`);
  }
  const out = new Uint8Array(2 + bytes.length);
  out[0] = MessageType.hasLabel;
  out[1] = bytes.length;
  out.set(bytes, 2);
  return out;
}

/** The bytes a label header adds (`labelOverhead`). */
export function labelOverhead(label: string): number {
  return labelHeader(label).length;
}

/** Prefixes `packet` with the header for `label` (nothing for an empty label). */
export function addLabelHeader(packet: Uint8Array, label: string): Uint8Array {
  const header = labelHeader(label);
  if (header.length === 0) return packet;
  const out = new Uint8Array(header.length + packet.length);
  out.set(header);
  out.set(packet, header.length);
  return out;
}

/** A packet or stream prefix split into its label and what follows. */
export interface LabelSplit {
  /** The label, or `''` when there was no header. */
  readonly label: string;
  /** The bytes after the header. */
  readonly rest: Uint8Array;
}

/**
 * Removes a label header, if there is one, from the start of `buf`.
 *
 * @throws {WireError} `truncated` when the header is cut short, `label` when its length is 0.
 */
export function removeLabelHeader(buf: Uint8Array): LabelSplit {
  if (buf.length === 0 || buf[0] !== MessageType.hasLabel) return { label: '', rest: buf };
  if (buf.length < 2) throw new WireError('truncated', 'label header is truncated');
  const size = buf[1] as number;
  if (size === 0) throw new WireError('label', 'label header cannot be empty when present');
  if (buf.length < 2 + size) throw new WireError('truncated', 'label header is truncated');
  return { label: decoder.decode(buf.subarray(2, 2 + size)), rest: buf.subarray(2 + size) };
}

/** The label as bytes, for use as encryption additional data. */
export function labelBytes(label: string): Uint8Array {
  return encoder.encode(label);
}

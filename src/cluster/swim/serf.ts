/**
 * Getting along with serf agents (and Consul, built on serf) as a plain memberlist member.
 * Serf reads a member's metadata as tags: a `0xff` magic byte and a msgpack map of strings.
 * Serf shows a member that leaves gracefully as `left` only if it first heard the member's
 * leave intent, a serf message stamped with serf's Lamport clock; otherwise it shows `failed`.
 * This module encodes tags and the leave intent, and follows serf's clock from the serf messages
 * and push/pull state it sees, so that the intent is new to every agent.
 */
import { MsgpackReader, MsgpackWriter } from '../wire/msgpack.js';

/** The first byte of serf's tag encoding. */
const TAG_MAGIC = 0xff;
/** serf's message types that carry `{ LTime, Node }`: leave and join intents. */
const SERF_LEAVE = 0;
const SERF_JOIN = 1;
/** serf's push/pull state, which starts with `LTime`. */
const SERF_PUSH_PULL = 2;

/**
 * Node metadata holding serf tags, as serf encodes them: `0xff` and a msgpack map.
 *
 * @example
 * ```ts
 * const node = cluster({ meta: encodeSerfTags({ role: 'collector', dc: 'eu-1' }) });
 * ```
 */
export function encodeSerfTags(tags: Readonly<Record<string, string>>): Uint8Array {
  const entries = Object.entries(tags);
  const writer = new MsgpackWriter(16 + entries.length * 16);
  writer.append(Uint8Array.of(TAG_MAGIC)).mapHeader(entries.length);
  for (const [key, value] of entries) writer.string(key).string(value);
  return writer.finish().slice();
}

/**
 * The serf tags in a member's metadata, or `undefined` when it does not hold serf tags.
 *
 * @example
 * ```ts
 * for (const member of node.members()) console.log(member.name, decodeSerfTags(member.meta));
 * ```
 */
export function decodeSerfTags(meta: Uint8Array): Record<string, string> | undefined {
  if (meta.length === 0 || meta[0] !== TAG_MAGIC) return undefined;
  try {
    const reader = new MsgpackReader(meta, 1);
    const count = reader.readMapHeader();
    const tags: Record<string, string> = {};
    for (let i = 0; i < count; i++) {
      const key = reader.readString();
      tags[key] = reader.readString();
    }
    return tags;
  } catch {
    return undefined;
  }
}

/** Whether metadata looks like serf tags (the sign of a serf agent). */
export function isSerfMeta(meta: Uint8Array): boolean {
  return meta.length > 0 && meta[0] === TAG_MAGIC;
}

/** Follows serf's Lamport clock and makes leave intents; see the module description. */
export class SerfClock {
  #time = 0;

  /** The highest serf Lamport time seen. */
  get time(): number {
    return this.#time;
  }

  /** Reads the clock from a serf message carried as a memberlist user message. */
  observeMessage(payload: Uint8Array): void {
    const type = payload[0];
    if (type === SERF_LEAVE || type === SERF_JOIN || type === SERF_PUSH_PULL) this.#observe(payload);
  }

  /** Reads the clock from the application state of a push/pull exchange with a serf agent. */
  observeState(userState: Uint8Array): void {
    if (userState[0] === SERF_PUSH_PULL) this.#observe(userState);
  }

  /**
   * A serf leave intent for `node`, as the payload of a memberlist user message, stamped one
   * tick past the highest time seen.
   */
  leaveIntent(node: string): Uint8Array {
    this.#time++;
    const writer = new MsgpackWriter(32 + node.length);
    writer
      .append(Uint8Array.of(SERF_LEAVE))
      .mapHeader(2)
      .string('LTime')
      .uint(this.#time)
      .string('Node')
      .string(node);
    return writer.finish().slice();
  }

  #observe(payload: Uint8Array): void {
    try {
      const reader = new MsgpackReader(payload, 1);
      const count = reader.readMapHeader();
      for (let i = 0; i < count; i++) {
        if (reader.readString() === 'LTime') {
          this.#time = Math.max(this.#time, reader.readInteger(0, Number.MAX_SAFE_INTEGER));
          return;
        }
        reader.skip();
      }
    } catch {
      // Not a serf message after all.
    }
  }
}

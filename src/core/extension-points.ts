/**
 * The small interfaces that the optional modules (`rivulet/wal`, `rivulet/cluster`) implement
 * and that components depend on, so the core never imports a module.
 */
import type { Observable } from 'rxjs';

/**
 * How a sink's items become write-ahead log records and back. Encoders and decoders live for one
 * segment: state such as series definitions is written again in every segment, so a segment can
 * always be read on its own and deleting older segments never strands a record.
 */
export interface WalCodec<T> {
  /** Names the record format; a log refuses to open with a codec of another format. */
  readonly format: string;
  /** A fresh encoder for a new segment. */
  encoder(): WalEncoder<T>;
  /** A fresh decoder for reading one segment from its start. */
  decoder(): WalDecoder<T>;
}

/** One record as a codec writes it. */
export interface WalRecordOut {
  /** `definitions` records carry state later records of the same segment refer to; `items` records carry data. */
  readonly type: 'definitions' | 'items';
  /** How many items the record carries (0 for definitions). */
  readonly count: number;
  readonly payload: Uint8Array;
}

/** Encodes items for one segment. */
export interface WalEncoder<T> {
  /** The records for `items`: any definitions they need first, then the items. */
  encode(items: readonly T[]): readonly WalRecordOut[];
}

/** Decodes the records of one segment, in order. */
export interface WalDecoder<T> {
  /** Takes a definitions record in. */
  define(payload: Uint8Array): void;
  /** Decodes an items record; throws if it refers to a definition that was never read. */
  decode(payload: Uint8Array): readonly T[];
}

/** A record read back from a write-ahead log, to be marked done once delivered. */
export interface WalEntry<T> {
  readonly items: readonly T[];
  /** When the record was appended, in milliseconds since the Unix epoch. */
  readonly appendedAtMs: number;
  /**
   * Marks the record delivered (or given up for good). Entries may be marked in any order; the
   * persisted cursor advances over the records that are done from the oldest on.
   */
  done(): void;
}

/** Items a log lost without delivering them, and why. */
export interface WalLoss {
  readonly count: number;
  /** `max_size`, `max_age` or `corrupt_record`. */
  readonly reason: string;
}

/** One sink's connection to a write-ahead log: it appends, and reads back what it has to send. */
export interface WalChannel<T> {
  /** Appends items; resolves once they are as durable as the log's fsync policy promises. */
  append(items: readonly T[]): Promise<void>;
  /**
   * The records not yet done, oldest first, from the persisted cursor on; waits for new records
   * without polling. Ends when the channel closes or `signal` aborts.
   */
  read(signal?: AbortSignal): AsyncIterable<WalEntry<T>>;
  /** Whether every appended record has been read and marked done. */
  caughtUp(): boolean;
  /** Resolves the next time {@link WalChannel.caughtUp} may have changed. */
  progress(): Promise<void>;
  /** Flushes, persists the cursor and closes the files; records not done stay for the next start. */
  close(): Promise<void>;
}

/**
 * A durable, append-only log a sink writes through, such as `fileWal` from `rivulet/wal`. Data
 * is acknowledged once durable, then read back and sent; what was not sent before a restart is
 * sent after it.
 */
export interface DurableLog {
  /** Where the log lives, for messages. */
  readonly name: string;
  /**
   * Opens the log for one sink. `consumer` names the persisted read cursor (a sink uses its
   * endpoint); `onLoss` hears of items lost to retention bounds or corruption.
   */
  open<T>(consumer: string, codec: WalCodec<T>, onLoss?: (loss: WalLoss) => void): Promise<WalChannel<T>>;
}

/** A cluster peer. */
export interface Peer {
  readonly name: string;
  readonly address: string;
  readonly self: boolean;
}

/**
 * The members of a cluster, as gossip sees them. A stream can be sharded by it: each item goes
 * to the peer that owns its label hash.
 */
export interface Membership {
  /** The current peers, each time they change. */
  readonly peers: Observable<readonly Peer[]>;
  /** The peer that owns `hash` given the current membership. */
  owner(hash: bigint): Peer;
}

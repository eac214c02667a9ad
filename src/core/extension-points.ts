/**
 * The small interfaces that the optional modules (`rivulet/wal`, `rivulet/cluster`) implement
 * and that components depend on, so the core never imports a module.
 */
import type { Observable } from 'rxjs';

/**
 * A durable, append-only log a sink can write through: data appended is durable once
 * `append` resolves, and is read back in order until committed.
 */
export interface DurableLog<T> {
  /** Appends records; resolves once they are durable. Returns the offset after the last one. */
  append(records: readonly T[]): Promise<bigint>;
  /** Reads records from `offset` on, in order, as they become available. */
  read(offset: bigint): AsyncIterable<{ readonly offset: bigint; readonly record: T }>;
  /** Marks everything before `offset` as delivered, so it may be reclaimed. */
  commit(offset: bigint): Promise<void>;
  close(): Promise<void>;
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

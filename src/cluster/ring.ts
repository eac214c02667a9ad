/**
 * `HashRing`: a consistent-hash ring over cluster peers, in the design of grafana/ckit's ring
 * sharder that Grafana Alloy's clustering uses. Each peer places `tokensPerNode` tokens on a
 * 64-bit circle, token `i` (counted from 1) being the xxHash64 (seed 0) of the peer name in
 * UTF-8, a 0xff byte, then `i` in decimal; a key hash belongs to the peer of the first token at
 * or after it, wrapping around, and on equal tokens to the peer whose name sorts first. Tokens
 * depend only on peer names, so every process that sees the same names builds the same ring,
 * and adding or removing one peer moves only the keys next to its tokens.
 *
 * A ring is immutable: membership changes make a new one. Lookups do not allocate.
 */

import { ClusterError, ConfigError } from '../core/errors.js';
import type { Peer } from '../core/extension-points.js';
import { xxhash64 } from '../core/xxhash64.js';
import { sortTokens } from './ring-sort.js';

/**
 * Tokens each peer places on the ring unless told otherwise: the value Alloy uses with ckit.
 *
 * @example
 * ```ts
 * const ring = HashRing.from(peers, { tokensPerNode: DEFAULT_TOKENS_PER_NODE * 2 });
 * ```
 */
export const DEFAULT_TOKENS_PER_NODE = 512;

/** The most tokens a peer may place on the ring. */
const MAX_TOKENS_PER_NODE = 65_536;

/**
 * Options of {@link HashRing.from}.
 *
 * @example
 * ```ts
 * const options: HashRingOptions = { tokensPerNode: 256 };
 * const ring = HashRing.from(peers, options);
 * ```
 */
export interface HashRingOptions {
  /**
   * Tokens each peer places on the ring. More tokens spread keys more evenly and cost memory
   * and build time; every member of a cluster must use the same value.
   * @defaultValue 512
   */
  readonly tokensPerNode?: number;
}

// A 64-bit value is split into 32-bit halves through a shared buffer, which needs no BigInt
// arithmetic and so allocates nothing.
const split64 = new BigUint64Array(1);
const split32 = new Uint32Array(split64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HIGH = LITTLE_ENDIAN ? 1 : 0;
const LOW = LITTLE_ENDIAN ? 0 : 1;

const encoder = new TextEncoder();

/**
 * Between a peer name and a token number. It never occurs in UTF-8, so no two (name, number)
 * pairs give the same bytes; ckit's plain `name + number` makes `node-1` token 12 and `node-11`
 * token 2 the same token, which costs `node-11` a fifth of its tokens in a cluster of 12.
 */
const SEPARATOR = 0xff;

/**
 * A consistent-hash ring over a set of peers. Build one with {@link HashRing.from}; it never
 * changes afterwards.
 *
 * @example
 * ```ts
 * const ring = HashRing.from([
 *   { name: 'alloy-0', address: '10.0.0.1:12345', self: true },
 *   { name: 'alloy-1', address: '10.0.0.2:12345', self: false },
 *   { name: 'alloy-2', address: '10.0.0.3:12345', self: false },
 * ]);
 * const key = Labels.from({ __address__: 'host-1:9100', job: 'node' }).hash();
 * ring.owner(key).name; // one of 'alloy-0', 'alloy-1', 'alloy-2', the same in every process
 * ring.owners(key, 2); // two distinct peers: the owner, then the next one clockwise
 * ```
 */
export class HashRing {
  /** The ring with no peers. */
  static readonly EMPTY: HashRing = new HashRing([], DEFAULT_TOKENS_PER_NODE);

  /** The peers, sorted by name. */
  readonly peers: readonly Peer[];
  /** The peer marked `self`, if it is on the ring. */
  readonly self: Peer | undefined;
  /** Tokens each peer placed on the ring. */
  readonly tokensPerNode: number;
  /** Token positions in ascending order, split into high and low 32-bit halves. */
  private readonly high: Uint32Array;
  private readonly low: Uint32Array;
  /** For each token, the index in {@link HashRing.peers} of the peer that placed it. */
  private readonly ownerOf: Uint32Array;
  /**
   * An index over the top bits of token positions: the tokens whose top `bits` bits are `b`
   * are those from `bucketStart[b]` to `bucketStart[b + 1]`, so a lookup searches a bucket of
   * about one token rather than the whole ring.
   */
  private readonly bucketStart: Uint32Array;
  private readonly bucketShift: number;

  private constructor(sortedPeers: readonly Peer[], tokensPerNode: number) {
    this.peers = sortedPeers;
    this.self = sortedPeers.find((peer) => peer.self);
    this.tokensPerNode = tokensPerNode;
    const count = sortedPeers.length * tokensPerNode;
    const high = new Uint32Array(count);
    const low = new Uint32Array(count);
    const owner = new Uint32Array(count);
    let bytes = new Uint8Array(64);
    let t = 0;
    for (let p = 0; p < sortedPeers.length; p++) {
      const name = encoder.encode((sortedPeers[p] as Peer).name);
      if (bytes.length < name.length + 8) bytes = new Uint8Array(name.length + 8);
      bytes.set(name);
      bytes[name.length] = SEPARATOR;
      for (let i = 1; i <= tokensPerNode; i++) {
        split64[0] = xxhash64(bytes, writeDecimal(i, bytes, name.length + 1));
        high[t] = split32[HIGH] as number;
        low[t] = split32[LOW] as number;
        owner[t] = p;
        t++;
      }
    }
    // Tokens were made in peer name order, and the sort is stable: on equal positions the peer
    // whose name sorts first comes first, as in ckit.
    sortTokens(high, low, owner);
    this.high = high;
    this.low = low;
    this.ownerOf = owner;
    const bits = Math.min(16, Math.max(1, Math.ceil(Math.log2(Math.max(count, 2)))));
    this.bucketShift = 32 - bits;
    const buckets = 1 << bits;
    this.bucketStart = new Uint32Array(buckets + 1);
    let i = 0;
    for (let b = 0; b <= buckets; b++) {
      while (i < count && (high[i] as number) >>> this.bucketShift < b) i++;
      this.bucketStart[b] = i;
    }
  }

  /**
   * Builds the ring of `peers`. Their order does not matter; names must be unique.
   *
   * @throws ConfigError when `tokensPerNode` is not a whole number from 1 to 65536.
   * @throws ClusterError when two peers have the same name.
   *
   * @example
   * ```ts
   * const ring = HashRing.from(peers, { tokensPerNode: 256 });
   * ```
   */
  static from(peers: readonly Peer[], options: HashRingOptions = {}): HashRing {
    const tokensPerNode = tokensPerNodeOption('HashRing', options.tokensPerNode);
    const sorted = [...peers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (let i = 1; i < sorted.length; i++) {
      if ((sorted[i] as Peer).name === (sorted[i - 1] as Peer).name) {
        throw new ClusterError(`HashRing: two peers are named '${(sorted[i] as Peer).name}'`);
      }
    }
    return new HashRing(sorted, tokensPerNode);
  }

  /** How many peers are on the ring. */
  get size(): number {
    return this.peers.length;
  }

  /**
   * The peer that owns `hash`: the one whose token is the first at or after `hash` on the
   * circle. Does not allocate.
   *
   * @throws ClusterError when the ring has no peers.
   *
   * @example
   * ```ts
   * const owned = ring.owner(sample.labels.hash()).self;
   * ```
   */
  owner(hash: bigint): Peer {
    if (this.peers.length === 0) throw new ClusterError('HashRing: no peers to own a key');
    return this.peers[this.ownerOf[this.tokenAt(hash)] as number] as Peer;
  }

  /**
   * Up to `n` distinct peers for `hash`, for replication: the owner first, then the peers of the
   * following tokens clockwise, skipping peers already chosen. Fewer than `n` when the ring has
   * fewer peers.
   *
   * @throws ClusterError when `n` is not a whole number of 0 or more.
   *
   * @example
   * ```ts
   * const [primary, replica] = ring.owners(series.hash(), 2);
   * ```
   */
  owners(hash: bigint, n: number): Peer[] {
    if (!Number.isInteger(n) || n < 0) {
      throw new ClusterError(`HashRing: owners() needs a whole number of peers, 0 or more; got ${n}`);
    }
    const wanted = Math.min(n, this.peers.length);
    const out: Peer[] = [];
    if (wanted === 0) return out;
    const count = this.ownerOf.length;
    let i = this.tokenAt(hash);
    while (out.length < wanted) {
      const peer = this.peers[this.ownerOf[i] as number] as Peer;
      if (!out.includes(peer)) out.push(peer);
      i = i + 1 === count ? 0 : i + 1;
    }
    return out;
  }

  /** The index of the first token at or after `hash`, wrapping to 0 past the last. */
  private tokenAt(hash: bigint): number {
    split64[0] = hash;
    const hi = split32[HIGH] as number;
    const lo = split32[LOW] as number;
    const high = this.high;
    const low = this.low;
    const bucket = hi >>> this.bucketShift;
    let from = this.bucketStart[bucket] as number;
    let to = this.bucketStart[bucket + 1] as number;
    while (from < to) {
      const mid = (from + to) >>> 1;
      const h = high[mid] as number;
      if (h < hi || (h === hi && (low[mid] as number) < lo)) from = mid + 1;
      else to = mid;
    }
    return from === high.length ? 0 : from;
  }
}

/**
 * Checks a `tokensPerNode` option and applies its default.
 * @internal
 */
export function tokensPerNodeOption(component: string, value: number | undefined): number {
  const tokens = value ?? DEFAULT_TOKENS_PER_NODE;
  if (!Number.isInteger(tokens) || tokens < 1 || tokens > MAX_TOKENS_PER_NODE) {
    throw new ConfigError(
      component,
      'tokensPerNode',
      `must be a whole number from 1 to ${MAX_TOKENS_PER_NODE} (${DEFAULT_TOKENS_PER_NODE} is a good start); got ${tokens}`,
    );
  }
  return tokens;
}

/** Writes `n` (a positive integer) in decimal ASCII at `offset`; returns the end offset. */
function writeDecimal(n: number, into: Uint8Array, offset: number): number {
  let digits = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  let end = offset + digits;
  for (let rest = n; end > offset; rest = Math.floor(rest / 10)) into[--end] = 0x30 + (rest % 10);
  return offset + digits;
}

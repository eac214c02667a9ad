/**
 * The small interfaces that the optional modules (`rivulet/wal`, `rivulet/cluster`,
 * `rivulet/debug`) implement and that components depend on, so the core never imports a module.
 */
import type { Observable } from 'rxjs';
import type { ComponentInfo } from './component.js';
import type { RunningPipelines } from './runner.js';

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

/** A cluster member's state: `left` is a graceful leave, `dead` a failure. */
export type ClusterMemberState = 'alive' | 'suspect' | 'dead' | 'left';

/** A cluster member as a {@link ClusterView} reports it. */
export interface ClusterMemberView {
  readonly name: string;
  /** Its IP address. */
  readonly address: string;
  /** Its gossip port. */
  readonly port: number;
  readonly state: ClusterMemberState;
  /** How many times it has had to refute or update its state. */
  readonly incarnation: number;
  /** Whether this is the local node. */
  readonly self: boolean;
}

/**
 * A gossip node as a watcher sees it: every member with its state, more than the live peers a
 * {@link Membership} gives. `cluster()` from `rivulet/cluster` returns one; `debugServer` from
 * `rivulet/debug` takes one as its `cluster` option and shows it at `/api/v0/peers`.
 *
 * @example
 * ```ts
 * const report = (node: ClusterView) =>
 *   node.members().map((m) => `${m.name} ${m.address}:${m.port} ${m.state}`);
 * ```
 */
export interface ClusterView {
  /** This node's name. */
  readonly name: string;
  /** Every known member, this node included; dead and left members until they are forgotten. */
  members(): readonly ClusterMemberView[];
  /** This node's local health score: 0 is healthy, higher means it is slow to keep up. */
  healthScore?(): number;
  /** The live members as a {@link Membership}, when the node shards by one. */
  readonly membership?: Membership;
}

/**
 * Something that watches a run from its start to its end, such as `debugServer` from
 * `rivulet/debug`. `run` attaches it right after subscribing the pipelines (`run`'s `debug`
 * option) and closes it once every pipeline has finished, failed or been cut off.
 *
 * @example
 * ```ts
 * const logHealth: RunAttachment = {
 *   attach(running) {
 *     const timer = setInterval(() => console.log('healthy:', running.isHealthy()), 10_000);
 *     return { close: async () => clearInterval(timer) };
 *   },
 * };
 * run({ metrics }, { debug: logHealth });
 * ```
 */
export interface RunAttachment {
  /** Starts watching `running`; called once per run. */
  attach(running: RunningPipelines): RunAttachmentHandle;
}

/** What {@link RunAttachment.attach} returns: the way to end the attachment. */
export interface RunAttachmentHandle {
  /** Stops watching and frees what the attachment holds (servers, timers); the run waits for it. */
  close(): Promise<void>;
}

/** A component's options as the debug endpoint may show them, by option name. */
export type DisplayableOptions = Readonly<Record<string, unknown>>;

const declared = new WeakMap<ComponentInfo, DisplayableOptions>();

/**
 * Declares the options a component was built with, for the debug endpoint's component page.
 * `Secret` values are always shown as `<secret>`, and so are string values of options whose
 * name looks like a credential (`password`, `token`, `secret`, `apiKey`, `authorization`, ...);
 * Observables, functions and byte arrays are summarised, never expanded. Returns `component`.
 *
 * @param component - the component, or a source stream (anything with a `component` field)
 * @param options - the options to show, usually the factory's options object
 *
 * @example
 * ```ts
 * export function mySource(options: MySourceOptions): SourceStream<'logs'> {
 *   return declareOptions(defineSource({ type: 'mySource', kind: 'logs' }, produce), options);
 * }
 * ```
 */
export function declareOptions<T extends ComponentInfo | { readonly component: ComponentInfo }>(
  component: T,
  options: DisplayableOptions,
): T {
  const target: ComponentInfo | { readonly component: ComponentInfo } = component;
  declared.set('component' in target ? target.component : target, options);
  return component;
}

/**
 * The options declared for a component with {@link declareOptions}, as given (unmasked: mask
 * them before showing them).
 *
 * @example
 * ```ts
 * const options = declaredOptions(running.registry.component('scrape.0')!);
 * ```
 */
export function declaredOptions(component: ComponentInfo): DisplayableOptions | undefined {
  return declared.get(component);
}

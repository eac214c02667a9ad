/**
 * A bounded cache of relabelling results, as Alloy's `prometheus.relabel` keeps one: the same
 * series arrives every scrape, so its result is looked up instead of recomputed.
 */
import type { Labels } from '../../core/labels.js';

interface Entry {
  readonly key: string;
  readonly input: Labels;
  readonly output: Labels | undefined;
  /** The next older entry. */
  older: Entry | undefined;
  /** The next newer entry. */
  newer: Entry | undefined;
}

/**
 * Relabelling results keyed by the input label set, holding at most `capacity` entries and
 * evicting the least recently used: a map for lookups and a doubly linked list for recency, so
 * a hit moves an entry with a few pointer writes and never touches the map.
 */
export class ResultCache {
  private readonly entries = new Map<string, Entry>();
  private newest: Entry | undefined;
  private oldest: Entry | undefined;

  constructor(readonly capacity: number) {}

  /** How many results the cache holds. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Looks up the result for `input`: the output labels, `null` for a dropped set, or `undefined`
   * when not cached.
   */
  get(input: Labels): Labels | null | undefined {
    const entry = this.entries.get(input.key());
    if (entry === undefined) return undefined;
    if (entry !== this.newest) {
      this.unlink(entry);
      this.push(entry);
    }
    // An unchanged result is the caller's own object, so callers can compare by identity.
    if (entry.output === entry.input) return input;
    return entry.output ?? null;
  }

  /** Stores the result for `input`, evicting the least recently used entry when full. */
  set(input: Labels, output: Labels | undefined): void {
    if (this.capacity === 0) return;
    const key = input.key();
    const existing = this.entries.get(key);
    if (existing !== undefined) {
      this.unlink(existing);
    } else if (this.entries.size >= this.capacity && this.oldest !== undefined) {
      this.entries.delete(this.oldest.key);
      this.unlink(this.oldest);
    }
    const entry: Entry = { key, input, output, older: undefined, newer: undefined };
    this.entries.set(key, entry);
    this.push(entry);
  }

  clear(): void {
    this.entries.clear();
    this.newest = undefined;
    this.oldest = undefined;
  }

  private unlink(entry: Entry): void {
    if (entry.older === undefined) this.oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.newest = entry.older;
    else entry.newer.older = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }

  private push(entry: Entry): void {
    entry.older = this.newest;
    if (this.newest === undefined) this.oldest = entry;
    else this.newest.newer = entry;
    this.newest = entry;
  }
}

/**
 * A bounded cache of relabelling results, as Alloy's `prometheus.relabel` keeps one: the same
 * series arrives every scrape, so its result is looked up instead of recomputed.
 */
import type { Labels } from '../../core/labels.js';

interface Entry {
  readonly key: string;
  readonly input: Labels;
  readonly output: Labels | undefined;
  /** No name or value of `input` holds the key separator, so its key splits back unambiguously. */
  readonly plain: boolean;
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
    if (entry === undefined || !sameInput(entry, input)) return undefined;
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
    const plain = separators(key) === input.size * 2 - 1;
    const entry: Entry = { key, input, output, plain, older: undefined, newer: undefined };
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

/**
 * Whether `input` is the entry's input, given that their keys are equal. `Labels.key()` joins
 * names and values with U+00FF, which label text may contain, so different sets can share a
 * key. When the entry's own text holds no U+00FF, its key has exactly `2 * size - 1`
 * separators, and a set with the same key and size must split at the same places: equal. Only
 * otherwise are the labels compared.
 */
function sameInput(entry: Entry, input: Labels): boolean {
  if (entry.input === input) return true;
  if (entry.plain && entry.input.size === input.size) return true;
  return entry.input.equals(input);
}

function separators(key: string): number {
  let count = 0;
  for (let at = key.indexOf('\xff'); at >= 0; at = key.indexOf('\xff', at + 1)) count++;
  return count;
}

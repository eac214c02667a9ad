/**
 * Immutable, sorted label sets, as Prometheus keeps them: a name maps to one non-empty value,
 * and a label whose value is empty is the same as an absent one.
 */
import { xxhash64 } from './xxhash64.js';

const encoder = new TextEncoder();
const SEPARATOR = 0xff;
let scratch = new Uint8Array(1024);

/** A plain-object view of a label set. */
export type LabelRecord = Readonly<Record<string, string>>;

/**
 * An immutable label set, sorted by name. Equality is by content; {@link Labels.hash} is a
 * 64-bit xxHash of the names and values, the same function and byte layout Prometheus uses
 * (`name 0xff value 0xff` for each label in order), so it is stable across processes,
 * machines and releases.
 *
 * @example
 * ```ts
 * const l = Labels.from({ job: 'node', __name__: 'up' });
 * l.get('job'); // 'node'
 * l.toString(); // '{__name__="up", job="node"}'
 * ```
 */
export class Labels implements Iterable<readonly [string, string]> {
  /** The label set with no labels. */
  static readonly EMPTY: Labels = new Labels([]);

  /** Names and values alternating, sorted by name, no duplicates, no empty values. */
  private readonly pairs: readonly string[];
  private cachedHash: bigint | undefined;
  private cachedKey: string | undefined;
  /**
   * The label set as remote write's encoded `Label` fields, kept here by that encoder so a series
   * whose `Labels` object is reused is encoded once.
   * @internal
   */
  encodedLabelFields: Uint8Array | undefined;

  private constructor(sortedPairs: readonly string[]) {
    this.pairs = sortedPairs;
  }

  /** Builds a label set from an object. Labels with empty values are left out. */
  static from(record: LabelRecord): Labels {
    const names = Object.keys(record).sort(compareStrings);
    const pairs: string[] = [];
    for (const name of names) {
      const value = record[name];
      if (value !== undefined && value !== '') pairs.push(name, value);
    }
    return pairs.length === 0 ? Labels.EMPTY : new Labels(pairs);
  }

  /**
   * Builds a label set from `[name, value]` entries in any order. When a name repeats, the last
   * value wins; empty values are left out.
   */
  static fromEntries(entries: Iterable<readonly [string, string]>): Labels {
    const map = new Map<string, string>();
    for (const [name, value] of entries) map.set(name, value);
    const names = [...map.keys()].sort(compareStrings);
    const pairs: string[] = [];
    for (const name of names) {
      const value = map.get(name) as string;
      if (value !== '') pairs.push(name, value);
    }
    return pairs.length === 0 ? Labels.EMPTY : new Labels(pairs);
  }

  /**
   * Wraps names and values that are already alternating, sorted by name, unique and non-empty.
   * Codecs use it to skip the sort; nothing checks the precondition.
   * @internal
   */
  static fromSortedPairs(pairs: readonly string[]): Labels {
    return pairs.length === 0 ? Labels.EMPTY : new Labels(pairs);
  }

  /** How many labels the set holds. */
  get size(): number {
    return this.pairs.length >> 1;
  }

  /** The value of a label, or `undefined` when it is absent. */
  get(name: string): string | undefined {
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) {
      if (pairs[i] === name) return pairs[i + 1];
    }
    return undefined;
  }

  /** Whether the label is present. */
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** The metric name (`__name__`), or an empty string when there is none. */
  get metricName(): string {
    return this.get('__name__') ?? '';
  }

  /** Calls `fn` for each label in name order. */
  forEach(fn: (name: string, value: string) => void): void {
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) fn(pairs[i] as string, pairs[i + 1] as string);
  }

  *[Symbol.iterator](): Iterator<readonly [string, string]> {
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) yield [pairs[i] as string, pairs[i + 1] as string];
  }

  /** The label names in order. */
  names(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.pairs.length; i += 2) out.push(this.pairs[i] as string);
    return out;
  }

  /** Whether both sets hold the same labels with the same values. */
  equals(other: Labels): boolean {
    if (this === other) return true;
    const a = this.pairs;
    const b = other.pairs;
    if (a.length !== b.length) return false;
    if (
      this.cachedHash !== undefined &&
      other.cachedHash !== undefined &&
      this.cachedHash !== other.cachedHash
    ) {
      return false;
    }
    for (let i = a.length - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
    return true;
  }

  /** Orders label sets the way Prometheus does: label by label, names first, then values. */
  compare(other: Labels): number {
    const a = this.pairs;
    const b = other.pairs;
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = compareStrings(a[i] as string, b[i] as string);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }

  /** A stable 64-bit hash of the set (xxHash64, seed 0, over `name 0xff value 0xff` per label). */
  hash(): bigint {
    if (this.cachedHash === undefined) this.cachedHash = hashPairs(this.pairs);
    return this.cachedHash;
  }

  /** A string that is equal for equal label sets, for use as a `Map` key. */
  key(): string {
    // JSON keeps names and values apart whatever characters they hold; a plain join would not.
    if (this.cachedKey === undefined) this.cachedKey = JSON.stringify(this.pairs);
    return this.cachedKey;
  }

  /** A copy with `name` set to `value` (or removed, when `value` is empty). */
  with(name: string, value: string): Labels {
    return this.builder().set(name, value).build();
  }

  /** A copy without the named labels. */
  without(...names: string[]): Labels {
    const builder = this.builder();
    for (const name of names) builder.delete(name);
    return builder.build();
  }

  /** A builder that starts from this set. */
  builder(): LabelsBuilder {
    return new LabelsBuilder(this);
  }

  /** The labels as a plain object. */
  toRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    this.forEach((name, value) => {
      out[name] = value;
    });
    return out;
  }

  /** The labels in Prometheus notation: `{a="1", b="2"}`. */
  toString(): string {
    const parts: string[] = [];
    this.forEach((name, value) => {
      parts.push(`${name}=${JSON.stringify(value)}`);
    });
    return `{${parts.join(', ')}}`;
  }

  toJSON(): Record<string, string> {
    return this.toRecord();
  }

  /** @internal The sorted name/value array; codecs read it to avoid copies. */
  rawPairs(): readonly string[] {
    return this.pairs;
  }
}

/**
 * Edits a label set without copying it on each change. `set` with an empty value deletes.
 *
 * @example
 * ```ts
 * const next = labels.builder().set('env', 'prod').delete('pod').build();
 * ```
 */
export class LabelsBuilder {
  private readonly base: Labels;
  private changes: Map<string, string> | undefined;

  constructor(base: Labels = Labels.EMPTY) {
    this.base = base;
  }

  /** The current value of a label, with edits applied. */
  get(name: string): string | undefined {
    const changed = this.changes?.get(name);
    if (changed !== undefined) return changed === '' ? undefined : changed;
    return this.base.get(name);
  }

  /** Sets a label; an empty value deletes it. */
  set(name: string, value: string): this {
    if (this.changes === undefined) this.changes = new Map();
    this.changes.set(name, value);
    return this;
  }

  /** Deletes a label. */
  delete(name: string): this {
    return this.set(name, '');
  }

  /** The edited label set. Returns the base itself when nothing changed. */
  build(): Labels {
    const changes = this.changes;
    if (changes === undefined || changes.size === 0) return this.base;
    const entries = new Map<string, string>();
    this.base.forEach((name, value) => {
      entries.set(name, value);
    });
    let changed = false;
    for (const [name, value] of changes) {
      const previous = entries.get(name);
      if (value === '') {
        if (previous !== undefined) {
          entries.delete(name);
          changed = true;
        }
      } else if (previous !== value) {
        entries.set(name, value);
        changed = true;
      }
    }
    return changed ? Labels.fromEntries(entries) : this.base;
  }
}

/** Byte-wise UTF-16 code unit order, the order Go's string comparison gives for ASCII names. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function hashPairs(pairs: readonly string[]): bigint {
  let length = 0;
  for (const part of pairs) length += part.length * 3 + 1;
  if (scratch.length < length) scratch = new Uint8Array(Math.max(length, scratch.length * 2));
  let offset = 0;
  for (const part of pairs) {
    offset = writeUtf8(part, scratch, offset);
    scratch[offset++] = SEPARATOR;
  }
  return xxhash64(scratch, offset);
}

/** Writes `text` as UTF-8 at `offset`, copying ASCII directly (label text almost always is). */
function writeUtf8(text: string, into: Uint8Array, offset: number): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return offset - i + encoder.encodeInto(text, into.subarray(offset - i)).written;
    into[offset++] = code;
  }
  return offset;
}

/**
 * `probabilisticSample`: Alloy's `otelcol.processor.probabilistic_sampler` (the Collector's
 * `proportional` mode) as a transform. Takes and emits batches of spans (`kind: 'traces'`, the
 * default) or log entries (`kind: 'logs'`), keeping about `samplingPercentage` percent of them
 * with OpenTelemetry's consistent probability sampling (`trace/tracestate-probability-sampling.md`):
 *
 * - Each item has 56 bits of randomness: the `rv` of its tracestate when it has one, else the
 *   56 least significant bits of its trace id. The same trace id therefore gives the same
 *   decision in every process, and every span of a trace is kept or dropped together.
 * - The percentage becomes a rejection threshold `T = (1 - p) * 2^56`, rounded to
 *   `samplingPrecision` hex digits; an item is kept when its randomness is at least `T`.
 * - Proportionally: an item already sampled upstream (a `th` in its tracestate) is sampled
 *   with `p` times its earlier probability, so this stage cuts what passes by `p` whatever came
 *   before. A kept span has `ot=th:<threshold>` written into its tracestate (other members and
 *   sub-keys kept), so its adjusted count stays known downstream.
 * - A span whose `sampling.priority` attribute is 0 is dropped; one where it is positive is
 *   kept (with `th:0`).
 *
 * Log entries use the `sampling.randomness` attribute of their OTLP record, else its trace id
 * (`attributeSource: 'traceID'`), else a hash of their `fromAttribute` value or of their line,
 * so a log line is sampled the same way everywhere. The hash is the Collector's (FNV-1a with
 * `hashSeed`, 14 bits of it deciding), so an Alloy hashing the same attribute with the same
 * seed keeps the same records. A kept entry with an OTLP record gets its threshold in the
 * record's `sampling.threshold` attribute, as the Collector writes it.
 *
 * An item whose randomness cannot be had (an empty or all-zero trace id and no `rv`, a
 * malformed `ot` tracestate entry, a `th` its randomness contradicts) is dropped with the reason
 * `sampling_error` when `failClosed` (the default), else kept. Items sampled out are counted
 * with the reason `sampled_out`. Both count as intentional. A batch whose items are all dropped
 * has its ack settled as dropped; otherwise the batch goes on with the rest and its own ack.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { type Batch, withItems } from '../../core/batch.js';
import type { ComponentContext } from '../../core/component.js';
import { defineTransform } from '../../core/define.js';
import { ConfigError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import type { AnyValue, Attributes, ItemOf, KeyValue, LogEntry, Span } from '../../core/signals.js';
import { findAttribute } from './attribute-matchers.js';
import {
  booleanOption,
  describeValue,
  integerOption,
  kindOption,
  optionalStringOption,
  optionsObject,
} from './option-checks.js';
import {
  ALWAYS_SAMPLE,
  atLeast,
  hashedRandomness,
  MIN_SAMPLING_PROBABILITY,
  NEVER_SAMPLE,
  parseRValue,
  parseTValue,
  probabilityToThreshold,
  type Threshold,
  threshold,
  thresholdProbability,
  toBigInt,
  type Unsigned56,
} from './sampling-threshold.js';
import {
  EMPTY_TRACE_STATE,
  formatTraceState,
  type ParsedTraceState,
  parseTraceState,
} from './trace-state.js';

/** The signal kinds `probabilisticSample` takes. */
export type SampleKind = 'traces' | 'logs';

/** Options for both signal kinds. */
export interface SampleOptionsBase {
  /** A unique component id. @defaultValue `probabilisticSample.N` */
  readonly id?: string;
  /**
   * The percentage of items kept, 0 to 100 (Alloy's `sampling_percentage`, read as a 32-bit
   * float as Alloy reads it, so the same setting gives the same threshold); above 100 is 100.
   * @defaultValue 0, as in Alloy: nothing is kept until it is set
   */
  readonly samplingPercentage?: number;
  /** Significant hex digits of the threshold, 1 to 14 (the Collector's `sampling_precision`). @defaultValue 4 */
  readonly samplingPrecision?: number;
  /** Drop (rather than keep) items whose randomness cannot be had (Alloy's `fail_closed`). @defaultValue true */
  readonly failClosed?: boolean;
}

/** Options of {@link probabilisticSample} for spans. */
export interface TraceSampleOptions extends SampleOptionsBase {
  /** @defaultValue `'traces'` */
  readonly kind?: 'traces';
}

/** Options of {@link probabilisticSample} for log entries. */
export interface LogSampleOptions extends SampleOptionsBase {
  readonly kind: 'logs';
  /**
   * Where an entry's randomness comes from (Alloy's `attribute_source`): `'traceID'` uses its
   * OTLP record's trace id, falling back to a hash of `fromAttribute` or of the line when it has
   * none; `'record'` always hashes `fromAttribute` (or the line, when `fromAttribute` is not set).
   * @defaultValue `'traceID'`
   */
  readonly attributeSource?: 'traceID' | 'record';
  /**
   * The attribute whose value is hashed (Alloy's `from_attribute`): looked up in the OTLP
   * record's attributes, then the structured metadata, then the labels. An entry without it
   * has no randomness under `'record'` (see `failClosed`).
   * @defaultValue none: the line is hashed
   */
  readonly fromAttribute?: string;
  /**
   * The seed mixed into the hash of records (Alloy's `hash_seed`, an unsigned 32-bit integer).
   * Unlike Alloy, setting it does not switch to the older hash-only sampler for traces.
   * @defaultValue 0
   */
  readonly hashSeed?: number;
  /**
   * An attribute holding a percentage that raises an entry's own chance of being kept (Alloy's
   * `sampling_priority`), read from the OTLP record's attributes, the structured metadata or the
   * labels. @defaultValue none
   */
  readonly samplingPriority?: string;
}

/** Options of {@link probabilisticSample}. */
export type ProbabilisticSampleOptions = TraceSampleOptions | LogSampleOptions;

const SAMPLED_OUT = 'sampled_out';
const SAMPLING_ERROR = 'sampling_error';
const MAX_CACHED_THRESHOLDS = 256;

/**
 * Samples spans consistently by trace id.
 *
 * @example
 * ```ts
 * // spans: Observable<Batch<'traces'>>, from an OTLP receiver
 * spans.pipe(probabilisticSample({ samplingPercentage: 25 }));
 * ```
 */
export function probabilisticSample(
  options: TraceSampleOptions,
): OperatorFunction<Batch<'traces'>, Batch<'traces'>>;
/**
 * Samples log entries: by their trace id when they have one, else by a hash of the line.
 *
 * @example
 * ```ts
 * // logs: Observable<Batch<'logs'>>
 * logs.pipe(probabilisticSample({ kind: 'logs', samplingPercentage: 10, fromAttribute: 'request.id' }));
 * ```
 */
export function probabilisticSample(
  options: LogSampleOptions,
): OperatorFunction<Batch<'logs'>, Batch<'logs'>>;
export function probabilisticSample(
  options: ProbabilisticSampleOptions,
): OperatorFunction<Batch<'traces'>, Batch<'traces'>> | OperatorFunction<Batch<'logs'>, Batch<'logs'>> {
  const type = 'probabilisticSample';
  const given = optionsObject(type, options) as Partial<LogSampleOptions> & SampleOptionsBase;
  const name = given.id ?? type;
  const kind = kindOption<SampleKind>(name, given.kind ?? 'traces', ['traces', 'logs']);
  const percentage = percentageOption(name, given.samplingPercentage);
  const precision = integerOption(name, 'samplingPrecision', given.samplingPrecision, 4, 1, 14);
  const failClosed = booleanOption(name, 'failClosed', given.failClosed, true);
  const sampler = new Sampler(percentage, precision, failClosed);
  if (kind === 'traces') {
    for (const option of ['attributeSource', 'fromAttribute', 'hashSeed', 'samplingPriority'] as const) {
      if (given[option] !== undefined) {
        throw new ConfigError(name, option, "applies to log entries only; set kind: 'logs' or remove it");
      }
    }
    const transform = defineTransform(
      { type, id: given.id, input: 'traces', output: 'traces' },
      (context) => (upstream) =>
        sampleStream(upstream, context, failClosed, (span: Span, verdict: Verdict) =>
          sampleSpan(span, sampler, verdict),
        ),
    );
    return declareOptions(transform, { ...given });
  }
  const source = given.attributeSource ?? 'traceID';
  if (source !== 'traceID' && source !== 'record') {
    throw new ConfigError(
      name,
      'attributeSource',
      `must be 'traceID' or 'record', got ${describeValue(source)}`,
    );
  }
  const logs: LogSettings = {
    useTraceId: source === 'traceID',
    fromAttribute: optionalStringOption(name, 'fromAttribute', given.fromAttribute),
    seed: integerOption(name, 'hashSeed', given.hashSeed, 0, 0, 0xffffffff),
    priority: optionalStringOption(name, 'samplingPriority', given.samplingPriority),
  };
  const transform = defineTransform(
    { type, id: given.id, input: 'logs', output: 'logs' },
    (context) => (upstream) =>
      sampleStream(upstream, context, failClosed, (entry: LogEntry, verdict: Verdict) =>
        sampleEntry(entry, sampler, logs, verdict),
      ),
  );
  return declareOptions(transform, { ...given });
}

/** Why an item was dropped, set by the per-item functions. */
interface Verdict {
  reason: typeof SAMPLED_OUT | typeof SAMPLING_ERROR;
}

/** The item to send on (perhaps a changed copy), or `undefined` when it is dropped. */
type SampleItem<T> = (item: T, verdict: Verdict) => T | undefined;

function sampleStream<K extends SampleKind>(
  upstream: Observable<Batch<K>>,
  context: ComponentContext,
  failClosed: boolean,
  decide: SampleItem<ItemOf<K>>,
): Observable<Batch<K>> {
  // An item too malformed to look at is counted as an error and treated as one without randomness.
  const sample: SampleItem<ItemOf<K>> = (item, verdict) => {
    try {
      return decide(item, verdict);
    } catch (error) {
      context.error('processing', error);
      verdict.reason = SAMPLING_ERROR;
      return failClosed ? undefined : item;
    }
  };
  return new Observable<Batch<K>>((subscriber) =>
    upstream.subscribe({
      next: (batch) => {
        const out = sampleBatch(batch, sample, context);
        if (out !== undefined) subscriber.next(out);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    }),
  );
}

function sampleBatch<K extends SampleKind>(
  batch: Batch<K>,
  sample: SampleItem<ItemOf<K>>,
  context: ComponentContext,
): Batch<K> | undefined {
  const items = batch.items;
  const verdict: Verdict = { reason: SAMPLED_OUT };
  let out: ItemOf<K>[] | undefined;
  let sampledOut = 0;
  let errors = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as ItemOf<K>;
    const kept = sample(item, verdict);
    if (kept === item) {
      out?.push(item);
      continue;
    }
    out ??= items.slice(0, i);
    if (kept !== undefined) out.push(kept);
    else if (verdict.reason === SAMPLED_OUT) sampledOut++;
    else errors++;
  }
  if (out === undefined) return batch;
  if (sampledOut > 0) context.dropped(sampledOut, SAMPLED_OUT, true);
  if (errors > 0) context.dropped(errors, SAMPLING_ERROR, true);
  if (out.length === 0) {
    batch.ack.dropped(sampledOut > 0 ? SAMPLED_OUT : SAMPLING_ERROR);
    return undefined;
  }
  return withItems(batch, out);
}

/** The sampling decision's settings: the threshold for items not sampled before, and the rest. */
class Sampler {
  /** The threshold for items that arrive without one. */
  readonly base: Threshold;
  /** The tracestate of a kept span that arrived without one. */
  readonly baseTraceState: string;
  private readonly ratio: number;
  /** Thresholds for the `th` values items arrived with, by their text. */
  private readonly cache = new Map<string, Threshold>();

  constructor(
    percentage: number,
    /** Significant hex digits of thresholds. */
    readonly precision: number,
    readonly failClosed: boolean,
  ) {
    // Alloy reads the percentage as a float32; so does this, to reach the same threshold.
    const pct = Math.min(100, Math.fround(percentage));
    this.ratio = pct === 0 ? 0 : Math.max(MIN_SAMPLING_PROBABILITY, pct / 100);
    this.base = this.ratio === 0 ? NEVER_SAMPLE : toThreshold(probabilityToThreshold(this.ratio, precision));
    this.baseTraceState = `ot=th:${this.base.tvalue}`;
  }

  /**
   * The threshold for an item, given the threshold it arrived with (its `th` text and value):
   * proportionally, this stage's probability times the one it arrived with.
   */
  decide(th: string | undefined, incoming: Unsigned56 | undefined): Threshold {
    if (th === undefined || incoming === undefined || this.ratio === 0) return this.base;
    let cached = this.cache.get(th);
    if (cached === undefined) {
      const probability = thresholdProbability(toBigInt(incoming)) * this.ratio;
      cached = toThreshold(probabilityToThreshold(probability, this.precision));
      if (this.cache.size >= MAX_CACHED_THRESHOLDS) this.cache.clear();
      this.cache.set(th, cached);
    }
    return cached;
  }

  /** The threshold for an item whose randomness or sampling state is unusable. */
  get onError(): Threshold {
    return this.failClosed ? NEVER_SAMPLE : ALWAYS_SAMPLE;
  }
}

function toThreshold(value: bigint | undefined): Threshold {
  // Below the smallest probability there is: the item is not sampled.
  return value === undefined ? NEVER_SAMPLE : threshold(value);
}

/** An item's randomness, reused from item to item: halves of a 56-bit value. */
interface Randomness {
  hi: number;
  lo: number;
}

/** Sets `r` from the 56 least significant bits of a 16-byte trace id; `false` when it is not one. */
function fromTraceId(id: Uint8Array | undefined, r: Randomness): boolean {
  if (!(id instanceof Uint8Array) || id.length !== 16) return false;
  let any = 0;
  for (let i = 0; i < 16; i++) any |= id[i] as number;
  if (any === 0) return false;
  r.hi = ((id[9] as number) << 16) | ((id[10] as number) << 8) | (id[11] as number);
  r.lo =
    (id[12] as number) * 0x1000000 +
    (((id[13] as number) << 16) | ((id[14] as number) << 8) | (id[15] as number));
  return true;
}

function set(r: Randomness, value: Unsigned56): void {
  r.hi = value.hi;
  r.lo = value.lo;
}

/** No randomness: all ones, as the Collector takes it, so only threshold 0 keeps the item. */
function missing(r: Randomness): void {
  r.hi = 0xffffff;
  r.lo = 0xffffffff;
}

const scratch: Randomness = { hi: 0, lo: 0 };

function sampleSpan(span: Span, sampler: Sampler, verdict: Verdict): Span | undefined {
  const priority = spanPriority(span.attributes);
  const r = scratch;
  const text = span.traceState;
  let state: ParsedTraceState | undefined = EMPTY_TRACE_STATE;
  if (typeof text === 'string' && text !== '') {
    const parsed = parseTraceState(text);
    state = typeof parsed === 'string' ? undefined : parsed;
  }
  let problem = state === undefined;
  if (state?.randomness !== undefined) set(r, state.randomness);
  else if (problem || !fromTraceId(span.traceId, r)) {
    missing(r);
    problem = true;
  }
  let incoming = state?.threshold;
  if (!problem && incoming !== undefined && !atLeast(r, incoming)) {
    // The threshold it arrived with contradicts its randomness: it is not written back, as the
    // specification says.
    incoming = undefined;
    problem = true;
  }
  let t = problem ? sampler.onError : sampler.decide(state?.th, incoming);
  if (priority === 0) t = NEVER_SAMPLE;
  else if (priority > 0) t = ALWAYS_SAMPLE;
  if (!atLeast(r, t)) {
    verdict.reason = problem && priority !== 0 ? SAMPLING_ERROR : SAMPLED_OUT;
    return undefined;
  }
  if (state === undefined) return span;
  if (state === EMPTY_TRACE_STATE) {
    const written = t === sampler.base ? sampler.baseTraceState : `ot=th:${t.tvalue}`;
    return written === text ? span : { ...span, traceState: written };
  }
  // A threshold is never lowered: that would claim a higher probability than an earlier stage used.
  const tvalue = incoming !== undefined && !atLeast(t, incoming) ? state.th : t.tvalue;
  const written = formatTraceState(state, tvalue);
  if (written === undefined || written === text) return span;
  return { ...span, traceState: written };
}

/**
 * The OpenTracing `sampling.priority` attribute of a span: 0 never sample, 1 always, -1 when
 * absent, negative or not a number (the decision is then the sampler's).
 */
function spanPriority(attributes: Attributes | undefined): number {
  const value = findAttribute(attributes, 'sampling.priority');
  if (value === undefined) return -1;
  const n = numeric(value);
  if (n === 0) return 0;
  return n > 0 ? 1 : -1;
}

/** A number from an attribute value: numbers, integers and numeric strings; NaN otherwise. */
function numeric(value: AnyValue | undefined): number {
  switch (typeof value) {
    case 'number':
      return value;
    case 'bigint':
      return Number(value);
    case 'string': {
      const text = value.trim();
      return text === value && text !== '' ? Number(text) : Number.NaN;
    }
    default:
      return Number.NaN;
  }
}

/** The resolved log options. */
interface LogSettings {
  readonly useTraceId: boolean;
  readonly fromAttribute: string | undefined;
  readonly seed: number;
  readonly priority: string | undefined;
}

const THRESHOLD_ATTRIBUTE = 'sampling.threshold';
const RANDOMNESS_ATTRIBUTE = 'sampling.randomness';

function sampleEntry(
  entry: LogEntry,
  sampler: Sampler,
  settings: LogSettings,
  verdict: Verdict,
): LogEntry | undefined {
  const record = entry.otlp;
  const r = scratch;
  // `broken`: the record's sampling attributes are malformed, so they are left as they are.
  let broken = false;
  let th: string | undefined;
  let incoming: Unsigned56 | undefined;
  let explicit: Unsigned56 | undefined;
  if (record !== undefined) {
    const thValue = findAttribute(record.attributes, THRESHOLD_ATTRIBUTE);
    if (typeof thValue === 'string' && thValue !== '') {
      th = thValue;
      incoming = parseTValue(thValue);
      if (incoming === undefined) broken = true;
    }
    const rv = findAttribute(record.attributes, RANDOMNESS_ATTRIBUTE);
    if (typeof rv === 'string' && rv !== '') {
      explicit = parseRValue(rv);
      if (explicit === undefined) broken = true;
    }
  }
  let problem = broken;
  if (broken) missing(r);
  else if (explicit !== undefined) set(r, explicit);
  else if (!(settings.useTraceId && fromTraceId(record?.traceId, r))) {
    const value = hashedValue(entry, settings);
    if (value === undefined) {
      missing(r);
      problem = true;
    } else set(r, hashedRandomness(value, settings.seed));
  }
  if (!problem && incoming !== undefined && !atLeast(r, incoming)) {
    // The threshold it arrived with contradicts its randomness: erase it.
    incoming = undefined;
    problem = true;
  }
  let t = problem ? sampler.onError : sampler.decide(th, incoming);
  if (settings.priority !== undefined) {
    const pct = numeric(entryValue(entry, settings.priority));
    const raised = pct > 0 ? probabilityToThreshold(Math.min(1, pct / 100), sampler.precision) : undefined;
    if (raised !== undefined && raised < t.value) t = threshold(raised);
  }
  if (!atLeast(r, t)) {
    verdict.reason = problem ? SAMPLING_ERROR : SAMPLED_OUT;
    return undefined;
  }
  if (record === undefined || broken) return entry;
  // A threshold is never lowered: that would claim a higher probability than an earlier stage used.
  if (incoming !== undefined && !atLeast(t, incoming)) return entry;
  const attributes = withAttribute(record.attributes, THRESHOLD_ATTRIBUTE, t.tvalue);
  if (attributes === record.attributes) return entry;
  return { ...entry, otlp: { ...record, attributes } };
}

/**
 * What an entry's randomness is hashed from: its `fromAttribute` value, else its line, as the
 * bytes the Collector hashes (a bytes value as it is, anything else as text).
 */
function hashedValue(entry: LogEntry, settings: LogSettings): string | Uint8Array | undefined {
  if (settings.fromAttribute !== undefined) {
    const value = entryValue(entry, settings.fromAttribute);
    if (value !== undefined && value !== null) return value instanceof Uint8Array ? value : valueText(value);
    if (!settings.useTraceId) return undefined;
  }
  return typeof entry.line === 'string' ? entry.line : undefined;
}

/** A named value of an entry: an OTLP record attribute, else structured metadata, else a label. */
function entryValue(entry: LogEntry, name: string): AnyValue | undefined {
  const fromRecord = findAttribute(entry.otlp?.attributes, name);
  if (fromRecord !== undefined) return fromRecord;
  return entry.structuredMetadata?.get(name) ?? entry.labels?.get(name);
}

function valueText(value: AnyValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? '';
  }
  return String(value);
}

/** The attributes with `key` set to the string `value` (the same list when it already is). */
function withAttribute(attributes: Attributes | undefined, key: string, value: string): Attributes {
  const list = attributes ?? [];
  const at = list.findIndex((kv) => kv.key === key);
  if (at >= 0 && list[at]?.value === value) return list;
  const entry: KeyValue = { key, value };
  if (at < 0) return [...list, entry];
  const out = list.slice();
  out[at] = entry;
  return out;
}

function percentageOption(component: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !(value >= 0)) {
    throw new ConfigError(
      component,
      'samplingPercentage',
      `must be a number from 0 to 100 (above 100 counts as 100), got ${describeValue(value)}`,
    );
  }
  return value;
}

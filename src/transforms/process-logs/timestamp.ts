/**
 * `timestamp`: Alloy's `stage.timestamp`. Sets the entry's timestamp from an extracted value,
 * parsed with a Go reference layout (`2006-01-02T15:04:05.000Z07:00`), one of Go's named
 * layouts (`RFC3339`, `RFC3339Nano`, `RFC1123`, `RFC1123Z`, `RFC822`, `RFC822Z`, `RFC850`,
 * `ANSIC`, `UnixDate`, `RubyDate`) or `Unix` (seconds, with an optional fraction), `UnixMs`,
 * `UnixUs`, `UnixNs`. `fallbackFormats` are tried in turn when `format` does not fit.
 *
 * When the value is missing or does not parse (an unparseable value also counts as a processing
 * error), `actionOnFailure` decides: `'fudge'` (the default) sets the timestamp to 1ns after the
 * last one parsed for the same label set, keeping lines in order, or leaves it alone when there
 * is none yet (the last 10,000 label sets are remembered); `'skip'` leaves it alone.
 */
import { ConfigError } from '../../core/errors.js';
import { valueToString } from './extracted.js';
import { isValidLocation, type TimestampParser, timestampParser } from './go-time.js';
import { describe, objectOption, requiredString } from './options.js';
import { type Stage, type StepInstance, stepStage } from './stage.js';

/** Options of {@link timestamp}. */
export interface TimestampStageOptions {
  /** The extracted key holding the time. */
  readonly source: string;
  /** A Go layout, a named layout such as `'RFC3339'`, or `'Unix'`, `'UnixMs'`, `'UnixUs'`, `'UnixNs'`. */
  readonly format: string;
  /** Formats to try, in order, when `format` does not fit. @defaultValue none */
  readonly fallbackFormats?: readonly string[];
  /**
   * An IANA location (`'Europe/Paris'`) for layouts without a zone. Named layouts ignore it.
   * @defaultValue UTC
   */
  readonly location?: string;
  /** What to do when the time is missing or does not parse. @defaultValue `'fudge'` */
  readonly actionOnFailure?: 'fudge' | 'skip';
}

/** Label sets whose last timestamp `'fudge'` remembers. */
const MAX_LAST_KNOWN = 10_000;

/**
 * Sets the timestamp from an extracted value.
 *
 * @example
 * ```ts
 * processLogs(
 *   json({ expressions: { time: 'ts' } }),
 *   timestamp({ source: 'time', format: 'RFC3339Nano', fallbackFormats: ['UnixMs'] }),
 * );
 * ```
 */
export function timestamp(options: TimestampStageOptions): Stage {
  const stage = 'timestamp';
  objectOption(stage, options);
  const source = requiredString(stage, 'source', options.source);
  const format = requiredString(stage, 'format', options.format);
  const location = options.location;
  if (location !== undefined && (typeof location !== 'string' || !isValidLocation(location))) {
    throw new ConfigError(
      stage,
      'location',
      `must be an IANA time zone such as 'Europe/Paris', got ${describe(location)}`,
    );
  }
  const fallbacks = options.fallbackFormats ?? [];
  if (!Array.isArray(fallbacks)) {
    throw new ConfigError(stage, 'fallbackFormats', `must be a list of formats, got ${describe(fallbacks)}`);
  }
  const parsers: TimestampParser[] = [format, ...fallbacks].map((f: unknown, i) =>
    timestampParser(requiredString(stage, i === 0 ? 'format' : `fallbackFormats[${i - 1}]`, f), location),
  );
  const action = options.actionOnFailure ?? 'fudge';
  if (action !== 'fudge' && action !== 'skip') {
    throw new ConfigError(stage, 'actionOnFailure', `must be 'fudge' or 'skip', got ${describe(action)}`);
  }
  const parse = (text: string): bigint | undefined => {
    for (const parser of parsers) {
      const parsed = parser(text);
      if (parsed !== undefined) return parsed;
    }
    return undefined;
  };
  return stepStage(stage, () => {
    const lastKnown = new LastKnown();
    const instance: StepInstance = {
      process(entry, run) {
        const text = valueToString(entry.extracted.get(source));
        const parsed = text === undefined ? undefined : parse(text);
        if (parsed !== undefined) {
          entry.timestampNs = parsed;
          if (action === 'fudge') lastKnown.set(entry.labels.key(), parsed);
          return undefined;
        }
        if (text !== undefined) run.problem(stage, `'${text}' is not a time in format ${format}`);
        if (action === 'fudge') {
          const key = entry.labels.key();
          const last = lastKnown.get(key);
          if (last !== undefined) {
            entry.timestampNs = last + 1n;
            lastKnown.set(key, last + 1n);
          }
        }
        return undefined;
      },
    };
    return instance;
  });
}

/** The last timestamp of the most recently used label sets (an LRU of {@link MAX_LAST_KNOWN}). */
class LastKnown {
  private readonly map = new Map<string, bigint>();
  private latest: string | undefined;

  get(key: string): bigint | undefined {
    return this.map.get(key);
  }

  set(key: string, value: bigint): void {
    const map = this.map;
    if (key === this.latest) {
      map.set(key, value);
      return;
    }
    map.delete(key);
    map.set(key, value);
    this.latest = key;
    if (map.size > MAX_LAST_KNOWN) map.delete(map.keys().next().value as string);
  }
}

/**
 * Log severities as the OpenTelemetry log data model numbers them: TRACE 1–4, DEBUG 5–8, INFO
 * 9–12, WARN 13–16, ERROR 17–20, FATAL 21–24, 0 when unknown. Reads them from an entry's OTLP
 * record, or from a level label (or structured metadata) as Loki pipelines write it.
 */
import type { LogEntry } from '../../core/signals.js';

/** A severity by name (the first number of its range, or with `max` the last) or by number, 1–24. */
export type SeverityInput = SeverityName | number;

/** The six severity ranges of the OpenTelemetry log data model, by their short names. */
export type SeverityName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** The first number of each named range. */
export const SEVERITY_NUMBERS: Readonly<Record<SeverityName, number>> = Object.freeze({
  trace: 1,
  debug: 5,
  info: 9,
  warn: 13,
  error: 17,
  fatal: 21,
});

/** Level words as they appear in log lines and labels, and their severity numbers. */
const WORDS: ReadonlyMap<string, number> = new Map([
  ['trace', 1],
  ['trc', 1],
  ['debug', 5],
  ['dbg', 5],
  ['info', 9],
  ['information', 9],
  ['informational', 9],
  ['inf', 9],
  ['notice', 10],
  ['warn', 13],
  ['warning', 13],
  ['wrn', 13],
  ['error', 17],
  ['err', 17],
  ['eror', 17],
  ['critical', 21],
  ['crit', 21],
  ['fatal', 21],
  ['ftl', 21],
  ['panic', 21],
  ['alert', 21],
  ['emerg', 21],
  ['emergency', 21],
]);

/**
 * The severity number a level word stands for: `info` 9, `WARN` 13, `error3` 19, `critical` 21,
 * and so on, case-insensitively; 0 when the word is not a level.
 */
export function severityFromText(text: string): number {
  if (text === '' || text.length > 16) return 0;
  const lower = text.toLowerCase();
  const known = WORDS.get(lower);
  if (known !== undefined) return known;
  // The data model's short names with a step: TRACE2 … FATAL4.
  const last = lower.charCodeAt(lower.length - 1) - 48;
  if (last >= 2 && last <= 4) {
    const base = SEVERITY_NUMBERS[lower.slice(0, -1) as SeverityName] as number | undefined;
    if (base !== undefined) return base + last - 1;
  }
  return 0;
}

/**
 * An entry's severity number: its OTLP record's `severityNumber`, else its `severityText`,
 * else the label (or structured metadata) `levelLabel` read as a level word; 0 when none says.
 */
export function entrySeverity(entry: LogEntry, levelLabel: string): number {
  const record = entry.otlp;
  if (record !== undefined) {
    const n = record.severityNumber;
    if (Number.isInteger(n) && n >= 1 && n <= 24) return n;
    if (typeof record.severityText === 'string') {
      const fromText = severityFromText(record.severityText);
      if (fromText > 0) return fromText;
    }
  }
  const level = entry.labels?.get(levelLabel) ?? entry.structuredMetadata?.get(levelLabel);
  return level === undefined ? 0 : severityFromText(level);
}

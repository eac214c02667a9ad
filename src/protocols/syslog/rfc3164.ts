/**
 * RFC 3164 (BSD) syslog messages: `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG`, read as
 * leniently as real senders need (rsyslog's templates, util-linux `logger`, network gear), and a
 * formatter for the canonical form.
 */
import {
  civilFromDays,
  civilSeconds,
  daysInMonth,
  describeAt,
  digitsAt,
  fail,
  pad2,
  priEnd,
  readClock,
  readPri,
  readRfc3339,
  toNs,
} from './common.js';
import { wallClockZone } from './time-zone.js';
import type { SyslogMessage, SyslogSdElement } from './types.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const NO_SD: readonly SyslogSdElement[] = Object.freeze([]);
/** The longest tag taken as one: RFC 3164 says 32, senders write longer. */
const MAX_TAG = 64;
const MAX_PID = 128;
const MS_PER_DAY = 86_400_000;
/** How far past now an inferred year may put a timestamp. */
const YEAR_AHEAD_MS = 7 * MS_PER_DAY;

/** Options of {@link parseRfc3164}. */
export interface Rfc3164Options {
  /**
   * The time zone of timestamps that carry no offset (all of RFC 3164's): an IANA name such as
   * `'Europe/Berlin'`, `'UTC'`, or `'Local'` for this process's zone.
   * @defaultValue `'UTC'`
   */
  readonly location?: string | undefined;
  /**
   * The time (milliseconds since the epoch) a year is inferred against: of the previous, this
   * and the next year, the latest that puts the timestamp no more than a week past it.
   * @defaultValue `Date.now()`
   */
  readonly nowMs?: number | undefined;
}

/**
 * Parses one RFC 3164 message (without framing). PRI is required. What follows is read as
 * leniently as common senders need:
 * - the timestamp is `Mmm dd hh:mm:ss` (day space- or zero-padded or neither, month in any case),
 *   optionally with a fraction of a second or a year before the time (`Mmm dd yyyy hh:mm:ss`),
 *   or RFC 3339 (rsyslog's `RSYSLOG_ForwardFormat`), with or without an offset; a message with
 *   no timestamp at all is accepted, and then has no hostname either;
 * - the year is inferred (see {@link Rfc3164Options.nowMs}) and times without an offset are read
 *   in {@link Rfc3164Options.location};
 * - the hostname is left out when the word after the timestamp is already the tag (`sshd[7]:`),
 *   as in messages from a local socket;
 * - the tag is `name`, `name:`, `name[pid]` or `name[pid]:`; without one (no colon or brackets
 *   after the first word) the whole rest is the message; one space after the colon is dropped.
 *
 * @throws SyslogParseError for a missing or invalid PRI, and dates that do not exist.
 *
 * @example
 * ```ts
 * const m = parseRfc3164('<34>Oct 11 22:14:15 mymachine su[42]: su root failed', { nowMs: Date.UTC(2024, 9, 12) });
 * m.appName; // 'su'
 * m.procId; // '42'
 * m.timestampNs; // 1728684855000000000n (2024-10-11T22:14:15Z)
 * ```
 */
export function parseRfc3164(text: string, options: Rfc3164Options = {}): SyslogMessage {
  const priority = readPri(text);
  let i = priEnd(priority);
  let timestampNs: bigint | undefined;
  let hostname: string | undefined;

  const stamp = readTimestamp(text, i, options);
  if (stamp !== undefined) {
    timestampNs = stamp.ns;
    i = stamp.end;
    if (i < text.length) {
      // Past the timestamp: one space (tolerating more), then the hostname unless the word
      // there is already the tag.
      while (text.charCodeAt(i) === 0x20) i++;
      const end = wordEnd(text, i);
      if (end > i && !looksLikeTag(text, i, end)) {
        hostname = text.slice(i, end);
        i = end < text.length ? end + 1 : end;
      }
    }
  }

  let appName: string | undefined;
  let procId: string | undefined;
  const tag = readTag(text, i);
  if (tag !== undefined) {
    appName = tag.name;
    procId = tag.pid;
    i = tag.end;
  }
  return {
    format: 'rfc3164',
    priority,
    facility: priority >> 3,
    severity: priority & 7,
    version: undefined,
    timestampNs,
    hostname,
    appName,
    procId,
    msgId: undefined,
    structuredData: NO_SD,
    message: text.slice(i),
  };
}

/** Options of {@link formatRfc3164}. */
export interface FormatRfc3164Options {
  /** The time zone the timestamp is written in. @defaultValue `'UTC'` */
  readonly location?: string | undefined;
}

/**
 * Writes a message as RFC 3164 (without framing): `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG`,
 * the day space-padded, the time in whole seconds in `location`. Parts that are `undefined` are
 * left out (with no timestamp, the hostname is left out too, as a reader could not find it).
 *
 * @throws RangeError for a priority out of range, or a hostname, tag or pid a reader would split.
 */
export function formatRfc3164(
  message: Pick<SyslogMessage, 'priority' | 'timestampNs' | 'hostname' | 'appName' | 'procId' | 'message'>,
  options: FormatRfc3164Options = {},
): string {
  const { priority } = message;
  if (!Number.isInteger(priority) || priority < 0 || priority > 191)
    throw new RangeError(`priority must be an integer from 0 to 191, got ${priority}`);
  let out = `<${priority}>`;
  if (message.timestampNs !== undefined) {
    const zone = wallClockZone(options.location ?? 'UTC');
    const utcMs = Number(message.timestampNs / 1_000_000n);
    const wall = zone.toWallMs(utcMs - (((utcMs % 1000) + 1000) % 1000));
    const days = Math.floor(wall / MS_PER_DAY);
    const seconds = Math.floor((wall - days * MS_PER_DAY) / 1000);
    const { month, day } = civilFromDays(days);
    out += `${MONTH_NAMES[month - 1]} ${day < 10 ? ` ${day}` : day} ${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor((seconds % 3600) / 60))}:${pad2(seconds % 60)} `;
    if (message.hostname !== undefined) {
      if (!/^[\x21-\x7e]+$/.test(message.hostname) || /[:[\]]/.test(message.hostname))
        throw new RangeError(
          `hostname must be printable ASCII without ':', '[' or ']', got '${message.hostname}'`,
        );
      out += `${message.hostname} `;
    }
  }
  if (message.appName !== undefined) {
    if (!/^[\x21-\x39\x3b-\x5a\x5c\x5e-\x7e]+$/.test(message.appName) || message.appName.length > MAX_TAG)
      throw new RangeError(
        `appName must be 1 to ${MAX_TAG} printable ASCII characters without ':', '[' or ']', got '${message.appName}'`,
      );
    out += message.appName;
    if (message.procId !== undefined) {
      if (!/^[\x21-\x5c\x5e-\x7e]+$/.test(message.procId) || message.procId.length > MAX_PID)
        throw new RangeError(
          `procId must be 1 to ${MAX_PID} printable ASCII characters without ']', got '${message.procId}'`,
        );
      out += `[${message.procId}]`;
    }
    out += ': ';
  }
  return out + message.message;
}

/** The end of the word at `at` (the next space, or the end). */
function wordEnd(text: string, at: number): number {
  const space = text.indexOf(' ', at);
  return space < 0 ? text.length : space;
}

/** Whether the word `[at, end)` is a tag (`name:` or `name[pid]...`) rather than a hostname. */
function looksLikeTag(text: string, at: number, end: number): boolean {
  const last = text.charCodeAt(end - 1);
  if (last === 0x3a /* : */) return true;
  const bracket = text.indexOf('[', at);
  return bracket > at && bracket < end && (last === 0x5d || text.indexOf(']:', bracket) === end - 2);
}

/** Reads `name[pid]:`, `name[pid]`, `name:` at `at`; `undefined` when the text has no tag there. */
function readTag(
  text: string,
  at: number,
): { name: string; pid: string | undefined; end: number } | undefined {
  let i = at;
  for (; i < text.length && i - at <= MAX_TAG; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x3a || code === 0x5b) break;
    if (code < 0x21 || code > 0x7e || code === 0x5d) return undefined;
  }
  if (i === at || i - at > MAX_TAG || i >= text.length) return undefined;
  const name = text.slice(at, i);
  let pid: string | undefined;
  if (text.charCodeAt(i) === 0x5b) {
    const start = i + 1;
    let j = start;
    for (; j < text.length && j - start <= MAX_PID; j++) {
      const code = text.charCodeAt(j);
      if (code === 0x5d) break;
      if (code < 0x21 || code > 0x7e) return undefined;
    }
    if (j === start || j >= text.length || text.charCodeAt(j) !== 0x5d) return undefined;
    pid = text.slice(start, j);
    i = j + 1;
    // `name[pid]` followed by a space or the end is a tag without its colon.
    if (i >= text.length) return { name, pid, end: i };
    if (text.charCodeAt(i) === 0x20) return { name, pid, end: i + 1 };
    if (text.charCodeAt(i) !== 0x3a) return undefined;
  }
  i++; // the colon
  if (text.charCodeAt(i) === 0x20) i++;
  return { name, pid, end: i };
}

/** Reads the timestamp at `at`, if there is one; ends after it (not after the space). */
function readTimestamp(
  text: string,
  at: number,
  options: Rfc3164Options,
): { ns: bigint; end: number } | undefined {
  const first = text.charCodeAt(at);
  if (first >= 0x30 && first <= 0x39) {
    // RFC 3339, as rsyslog's RSYSLOG_ForwardFormat writes it. Digits that are not a date are
    // the start of the message.
    if (digitsAt(text, at, 4) < 0 || text.charCodeAt(at + 4) !== 0x2d) return undefined;
    const wall = readRfc3339(text, at, false);
    if (wall.end < text.length && text.charCodeAt(wall.end) !== 0x20)
      fail(`expected a space after the timestamp, got ${describeAt(text, wall.end)}`, wall.end);
    const seconds = civilSeconds(wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second);
    if (wall.offsetMinutes !== undefined)
      return { ns: toNs(seconds - wall.offsetMinutes * 60, wall.fractionNs), end: wall.end };
    const zone = wallClockZone(options.location ?? 'UTC');
    return { ns: toNs(zone.toUtcMs(seconds * 1000) / 1000, wall.fractionNs), end: wall.end };
  }
  const month = monthAt(text, at);
  if (month === 0 || text.charCodeAt(at + 3) !== 0x20) return undefined;
  // The day: ' 1', '01', '1' or '11'. Text that does not have the shape of a timestamp is the
  // start of the message; a timestamp's shape with impossible values is an error.
  let i = at + 4;
  if (text.charCodeAt(i) === 0x20) i++;
  const dayStart = i;
  const twoDigits = digitsAt(text, i, 2);
  const day = twoDigits >= 0 ? twoDigits : digitsAt(text, i, 1);
  if (day < 0) return undefined;
  i += twoDigits >= 0 ? 2 : 1;
  if (text.charCodeAt(i) !== 0x20) return undefined;
  i++;
  // A year before the time: 'Mmm dd yyyy hh:mm:ss'.
  let year: number | undefined;
  if (text.charCodeAt(i + 4) === 0x20 && digitsAt(text, i, 4) >= 0 && isClockAt(text, i + 5)) {
    year = digitsAt(text, i, 4);
    i += 5;
  }
  if (!isClockAt(text, i)) return undefined;
  if (day < 1 || day > 31) fail(`day ${day} is out of range`, dayStart);
  const clock = readClock(text, i);
  let end = clock.end;
  // Network gear writes 'Mmm dd hh:mm:ss:' or 'Mmm dd hh:mm:ss.mmm:'.
  if (text.charCodeAt(end) === 0x3a) end++;
  if (end < text.length && text.charCodeAt(end) !== 0x20)
    fail(`expected a space after the timestamp, got ${describeAt(text, end)}`, end);
  const zone = wallClockZone(options.location ?? 'UTC');
  let utcMs: number;
  if (year !== undefined) {
    if (day > daysInMonth(year, month)) fail(`day ${day} is not in month ${month} of ${year}`, dayStart);
    utcMs = zone.toUtcMs(civilSeconds(year, month, day, clock.hour, clock.minute, clock.second) * 1000);
  } else {
    utcMs = inferYear(month, day, clock, zone.toUtcMs, options.nowMs ?? Date.now(), dayStart);
  }
  return { ns: toNs(utcMs / 1000, clock.fractionNs), end };
}

/**
 * Of last, this and next year, the latest at which the wall time is at most a week past `nowMs`
 * (a sender's clock may run a little ahead; logs do not come from months ahead).
 */
function inferYear(
  month: number,
  day: number,
  clock: { hour: number; minute: number; second: number },
  toUtcMs: (wallMs: number) => number,
  nowMs: number,
  at: number,
): number {
  const nowYear = civilFromDays(Math.floor(nowMs / MS_PER_DAY)).year;
  let latest: number | undefined;
  let earliest: number | undefined;
  for (let year = nowYear - 1; year <= nowYear + 1; year++) {
    if (day > daysInMonth(year, month)) continue;
    const utcMs = toUtcMs(civilSeconds(year, month, day, clock.hour, clock.minute, clock.second) * 1000);
    earliest ??= utcMs;
    if (utcMs <= nowMs + YEAR_AHEAD_MS) latest = utcMs;
  }
  const chosen = latest ?? earliest;
  if (chosen === undefined)
    fail(`day ${day} is not in month ${month} of ${nowYear - 1} to ${nowYear + 1}`, at);
  return chosen;
}

/** Whether `hh:mm:ss` (digits and colons, values unchecked) is at `at`. */
function isClockAt(text: string, at: number): boolean {
  return (
    digitsAt(text, at, 2) >= 0 &&
    text.charCodeAt(at + 2) === 0x3a &&
    digitsAt(text, at + 3, 2) >= 0 &&
    text.charCodeAt(at + 5) === 0x3a &&
    digitsAt(text, at + 6, 2) >= 0
  );
}

/** The month (1 to 12) named by three letters at `at`, in any case, or 0. */
function monthAt(text: string, at: number): number {
  if (at + 3 > text.length) return 0;
  const name = text.slice(at, at + 3).toLowerCase();
  return MONTHS.indexOf(name) + 1;
}

/**
 * What both syslog formats share: the PRI part, RFC 3339 timestamps read to the nanosecond, and
 * civil dates turned into epoch time without `Date`'s limits (years 0 to 99 included).
 */
import { SyslogParseError } from './types.js';

const NS_PER_SECOND = 1_000_000_000n;
const FRACTION_SCALE = [1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 100, 10, 1];

/** Throws a {@link SyslogParseError}. */
export function fail(reason: string, offset: number): never {
  throw new SyslogParseError(reason, offset);
}

/** A character (or the end) for an error message. */
export function describeAt(text: string, offset: number): string {
  if (offset >= text.length) return 'the end of the message';
  const code = text.charCodeAt(offset);
  if (code >= 0x21 && code <= 0x7e) return `'${text[offset]}'`;
  return `character 0x${code.toString(16).padStart(2, '0')}`;
}

/**
 * Reads `<PRI>` at the start of `text`: one to three digits without leading zeros, 0 to 191.
 * Returns the priority; the part after `>` starts at {@link priEnd}.
 */
export function readPri(text: string): number {
  if (text.charCodeAt(0) !== 0x3c /* < */)
    fail(`expected '<' to open the priority, got ${describeAt(text, 0)}`, 0);
  let value = 0;
  let i = 1;
  for (; i < text.length && i <= 4; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) break;
    value = value * 10 + (code - 0x30);
  }
  const digits = i - 1;
  if (digits === 0) fail(`expected a priority (0 to 191) after '<', got ${describeAt(text, 1)}`, 1);
  if (digits > 3) fail('the priority has more than three digits', 1);
  if (digits > 1 && text.charCodeAt(1) === 0x30) fail('the priority has a leading zero', 1);
  if (value > 191) fail(`priority ${value} is out of range (0 to 191)`, 1);
  if (text.charCodeAt(i) !== 0x3e /* > */)
    fail(`expected '>' to close the priority, got ${describeAt(text, i)}`, i);
  return value;
}

/** Where the text after `<PRI>` starts, once {@link readPri} has accepted it. */
export function priEnd(priority: number): number {
  return priority < 10 ? 3 : priority < 100 ? 4 : 5;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1 to 12). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The civil date of a day count since 1970-01-01. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Days in a month of a year. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Seconds since the epoch of a wall-clock time read as UTC. */
export function civilSeconds(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  return daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

/** Nanoseconds since the epoch from whole seconds and a fraction in nanoseconds. */
export function toNs(seconds: number, fractionNs: number): bigint {
  return BigInt(Math.floor(seconds)) * NS_PER_SECOND + BigInt(fractionNs);
}

/** The value of `count` ASCII digits at `at`, or -1 when any of them is not a digit. */
export function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const code = text.charCodeAt(i);
    // Past the end charCodeAt gives NaN, which no comparison holds for.
    if (!(code >= 0x30 && code <= 0x39)) return -1;
    value = value * 10 + (code - 0x30);
  }
  return value;
}

/** A time read from text, before any time zone is applied. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** The fraction of the second in nanoseconds. */
  fractionNs: number;
  /** The offset east of UTC in minutes, or `undefined` when the text has none. */
  offsetMinutes: number | undefined;
  /** Where the timestamp ends. */
  end: number;
}

/**
 * Reads an RFC 3339 timestamp at `at`: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, with up to
 * nine fraction digits (RFC 5424 allows six; more are kept to the nanosecond). With
 * `offsetRequired` false the offset may be missing (RFC 3164 senders that write local time).
 */
export function readRfc3339(text: string, at: number, offsetRequired: boolean): WallTime {
  const year = digitsAt(text, at, 4);
  if (year < 0 || text.charCodeAt(at + 4) !== 0x2d) fail('expected a date as YYYY-MM-DD', at);
  const month = digitsAt(text, at + 5, 2);
  if (month < 0 || text.charCodeAt(at + 7) !== 0x2d) fail('expected a date as YYYY-MM-DD', at);
  const day = digitsAt(text, at + 8, 2);
  if (day < 0) fail('expected a date as YYYY-MM-DD', at);
  checkDate(year, month, day, at);
  if (text.charCodeAt(at + 10) !== 0x54 /* T */)
    fail(`expected 'T' between date and time, got ${describeAt(text, at + 10)}`, at + 10);
  const clock = readClock(text, at + 11);
  let i = clock.end;
  let offsetMinutes: number | undefined;
  const sign = text.charCodeAt(i);
  if (sign === 0x5a /* Z */) {
    offsetMinutes = 0;
    i++;
  } else if (sign === 0x2b /* + */ || sign === 0x2d /* - */) {
    const hours = digitsAt(text, i + 1, 2);
    const minutes = digitsAt(text, i + 4, 2);
    if (hours < 0 || minutes < 0 || text.charCodeAt(i + 3) !== 0x3a)
      fail('expected a time offset as +HH:MM or -HH:MM', i);
    if (hours > 23 || minutes > 59) fail(`time offset ${text.slice(i, i + 6)} is out of range`, i);
    offsetMinutes = (sign === 0x2d ? -1 : 1) * (hours * 60 + minutes);
    i += 6;
  } else if (offsetRequired) {
    fail(`expected a time offset ('Z', +HH:MM or -HH:MM), got ${describeAt(text, i)}`, i);
  }
  return {
    year,
    month,
    day,
    hour: clock.hour,
    minute: clock.minute,
    second: clock.second,
    fractionNs: clock.fractionNs,
    offsetMinutes,
    end: i,
  };
}

/** Reads `HH:MM:SS[.fraction]` at `at`. */
export function readClock(
  text: string,
  at: number,
): { hour: number; minute: number; second: number; fractionNs: number; end: number } {
  const hour = digitsAt(text, at, 2);
  const minute = digitsAt(text, at + 3, 2);
  const second = digitsAt(text, at + 6, 2);
  if (
    hour < 0 ||
    minute < 0 ||
    second < 0 ||
    text.charCodeAt(at + 2) !== 0x3a ||
    text.charCodeAt(at + 5) !== 0x3a
  )
    fail('expected a time as HH:MM:SS', at);
  if (hour > 23 || minute > 59 || second > 59) fail(`time ${text.slice(at, at + 8)} is out of range`, at);
  let i = at + 8;
  let fractionNs = 0;
  if (text.charCodeAt(i) === 0x2e /* . */) {
    const start = ++i;
    let value = 0;
    for (; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < 0x30 || code > 0x39) break;
      if (i - start >= 9) fail('the fraction of a second has more than nine digits', start);
      value = value * 10 + (code - 0x30);
    }
    const digits = i - start;
    if (digits === 0) fail("expected digits after '.' in the time", start);
    fractionNs = value * (FRACTION_SCALE[digits] as number);
  }
  return { hour, minute, second, fractionNs, end: i };
}

/** Checks a date's month and day. */
export function checkDate(year: number, month: number, day: number, at: number): void {
  if (month < 1 || month > 12) fail(`month ${month} is out of range`, at);
  if (day < 1 || day > daysInMonth(year, month)) fail(`day ${day} is not in month ${month} of ${year}`, at);
}

/** Formats nanoseconds since the epoch as RFC 3339 in UTC, with 6 or 9 fraction digits as needed. */
export function formatRfc3339(ns: bigint): string {
  let seconds = ns / NS_PER_SECOND;
  let fraction = ns % NS_PER_SECOND;
  if (fraction < 0n) {
    fraction += NS_PER_SECOND;
    seconds -= 1n;
  }
  const total = Number(seconds);
  const days = Math.floor(total / 86400);
  const rest = total - days * 86400;
  const { year, month, day } = civilFromDays(days);
  const time = `${pad2(Math.floor(rest / 3600))}:${pad2(Math.floor((rest % 3600) / 60))}:${pad2(rest % 60)}`;
  let frac = '';
  if (fraction !== 0n) {
    const nine = fraction.toString().padStart(9, '0');
    frac = `.${nine.endsWith('000') ? nine.slice(0, 6) : nine}`;
  }
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}T${time}${frac}Z`;
}

export function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

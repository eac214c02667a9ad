/**
 * Timestamp parsing as Alloy's `stage.timestamp` does it, which is Go's `time.Parse` with
 * reference layouts (`2006-01-02T15:04:05.000Z07:00`), the named layouts of Go's `time`
 * package, and `Unix`, `UnixMs`, `UnixUs`, `UnixNs`. Results are exact nanoseconds since the
 * Unix epoch, as a bigint.
 *
 * The layout parser is a port of Go's `nextStdChunk` and `parse`: the same elements, the same
 * leniency (a fractional second after the seconds even when the layout has none, one- or
 * two-digit fields where the layout is not zero-padded, runs of spaces) and the same range
 * checks. Where Go consults the system's zone database this uses the platform's (`Intl`):
 *
 * - a `location` (IANA name such as `America/New_York`) applies to layouts without a zone, as
 *   `time.ParseInLocation`; named layouts ignore it, as in Alloy;
 * - a zone abbreviation (`MST` in the layout) is UTC for `UTC`, the location's own abbreviation
 *   when `location` is set and names it, and otherwise read as UTC with the wall clock kept, as
 *   Go does with abbreviations it does not know;
 * - a layout without a year (`Jan _2 15:04:05`) takes the current year (UTC), or the previous one
 *   for a December time read in January, as Alloy does.
 */

/** Go's named layouts that Alloy accepts by name. */
export const NAMED_LAYOUTS: Readonly<Record<string, string>> = {
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
};

/** A parser: nanoseconds since the epoch, or `undefined` when the text does not fit. */
export type TimestampParser = (text: string) => bigint | undefined;

/**
 * Makes a parser for an Alloy timestamp `format`: a named layout, a Unix format or a Go
 * reference layout. `location` is checked by the caller with {@link isValidLocation}.
 */
export function timestampParser(format: string, location?: string, now = Date.now): TimestampParser {
  switch (format) {
    case 'Unix':
      return parseUnix;
    case 'UnixMs':
      return (text) => parseUnixScaled(text, 1_000_000n);
    case 'UnixUs':
      return (text) => parseUnixScaled(text, 1_000n);
    case 'UnixNs':
      return (text) => parseUnixScaled(text, 1n);
  }
  const named = NAMED_LAYOUTS[format];
  if (named !== undefined) {
    const layout = compileLayout(named);
    if (format === 'RFC3339' || format === 'RFC3339Nano') {
      return (text) => parseRfc3339(text) ?? instantOf(parseLayout(layout, text), undefined);
    }
    return (text) => instantOf(parseLayout(layout, text), undefined);
  }
  const layout = compileLayout(format);
  const zone = location === undefined || location === 'UTC' || location === '' ? undefined : location;
  if (!format.includes('06') && !format.includes('2006')) {
    return (text) => {
      const fields = parseLayout(layout, text);
      if (fields === undefined) return undefined;
      const current = new Date(now());
      let year = current.getUTCFullYear();
      if (fields.month === 12 && current.getUTCMonth() === 0) year--;
      return instantOf({ ...fields, year }, zone);
    };
  }
  return (text) => instantOf(parseLayout(layout, text), zone);
}

/** Whether `name` is a location Go's `time.LoadLocation` would find (`UTC`, `Local` or IANA). */
export function isValidLocation(name: string): boolean {
  if (name === '' || name === 'UTC' || name === 'Local') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const INT = /^[+-]?\d+$/;
const INT64_MAX = 9223372036854775807n;

function parseInt64(text: string): bigint | undefined {
  if (!INT.test(text)) return undefined;
  const value = BigInt(text);
  return value > INT64_MAX || value < -INT64_MAX - 1n ? undefined : value;
}

function parseUnix(text: string): bigint | undefined {
  const dot = text.indexOf('.');
  if (dot >= 0 && text.indexOf('.', dot + 1) < 0) {
    const seconds = parseInt64(text.slice(0, dot));
    const fractionText = text.slice(dot + 1);
    const fraction = parseInt64(fractionText);
    if (seconds === undefined || fraction === undefined) return undefined;
    const digits = fractionText.replace(/^[+-]/, '').length;
    // Go scales the fraction as a float64: exact up to nine digits, truncated beyond.
    const nanos =
      digits <= 9
        ? fraction * 10n ** BigInt(9 - digits)
        : BigInt(Math.trunc(Number(fraction) * 10 ** (9 - digits)));
    return seconds * 1_000_000_000n + nanos;
  }
  const seconds = parseInt64(text);
  return seconds === undefined ? undefined : seconds * 1_000_000_000n;
}

function parseUnixScaled(text: string, scale: bigint): bigint | undefined {
  const value = parseInt64(text);
  return value === undefined ? undefined : value * scale;
}

/** The parts of a parsed time, before its zone is applied. */
interface Fields {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly nanos: number;
  /** 'utc' for `Z` or `UTC`, a number for a numeric offset (seconds east), a string for an abbreviation. */
  readonly zone: 'utc' | number | string | undefined;
}

/** The digit at `i` of `text`, or a large negative number so that sums of digits go negative. */
function digitAt(text: string, i: number): number {
  const d = text.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -100_000;
}

/** Two digits at `i`, or a negative number. */
function twoDigits(text: string, i: number): number {
  return digitAt(text, i) * 10 + digitAt(text, i + 1);
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, the common case, without the general parser.
 * (No closures here: a closure made per call costs more than the parse.)
 */
function parseRfc3339(text: string): bigint | undefined {
  const n = text.length;
  if (
    n < 20 ||
    text.charCodeAt(4) !== 45 /* - */ ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 /* T */ ||
    text.charCodeAt(13) !== 58 /* : */ ||
    text.charCodeAt(16) !== 58
  ) {
    return undefined;
  }
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if (
    year < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysIn(month, year) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  ) {
    return undefined;
  }
  let at = 19;
  let nanos = 0;
  if (text.charCodeAt(at) === 46 /* . */) {
    at++;
    const start = at;
    let digits = 0;
    while (at < n) {
      const d = text.charCodeAt(at) - 48;
      if (d < 0 || d > 9) break;
      if (digits < 9) {
        nanos = nanos * 10 + d;
        digits++;
      }
      at++;
    }
    if (at === start) return undefined;
    for (; digits < 9; digits++) nanos *= 10;
  }
  let offset = 0;
  const sign = text.charCodeAt(at);
  if (sign === 90 /* Z */ && at + 1 === n) {
    offset = 0;
  } else if ((sign === 43 || sign === 45) && at + 6 === n && text.charCodeAt(at + 3) === 58) {
    const oh = twoDigits(text, at + 1);
    const om = twoDigits(text, at + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
    offset = (oh * 60 + om) * 60 * (sign === 45 ? -1 : 1);
  } else {
    return undefined;
  }
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
}

enum Std {
  None,
  LongMonth,
  Month,
  NumMonth,
  ZeroMonth,
  LongWeekDay,
  WeekDay,
  Day,
  UnderDay,
  ZeroDay,
  UnderYearDay,
  ZeroYearDay,
  Hour,
  Hour12,
  ZeroHour12,
  Minute,
  ZeroMinute,
  Second,
  ZeroSecond,
  LongYear,
  Year,
  PM,
  pm,
  TZ,
  ISO8601TZ,
  ISO8601SecondsTZ,
  ISO8601ShortTZ,
  ISO8601ColonTZ,
  ISO8601ColonSecondsTZ,
  NumTZ,
  NumSecondsTz,
  NumShortTZ,
  NumColonTZ,
  NumColonSecondsTZ,
  FracSecond0,
  FracSecond9,
}

/** One element of a layout: literal text before it, and the element (with its digit count for fractions). */
interface Chunk {
  readonly prefix: string;
  readonly std: Std;
  readonly digits: number;
}

/** A layout split into elements once. */
type Layout = readonly Chunk[];

const ZERO_STD = [Std.ZeroMonth, Std.ZeroDay, Std.ZeroHour12, Std.ZeroMinute, Std.ZeroSecond, Std.Year];

/** Go's `nextStdChunk`: the literal prefix, the element, and the rest of the layout. */
function nextStdChunk(layout: string): [string, Std, number, string] {
  const has = (i: number, text: string): boolean => layout.startsWith(text, i);
  for (let i = 0; i < layout.length; i++) {
    const c = layout[i] as string;
    switch (c) {
      case 'J':
        if (has(i, 'Jan')) {
          if (has(i, 'January')) return [layout.slice(0, i), Std.LongMonth, 0, layout.slice(i + 7)];
          if (!startsWithLower(layout, i + 3)) return [layout.slice(0, i), Std.Month, 0, layout.slice(i + 3)];
        }
        break;
      case 'M':
        if (has(i, 'Mon')) {
          if (has(i, 'Monday')) return [layout.slice(0, i), Std.LongWeekDay, 0, layout.slice(i + 6)];
          if (!startsWithLower(layout, i + 3))
            return [layout.slice(0, i), Std.WeekDay, 0, layout.slice(i + 3)];
        }
        if (has(i, 'MST')) return [layout.slice(0, i), Std.TZ, 0, layout.slice(i + 3)];
        break;
      case '0': {
        const next = layout[i + 1];
        if (next !== undefined && next >= '1' && next <= '6') {
          return [layout.slice(0, i), ZERO_STD[next.charCodeAt(0) - 49] as Std, 0, layout.slice(i + 2)];
        }
        if (has(i, '002')) return [layout.slice(0, i), Std.ZeroYearDay, 0, layout.slice(i + 3)];
        break;
      }
      case '1':
        if (layout[i + 1] === '5') return [layout.slice(0, i), Std.Hour, 0, layout.slice(i + 2)];
        return [layout.slice(0, i), Std.NumMonth, 0, layout.slice(i + 1)];
      case '2':
        if (has(i, '2006')) return [layout.slice(0, i), Std.LongYear, 0, layout.slice(i + 4)];
        return [layout.slice(0, i), Std.Day, 0, layout.slice(i + 1)];
      case '_':
        if (layout[i + 1] === '2') {
          if (has(i + 1, '2006')) return [layout.slice(0, i + 1), Std.LongYear, 0, layout.slice(i + 5)];
          return [layout.slice(0, i), Std.UnderDay, 0, layout.slice(i + 2)];
        }
        if (has(i, '__2')) return [layout.slice(0, i), Std.UnderYearDay, 0, layout.slice(i + 3)];
        break;
      case '3':
        return [layout.slice(0, i), Std.Hour12, 0, layout.slice(i + 1)];
      case '4':
        return [layout.slice(0, i), Std.Minute, 0, layout.slice(i + 1)];
      case '5':
        return [layout.slice(0, i), Std.Second, 0, layout.slice(i + 1)];
      case 'P':
        if (layout[i + 1] === 'M') return [layout.slice(0, i), Std.PM, 0, layout.slice(i + 2)];
        break;
      case 'p':
        if (layout[i + 1] === 'm') return [layout.slice(0, i), Std.pm, 0, layout.slice(i + 2)];
        break;
      case '-':
        if (has(i, '-070000')) return [layout.slice(0, i), Std.NumSecondsTz, 0, layout.slice(i + 7)];
        if (has(i, '-07:00:00')) return [layout.slice(0, i), Std.NumColonSecondsTZ, 0, layout.slice(i + 9)];
        if (has(i, '-0700')) return [layout.slice(0, i), Std.NumTZ, 0, layout.slice(i + 5)];
        if (has(i, '-07:00')) return [layout.slice(0, i), Std.NumColonTZ, 0, layout.slice(i + 6)];
        if (has(i, '-07')) return [layout.slice(0, i), Std.NumShortTZ, 0, layout.slice(i + 3)];
        break;
      case 'Z':
        if (has(i, 'Z070000')) return [layout.slice(0, i), Std.ISO8601SecondsTZ, 0, layout.slice(i + 7)];
        if (has(i, 'Z07:00:00'))
          return [layout.slice(0, i), Std.ISO8601ColonSecondsTZ, 0, layout.slice(i + 9)];
        if (has(i, 'Z0700')) return [layout.slice(0, i), Std.ISO8601TZ, 0, layout.slice(i + 5)];
        if (has(i, 'Z07:00')) return [layout.slice(0, i), Std.ISO8601ColonTZ, 0, layout.slice(i + 6)];
        if (has(i, 'Z07')) return [layout.slice(0, i), Std.ISO8601ShortTZ, 0, layout.slice(i + 3)];
        break;
      case '.':
      case ',': {
        const ch = layout[i + 1];
        if (ch === '0' || ch === '9') {
          let j = i + 1;
          while (j < layout.length && layout[j] === ch) j++;
          if (!isDigitAt(layout, j)) {
            return [
              layout.slice(0, i),
              ch === '0' ? Std.FracSecond0 : Std.FracSecond9,
              j - (i + 1),
              layout.slice(j),
            ];
          }
        }
        break;
      }
    }
  }
  return [layout, Std.None, 0, ''];
}

function compileLayout(layout: string): Layout {
  const chunks: Chunk[] = [];
  let rest = layout;
  for (;;) {
    const [prefix, std, digits, suffix] = nextStdChunk(rest);
    chunks.push({ prefix, std, digits });
    if (std === Std.None) return chunks;
    rest = suffix;
  }
}

const SHORT_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LONG_MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const SHORT_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** A cursor over the value being parsed. */
class Cursor {
  constructor(
    public text: string,
    public at = 0,
  ) {}
  get rest(): number {
    return this.text.length - this.at;
  }
  char(offset = 0): string | undefined {
    return this.text[this.at + offset];
  }
  digit(offset = 0): number {
    const d = this.text.charCodeAt(this.at + offset) - 48;
    return d >= 0 && d <= 9 ? d : -1;
  }
}

/** Go's `getnum`: one or two digits (exactly two when `fixed`), or -1. */
function getnum(cursor: Cursor, fixed: boolean): number {
  const first = cursor.digit();
  if (first < 0) return -1;
  const second = cursor.digit(1);
  if (second < 0) {
    if (fixed) return -1;
    cursor.at++;
    return first;
  }
  cursor.at += 2;
  return first * 10 + second;
}

/** Go's `getnum3`: one to three digits (exactly three when `fixed`), or -1. */
function getnum3(cursor: Cursor, fixed: boolean): number {
  let n = 0;
  let i = 0;
  for (; i < 3; i++) {
    const d = cursor.digit(i);
    if (d < 0) break;
    n = n * 10 + d;
  }
  if (i === 0 || (fixed && i !== 3)) return -1;
  cursor.at += i;
  return n;
}

/** Go's `lookup`: the index of the first name the value starts with, ignoring ASCII case, or -1. */
function lookup(names: readonly string[], cursor: Cursor): number {
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    if (
      cursor.rest >= name.length &&
      cursor.text.substr(cursor.at, name.length).toLowerCase() === name.toLowerCase()
    ) {
      cursor.at += name.length;
      return i;
    }
  }
  return -1;
}

/** Go's `skip`: matches literal layout text, a space matching any run of spaces. */
function skip(cursor: Cursor, prefix: string): boolean {
  let p = 0;
  while (p < prefix.length) {
    if (prefix[p] === ' ') {
      if (cursor.rest > 0 && cursor.char() !== ' ') return false;
      while (p < prefix.length && prefix[p] === ' ') p++;
      while (cursor.char() === ' ') cursor.at++;
      continue;
    }
    if (cursor.rest === 0 || cursor.char() !== prefix[p]) return false;
    p++;
    cursor.at++;
  }
  return true;
}

/** Go's `parseNanoseconds`: `.ddd` of `length` characters (the separator included). */
function parseNanoseconds(cursor: Cursor, length: number): number {
  const separator = cursor.char();
  if (separator !== '.' && separator !== ',') return -1;
  const used = Math.min(length, 10);
  let nanos = 0;
  for (let i = 1; i < used; i++) {
    const d = cursor.digit(i);
    if (d < 0) return -1;
    nanos = nanos * 10 + d;
  }
  for (let i = used; i < 10; i++) nanos *= 10;
  cursor.at += length;
  return nanos;
}

/** Go's `parseTimeZone`: the length of a zone abbreviation at the cursor, or 0. */
function timeZoneLength(cursor: Cursor): number {
  if (cursor.rest < 3) return 0;
  const text = cursor.text.slice(cursor.at);
  if (text.startsWith('ChST') || text.startsWith('MeST')) return 4;
  if (text.startsWith('GMT')) return 3 + signedOffsetLength(text.slice(3));
  if (text[0] === '+' || text[0] === '-') return signedOffsetLength(text);
  let upper = 0;
  while (upper < 6 && upper < text.length && text[upper] !== undefined && /[A-Z]/.test(text[upper] as string))
    upper++;
  if (upper === 3) return 3;
  if (upper === 4 && (text[3] === 'T' || text.startsWith('WITA'))) return 4;
  if (upper === 5 && text[4] === 'T') return 5;
  return 0;
}

function signedOffsetLength(text: string): number {
  if (text === '') return 0;
  if (text[0] !== '+' && text[0] !== '-') return 0;
  let i = 1;
  let value = 0;
  while (i < text.length && isDigitAt(text, i)) {
    value = value * 10 + (text.charCodeAt(i) - 48);
    i++;
  }
  if (i === 1 || value > 23) return 0;
  return i;
}

/** Go's `parse`, up to the zone: the fields, or `undefined` when the value does not fit the layout. */
function parseLayout(layout: Layout, text: string): Fields | undefined {
  const cursor = new Cursor(text);
  let year = 0;
  let month = -1;
  let day = -1;
  let yday = -1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let nanos = 0;
  let pm = false;
  let am = false;
  let zone: Fields['zone'];
  for (let k = 0; k < layout.length; k++) {
    const { prefix, std, digits } = layout[k] as Chunk;
    if (!skip(cursor, prefix)) return undefined;
    if (std === Std.None) {
      if (cursor.rest !== 0) return undefined;
      break;
    }
    switch (std) {
      case Std.Year: {
        if (cursor.rest < 2) return undefined;
        const a = cursor.digit();
        const b = cursor.digit(1);
        if (a < 0 || b < 0) return undefined;
        year = a * 10 + b;
        year += year >= 69 ? 1900 : 2000;
        cursor.at += 2;
        break;
      }
      case Std.LongYear: {
        if (cursor.rest < 4) return undefined;
        let value = 0;
        for (let i = 0; i < 4; i++) {
          const d = cursor.digit(i);
          if (d < 0) return undefined;
          value = value * 10 + d;
        }
        year = value;
        cursor.at += 4;
        break;
      }
      case Std.Month:
        month = lookup(SHORT_MONTHS, cursor) + 1;
        if (month === 0) return undefined;
        break;
      case Std.LongMonth:
        month = lookup(LONG_MONTHS, cursor) + 1;
        if (month === 0) return undefined;
        break;
      case Std.NumMonth:
      case Std.ZeroMonth:
        month = getnum(cursor, std === Std.ZeroMonth);
        if (month <= 0 || month > 12) return undefined;
        break;
      case Std.WeekDay:
        if (lookup(SHORT_DAYS, cursor) < 0) return undefined;
        break;
      case Std.LongWeekDay:
        if (lookup(LONG_DAYS, cursor) < 0) return undefined;
        break;
      case Std.Day:
      case Std.UnderDay:
      case Std.ZeroDay:
        if (std === Std.UnderDay && cursor.char() === ' ') cursor.at++;
        day = getnum(cursor, std === Std.ZeroDay);
        if (day < 0) return undefined;
        break;
      case Std.UnderYearDay:
      case Std.ZeroYearDay:
        for (let i = 0; i < 2; i++) if (std === Std.UnderYearDay && cursor.char() === ' ') cursor.at++;
        yday = getnum3(cursor, std === Std.ZeroYearDay);
        if (yday < 0) return undefined;
        break;
      case Std.Hour:
        hour = getnum(cursor, false);
        if (hour < 0 || hour >= 24) return undefined;
        break;
      case Std.Hour12:
      case Std.ZeroHour12:
        hour = getnum(cursor, std === Std.ZeroHour12);
        if (hour < 0 || hour > 12) return undefined;
        break;
      case Std.Minute:
      case Std.ZeroMinute:
        minute = getnum(cursor, std === Std.ZeroMinute);
        if (minute < 0 || minute >= 60) return undefined;
        break;
      case Std.Second:
      case Std.ZeroSecond: {
        second = getnum(cursor, std === Std.ZeroSecond);
        if (second < 0 || second >= 60) return undefined;
        const separator = cursor.char();
        if (cursor.rest >= 2 && (separator === '.' || separator === ',') && cursor.digit(1) >= 0) {
          const next = (layout[k + 1] as Chunk | undefined)?.std;
          if (next === Std.FracSecond0 || next === Std.FracSecond9) break;
          let n = 2;
          while (n < cursor.rest && cursor.digit(n) >= 0) n++;
          nanos = parseNanoseconds(cursor, n);
          if (nanos < 0) return undefined;
        }
        break;
      }
      case Std.PM:
      case Std.pm: {
        if (cursor.rest < 2) return undefined;
        const p = cursor.text.slice(cursor.at, cursor.at + 2);
        cursor.at += 2;
        if (p === (std === Std.PM ? 'PM' : 'pm')) pm = true;
        else if (p === (std === Std.PM ? 'AM' : 'am')) am = true;
        else return undefined;
        break;
      }
      case Std.ISO8601TZ:
      case Std.ISO8601ShortTZ:
      case Std.ISO8601ColonTZ:
      case Std.ISO8601SecondsTZ:
      case Std.ISO8601ColonSecondsTZ:
        if (cursor.char() === 'Z') {
          cursor.at++;
          zone = 'utc';
          break;
        }
        zone = numericZone(cursor, std);
        if (zone === undefined) return undefined;
        break;
      case Std.NumTZ:
      case Std.NumShortTZ:
      case Std.NumColonTZ:
      case Std.NumSecondsTz:
      case Std.NumColonSecondsTZ:
        zone = numericZone(cursor, std);
        if (zone === undefined) return undefined;
        break;
      case Std.TZ: {
        if (cursor.text.startsWith('UTC', cursor.at)) {
          cursor.at += 3;
          zone = 'utc';
          break;
        }
        const length = timeZoneLength(cursor);
        if (length === 0) return undefined;
        zone = cursor.text.slice(cursor.at, cursor.at + length);
        cursor.at += length;
        break;
      }
      case Std.FracSecond0: {
        const length = 1 + digits;
        if (cursor.rest < length) return undefined;
        nanos = parseNanoseconds(cursor, length);
        if (nanos < 0) return undefined;
        break;
      }
      case Std.FracSecond9: {
        const separator = cursor.char();
        if (cursor.rest < 2 || (separator !== '.' && separator !== ',') || cursor.digit(1) < 0) break;
        let i = 0;
        while (i + 1 < cursor.rest && cursor.digit(i + 1) >= 0) i++;
        nanos = parseNanoseconds(cursor, 1 + i);
        if (nanos < 0) return undefined;
        break;
      }
    }
  }
  if (pm && hour < 12) hour += 12;
  else if (am && hour === 12) hour = 0;
  if (yday >= 0) {
    let m = 0;
    let d = 0;
    let y = yday;
    if (isLeap(year)) {
      if (y === 31 + 29) {
        m = 2;
        d = 29;
      } else if (y > 31 + 29) y--;
    }
    if (y < 1 || y > 365) return undefined;
    if (m === 0) {
      m = Math.floor((y - 1) / 31) + 1;
      if ((DAYS_BEFORE[m] as number) < y) m++;
      d = y - (DAYS_BEFORE[m - 1] as number);
    }
    if (month >= 0 && month !== m) return undefined;
    if (day >= 0 && day !== d) return undefined;
    month = m;
    day = d;
  } else {
    if (month < 0) month = 1;
    if (day < 0) day = 1;
  }
  if (day < 1 || day > daysIn(month, year)) return undefined;
  return { year, month, day, hour, minute, second, nanos, zone };
}

function numericZone(cursor: Cursor, std: Std): number | undefined {
  const t = cursor.text;
  const a = cursor.at;
  let length: number;
  let h: string;
  let m = '00';
  let s = '00';
  if (std === Std.ISO8601ColonTZ || std === Std.NumColonTZ) {
    if (cursor.rest < 6 || t[a + 3] !== ':') return undefined;
    h = t.slice(a + 1, a + 3);
    m = t.slice(a + 4, a + 6);
    length = 6;
  } else if (std === Std.NumShortTZ || std === Std.ISO8601ShortTZ) {
    if (cursor.rest < 3) return undefined;
    h = t.slice(a + 1, a + 3);
    length = 3;
  } else if (std === Std.ISO8601ColonSecondsTZ || std === Std.NumColonSecondsTZ) {
    if (cursor.rest < 9 || t[a + 3] !== ':' || t[a + 6] !== ':') return undefined;
    h = t.slice(a + 1, a + 3);
    m = t.slice(a + 4, a + 6);
    s = t.slice(a + 7, a + 9);
    length = 9;
  } else if (std === Std.ISO8601SecondsTZ || std === Std.NumSecondsTz) {
    if (cursor.rest < 7) return undefined;
    h = t.slice(a + 1, a + 3);
    m = t.slice(a + 3, a + 5);
    s = t.slice(a + 5, a + 7);
    length = 7;
  } else {
    if (cursor.rest < 5) return undefined;
    h = t.slice(a + 1, a + 3);
    m = t.slice(a + 3, a + 5);
    length = 5;
  }
  const hh = twoDigitText(h);
  const mm = twoDigitText(m);
  const ss = twoDigitText(s);
  if (hh < 0 || mm < 0 || ss < 0 || hh > 24 || mm > 60 || ss > 60) return undefined;
  const sign = t[a];
  if (sign !== '+' && sign !== '-') return undefined;
  cursor.at += length;
  const offset = (hh * 60 + mm) * 60 + ss;
  return sign === '-' ? -offset : offset;
}

function twoDigitText(text: string): number {
  return text.length === 2 ? twoDigits(text, 0) : -1;
}

/** Applies the zone: the instant in nanoseconds. */
function instantOf(fields: Fields | undefined, location: string | undefined): bigint | undefined {
  if (fields === undefined) return undefined;
  const wall =
    daysFromCivil(fields.year, fields.month, fields.day) * 86400 +
    fields.hour * 3600 +
    fields.minute * 60 +
    fields.second;
  let seconds: number;
  const zone = fields.zone;
  if (zone === 'utc') seconds = wall;
  else if (typeof zone === 'number') seconds = wall - zone;
  else if (typeof zone === 'string') {
    const offset = location === undefined ? undefined : abbreviationOffset(location, zone, wall);
    seconds = offset === undefined ? wall : wall - offset;
  } else if (location === undefined) seconds = wall;
  else seconds = wallInLocation(wall, location);
  return BigInt(seconds) * 1_000_000_000n + BigInt(fields.nanos);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(location: string): Intl.DateTimeFormat {
  let format = formatters.get(location);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: location === 'Local' ? undefined : location,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
      timeZoneName: 'short',
    });
    formatters.set(location, format);
  }
  return format;
}

/** The offset (seconds east of UTC) and abbreviation of `location` at `unixSeconds`. */
function zoneAt(location: string, unixSeconds: number): { offset: number; name: string } {
  const parts = formatter(location).formatToParts(new Date(unixSeconds * 1000));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  let year = get('year');
  if (parts.find((p) => p.type === 'era')?.value === 'BC') year = 1 - year;
  const wall =
    daysFromCivil(year, get('month'), get('day')) * 86400 +
    get('hour') * 3600 +
    get('minute') * 60 +
    get('second');
  return { offset: wall - unixSeconds, name: parts.find((p) => p.type === 'timeZoneName')?.value ?? '' };
}

/** Go's `Date(..., loc)`: the instant at which `location`'s wall clock shows `wall`. */
function wallInLocation(wall: number, location: string): number {
  const first = zoneAt(location, wall).offset;
  const second = zoneAt(location, wall - first).offset;
  return wall - second;
}

/** The offset `location` uses when it calls itself `abbreviation` around `wall`, if it does. */
function abbreviationOffset(location: string, abbreviation: string, wall: number): number | undefined {
  const instant = wallInLocation(wall, location);
  const zone = zoneAt(location, instant);
  return zone.name === abbreviation ? zone.offset : undefined;
}

const DAYS_BEFORE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysIn(month: number, year: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return (DAYS_BEFORE[month] as number) - (DAYS_BEFORE[month - 1] as number);
}

/** Days since 1970-01-01 of a proleptic Gregorian date; days past the month's end roll over. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function startsWithLower(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  return c >= 97 && c <= 122;
}

function isDigitAt(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  return c >= 48 && c <= 57;
}

/**
 * Numbers as Prometheus reads them: sample values and OpenMetrics timestamps through Go's
 * `strconv.ParseFloat` (with `p`, `P` and `_` refused, so no hex floats and no digit separators),
 * text-format timestamps through `strconv.ParseInt` into an int64.
 */
import { DOT, MINUS, PLUS, ZERO } from './chars.js';

/** Exact powers of ten: a float64 holds each of them exactly. */
const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];
const MAX_INT64 = '9223372036854775807';

/**
 * Parses `text[start, end)` as Go's `strconv.ParseFloat(s, 64)` does, with Prometheus's refusal of
 * `p`, `P` and `_`: an optional sign, decimal digits with an optional point and exponent, `inf` or
 * `infinity` with an optional sign and `nan` without one (both in any case). Returns `undefined`
 * when Go would return an error, which includes a finite number too large for a float64.
 */
export function parseFloatToken(text: string, start: number, end: number): number | undefined {
  let i = start;
  let negative = false;
  if (i < end) {
    const sign = text.charCodeAt(i);
    if (sign === MINUS) {
      negative = true;
      i++;
    } else if (sign === PLUS) {
      i++;
    }
  }
  // The fast path: up to 15 digits with an optional point and exponent, the power of ten within
  // 10^±22. The mantissa is then an exact integer below 2^53 and the power of ten an exact float,
  // so one multiplication or division rounds correctly, as Go's parser does (Clinger's fast path).
  const digitsStart = i;
  let mantissa = 0;
  while (i < end) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) break;
    mantissa = mantissa * 10 + digit;
    i++;
  }
  let digits = i - digitsStart;
  let scale = 0;
  if (i < end && text.charCodeAt(i) === DOT) {
    i++;
    const fractionStart = i;
    while (i < end) {
      const digit = text.charCodeAt(i) - ZERO;
      if (digit < 0 || digit > 9) break;
      mantissa = mantissa * 10 + digit;
      i++;
    }
    scale = i - fractionStart;
    digits += scale;
  }
  if (digits === 0 || digits > 15) return parseFloatSlow(text, start, end);
  if (i < end) {
    // An exponent: e or E, an optional sign and one to three digits.
    if ((text.charCodeAt(i) | 0x20) !== 0x65) return parseFloatSlow(text, start, end);
    let sign = text.charCodeAt(++i);
    if (sign === MINUS || sign === PLUS) i++;
    else sign = PLUS;
    const exponentStart = i;
    let exponent = 0;
    while (i < end && i - exponentStart < 3) {
      const digit = text.charCodeAt(i) - ZERO;
      if (digit < 0 || digit > 9) break;
      exponent = exponent * 10 + digit;
      i++;
    }
    if (i !== end || i === exponentStart) return parseFloatSlow(text, start, end);
    scale -= sign === MINUS ? -exponent : exponent;
    if (scale < -22 || scale > 22) return parseFloatSlow(text, start, end);
  }
  const value =
    scale === 0
      ? mantissa
      : scale > 0
        ? mantissa / (POW10[scale] as number)
        : mantissa * (POW10[-scale] as number);
  return negative ? -value : value;
}

/**
 * Parses `text[start, end)`, a run of ASCII digits, as `strconv.ParseInt(s, 10, 64)` does: returns
 * `undefined` when the number does not fit an int64. Past 2^53 the result is the nearest float64.
 */
export function parseDigits(text: string, start: number, end: number): number | undefined {
  let i = start;
  while (i < end - 1 && text.charCodeAt(i) === ZERO) i++;
  const length = end - i;
  if (length > 19 || (length === 19 && text.slice(i, end) > MAX_INT64)) return undefined;
  if (length > 15) return Number(text.slice(i, end));
  let value = 0;
  for (; i < end; i++) value = value * 10 + (text.charCodeAt(i) - ZERO);
  return value;
}

/**
 * Parses an OpenMetrics timestamp, `text[start, end)` in float seconds, to milliseconds the way
 * Prometheus does (`int64(seconds * 1000)`, truncating). Returns `undefined` for a token Go cannot
 * parse, and for NaN and infinities.
 */
export function parseSecondsToMs(text: string, start: number, end: number): number | undefined {
  const seconds = parseFloatToken(text, start, end);
  if (seconds === undefined || !Number.isFinite(seconds)) return undefined;
  const ms = Math.trunc(seconds * 1000);
  return ms === 0 ? 0 : ms;
}

/** The general case of {@link parseFloatToken}: checks Go's syntax, then lets `Number` round. */
function parseFloatSlow(text: string, start: number, end: number): number | undefined {
  let i = start;
  if (i >= end) return undefined;
  const first = text.charCodeAt(i);
  const signed = first === PLUS || first === MINUS;
  if (signed) i++;
  const rest = end - i;
  if ((rest === 3 || rest === 8) && matchesLower(text, i, end, 'infinity')) {
    return first === MINUS ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (!signed && rest === 3 && matchesLower(text, i, end, 'nan')) return Number.NaN;
  let digits = 0;
  while (i < end && isDigit(text.charCodeAt(i))) {
    i++;
    digits++;
  }
  if (i < end && text.charCodeAt(i) === DOT) {
    i++;
    while (i < end && isDigit(text.charCodeAt(i))) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return undefined;
  if (i < end && (text.charCodeAt(i) | 0x20) === 0x65) {
    i++;
    if (i < end && (text.charCodeAt(i) === PLUS || text.charCodeAt(i) === MINUS)) i++;
    const exponentStart = i;
    while (i < end && isDigit(text.charCodeAt(i))) i++;
    if (i === exponentStart) return undefined;
  }
  if (i !== end) return undefined;
  const value = Number(text.slice(start, end));
  // Go reports a finite literal beyond the float64 range as an error (ErrRange).
  return Number.isFinite(value) ? value : undefined;
}

/** Whether `text[start, end)` is a prefix of `lower` (a lowercase word) in any case. */
function matchesLower(text: string, start: number, end: number, lower: string): boolean {
  for (let i = start; i < end; i++) {
    if ((text.charCodeAt(i) | 0x20) !== lower.charCodeAt(i - start)) return false;
  }
  return true;
}

function isDigit(code: number): boolean {
  return code >= ZERO && code <= ZERO + 9;
}

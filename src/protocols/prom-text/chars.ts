/**
 * Character codes and classes of the Prometheus text formats, as lookup tables so that the
 * scanners test a character with one load.
 */

export const TAB = 0x09;
export const LF = 0x0a;
export const SPACE = 0x20;
export const QUOTE = 0x22;
export const HASH = 0x23;
export const PLUS = 0x2b;
export const COMMA = 0x2c;
export const MINUS = 0x2d;
export const DOT = 0x2e;
export const ZERO = 0x30;
export const NINE = 0x39;
export const EQUALS = 0x3d;
export const BACKSLASH = 0x5c;
export const LOWER_N = 0x6e;
export const BRACE_OPEN = 0x7b;
export const BRACE_CLOSE = 0x7d;

/** May start a metric name: `[a-zA-Z_:]`. */
export const METRIC_START = 1;
/** May continue a metric name: `[a-zA-Z0-9_:]`. */
export const METRIC_PART = 2;
/** May start a label name: `[a-zA-Z_]`. */
export const LABEL_START = 4;
/** May continue a label name: `[a-zA-Z0-9_]`. */
export const LABEL_PART = 8;

/** A UTF-16 surrogate without its other half, which UTF-8 cannot encode. */
export const UNPAIRED_SURROGATE = /[\ud800-\udfff]/u;

/** Class bits of the ASCII characters; every other character is in no class. */
export const CLASS: Uint8Array = buildClasses();

/** Whether `code` is one of the class bits in `mask`. */
export function inClass(code: number, mask: number): boolean {
  return code < 128 && ((CLASS[code] as number) & mask) !== 0;
}

function buildClasses(): Uint8Array {
  const table = new Uint8Array(128);
  const all = METRIC_START | METRIC_PART | LABEL_START | LABEL_PART;
  for (let c = 0x41; c <= 0x5a; c++) table[c] = all;
  for (let c = 0x61; c <= 0x7a; c++) table[c] = all;
  table[0x5f] = all; // _
  table[0x3a] = METRIC_START | METRIC_PART; // :
  for (let c = ZERO; c <= NINE; c++) table[c] = METRIC_PART | LABEL_PART;
  return table;
}

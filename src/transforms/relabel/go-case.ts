/**
 * Case mapping as Go's `strings.ToLower` / `strings.ToUpper`, which the `lowercase` and
 * `uppercase` actions use. Go maps each code point on its own with Unicode's simple case
 * mapping; JavaScript's `toLowerCase` / `toUpperCase` use the full mapping, which can turn one
 * code point into several (`ß` to `SS`, `İ` to `i̇`) and lowercases `Σ` by context. Here each
 * code point is mapped alone, and where JavaScript's result is longer than one code point the
 * simple mapping is used instead.
 */

/** Go's `strings.ToLower`. */
export function goToLower(text: string): string {
  if (isAscii(text)) return text.toLowerCase();
  let out = '';
  for (const char of text) {
    const lower = char.toLowerCase();
    // U+0130 (İ) is the one code point whose full lowercase mapping is longer than its simple one.
    out += isOneCodePoint(lower) ? lower : char === '\u0130' ? 'i' : char;
  }
  return out;
}

/** Go's `strings.ToUpper`. */
export function goToUpper(text: string): string {
  if (isAscii(text)) return text.toUpperCase();
  let out = '';
  for (const char of text) {
    const upper = char.toUpperCase();
    out += isOneCodePoint(upper) ? upper : simpleUpper(char);
  }
  return out;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

function isOneCodePoint(text: string): boolean {
  return text.length === 1 || (text.length === 2 && (text.codePointAt(0) ?? 0) > 0xffff);
}

/**
 * The simple uppercase mapping of a code point whose full mapping has several code points. Only
 * Greek letters with ypogegrammeni have one (to their titlecase form); the rest (`ß`, `ŉ`, the
 * `ﬀ` ligatures, ...) have none and stay as they are, as in Go.
 */
function simpleUpper(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (
    (code >= 0x1f80 && code <= 0x1f87) ||
    (code >= 0x1f90 && code <= 0x1f97) ||
    (code >= 0x1fa0 && code <= 0x1fa7)
  ) {
    return String.fromCodePoint(code + 8);
  }
  if (code === 0x1fb3 || code === 0x1fc3 || code === 0x1ff3) return String.fromCodePoint(code + 9);
  return char;
}

/**
 * A logfmt decoder with the rules of `github.com/go-logfmt/logfmt`, which Alloy's
 * `stage.logfmt` uses: `key=value` pairs separated by spaces, values optionally double-quoted
 * with JSON escapes, a bare `key` meaning an empty value, and each line a record. A syntax error
 * (an unterminated quote, a `"` inside a key, a `=` or `"` inside an unquoted value) stops the
 * decoding; the pairs before it have been delivered.
 */

/**
 * Calls `pair` for each key and value of `text`. Returns `undefined` when the whole text
 * decoded, or the syntax error that stopped it.
 */
export function decodeLogfmt(text: string, pair: (key: string, value: string) => void): string | undefined {
  const n = text.length;
  let pos = 0;
  while (pos < n) {
    // Skip separators (anything up to and including a space, which takes in newlines).
    while (pos < n && text.charCodeAt(pos) <= 32) pos++;
    if (pos >= n) return undefined;
    const keyStart = pos;
    let key: string | undefined;
    for (;;) {
      if (pos >= n) {
        pair(text.slice(keyStart, pos), '');
        return undefined;
      }
      const c = text.charCodeAt(pos);
      if (c === 61 /* = */) {
        if (pos === keyStart) return `unexpected '=' at ${pos}`;
        key = text.slice(keyStart, pos);
        break;
      }
      if (c === 34 /* " */) return `unexpected '"' at ${pos}`;
      if (c <= 32) {
        pair(text.slice(keyStart, pos), '');
        key = undefined;
        break;
      }
      pos++;
    }
    if (key === undefined) continue;
    pos++; // the '='
    if (pos >= n || text.charCodeAt(pos) <= 32) {
      pair(key, '');
      continue;
    }
    if (text.charCodeAt(pos) === 34) {
      const start = pos;
      let escaped = false;
      let hasEscape = false;
      pos++;
      for (;;) {
        // Records are lines: a quote does not run past the end of one.
        if (pos >= n || text.charCodeAt(pos) === 10) return 'unterminated quoted value';
        const c = text.charCodeAt(pos);
        if (escaped) escaped = false;
        else if (c === 92 /* \ */) {
          escaped = true;
          hasEscape = true;
        } else if (c === 34) break;
        pos++;
      }
      pos++;
      const quoted = text.slice(start, pos);
      if (!hasEscape) pair(key, quoted.slice(1, -1));
      else {
        const value = unquote(quoted);
        if (value === undefined) return 'invalid quoted value';
        pair(key, value);
      }
      continue;
    }
    const valueStart = pos;
    while (pos < n) {
      const c = text.charCodeAt(pos);
      if (c === 61 || c === 34) return `unexpected '${text[pos]}' at ${pos}`;
      if (c <= 32) break;
      pos++;
    }
    pair(key, text.slice(valueStart, pos));
  }
  return undefined;
}

function unquote(quoted: string): string | undefined {
  try {
    // go-logfmt accepts the escapes of JSON strings and leaves control characters alone.
    let json = '';
    for (const c of quoted) {
      const code = c.charCodeAt(0);
      json += code < 0x20 ? `\\u${code.toString(16).padStart(4, '0')}` : c;
    }
    return JSON.parse(json) as string;
  } catch {
    return undefined;
  }
}

/**
 * Finding the end of a label value with `indexOf` rather than a character loop: in a body without
 * surrogates, a value with no backslash before the next quote ends at that quote. The positions of
 * the next backslash and line break are remembered, so each is searched for once per occurrence.
 */

/** Any UTF-16 surrogate, paired or not. Instant on a one-byte string, which cannot hold one. */
const SURROGATE = /[\ud800-\udfff]/;
/** A position past the end of any string. */
const NONE = 0x7fffffff;

/** The shortcut for one body; create one per parse. */
export class QuickScan {
  private readonly text: string;
  /** Whether the body holds surrogates, whose pairing the character loop checks. */
  private readonly surrogates: boolean;
  /** The next backslash at or after the last search, `NONE` when there is none; -1 before the first search. */
  private backslash = -1;
  /** The next line break, likewise. */
  private newline = -1;

  constructor(text: string) {
    this.text = text;
    this.surrogates = SURROGATE.test(text);
  }

  /**
   * The index of the quote that closes a label value starting at `i` when the value holds no
   * backslash (and, when `singleLine`, no line break); -1 when the character loop must decide.
   */
  closingQuote(i: number, singleLine: boolean): number {
    if (this.surrogates) return -1;
    const text = this.text;
    const quote = text.indexOf('"', i);
    if (quote === -1) return -1;
    let backslash = this.backslash;
    if (backslash < i) {
      backslash = text.indexOf('\\', i);
      this.backslash = backslash = backslash === -1 ? NONE : backslash;
    }
    if (backslash < quote) return -1;
    if (singleLine) {
      let newline = this.newline;
      if (newline < i) {
        newline = text.indexOf('\n', i);
        this.newline = newline = newline === -1 ? NONE : newline;
      }
      if (newline < quote) return -1;
    }
    return quote;
  }
}

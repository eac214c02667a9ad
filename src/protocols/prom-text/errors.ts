/**
 * The one error the text-format parser throws, with the place in the body where parsing stopped.
 */
import { SourceError } from '../../core/errors.js';

/**
 * A body that is not valid Prometheus text 0.0.4 or OpenMetrics 1.0 text. `line` and `column` are
 * 1-based (the column counts Unicode code points from the start of the line) and point at the
 * character where parsing failed; `reason` says what was expected there.
 *
 * @example
 * ```ts
 * try {
 *   parsePromText('up{job "x"} 1\n', 'text', visitor);
 * } catch (error) {
 *   if (error instanceof PromTextParseError) error.message; // 'line 1, column 8: expected '=' after label name "job"'
 * }
 * ```
 */
export class PromTextParseError extends SourceError {
  /** The line, counted from 1. */
  readonly line: number;
  /** The column, counted from 1 in Unicode code points. */
  readonly column: number;
  /** The offset in the parsed string, in UTF-16 code units from 0. */
  readonly offset: number;
  /** What was wrong, without the position. */
  readonly reason: string;

  constructor(reason: string, line: number, column: number, offset: number) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = 'PromTextParseError';
    this.line = line;
    this.column = column;
    this.offset = offset;
    this.reason = reason;
  }
}

/** Throws a {@link PromTextParseError} for the character at `offset` of `text`. */
export function fail(text: string, offset: number, reason: string): never {
  const at = offset < 0 ? 0 : offset > text.length ? text.length : offset;
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  let column = 1;
  for (let i = lineStart; i < at; i++) {
    const code = text.charCodeAt(i);
    // The second half of a surrogate pair is part of the code point before it.
    if (code >= 0xdc00 && code <= 0xdfff && i > lineStart && isHighSurrogate(text.charCodeAt(i - 1)))
      continue;
    column++;
  }
  throw new PromTextParseError(reason, line, column, at);
}

/** A short, quoted excerpt of `text` for an error message. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

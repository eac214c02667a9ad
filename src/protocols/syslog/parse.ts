/**
 * One entry point for either format: RFC 5424 told from RFC 3164 by the version number that
 * follows PRI.
 */
import { parseRfc3164, type Rfc3164Options } from './rfc3164.js';
import { parseRfc5424 } from './rfc5424.js';
import type { SyslogFormat, SyslogMessage } from './types.js';

/** Options of {@link parseSyslog}. */
export interface ParseSyslogOptions extends Rfc3164Options {
  /**
   * The format to read. `'auto'` reads RFC 5424 when PRI is followed by a version number and a
   * space (`<13>1 `), RFC 3164 otherwise.
   * @defaultValue `'auto'`
   */
  readonly format?: SyslogFormat | 'auto' | undefined;
}

/**
 * Parses one syslog message (without framing) in the given format, or the one it is in.
 *
 * @throws SyslogParseError naming what was expected and where.
 *
 * @example
 * ```ts
 * parseSyslog('<13>1 2024-05-01T10:00:00Z host app 42 - - hello').format; // 'rfc5424'
 * parseSyslog('<13>May  1 10:00:00 host app[42]: hello').format; // 'rfc3164'
 * ```
 */
export function parseSyslog(text: string, options: ParseSyslogOptions = {}): SyslogMessage {
  const format = options.format ?? 'auto';
  if (format === 'rfc5424') return parseRfc5424(text);
  if (format === 'rfc3164') return parseRfc3164(text, options);
  return detectSyslogFormat(text) === 'rfc5424' ? parseRfc5424(text) : parseRfc3164(text, options);
}

/**
 * The format a message is in: RFC 5424 when `<PRI>` is followed by one to three digits and a
 * space, RFC 3164 otherwise (including when PRI is missing, which either parser reports).
 */
export function detectSyslogFormat(text: string): SyslogFormat {
  if (text.charCodeAt(0) !== 0x3c /* < */) return 'rfc3164';
  // PRI is one to three digits; its value is checked by the parser.
  let at = 1;
  while (at < 5 && isDigit(text.charCodeAt(at))) at++;
  if (at === 1 || at === 5 || text.charCodeAt(at) !== 0x3e /* > */) return 'rfc3164';
  let i = ++at;
  while (i < at + 4 && isDigit(text.charCodeAt(i))) i++;
  return i > at && i - at <= 3 && text.charCodeAt(i) === 0x20 ? 'rfc5424' : 'rfc3164';
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

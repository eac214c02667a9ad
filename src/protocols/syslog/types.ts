/**
 * The shape of a parsed syslog message, shared by the RFC 5424 and RFC 3164 parsers, the names
 * of facilities and severities, and the one error the syslog codecs throw.
 */
import { SourceError } from '../../core/errors.js';

/** The two syslog message formats. */
export type SyslogFormat = 'rfc5424' | 'rfc3164';

/** One `name="value"` pair of a structured data element, with its escapes undone. */
export interface SyslogSdParam {
  readonly name: string;
  readonly value: string;
}

/** One RFC 5424 structured data element: `[id name="value" ...]`. */
export interface SyslogSdElement {
  /** The SD-ID, such as `timeQuality` or `exampleSDID@32473`. */
  readonly id: string;
  /** The parameters in the order they were sent; a name may repeat, as RFC 5424 allows. */
  readonly params: readonly SyslogSdParam[];
}

/**
 * A parsed syslog message. Fields the message leaves out (RFC 5424's `-`, or parts an RFC 3164
 * message does not have) are `undefined`.
 */
export interface SyslogMessage {
  readonly format: SyslogFormat;
  /** PRI: `facility × 8 + severity`, 0 to 191. */
  readonly priority: number;
  /** 0 (kern) to 23 (local7). */
  readonly facility: number;
  /** 0 (emergency) to 7 (debug). */
  readonly severity: number;
  /** RFC 5424's VERSION (1 today); `undefined` for RFC 3164. */
  readonly version: number | undefined;
  /** The message's own time, in nanoseconds since the Unix epoch, exactly as sent. */
  readonly timestampNs: bigint | undefined;
  readonly hostname: string | undefined;
  /** RFC 5424's APP-NAME, or the tag of an RFC 3164 message (`sshd` in `sshd[42]:`). */
  readonly appName: string | undefined;
  /** RFC 5424's PROCID, or the bracketed part of an RFC 3164 tag (`42` in `sshd[42]:`). */
  readonly procId: string | undefined;
  /** RFC 5424's MSGID. */
  readonly msgId: string | undefined;
  /** RFC 5424's structured data elements, in order; empty for RFC 3164 and for `-`. */
  readonly structuredData: readonly SyslogSdElement[];
  /** MSG, without RFC 5424's leading byte order mark; empty when the message has none. */
  readonly message: string;
}

/**
 * Input that is not a syslog message or stream: the only error the syslog parsers and framing
 * decoders throw or report. `reason` says what was expected, `offset` where (in UTF-16 code units
 * of a message, or bytes of a stream).
 *
 * @example
 * ```ts
 * try {
 *   parseRfc5424('<13>1 2024-02-30T00:00:00Z host app - - - hi');
 * } catch (error) {
 *   if (error instanceof SyslogParseError) error.message; // 'syslog: day 30 is not in month 2 of 2024 at offset 6'
 * }
 * ```
 */
export class SyslogParseError extends SourceError {
  /** What was wrong, without the position. */
  readonly reason: string;
  /** Where parsing stopped. */
  readonly offset: number;
  /** Whether the message was refused for its length rather than its content. */
  readonly tooLong: boolean;
  /** Whether the stream cannot be read any further (its framing is lost): the connection must close. */
  readonly fatal: boolean;

  constructor(
    reason: string,
    offset: number,
    options: { readonly tooLong?: boolean; readonly fatal?: boolean } = {},
  ) {
    super(`syslog: ${reason} at offset ${offset}`);
    this.name = 'SyslogParseError';
    this.reason = reason;
    this.offset = offset;
    this.tooLong = options.tooLong ?? false;
    this.fatal = options.fatal ?? false;
  }
}

/**
 * Severity names by number, as Alloy's `__syslog_message_severity` label carries them.
 */
export const SYSLOG_SEVERITY_NAMES: readonly string[] = [
  'emergency',
  'alert',
  'critical',
  'error',
  'warning',
  'notice',
  'informational',
  'debug',
];

/**
 * Facility keywords by number (RFC 5427), as Alloy's `__syslog_message_facility` label carries
 * them.
 */
export const SYSLOG_FACILITY_NAMES: readonly string[] = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'security',
  'console',
  'cron2',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
];

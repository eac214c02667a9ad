/**
 * Syslog: RFC 5424 and RFC 3164 messages and RFC 6587 stream framing, as pure codecs with no
 * I/O. {@link parseSyslog} reads either format; {@link SyslogStreamDecoder} and
 * {@link decodeSyslogDatagram} find the messages in TCP streams and UDP datagrams.
 */
export { formatRfc3339 as formatSyslogTimestamp } from './common.js';
export {
  decodeSyslogDatagram,
  frameOctetCounting,
  type SyslogFrameHandler,
  type SyslogFraming,
  SyslogStreamDecoder,
} from './framing.js';
export { detectSyslogFormat, type ParseSyslogOptions, parseSyslog } from './parse.js';
export { type FormatRfc3164Options, formatRfc3164, parseRfc3164, type Rfc3164Options } from './rfc3164.js';
export { type FormatRfc5424Options, formatRfc5424, parseRfc5424 } from './rfc5424.js';
export { type WallClockZone, wallClockZone } from './time-zone.js';
export {
  SYSLOG_FACILITY_NAMES,
  SYSLOG_SEVERITY_NAMES,
  type SyslogFormat,
  type SyslogMessage,
  SyslogParseError,
  type SyslogSdElement,
  type SyslogSdParam,
} from './types.js';

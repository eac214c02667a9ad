// The syslog codecs: RFC 5424 and RFC 3164 parsers against tables of valid, deviant and
// malformed messages (the RFCs' own examples among them), the stream and datagram framing, and
// property tests: anything parses or throws SyslogParseError, what the formatters write parses
// back, what glossy (an independent implementation) produces parses to its fields, and framing
// does not depend on how the stream is cut into chunks.
import fc from 'fast-check';
import glossy from 'glossy';
import { describe, expect, it } from 'vitest';
import {
  decodeSyslogDatagram,
  detectSyslogFormat,
  formatRfc3164,
  formatRfc5424,
  formatSyslogTimestamp,
  frameOctetCounting,
  parseRfc3164,
  parseRfc5424,
  parseSyslog,
  SYSLOG_FACILITY_NAMES,
  SYSLOG_SEVERITY_NAMES,
  type SyslogMessage,
  SyslogParseError,
  type SyslogSdElement,
  SyslogStreamDecoder,
  wallClockZone,
} from '../../src/protocols/syslog/index.js';

const BOM = '\uFEFF';
const ns = (iso: string, extraNs = 0n): bigint => BigInt(Date.parse(iso)) * 1_000_000n + extraNs;

function parseError(run: () => unknown): SyslogParseError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SyslogParseError);
    return error as SyslogParseError;
  }
  throw new Error('expected a SyslogParseError, nothing was thrown');
}

describe('parseRfc5424', () => {
  it('reads the examples of RFC 5424 section 6.5', () => {
    expect(
      parseRfc5424(
        `<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8`,
      ),
    ).toEqual({
      format: 'rfc5424',
      priority: 34,
      facility: 4,
      severity: 2,
      version: 1,
      timestampNs: ns('2003-10-11T22:14:15.003Z'),
      hostname: 'mymachine.example.com',
      appName: 'su',
      procId: undefined,
      msgId: 'ID47',
      structuredData: [],
      message: "'su root' failed for lonvick on /dev/pts/8",
    });
    const doNuts = parseRfc5424(
      "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
    );
    expect(doNuts.timestampNs).toBe(ns('2003-08-24T12:14:15Z', 3000n));
    expect([doNuts.hostname, doNuts.appName, doNuts.procId, doNuts.msgId]).toEqual([
      '192.0.2.1',
      'myproc',
      '8710',
      undefined,
    ]);
    expect(doNuts.message).toBe("%% It's time to make the do-nuts.");
    const withSd = parseRfc5424(
      `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ${BOM}An application event log entry...`,
    );
    expect(withSd.structuredData).toEqual([
      {
        id: 'exampleSDID@32473',
        params: [
          { name: 'iut', value: '3' },
          { name: 'eventSource', value: 'Application' },
          { name: 'eventID', value: '1011' },
        ],
      },
    ]);
    expect(withSd.message).toBe('An application event log entry...');
    const noMsg = parseRfc5424(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
    );
    expect(noMsg.structuredData.map((e) => e.id)).toEqual(['exampleSDID@32473', 'examplePriority@32473']);
    expect(noMsg.message).toBe('');
  });

  it.each([
    [
      'all fields nil',
      '<0>1 - - - - - -',
      { priority: 0, timestampNs: undefined, hostname: undefined, message: '' },
    ],
    ['nil fields and a message', '<191>1 - - - - - - hi', { facility: 23, severity: 7, message: 'hi' }],
    ['a space then an empty message', '<13>1 - - - - - - ', { message: '' }],
    ['version 999', '<13>999 - - - - - -', { version: 999 }],
    [
      'one fraction digit',
      '<13>1 2024-01-02T03:04:05.1Z - - - - -',
      { timestampNs: ns('2024-01-02T03:04:05.100Z') },
    ],
    [
      'nine fraction digits, kept to the nanosecond',
      '<13>1 2024-01-02T03:04:05.123456789Z - - - - -',
      { timestampNs: ns('2024-01-02T03:04:05.123Z', 456789n) },
    ],
    [
      'a positive offset',
      '<13>1 2024-01-02T03:04:05+05:30 - - - - -',
      { timestampNs: ns('2024-01-01T21:34:05Z') },
    ],
    ['a leap day', '<13>1 2024-02-29T00:00:00Z - - - - -', { timestampNs: ns('2024-02-29T00:00:00Z') }],
    ['year 1', '<13>1 0001-01-01T00:00:00Z - - - - -', { timestampNs: -62135596800000000000n }],
    ['leading spaces of the message kept', '<13>1 - - - - - -   x ', { message: '  x ' }],
    ['only the first BOM removed', `<13>1 - - - - - - ${BOM}${BOM}x`, { message: `${BOM}x` }],
    ['UTF-8 and newlines in the message', '<13>1 - - - - - - é😀\nsecond', { message: 'é😀\nsecond' }],
    ['a hostname of 255 characters', `<13>1 - ${'h'.repeat(255)} - - - -`, { hostname: 'h'.repeat(255) }],
    ['a hostname starting with -', '<13>1 - -h - - - -', { hostname: '-h' }],
    [
      'escapes in parameter values',
      '<13>1 - - - - - [a b="q\\"b\\\\s\\]e\\x" c="]" d=""]',
      {
        structuredData: [
          {
            id: 'a',
            params: [
              { name: 'b', value: 'q"b\\s]e\\x' },
              { name: 'c', value: ']' },
              { name: 'd', value: '' },
            ],
          },
        ],
      },
    ],
    [
      'a repeated parameter name and UTF-8 in a value',
      '<13>1 - - - - - [a@1 k="1" k="é"] m',
      {
        structuredData: [
          {
            id: 'a@1',
            params: [
              { name: 'k', value: '1' },
              { name: 'k', value: 'é' },
            ],
          },
        ],
      },
    ],
    ['an element without parameters', '<13>1 - - - - - [x]', { structuredData: [{ id: 'x', params: [] }] }],
  ])('reads %s', (_name, text, expected) => {
    expect(parseRfc5424(text)).toMatchObject(expected);
  });

  it.each([
    ['empty input', '', "expected '<' to open the priority", 0],
    ['no priority', 'hello', "expected '<' to open the priority, got 'h'", 0],
    ['an empty priority', '<>1 - - - - - -', 'expected a priority (0 to 191)', 1],
    ['four priority digits', '<1234>1 - - - - - -', 'more than three digits', 1],
    ['a leading zero in the priority', '<01>1 - - - - - -', 'leading zero', 1],
    ['priority 192', '<192>1 - - - - - -', 'priority 192 is out of range', 1],
    ['an unclosed priority', '<13 1 - - - - - -', "expected '>' to close the priority", 3],
    ['no version', '<13>', 'expected the version', 4],
    ['version 0', '<13>0 - - - - - -', 'the version must be 1 to 999', 4],
    ['version 1000', '<13>1000 - - - - - -', 'the version must be 1 to 999', 4],
    ['no space after the version', '<13>1- - - - - -', 'expected a space after the version', 5],
    ['month 13', '<13>1 2024-13-01T00:00:00Z - - - - -', 'month 13 is out of range', 6],
    ['February 30', '<13>1 2024-02-30T00:00:00Z - - - - -', 'day 30 is not in month 2 of 2024', 6],
    ['February 29 of 2023', '<13>1 2023-02-29T00:00:00Z - - - - -', 'day 29 is not in month 2 of 2023', 6],
    ['a space for T', '<13>1 2024-01-01 00:00:00Z - - - - -', "expected 'T' between date and time", 16],
    ['hour 24', '<13>1 2024-01-01T24:00:00Z - - - - -', 'time 24:00:00 is out of range', 17],
    ['a leap second', '<13>1 2024-01-01T23:59:60Z - - - - -', 'time 23:59:60 is out of range', 17],
    ['no offset', '<13>1 2024-01-01T00:00:00 - - - - -', 'expected a time offset', 25],
    ['offset +24:00', '<13>1 2024-01-01T00:00:00+24:00 - - - - -', 'out of range', 25],
    ['a short offset', '<13>1 2024-01-01T00:00:00+0100 - - - - -', 'expected a time offset as +HH:MM', 25],
    ['a dot without digits', '<13>1 2024-01-01T00:00:00.Z - - - - -', "expected digits after '.'", 26],
    ['ten fraction digits', '<13>1 2024-01-01T00:00:00.1234567890Z - - - - -', 'more than nine digits', 26],
    ['a short date', '<13>1 24-01-01T00:00:00Z - - - - -', 'expected a date as YYYY-MM-DD', 6],
    [
      'a hostname of 256 characters',
      `<13>1 - ${'h'.repeat(256)} - - - -`,
      'HOSTNAME is 256 characters long',
      8,
    ],
    [
      'an app name of 49 characters',
      `<13>1 - - ${'a'.repeat(49)} - - -`,
      'APP-NAME is 49 characters long',
      10,
    ],
    [
      'a proc id of 129 characters',
      `<13>1 - - - ${'p'.repeat(129)} - -`,
      'PROCID is 129 characters long',
      12,
    ],
    ['a msg id of 33 characters', `<13>1 - - - - ${'m'.repeat(33)} -`, 'MSGID is 33 characters long', 14],
    ['an empty field (two spaces)', '<13>1 - host  - - -', 'expected APP-NAME', 13],
    ['a tab in the hostname', '<13>1 - ho\tst - - - -', 'HOSTNAME holds character 0x09', 10],
    ['non-ASCII in the app name', '<13>1 - - é - - -', 'APP-NAME holds character 0xe9', 10],
    [
      'a message where structured data goes',
      '<13>1 - - - - - hello',
      "expected structured data ('-' or '[')",
      16,
    ],
    ['a missing structured data field', '<13>1 - - - - -', 'expected a space after MSGID, got the end', 15],
    [
      'an unterminated element',
      '<13>1 - - - - - [a',
      "expected ' ' or ']' in structured data element 'a'",
      18,
    ],
    ['an unterminated value', '<13>1 - - - - - [a b="c', "the value of parameter 'b' is not closed", 22],
    ['an escaped closing quote at the end', '<13>1 - - - - - [a b="c\\"]', 'is not closed', 22],
    ['a parameter without =', '<13>1 - - - - - [a b]', "expected '=' after parameter 'b'", 20],
    ['an unquoted value', '<13>1 - - - - - [a b=c]', "expected '\"' to open the value of parameter 'b'", 21],
    ['an empty SD-ID', '<13>1 - - - - - [ b="c"]', 'expected SD-ID', 17],
    ['an SD-ID of 33 characters', `<13>1 - - - - - [${'i'.repeat(33)}]`, 'SD-ID is 33 characters long', 17],
    ['two spaces before a parameter', '<13>1 - - - - - [a  b="c"]', 'expected PARAM-NAME', 19],
    [
      'no space before the message',
      '<13>1 - - - - - [a]msg',
      'expected a space between structured data and the message',
      19,
    ],
    [
      'no space after nil structured data',
      '<13>1 - - - - - -msg',
      'expected a space between structured data and the message',
      17,
    ],
  ])('refuses %s', (_name, text, reason, offset) => {
    const error = parseError(() => parseRfc5424(text));
    expect(error.reason).toContain(reason);
    expect(error.offset).toBe(offset);
    expect(error.message).toBe(`syslog: ${error.reason} at offset ${offset}`);
    expect(error.fatal).toBe(false);
  });
});

describe('parseRfc3164', () => {
  const now = Date.UTC(2024, 5, 15, 12);
  const at = (text: string, options = {}) => parseRfc3164(text, { nowMs: now, ...options });

  it('reads the examples of RFC 3164 section 5.4', () => {
    expect(at("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8")).toEqual({
      format: 'rfc3164',
      priority: 34,
      facility: 4,
      severity: 2,
      version: undefined,
      timestampNs: ns('2023-10-11T22:14:15Z'),
      hostname: 'mymachine',
      appName: 'su',
      procId: undefined,
      msgId: undefined,
      structuredData: [],
      message: "'su root' failed for lonvick on /dev/pts/8",
    });
    expect(at('<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!')).toMatchObject({
      timestampNs: ns('2024-02-05T17:32:18Z'),
      hostname: '10.0.0.99',
      appName: undefined,
      message: 'Use the BFG!',
    });
  });

  it.each([
    [
      'a tag with a pid (rsyslog, logger)',
      '<30>Jun  5 10:00:00 host systemd[1]: Started x.',
      { hostname: 'host', appName: 'systemd', procId: '1', message: 'Started x.' },
    ],
    [
      'no hostname (as from a local socket)',
      '<30>Jun  5 10:00:00 systemd[1]: Started',
      { hostname: undefined, appName: 'systemd', procId: '1', message: 'Started' },
    ],
    [
      'no hostname, tag with a colon',
      '<30>Jun  5 10:00:00 cron: job',
      { hostname: undefined, appName: 'cron' },
    ],
    ['a zero-padded day', '<13>Jun 05 10:00:00 h a: m', { timestampNs: ns('2024-06-05T10:00:00Z') }],
    ['an unpadded day', '<13>Jun 5 10:00:00 h a: m', { timestampNs: ns('2024-06-05T10:00:00Z') }],
    ['a month in lower case', '<13>jun 5 10:00:00 h a: m', { timestampNs: ns('2024-06-05T10:00:00Z') }],
    [
      'a fraction of a second',
      '<13>Jun  5 10:00:00.123456 h a: m',
      { timestampNs: ns('2024-06-05T10:00:00.123Z', 456000n), hostname: 'h' },
    ],
    [
      'a year before the time',
      '<13>Jun  5 2019 10:00:00 h a: m',
      { timestampNs: ns('2019-06-05T10:00:00Z') },
    ],
    [
      'a colon after the time (network gear)',
      '<187>Jun  5 10:00:00: %LINK-3-UPDOWN: Interface up',
      { timestampNs: ns('2024-06-05T10:00:00Z'), hostname: undefined, appName: '%LINK-3-UPDOWN' },
    ],
    [
      'an RFC 3339 time with an offset (RSYSLOG_ForwardFormat)',
      '<13>2024-05-01T10:00:00.123456+02:00 host app[7]: forwarded',
      { timestampNs: ns('2024-05-01T08:00:00.123Z', 456000n), hostname: 'host', appName: 'app', procId: '7' },
    ],
    [
      'an RFC 3339 time without an offset',
      '<13>2024-05-01T10:00:00 host app: m',
      { timestampNs: ns('2024-05-01T10:00:00Z'), hostname: 'host' },
    ],
    [
      'no timestamp',
      '<13>hello world',
      { timestampNs: undefined, hostname: undefined, appName: undefined, message: 'hello world' },
    ],
    [
      'no timestamp, a tag',
      '<13>app[3]: hello',
      { timestampNs: undefined, appName: 'app', procId: '3', message: 'hello' },
    ],
    [
      'a word that is not a month',
      '<13>Octopus: hi',
      { timestampNs: undefined, appName: 'Octopus', message: 'hi' },
    ],
    [
      'digits that are not a date',
      '<13>2024 was a year',
      { timestampNs: undefined, message: '2024 was a year' },
    ],
    ['a month without a time', '<13>Oct is a month', { timestampNs: undefined, message: 'Oct is a month' }],
    [
      'a tag without a colon',
      '<13>Jun  5 10:00:00 h app[12] hello',
      { appName: 'app', procId: '12', message: 'hello' },
    ],
    [
      'a tag without a space after the colon',
      '<13>Jun  5 10:00:00 h app:hello',
      { appName: 'app', message: 'hello' },
    ],
    [
      'no tag',
      '<13>Jun  5 10:00:00 h just words',
      { hostname: 'h', appName: undefined, message: 'just words' },
    ],
    ['a tag of 65 characters', `<13>Jun  5 10:00:00 h ${'t'.repeat(65)}: m`, { appName: undefined }],
    [
      'a tag with slashes',
      '<22>Jun  5 10:00:00 h postfix/smtpd[99]: connect',
      { appName: 'postfix/smtpd', procId: '99' },
    ],
    ['an empty message', '<13>Jun  5 10:00:00 h app: ', { appName: 'app', message: '' }],
    ['nothing after the timestamp', '<13>Jun  5 10:00:00', { hostname: undefined, message: '' }],
    ['only a hostname', '<13>Jun  5 10:00:00 h', { hostname: 'h', message: '' }],
    ['two spaces before the hostname', '<13>Jun  5 10:00:00  h a: m', { hostname: 'h', appName: 'a' }],
    ['UTF-8 in the message', '<13>Jun  5 10:00:00 h a: é😀', { message: 'é😀' }],
  ])('reads %s', (_name, text, expected) => {
    expect(at(text)).toMatchObject(expected);
  });

  it('infers the latest year not more than a week ahead, across new year either way and for 29 February', () => {
    const jan1 = Date.UTC(2025, 0, 1, 0, 5);
    expect(parseRfc3164('<13>Dec 31 23:59:00 h a: m', { nowMs: jan1 }).timestampNs).toBe(
      ns('2024-12-31T23:59:00Z'),
    );
    const dec31 = Date.UTC(2024, 11, 31, 23, 55);
    expect(parseRfc3164('<13>Jan  1 00:01:00 h a: m', { nowMs: dec31 }).timestampNs).toBe(
      ns('2025-01-01T00:01:00Z'),
    );
    const mid2025 = Date.UTC(2025, 0, 15);
    expect(parseRfc3164('<13>Feb 29 12:00:00 h a: m', { nowMs: mid2025 }).timestampNs).toBe(
      ns('2024-02-29T12:00:00Z'),
    );
    expect(parseRfc3164('<13>Jul  4 12:00:00 h a: m', { nowMs: mid2025 }).timestampNs).toBe(
      ns('2024-07-04T12:00:00Z'),
    );
    expect(parseRfc3164('<13>May  4 12:00:00 h a: m', { nowMs: mid2025 }).timestampNs).toBe(
      ns('2024-05-04T12:00:00Z'),
    );
    // A sender's clock a little ahead is still this year.
    expect(parseRfc3164('<13>Jan 20 12:00:00 h a: m', { nowMs: mid2025 }).timestampNs).toBe(
      ns('2025-01-20T12:00:00Z'),
    );
  });

  it('reads times in the configured location, through daylight saving time', () => {
    const ny = { location: 'America/New_York', nowMs: Date.UTC(2024, 11, 1) };
    expect(at('<13>Jan 15 12:00:00 h a: m', ny).timestampNs).toBe(ns('2024-01-15T17:00:00Z'));
    expect(at('<13>Jul  4 12:00:00 h a: m', ny).timestampNs).toBe(ns('2024-07-04T16:00:00Z'));
    // 02:30 on 10 March 2024 does not exist in New York: read as after the jump.
    expect(at('<13>Mar 10 02:30:00 h a: m', ny).timestampNs).toBe(ns('2024-03-10T07:30:00Z'));
    // 01:30 on 3 November 2024 happens twice: the first one.
    expect(at('<13>Nov  3 01:30:00 h a: m', ny).timestampNs).toBe(ns('2024-11-03T05:30:00Z'));
    expect(at('<13>Jan 15 12:00:00 h a: m', { location: 'Asia/Kolkata' }).timestampNs).toBe(
      ns('2024-01-15T06:30:00Z'),
    );
    // An RFC 3339 time with an offset ignores the location.
    expect(at('<13>2024-01-15T12:00:00Z h a: m', ny).timestampNs).toBe(ns('2024-01-15T12:00:00Z'));
    expect(at('<13>2024-01-15T12:00:00 h a: m', ny).timestampNs).toBe(ns('2024-01-15T17:00:00Z'));
  });

  it('refuses unknown locations', () => {
    expect(() => wallClockZone('Mars/Olympus_Mons')).toThrow(RangeError);
    expect(wallClockZone('Local').toUtcMs(0)).toBe(new Date(1970, 0, 1).getTime());
  });

  it.each([
    ['no priority', 'Oct 11 22:14:15 h a: m', "expected '<' to open the priority", 0],
    ['priority 300', '<300>Oct 11 22:14:15 h a: m', 'priority 300 is out of range', 1],
    ['day 41', '<13>Oct 41 22:14:15 h a: m', 'day 41 is out of range', 8],
    ['day 0', '<13>Oct  0 22:14:15 h a: m', 'day 0 is out of range', 9],
    ['30 February', '<13>Feb 30 22:14:15 h a: m', 'day 30 is not in month 2', 8],
    [
      '29 February of a given year that has none',
      '<13>Feb 29 2023 22:14:15 h a: m',
      'day 29 is not in month 2 of 2023',
      8,
    ],
    ['hour 25', '<13>Oct 11 25:14:15 h a: m', 'time 25:14:15 is out of range', 11],
    [
      'letters after the time',
      '<13>Oct 11 22:14:15x h a: m',
      "expected a space after the timestamp, got 'x'",
      19,
    ],
    ['a bad RFC 3339 date', '<13>2024-13-01T00:00:00Z h a: m', 'month 13 is out of range', 4],
  ])('refuses %s', (_name, text, reason, offset) => {
    const error = parseError(() => at(text));
    expect(error.reason).toContain(reason);
    expect(error.offset).toBe(offset);
  });
});

describe('parseSyslog', () => {
  it('tells the formats apart by the version after PRI', () => {
    expect(detectSyslogFormat('<13>1 - - - - - -')).toBe('rfc5424');
    expect(detectSyslogFormat('<13>12 - - - - - -')).toBe('rfc5424');
    expect(detectSyslogFormat('<13>Oct 11 22:14:15 h a: m')).toBe('rfc3164');
    expect(detectSyslogFormat('<13>2024-01-01T00:00:00Z h a: m')).toBe('rfc3164');
    expect(detectSyslogFormat('<13>1234 apples')).toBe('rfc3164');
    expect(detectSyslogFormat('nothing')).toBe('rfc3164');
    expect(parseSyslog('<13>1 2024-05-01T10:00:00Z host app 42 - - hello')).toMatchObject({
      format: 'rfc5424',
      procId: '42',
    });
    expect(parseSyslog('<13>May  1 10:00:00 host app[42]: hello')).toMatchObject({
      format: 'rfc3164',
      procId: '42',
    });
  });

  it('reads the format it is told to', () => {
    expect(() => parseSyslog('<13>May  1 10:00:00 host app: hello', { format: 'rfc5424' })).toThrow(
      SyslogParseError,
    );
    expect(parseSyslog('<13>1 - - - - - - x', { format: 'rfc3164' })).toMatchObject({
      format: 'rfc3164',
      message: '1 - - - - - - x',
    });
  });

  it('names severities and facilities as Alloy does', () => {
    expect(SYSLOG_SEVERITY_NAMES).toEqual([
      'emergency',
      'alert',
      'critical',
      'error',
      'warning',
      'notice',
      'informational',
      'debug',
    ]);
    expect(SYSLOG_FACILITY_NAMES).toHaveLength(24);
    expect([SYSLOG_FACILITY_NAMES[0], SYSLOG_FACILITY_NAMES[10], SYSLOG_FACILITY_NAMES[20]]).toEqual([
      'kern',
      'authpriv',
      'local4',
    ]);
  });
});

describe('formatters', () => {
  it('write RFC 5424 that parses back, with a BOM when asked', () => {
    const message = parseRfc5424(
      '<165>1 2003-10-11T22:14:15.003Z mymachine evntslog - ID47 [ex@32473 iut="3" q="a\\"b\\]c\\\\"] hi',
    );
    const text = formatRfc5424(message);
    expect(text).toBe(
      '<165>1 2003-10-11T22:14:15.003000Z mymachine evntslog - ID47 [ex@32473 iut="3" q="a\\"b\\]c\\\\"] hi',
    );
    expect(parseRfc5424(text)).toEqual(message);
    expect(formatRfc5424(message, { bom: true })).toContain(`] ${BOM}hi`);
    expect(formatRfc5424({ ...message, message: '', structuredData: [], timestampNs: undefined })).toBe(
      '<165>1 - mymachine evntslog - ID47 -',
    );
  });

  it('refuse fields RFC 5424 cannot carry', () => {
    const base = parseRfc5424('<13>1 - h a - - - m');
    expect(() => formatRfc5424({ ...base, priority: 192 })).toThrow(RangeError);
    expect(() => formatRfc5424({ ...base, hostname: 'a b' })).toThrow(RangeError);
    expect(() => formatRfc5424({ ...base, appName: '-' })).toThrow(RangeError);
    expect(() => formatRfc5424({ ...base, msgId: 'm'.repeat(33) })).toThrow(RangeError);
    expect(() => formatRfc5424({ ...base, structuredData: [{ id: 'a=b', params: [] }] })).toThrow(RangeError);
  });

  it('write RFC 3164 that parses back', () => {
    const message = {
      priority: 30,
      timestampNs: ns('2024-06-05T10:00:00Z'),
      hostname: 'host',
      appName: 'sshd',
      procId: '12',
      message: 'Accepted key',
    };
    const text = formatRfc3164(message);
    expect(text).toBe('<30>Jun  5 10:00:00 host sshd[12]: Accepted key');
    expect(parseRfc3164(text, { nowMs: Date.UTC(2024, 5, 6) })).toMatchObject(message);
    expect(formatRfc3164(message, { location: 'Europe/Berlin' })).toBe(
      '<30>Jun  5 12:00:00 host sshd[12]: Accepted key',
    );
    expect(() => formatRfc3164({ ...message, appName: 'a:b' })).toThrow(RangeError);
  });

  it('write RFC 3339 timestamps in UTC with six or nine fraction digits', () => {
    expect(formatSyslogTimestamp(ns('2024-01-02T03:04:05Z'))).toBe('2024-01-02T03:04:05Z');
    expect(formatSyslogTimestamp(ns('2024-01-02T03:04:05.5Z'))).toBe('2024-01-02T03:04:05.500000Z');
    expect(formatSyslogTimestamp(ns('2024-01-02T03:04:05Z', 7n))).toBe('2024-01-02T03:04:05.000000007Z');
    expect(formatSyslogTimestamp(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
  });
});

/** Collects what a decoder reports. */
function collector() {
  const frames: string[] = [];
  const errors: SyslogParseError[] = [];
  return {
    frames,
    errors,
    handler: {
      frame: (bytes: Buffer) => frames.push(bytes.toString('utf8')),
      error: (error: SyslogParseError) => errors.push(error),
    },
  };
}

function decodeStream(chunks: readonly (string | Buffer)[], maxMessageLength = 1024) {
  const out = collector();
  const decoder = new SyslogStreamDecoder(maxMessageLength);
  for (const chunk of chunks)
    decoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, out.handler);
  decoder.end(out.handler);
  return { ...out, framing: decoder.framing };
}

describe('SyslogStreamDecoder', () => {
  it('splits newline-delimited messages: LF, CR LF, NUL, blank lines, a last line without LF', () => {
    const out = decodeStream(['\n\r\n<1>a\n<2>b\r\n\n<3>c\0<4>', 'd\n<5>e']);
    expect(out.framing).toBe('non-transparent');
    expect(out.frames).toEqual(['<1>a', '<2>b', '<3>c', '<4>d', '<5>e']);
    expect(out.errors).toEqual([]);
  });

  it('reads octet-counted messages across chunks, with newlines between or inside frames', () => {
    const messages = ['<13>1 - - - - - - one', '<13>1 - - - - - - two\nlines', '<13>1 - - - - - - é'];
    const stream = `${messages.map(frameOctetCounting).join('\n')}${frameOctetCounting('<13>1 - - - - - - nl\n')}`;
    for (let cut = 0; cut <= stream.length; cut++) {
      const bytes = Buffer.from(stream);
      const out = decodeStream([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(out.framing).toBe('octet-counting');
      expect(out.frames).toEqual([...messages, '<13>1 - - - - - - nl']);
      expect(out.errors).toEqual([]);
    }
  });

  it('matches the example in its documentation', () => {
    const out = collector();
    const decoder = new SyslogStreamDecoder(8192);
    decoder.push(Buffer.from('11 <13>1 - - -3 <1'), out.handler);
    expect(out.frames).toEqual(['<13>1 - - -']);
    decoder.push(Buffer.from('>\n'), out.handler);
    expect(out.frames).toEqual(['<13>1 - - -', '<1>']);
  });

  it('skips messages over the limit and goes on, in both framings', () => {
    const long = `<1>${'x'.repeat(40)}`;
    const lines = decodeStream([`<1>a\n${long.slice(0, 20)}`, `${long.slice(20)}\n<2>b\n${long}\n<3>c`], 20);
    expect(lines.frames).toEqual(['<1>a', '<2>b', '<3>c']);
    expect(lines.errors.map((e) => [e.tooLong, e.fatal])).toEqual([
      [true, false],
      [true, false],
    ]);
    expect(lines.errors[0]?.reason).toBe('message of 43 bytes or more is over the limit of 20');
    const counted = decodeStream(
      [`6 <1>abc${frameOctetCounting(long).slice(0, 10)}`, `${frameOctetCounting(long).slice(10)}4 <2>b`],
      20,
    );
    expect(counted.frames).toEqual(['<1>abc', '<2>b']);
    expect(counted.errors.map((e) => e.tooLong)).toEqual([true]);
  });

  it.each([
    [
      'a first byte that is neither < nor a digit',
      'hello\n',
      'cannot tell the framing from first byte 0x68',
      0,
    ],
    ['a first byte 0', '0 <1>', 'cannot tell the framing from first byte 0x30', 0],
    [
      'a length that is not followed by a space',
      '5x<1>ab',
      'expected an octet count (digits, then a space), got byte 0x78',
      1,
    ],
    [
      'a length with a leading zero after a frame',
      '3 <1>05 <1>ab',
      'an octet count must not start with 0',
      5,
    ],
    ['a length of eleven digits', '12345678901 x', 'an octet count has more than 10 digits', 10],
    ['a message where a length goes', '3 <1><2>b', 'expected an octet count', 5],
  ])('fails the stream on %s', (_name, stream, reason, offset) => {
    const out = collector();
    const decoder = new SyslogStreamDecoder(1024);
    expect(decoder.push(Buffer.from(stream), out.handler)).toBe(false);
    expect(decoder.failed).toBe(true);
    expect(decoder.push(Buffer.from('<1>more\n'), out.handler)).toBe(false);
    const fatal = out.errors.at(-1);
    expect(fatal?.fatal).toBe(true);
    expect(fatal?.reason).toContain(reason);
    expect(fatal?.offset).toBe(offset);
  });

  it('reports an octet-counted frame or count cut short by the end of the stream', () => {
    const body = decodeStream(['10 <1>ab']);
    expect(body.errors.map((e) => e.reason)).toEqual([
      'the stream ended 5 bytes short of an octet-counted message of 10',
    ]);
    expect(decodeStream(['3 <1>12']).errors.map((e) => e.reason)).toEqual([
      'the stream ended inside an octet count',
    ]);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new SyslogStreamDecoder(0)).toThrow(RangeError);
  });
});

describe('decodeSyslogDatagram', () => {
  const datagram = (text: string, max = 1024) => {
    const out = collector();
    decodeSyslogDatagram(Buffer.from(text), max, out.handler);
    return out;
  };

  it('takes one message, with or without a line end, several lines, or octet-counted frames', () => {
    expect(datagram('<13>1 - - - - - - hi').frames).toEqual(['<13>1 - - - - - - hi']);
    expect(datagram('<13>1 - - - - - - hi\r\n').frames).toEqual(['<13>1 - - - - - - hi']);
    expect(datagram('<1>a\n<2>b\n').frames).toEqual(['<1>a', '<2>b']);
    expect(datagram('4 <1>a4 <2>b').frames).toEqual(['<1>a', '<2>b']);
  });

  it('reports what is not a message', () => {
    expect(datagram('hello').errors.map((e) => e.fatal)).toEqual([true]);
    expect(datagram(`<1>${'x'.repeat(30)}`, 20).errors.map((e) => e.tooLong)).toEqual([true]);
    expect(datagram('9 <1>a').errors.map((e) => e.reason)).toEqual([
      'the stream ended 5 bytes short of an octet-counted message of 9',
    ]);
  });
});

// Property tests.

const printable = (min: number, max: number) =>
  fc.stringMatching(new RegExp(`^[\\x21-\\x7e]{${min},${max}}$`));
const headerField = (max: number) =>
  fc.option(
    printable(1, max).filter((s) => s !== '-'),
    { nil: undefined },
  );
const sdName = fc.stringMatching(/^[\x21\x23-\x3c\x3e-\x5c\x5e-\x7e]{1,32}$/);
const anyText = fc.string({ unit: 'binary', maxLength: 40 });
const timestampNs = fc.bigInt({ min: -62135596800000000000n, max: 253402300799999999999n });

const rfc5424Message: fc.Arbitrary<SyslogMessage> = fc
  .record({
    priority: fc.integer({ min: 0, max: 191 }),
    version: fc.integer({ min: 1, max: 999 }),
    timestampNs: fc.option(timestampNs, { nil: undefined }),
    hostname: headerField(255),
    appName: headerField(48),
    procId: headerField(128),
    msgId: headerField(32),
    structuredData: fc.array(
      fc.record({
        id: sdName,
        params: fc.array(fc.record({ name: sdName, value: anyText }), { maxLength: 3 }),
      }),
      { maxLength: 3 },
    ) as fc.Arbitrary<SyslogSdElement[]>,
    message: anyText,
  })
  .map((m) => ({
    format: 'rfc5424' as const,
    facility: m.priority >> 3,
    severity: m.priority & 7,
    ...m,
  }));

describe('properties', () => {
  it('any text parses or throws SyslogParseError, in every format', () => {
    const syslogish = fc.oneof(
      anyText,
      fc
        .constantFrom('<', '<13>', '<13>1 ', '<13>1 - - - - - ', '<13>Oct 11 ', '<13>2024-01-01T')
        .chain((prefix) =>
          fc
            .string({
              unit: fc.constantFrom(...'<>0123456789 -:.TZ+[]="\\@abcOctJan\n\t\u0000é'),
              maxLength: 50,
            })
            .map((rest) => prefix + rest),
        ),
    );
    fc.assert(
      fc.property(
        syslogish,
        fc.constantFrom('auto' as const, 'rfc5424' as const, 'rfc3164' as const),
        (text, format) => {
          try {
            const m = parseSyslog(text, { format, location: 'Europe/Berlin' });
            expect(m.priority).toBe(m.facility * 8 + m.severity);
          } catch (error) {
            if (!(error instanceof SyslogParseError)) throw error;
            expect(error.offset).toBeGreaterThanOrEqual(0);
            expect(error.offset).toBeLessThanOrEqual(text.length);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('formatRfc5424 writes what parseRfc5424 reads back unchanged', () => {
    fc.assert(
      fc.property(rfc5424Message, (message) => {
        expect(parseRfc5424(formatRfc5424(message))).toEqual(message);
      }),
      { numRuns: 2000 },
    );
  });

  it('formatRfc3164 writes what parseRfc3164 reads back, in any location', () => {
    const nowMs = Date.UTC(2024, 5, 15);
    const tagChar = fc.stringMatching(/^[\x21-\x39\x3b-\x5a\x5c\x5e-\x7e]{1,64}$/);
    fc.assert(
      fc.property(
        fc.record({
          priority: fc.integer({ min: 0, max: 191 }),
          // Whole seconds from ten months ago to six days ahead: the year inference finds them.
          seconds: fc.integer({ min: nowMs / 1000 - 300 * 86400, max: nowMs / 1000 + 6 * 86400 }),
          hostname: fc.stringMatching(/^[A-Za-z0-9.-]{1,30}$/),
          appName: tagChar,
          procId: fc.option(fc.stringMatching(/^[\x21-\x5c\x5e-\x7e]{1,10}$/), { nil: undefined }),
          message: anyText,
        }),
        fc.constantFrom('UTC', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe'),
        (m, location) => {
          const message = { ...m, timestampNs: BigInt(m.seconds) * 1_000_000_000n };
          const parsed = parseRfc3164(formatRfc3164(message, { location }), { nowMs, location });
          // A wall time repeated when clocks go back reads as its first instant.
          const wall = wallClockZone(location);
          const expected = BigInt(wall.toUtcMs(wall.toWallMs(m.seconds * 1000))) * 1_000_000n;
          expect(parsed).toMatchObject({
            priority: m.priority,
            timestampNs: expected,
            hostname: m.hostname,
            appName: m.appName,
            procId: m.procId,
            message: m.message,
          });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('parseRfc5424 reads what glossy (an independent implementation) produces', () => {
    const producer = new glossy.Produce({ type: 'RFC5424' });
    const word = (max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9._]{1,${max}}$`));
    const sdValue = fc.string({ unit: fc.constantFrom(...'ab Z09"[]\\=@é-'), maxLength: 20 });
    fc.assert(
      fc.property(
        fc.record({
          facility: fc.constantFrom(...Object.keys(FACILITY_NUMBERS)),
          severity: fc.constantFrom(...Object.keys(SEVERITY_NUMBERS)),
          host: word(40),
          appName: word(40),
          pid: fc.integer({ min: 1, max: 4_000_000 }),
          msgID: word(32),
          // glossy pads milliseconds to two digits (1 ms becomes '.01'): keep them at three.
          ms: fc
            .integer({ min: 0, max: 4102444799 })
            .chain((s) => fc.integer({ min: 100, max: 999 }).map((m) => s * 1000 + m)),
          sd: fc.dictionary(word(20), fc.dictionary(word(20), sdValue, { maxKeys: 3 }), {
            maxKeys: 2,
          }),
          message: fc.stringMatching(/^[ -~é]{1,60}$/).filter((s) => !s.startsWith(' ')),
        }),
        (f) => {
          const text = producer.produce({
            facility: f.facility,
            severity: f.severity,
            host: f.host,
            appName: f.appName,
            pid: f.pid,
            msgID: f.msgID,
            date: new Date(f.ms),
            // glossy escapes the values of the object it is given in place: give it a copy.
            structuredData: structuredClone(f.sd),
            message: f.message,
          }) as string;
          const parsed = parseRfc5424(text);
          expect(parsed).toMatchObject({
            facility: FACILITY_NUMBERS[f.facility],
            severity: SEVERITY_NUMBERS[f.severity],
            timestampNs: BigInt(f.ms) * 1_000_000n,
            hostname: f.host,
            appName: f.appName,
            procId: String(f.pid),
            msgId: f.msgID,
            message: f.message,
          });
          const sd = Object.fromEntries(
            parsed.structuredData.map((e) => [
              e.id,
              Object.fromEntries(e.params.map((p) => [p.name, p.value])),
            ]),
          );
          expect(sd).toEqual(f.sd);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('parseRfc3164 reads what glossy produces as BSD syslog', () => {
    const producer = new glossy.Produce({ type: 'BSD' });
    const nowMs = Date.now();
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9.-]{1,30}$/),
        fc.stringMatching(/^[A-Za-z0-9_/-]{1,30}$/),
        fc.integer({ min: 1, max: 99999 }),
        fc.integer({ min: -300 * 86400, max: 6 * 86400 }),
        fc.stringMatching(/^[ -~]{1,60}$/),
        (host, appName, pid, offsetSeconds, message) => {
          const seconds = Math.floor(nowMs / 1000) + offsetSeconds;
          const text = producer.produce({
            facility: 'daemon',
            severity: 'info',
            host,
            appName,
            pid,
            date: new Date(seconds * 1000),
            message,
          }) as string;
          expect(parseRfc3164(text, { nowMs, location: 'Local' })).toMatchObject({
            facility: 3,
            severity: 6,
            timestampNs: BigInt(seconds) * 1_000_000_000n,
            hostname: host,
            appName,
            procId: String(pid),
            message,
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('framing finds the same messages however the stream is cut, and never more than the limit', () => {
    const line = fc.string({ unit: 'binary', maxLength: 30 }).map((s) => `<13>${s.replace(/[\n\r\0]/g, '')}`);
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 6 }),
        (messages, octets, cuts) => {
          const stream = Buffer.from(
            octets ? messages.map(frameOctetCounting).join('') : `${messages.join('\n')}\n`,
          );
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let from = 0;
          for (const point of points) {
            chunks.push(stream.subarray(from, point));
            from = point;
          }
          chunks.push(stream.subarray(from));
          const out = decodeStream(chunks, 48);
          const expected = messages.filter((m) => Buffer.byteLength(m) <= 48);
          expect(out.frames).toEqual(expected);
          expect(out.errors.every((e) => e.tooLong && !e.fatal)).toBe(true);
          expect(out.errors).toHaveLength(messages.length - expected.length);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('framing of random bytes never throws and reports only SyslogParseError', () => {
    const byte = fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom(0x3c, 0x0a, 0x20, 0x31, 0x30, 0x00),
    );
    fc.assert(
      fc.property(fc.array(fc.array(byte, { maxLength: 40 }), { maxLength: 6 }), (chunks) => {
        const out = collector();
        const decoder = new SyslogStreamDecoder(16);
        const frames: Buffer[] = [];
        const handler = {
          frame: (bytes: Buffer) => frames.push(bytes),
          error: (error: SyslogParseError) => out.handler.error(error),
        };
        for (const chunk of chunks) decoder.push(Buffer.from(chunk), handler);
        decoder.end(handler);
        for (const frame of frames) expect(frame.length).toBeLessThanOrEqual(16);
        for (const error of out.errors) expect(error).toBeInstanceOf(SyslogParseError);
        const joined = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        const datagram = collector();
        decodeSyslogDatagram(joined, 16, datagram.handler);
      }),
      { numRuns: 3000 },
    );
  });
});

const FACILITY_NUMBERS: Readonly<Record<string, number>> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  local0: 16,
  local7: 23,
};
const SEVERITY_NUMBERS: Readonly<Record<string, number>> = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warn: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

/**
 * RFC 5424 syslog messages: a strict parser (every header field checked against the RFC's ABNF,
 * structured data with its escapes, timestamps to the nanosecond) and the formatter that writes
 * what the parser reads back unchanged.
 */
import {
  civilSeconds,
  describeAt,
  fail,
  formatRfc3339,
  priEnd,
  readPri,
  readRfc3339,
  toNs,
} from './common.js';
import type { SyslogMessage, SyslogSdElement, SyslogSdParam } from './types.js';

const BOM = '\uFEFF';
const NO_SD: readonly SyslogSdElement[] = Object.freeze([]);

/**
 * Parses one RFC 5424 message (without framing):
 * `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]`.
 * `-` leaves a field out. The timestamp keeps up to nine fraction digits exactly, whatever its
 * offset. Structured data values have `\"`, `\\` and `\]` unescaped (a backslash before any other
 * character stays). A byte order mark opening MSG is removed.
 *
 * @throws SyslogParseError naming what was expected and where.
 *
 * @example
 * ```ts
 * const m = parseRfc5424('<165>1 2003-10-11T22:14:15.003Z host evntslog - ID47 [ex@32473 iut="3"] hi');
 * m.facility; // 20 (local4)
 * m.structuredData; // [{ id: 'ex@32473', params: [{ name: 'iut', value: '3' }] }]
 * ```
 */
export function parseRfc5424(text: string): SyslogMessage {
  const priority = readPri(text);
  let i = priEnd(priority);
  // VERSION: NONZERO-DIGIT 0*2DIGIT
  let version = 0;
  const versionStart = i;
  for (; i < text.length && i - versionStart < 4; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) break;
    version = version * 10 + (code - 0x30);
  }
  if (i === versionStart) fail(`expected the version after the priority, got ${describeAt(text, i)}`, i);
  if (i - versionStart > 3 || text.charCodeAt(versionStart) === 0x30)
    fail('the version must be 1 to 999 without leading zeros', versionStart);
  i = space(text, i, 'the version');

  let timestampNs: bigint | undefined;
  if (text.charCodeAt(i) === 0x2d /* - */ && text.charCodeAt(i + 1) === 0x20) {
    i += 2;
  } else {
    const wall = readRfc3339(text, i, true);
    const seconds =
      civilSeconds(wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second) -
      (wall.offsetMinutes ?? 0) * 60;
    timestampNs = toNs(seconds, wall.fractionNs);
    i = space(text, wall.end, 'the timestamp');
  }

  const hostname = token(text, i, 255, 'HOSTNAME');
  i = space(text, tokenEnd, 'HOSTNAME');
  const appName = token(text, i, 48, 'APP-NAME');
  i = space(text, tokenEnd, 'APP-NAME');
  const procId = token(text, i, 128, 'PROCID');
  i = space(text, tokenEnd, 'PROCID');
  const msgId = token(text, i, 32, 'MSGID');
  i = space(text, tokenEnd, 'MSGID');

  let structuredData = NO_SD;
  const first = text.charCodeAt(i);
  if (first === 0x2d /* - */) {
    i++;
  } else if (first === 0x5b /* [ */) {
    const elements: SyslogSdElement[] = [];
    while (text.charCodeAt(i) === 0x5b) i = readElement(text, i, elements);
    structuredData = elements;
  } else {
    fail(`expected structured data ('-' or '['), got ${describeAt(text, i)}`, i);
  }

  let message = '';
  if (i < text.length) {
    if (text.charCodeAt(i) !== 0x20)
      fail(`expected a space between structured data and the message, got ${describeAt(text, i)}`, i);
    message = text.charCodeAt(i + 1) === 0xfeff ? text.slice(i + 2) : text.slice(i + 1);
  }
  return {
    format: 'rfc5424',
    priority,
    facility: priority >> 3,
    severity: priority & 7,
    version,
    timestampNs,
    hostname,
    appName,
    procId,
    msgId,
    structuredData,
    message,
  };
}

/** Options of {@link formatRfc5424}. */
export interface FormatRfc5424Options {
  /** Open MSG with a byte order mark, as RFC 5424 asks of UTF-8 messages. @defaultValue false */
  readonly bom?: boolean;
}

/**
 * Writes a message as RFC 5424 (without framing), the timestamp in UTC with six fraction digits
 * (nine when it has nanoseconds). `undefined` fields become `-`; an empty message is left out.
 * {@link parseRfc5424} reads the result back to the same message.
 *
 * @throws RangeError when a field cannot be written: out-of-range numbers, header fields that are
 * empty, too long or hold characters other than printable ASCII, structured data names with
 * `=`, space, `]` or `"`.
 */
export function formatRfc5424(
  message: Omit<SyslogMessage, 'format' | 'facility' | 'severity'>,
  options: FormatRfc5424Options = {},
): string {
  const { priority } = message;
  if (!Number.isInteger(priority) || priority < 0 || priority > 191)
    throw new RangeError(`priority must be an integer from 0 to 191, got ${priority}`);
  const version = message.version ?? 1;
  if (!Number.isInteger(version) || version < 1 || version > 999)
    throw new RangeError(`version must be an integer from 1 to 999, got ${version}`);
  const timestamp = message.timestampNs === undefined ? '-' : formatRfc3339(message.timestampNs);
  let sd = '-';
  if (message.structuredData.length > 0) {
    sd = '';
    for (const element of message.structuredData) {
      sd += `[${sdName(element.id, 'SD-ID')}`;
      for (const param of element.params)
        sd += ` ${sdName(param.name, 'PARAM-NAME')}="${escapeValue(param.value)}"`;
      sd += ']';
    }
  }
  const header = `<${priority}>${version} ${timestamp} ${field(message.hostname, 255, 'hostname')} ${field(message.appName, 48, 'appName')} ${field(message.procId, 128, 'procId')} ${field(message.msgId, 32, 'msgId')} ${sd}`;
  if (message.message === '') return header;
  const bom = options.bom === true || message.message.startsWith(BOM) ? BOM : '';
  return `${header} ${bom}${message.message}`;
}

/** Where the last {@link token} ended. Module state keeps the hot path free of allocations. */
let tokenEnd = 0;

/** Reads a header field of 1 to `max` printable ASCII characters; `-` alone is `undefined`. */
function token(text: string, at: number, max: number, name: string): string | undefined {
  let i = at;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x20) break;
    if (code < 0x21 || code > 0x7e)
      fail(`${name} holds ${describeAt(text, i)}; only printable ASCII is allowed`, i);
  }
  tokenEnd = i;
  const length = i - at;
  if (length === 0) fail(`expected ${name}, got ${describeAt(text, at)}`, at);
  if (length > max) fail(`${name} is ${length} characters long; at most ${max} are allowed`, at);
  if (length === 1 && text.charCodeAt(at) === 0x2d) return undefined;
  return text.slice(at, i);
}

/** Checks for the space after a field and returns the offset after it. */
function space(text: string, at: number, after: string): number {
  if (text.charCodeAt(at) !== 0x20) fail(`expected a space after ${after}, got ${describeAt(text, at)}`, at);
  return at + 1;
}

/** Reads one `[SD-ID *(SP PARAM-NAME="VALUE")]` at `at`, returning the offset after `]`. */
function readElement(text: string, at: number, elements: SyslogSdElement[]): number {
  let i = at + 1;
  const id = sdNameAt(text, i, 'SD-ID');
  i = tokenEnd;
  const params: SyslogSdParam[] = [];
  for (;;) {
    const code = text.charCodeAt(i);
    if (code === 0x5d /* ] */) {
      elements.push({ id, params });
      return i + 1;
    }
    if (code !== 0x20)
      fail(`expected ' ' or ']' in structured data element '${id}', got ${describeAt(text, i)}`, i);
    const name = sdNameAt(text, i + 1, 'PARAM-NAME');
    i = tokenEnd;
    if (text.charCodeAt(i) !== 0x3d /* = */)
      fail(`expected '=' after parameter '${name}', got ${describeAt(text, i)}`, i);
    if (text.charCodeAt(i + 1) !== 0x22 /* " */)
      fail(`expected '"' to open the value of parameter '${name}', got ${describeAt(text, i + 1)}`, i + 1);
    i += 2;
    const start = i;
    let escaped = false;
    for (; ; i++) {
      if (i >= text.length) fail(`the value of parameter '${name}' is not closed with '"'`, start);
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c /* \ */) {
        escaped = true;
        i++;
      }
    }
    params.push({ name, value: escaped ? unescapeValue(text, start, i) : text.slice(start, i) });
    i++;
  }
}

/** Reads an SD-NAME (1 to 32 printable ASCII characters other than `=`, space, `]`, `"`). */
function sdNameAt(text: string, at: number, what: string): string {
  let i = at;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x3d || code === 0x20 || code === 0x5d || code === 0x22) break;
    if (code < 0x21 || code > 0x7e)
      fail(`${what} holds ${describeAt(text, i)}; only printable ASCII is allowed`, i);
  }
  const length = i - at;
  if (length === 0) fail(`expected ${what}, got ${describeAt(text, at)}`, at);
  if (length > 32) fail(`${what} is ${length} characters long; at most 32 are allowed`, at);
  tokenEnd = i;
  return text.slice(at, i);
}

/** A PARAM-VALUE with `\"`, `\\` and `\]` unescaped; other backslashes stay. */
function unescapeValue(text: string, start: number, end: number): string {
  let out = '';
  let from = start;
  for (let i = start; i < end; i++) {
    if (text.charCodeAt(i) !== 0x5c) continue;
    const next = text.charCodeAt(i + 1);
    if (next === 0x22 || next === 0x5c || next === 0x5d) {
      out += text.slice(from, i);
      from = i + 1;
    }
    i++;
  }
  return out + text.slice(from, end);
}

function escapeValue(value: string): string {
  return /["\\\]]/.test(value) ? value.replace(/["\\\]]/g, '\\$&') : value;
}

function field(value: string | undefined, max: number, name: string): string {
  if (value === undefined) return '-';
  if (value.length === 0 || value.length > max || value === '-' || !/^[\x21-\x7e]+$/.test(value))
    throw new RangeError(
      `${name} must be 1 to ${max} printable ASCII characters other than '-' alone, got '${value}'`,
    );
  return value;
}

function sdName(value: string, name: string): string {
  if (!/^[\x21\x23-\x3c\x3e-\x5c\x5e-\x7e]{1,32}$/.test(value))
    throw new RangeError(
      `${name} must be 1 to 32 printable ASCII characters other than '=', ' ', ']', '"', got '${value}'`,
    );
  return value;
}

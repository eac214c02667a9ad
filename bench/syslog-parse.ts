/**
 * Parsing syslog: rivulet's RFC 5424 and RFC 3164 parsers (alone, through the format detection
 * of `parseSyslog`, and behind the TCP stream decoder with UTF-8 decoding, which is the
 * receiver's path per message) against glossy, the syslog parser npm users reach for, on the same
 * 20,000 generated messages per format. Each case gets two rows from one timing: MiB (ns per MiB,
 * MiB/s) and message (ns per message, messages/s).
 */
import { createRequire } from 'node:module';
import {
  frameOctetCounting,
  parseRfc3164,
  parseRfc5424,
  parseSyslog,
  type SyslogMessage,
  SyslogStreamDecoder,
} from '../src/protocols/syslog/index.js';
import { type BenchRow, measure } from './harness.js';

const BENCH = 'syslog-parse';
const MESSAGES = 20_000;

type GlossyParse = (raw: string) => { message?: string } | undefined;

export async function run(): Promise<BenchRow[]> {
  const glossy = createRequire(import.meta.url)('glossy') as { Parse: { parse: GlossyParse } };
  const { rfc5424, rfc3164 } = corpus();
  const nowMs = Date.UTC(2024, 5, 15);
  const sink = { length: 0 };
  const take = (m: SyslogMessage): void => {
    sink.length += m.message.length;
  };
  const stream5424 = Buffer.from(rfc5424.map(frameOctetCounting).join(''));
  const stream3164 = Buffer.from(`${rfc3164.join('\n')}\n`);
  const decodeAndParse = (stream: Buffer): (() => void) => {
    return () => {
      const decoder = new SyslogStreamDecoder(8192);
      const handler = {
        frame: (bytes: Buffer) => take(parseSyslog(bytes.toString('utf8'), { nowMs })),
        error: (error: Error) => {
          throw error;
        },
      };
      // 64 KiB chunks, as a socket delivers them.
      for (let at = 0; at < stream.length; at += 65536)
        decoder.push(stream.subarray(at, at + 65536), handler);
      decoder.end(handler);
    };
  };
  const cases: [string, readonly string[], number, () => void][] = [
    [
      'rivulet parseRfc5424',
      rfc5424,
      bytes(rfc5424),
      () => {
        for (const m of rfc5424) take(parseRfc5424(m));
      },
    ],
    [
      "rivulet parseSyslog (format 'auto'), RFC 5424",
      rfc5424,
      bytes(rfc5424),
      () => {
        for (const m of rfc5424) take(parseSyslog(m));
      },
    ],
    [
      'rivulet stream decoder (octet counting) + UTF-8 + parseSyslog, RFC 5424',
      rfc5424,
      stream5424.length,
      decodeAndParse(stream5424),
    ],
    [
      'glossy Parse.parse, RFC 5424',
      rfc5424,
      bytes(rfc5424),
      () => {
        for (const m of rfc5424) glossyTake(glossy, m, sink);
      },
    ],
    [
      'rivulet parseRfc3164',
      rfc3164,
      bytes(rfc3164),
      () => {
        for (const m of rfc3164) take(parseRfc3164(m, { nowMs }));
      },
    ],
    [
      "rivulet parseSyslog (format 'auto'), RFC 3164",
      rfc3164,
      bytes(rfc3164),
      () => {
        for (const m of rfc3164) take(parseSyslog(m, { nowMs }));
      },
    ],
    [
      'rivulet stream decoder (newline) + UTF-8 + parseSyslog, RFC 3164',
      rfc3164,
      stream3164.length,
      decodeAndParse(stream3164),
    ],
    [
      'glossy Parse.parse, RFC 3164',
      rfc3164,
      bytes(rfc3164),
      () => {
        for (const m of rfc3164) glossyTake(glossy, m, sink);
      },
    ],
  ];
  const rows: BenchRow[] = [];
  for (const [name, messages, size, parse] of cases) {
    const mebibytes = size / 2 ** 20;
    const row = await measure(BENCH, name, 'MiB', mebibytes, parse, 9);
    const medianNs = row.nsPerUnit * mebibytes;
    rows.push(row, {
      bench: BENCH,
      case: name,
      unit: 'message',
      nsPerUnit: medianNs / messages.length,
      unitsPerSecond: (messages.length / medianNs) * 1e9,
      runs: row.runs,
    });
  }
  if (sink.length === 0) throw new Error('nothing was parsed');
  return rows;
}

function glossyTake(
  glossy: { Parse: { parse: GlossyParse } },
  message: string,
  sink: { length: number },
): void {
  sink.length += glossy.Parse.parse(message)?.message?.length ?? 0;
}

function bytes(messages: readonly string[]): number {
  let total = 0;
  for (const message of messages) total += Buffer.byteLength(message);
  return total;
}

/**
 * Messages shaped like a busy host's: systemd units, sshd, cron, kernel and application lines
 * from a few hundred hosts, RFC 5424 ones with microsecond times and (one in three) structured
 * data, RFC 3164 ones in the traditional format rsyslog forwards, some without a pid.
 */
export function corpus(): { rfc5424: string[]; rfc3164: string[] } {
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor((seed / 2147483648) * n);
  };
  const apps = ['sshd', 'systemd', 'CRON', 'kernel', 'nginx', 'postfix/smtpd', 'checkout-api', 'dockerd'];
  const texts = [
    'Accepted publickey for deploy from 10.20.30.40 port 52144 ssh2: ED25519 SHA256:Zm9vYmFyYmF6cXV4',
    'Started Daily apt download activities.',
    '(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)',
    'TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.',
    '10.1.2.3 - - "GET /api/v1/orders?page=2 HTTP/1.1" 200 5123 "-" "curl/8.4.0" rt=0.012',
    'connect from mail-ot1-f41.google.com[209.85.210.41]',
    'order 7f3a9c2e placed: 3 items, total 129.90 EUR, payment authorised in 184 ms',
    'Container 4b1e2f started with image registry.example.com/checkout:1.42.0 (pull 0.8s)',
  ];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun'];
  const rfc5424: string[] = [];
  const rfc3164: string[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const app = apps[random(apps.length)] as string;
    const text = texts[random(texts.length)] as string;
    const host = `node-${random(300)}.eu-west-1.compute.internal`;
    const pri = 8 * ([1, 3, 4, 10, 16, 23][random(6)] as number) + random(8);
    const pid = String(100 + random(60000));
    const micros = String(random(1_000_000)).padStart(6, '0');
    const sd =
      random(3) === 0 ? `[meta@32473 trace_id="${random(1e9).toString(16)}" region="eu-west-1"]` : '-';
    rfc5424.push(
      `<${pri}>1 2024-06-${String(1 + random(14)).padStart(2, '0')}T${String(random(24)).padStart(2, '0')}:${String(random(60)).padStart(2, '0')}:${String(random(60)).padStart(2, '0')}.${micros}+00:00 ${host} ${app.replace('/', '-')} ${pid} - ${sd} ${text}`,
    );
    const day = 1 + random(28);
    const tag = random(4) === 0 ? `${app}:` : `${app}[${pid}]:`;
    rfc3164.push(
      `<${pri}>${months[random(6)]} ${day < 10 ? ` ${day}` : day} ${String(random(24)).padStart(2, '0')}:${String(random(60)).padStart(2, '0')}:${String(random(60)).padStart(2, '0')} ${host.split('.')[0]} ${tag} ${text}`,
    );
  }
  // Flat strings, as decoding a socket's bytes gives them (built ones are ropes until first read).
  const flat = (text: string): string => Buffer.from(text).toString('utf8');
  return { rfc5424: rfc5424.map(flat), rfc3164: rfc3164.map(flat) };
}

/**
 * A tiny authoritative DNS server for tests: UDP on 127.0.0.1, answering A, AAAA and SRV
 * questions from an in-memory zone with minimal hand-written message parsing and encoding
 * (RFC 1035 and RFC 2782). Unknown names get NXDOMAIN; known names without records of the asked
 * type get an empty answer.
 */
import { createSocket } from 'node:dgram';

/** An SRV record's data. */
export interface SrvRecord {
  readonly target: string;
  readonly port: number;
  readonly priority?: number;
  readonly weight?: number;
}

/** The records served, by name (case-insensitive, without the trailing dot). */
export interface Zone {
  a: Map<string, string[]>;
  srv: Map<string, SrvRecord[]>;
}

/** A running responder. */
export interface DnsResponder {
  /** `'127.0.0.1:port'`, as `dnsServers` takes it. */
  readonly server: string;
  /** The records served; change them at any time. */
  readonly zone: Zone;
  /** The questions received, as `'TYPE name'`. */
  readonly questions: string[];
  close(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;
const TYPE_SRV = 33;
const CLASS_IN = 1;
const TYPE_NAMES: Record<number, string> = { [TYPE_A]: 'A', [TYPE_AAAA]: 'AAAA', [TYPE_SRV]: 'SRV' };

interface Question {
  readonly id: number;
  readonly recursionDesired: boolean;
  readonly name: string;
  readonly type: number;
  /** The question section as received, copied into the answer. */
  readonly raw: Buffer;
}

/** Starts a responder on a free UDP port of 127.0.0.1. */
export async function startDnsResponder(zone: Partial<Zone> = {}): Promise<DnsResponder> {
  const records: Zone = { a: zone.a ?? new Map(), srv: zone.srv ?? new Map() };
  const questions: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (message, remote) => {
    const question = parseQuery(message);
    if (question === undefined) return;
    questions.push(`${TYPE_NAMES[question.type] ?? question.type} ${question.name}`);
    socket.send(answer(question, records), remote.port, remote.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  return {
    server: `127.0.0.1:${socket.address().port}`,
    zone: records,
    questions,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/** The first question of a query, or `undefined` for anything that is not a query. */
export function parseQuery(message: Buffer): Question | undefined {
  if (message.length < 12) return undefined;
  const flags = message.readUInt16BE(2);
  const isResponse = (flags & 0x8000) !== 0;
  if (isResponse || message.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    const length = message[offset];
    if (length === undefined || length > 63) return undefined;
    offset += 1;
    if (length === 0) break;
    labels.push(message.subarray(offset, offset + length).toString('ascii'));
    offset += length;
  }
  if (offset + 4 > message.length) return undefined;
  const type = message.readUInt16BE(offset);
  return {
    id: message.readUInt16BE(0),
    recursionDesired: (flags & 0x0100) !== 0,
    name: labels.join('.').toLowerCase(),
    type,
    raw: message.subarray(12, offset + 4),
  };
}

function encodeName(name: string): Buffer {
  const parts = name
    .replace(/\.$/, '')
    .split('.')
    .filter((label) => label !== '');
  return Buffer.concat([
    ...parts.map((label) => Buffer.concat([Buffer.of(label.length), Buffer.from(label, 'ascii')])),
    Buffer.of(0),
  ]);
}

function ipv6Bytes(ip: string): Buffer {
  const [head = '', tail] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => {
    bytes.writeUInt16BE(Number.parseInt(group, 16), i * 2);
  });
  return bytes;
}

function record(type: number, data: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(0xc00c, 0); // a pointer to the question's name
  header.writeUInt16BE(type, 2);
  header.writeUInt16BE(CLASS_IN, 4);
  header.writeUInt32BE(0, 6); // TTL: never cache
  header.writeUInt16BE(data.length, 10);
  return Buffer.concat([header, data]);
}

/** The response to `question` from `zone`. */
export function answer(question: Question, zone: Zone): Buffer {
  const name = question.name.replace(/\.$/, '');
  const addresses = zone.a.get(name);
  const services = zone.srv.get(name);
  const answers: Buffer[] = [];
  if (question.type === TYPE_A) {
    for (const ip of addresses ?? []) {
      if (!ip.includes(':')) answers.push(record(TYPE_A, Buffer.from(ip.split('.').map(Number))));
    }
  } else if (question.type === TYPE_AAAA) {
    for (const ip of addresses ?? []) if (ip.includes(':')) answers.push(record(TYPE_AAAA, ipv6Bytes(ip)));
  } else if (question.type === TYPE_SRV) {
    for (const srv of services ?? []) {
      const fixed = Buffer.alloc(6);
      fixed.writeUInt16BE(srv.priority ?? 0, 0);
      fixed.writeUInt16BE(srv.weight ?? 0, 2);
      fixed.writeUInt16BE(srv.port, 4);
      answers.push(record(TYPE_SRV, Buffer.concat([fixed, encodeName(srv.target)])));
    }
  }
  const known = addresses !== undefined || services !== undefined;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(question.id, 0);
  // QR, AA, RD copied, RA; RCODE 3 (NXDOMAIN) for a name the zone does not hold.
  header.writeUInt16BE(0x8400 | (question.recursionDesired ? 0x0100 : 0) | 0x0080 | (known ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, question.raw, ...answers]);
}

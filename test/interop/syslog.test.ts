/**
 * syslogReceiver fed by real senders. util-linux `logger` sends over UDP and TCP, in RFC 5424 and
 * RFC 3164, newline-framed and octet-counted, and every message must arrive with its fields as
 * labels. Debian's rsyslog, run unprivileged in the foreground with a configuration in a temporary
 * directory, takes messages from its own socket (imuxsock, written by `logger -u`) and from a
 * file (imfile), and forwards them (omfwd) to five receivers: RFC 5424 over UDP, over TCP with
 * newline framing and with octet counting, RFC 3164 over UDP, and rsyslog's RFC 3164 with
 * RFC 3339 times over TCP. Every message must arrive at each.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/core/signals.js';
import { type SyslogReceiverOptions, syslogReceiver } from '../../src/sources/syslog-receiver/index.js';
import { peerAvailable } from './peers.js';

const LOGGER = '/usr/bin/logger';
const RSYSLOGD = '/usr/sbin/rsyslogd';
const loggerAvailable = peerAvailable(LOGGER, 'apt-get install bsdutils');
const rsyslogAvailable = loggerAvailable && peerAvailable(RSYSLOGD, 'apt-get install rsyslog');

interface Started {
  readonly port: number;
  readonly entries: LogEntry[];
  readonly source: ReturnType<typeof syslogReceiver>;
}

const subscriptions: Subscription[] = [];

async function startReceiver(options: Omit<SyslogReceiverOptions, 'listen'>): Promise<Started> {
  let listening!: (port: number) => void;
  const bound = new Promise<number>((resolve) => {
    listening = resolve;
  });
  const source = syslogReceiver({
    listen: '127.0.0.1:0',
    labelStructuredData: true,
    useIncomingTimestamp: true,
    location: 'Local',
    ...options,
    onListening: ({ port }) => listening(port),
  });
  const entries: LogEntry[] = [];
  subscriptions.push(
    source.subscribe((batch) => {
      entries.push(...batch.items);
      batch.ack.delivered();
    }),
  );
  return { port: await bound, entries, source };
}

async function until(condition: () => boolean, what: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs `logger` with `lines` on its standard input; resolves once it exits 0. */
function runLogger(args: readonly string[], lines: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(LOGGER, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`logger ${args.join(' ')} exited ${code}: ${stderr}`)),
    );
    child.stdin.end(`${lines.join('\n')}\n`);
  });
}

afterAll(() => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
});

const HOST = hostname().split('.')[0] as string;

describe.skipIf(!loggerAvailable)('syslogReceiver fed by util-linux logger', () => {
  const cases = [
    { name: 'UDP, RFC 5424', protocol: 'udp', args: ['--udp', '--rfc5424'], rfc5424: true },
    { name: 'UDP, RFC 3164', protocol: 'udp', args: ['--udp', '--rfc3164'], rfc5424: false },
    { name: 'TCP newline-framed, RFC 5424', protocol: 'tcp', args: ['--tcp', '--rfc5424'], rfc5424: true },
    { name: 'TCP newline-framed, RFC 3164', protocol: 'tcp', args: ['--tcp', '--rfc3164'], rfc5424: false },
    {
      name: 'TCP octet-counted, RFC 5424',
      protocol: 'tcp',
      args: ['--tcp', '--octet-count', '--rfc5424'],
      rfc5424: true,
    },
    {
      name: 'TCP octet-counted, RFC 3164',
      protocol: 'tcp',
      args: ['--tcp', '--octet-count', '--rfc3164'],
      rfc5424: false,
    },
  ] as const;

  it.each(cases)('$name: every message arrives with its fields', async ({ protocol, args, rfc5424 }) => {
    const receiver = await startReceiver({ protocol });
    const count = 40;
    const lines = Array.from({ length: count }, (_, i) => `interop message ${i} via ${args.join(' ')} é`);
    const before = Date.now();
    await runLogger(
      [
        '--server',
        '127.0.0.1',
        '--port',
        String(receiver.port),
        ...args,
        '--tag',
        'interop-tag',
        '--id=4242',
        '--priority',
        'local3.warning',
        ...(rfc5424
          ? ['--msgid', 'MSG7', '--sd-id', 'origin@32473', '--sd-param', 'software="rivulet interop"']
          : []),
      ],
      lines,
    );
    const after = Date.now();
    await until(
      () => receiver.entries.length >= count,
      () =>
        `${count} entries, got ${receiver.entries.length}: ${JSON.stringify(receiver.source.component.stats())}`,
    );
    // UDP keeps no order; every line must be there exactly once.
    expect(receiver.entries.map((e) => e.line).sort()).toEqual([...lines].sort());
    for (const entry of receiver.entries) {
      const labels = entry.labels.toRecord();
      expect(labels).toMatchObject({
        __syslog_connection_ip_address: '127.0.0.1',
        __syslog_message_severity: 'warning',
        __syslog_message_facility: 'local3',
        __syslog_message_app_name: 'interop-tag',
        __syslog_message_proc_id: '4242',
      });
      expect(labels.__syslog_message_hostname?.split('.')[0]).toBe(HOST);
      expect(labels.__syslog_connection_hostname).toMatch(/^\S+$/);
      if (rfc5424) {
        expect(labels).toMatchObject({
          __syslog_message_msg_id: 'MSG7',
          __syslog_message_sd_origin_32473_software: 'rivulet interop',
        });
      } else {
        expect(labels.__syslog_message_msg_id).toBeUndefined();
      }
      // The sender's own time: to the microsecond in RFC 5424, to the second in RFC 3164.
      const ms = Number(entry.timestampNs / 1_000_000n);
      expect(ms).toBeGreaterThanOrEqual(before - (rfc5424 ? 0 : 1000));
      expect(ms).toBeLessThanOrEqual(after + 1000);
    }
    const stats = receiver.source.component.stats();
    expect(stats.dropped.size).toBe(0);
    expect(stats.errors.size).toBe(0);
  });
});

describe.skipIf(!rsyslogAvailable)('syslogReceiver fed by rsyslog (omfwd)', () => {
  const receivers = new Map<string, Started>();
  let directory = '';
  let rsyslog: ChildProcess | undefined;
  let rsyslogOutput = '';
  const socketCount = 20;
  const fileCount = 10;

  const targets = [
    {
      name: 'UDP, RFC 5424',
      protocol: 'udp',
      options: 'template="RSYSLOG_SyslogProtocol23Format"',
      rfc5424: true,
    },
    {
      name: 'TCP newline-framed, RFC 5424',
      protocol: 'tcp',
      options: 'template="RSYSLOG_SyslogProtocol23Format"',
      rfc5424: true,
    },
    {
      name: 'TCP octet-counted, RFC 5424',
      protocol: 'tcp',
      options: 'template="RSYSLOG_SyslogProtocol23Format" TCP_Framing="octet-counted"',
      rfc5424: true,
    },
    {
      name: 'UDP, RFC 3164',
      protocol: 'udp',
      options: 'template="RSYSLOG_TraditionalForwardFormat"',
      rfc5424: false,
    },
    {
      name: 'TCP, RFC 3164 with RFC 3339 times',
      protocol: 'tcp',
      options: 'template="RSYSLOG_ForwardFormat"',
      rfc5424: false,
    },
  ] as const;

  beforeAll(async () => {
    for (const target of targets)
      receivers.set(target.name, await startReceiver({ protocol: target.protocol }));
    directory = mkdtempSync(join(tmpdir(), 'rivulet-rsyslog-'));
    const config = [
      `global(workDirectory="${directory}")`,
      'module(load="imuxsock" SysSock.Use="off")',
      `input(type="imuxsock" Socket="${join(directory, 'log.sock')}" CreatePath="on")`,
      'module(load="imfile")',
      `input(type="imfile" File="${join(directory, 'input.log')}" Tag="filed:" Facility="local5" Severity="error")`,
      ...targets.map(
        (target) =>
          `action(type="omfwd" target="127.0.0.1" port="${receivers.get(target.name)?.port}" protocol="${target.protocol}" ${target.options})`,
      ),
      '',
    ].join('\n');
    writeFileSync(join(directory, 'rsyslog.conf'), config);
    writeFileSync(join(directory, 'input.log'), '');
    rsyslog = spawn(
      RSYSLOGD,
      ['-n', '-f', join(directory, 'rsyslog.conf'), '-i', join(directory, 'rsyslogd.pid')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    rsyslog.stdout?.on('data', (chunk: Buffer) => {
      rsyslogOutput += chunk.toString();
    });
    rsyslog.stderr?.on('data', (chunk: Buffer) => {
      rsyslogOutput += chunk.toString();
    });
    // rsyslog is ready once its socket exists.
    await until(
      () => existsSync(join(directory, 'log.sock')),
      () => `rsyslogd to create its socket: ${rsyslogOutput}`,
    );
  });

  afterAll(async () => {
    if (rsyslog !== undefined && rsyslog.exitCode === null) {
      const exited = new Promise<void>((resolve) => rsyslog?.once('exit', () => resolve()));
      rsyslog.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    }
    if (directory !== '') rmSync(directory, { recursive: true, force: true });
  });

  it('forwards messages from its socket and from a file to every receiver', async () => {
    const lines = Array.from({ length: socketCount }, (_, i) => `via rsyslog socket ${i}`);
    await runLogger(
      [
        '--socket',
        join(directory, 'log.sock'),
        '--tag',
        'rsys-tag',
        '--id=4242',
        '--priority',
        'local3.notice',
      ],
      lines,
    );
    const fileLines = Array.from({ length: fileCount }, (_, i) => `via rsyslog file ${i}`);
    appendFileSync(join(directory, 'input.log'), `${fileLines.join('\n')}\n`);
    const total = socketCount + fileCount;
    for (const target of targets) {
      const receiver = receivers.get(target.name) as Started;
      await until(
        () => receiver.entries.length >= total,
        () =>
          `${total} entries at '${target.name}', got ${receiver.entries.length}: ${JSON.stringify(receiver.source.component.stats())}; rsyslogd said: ${rsyslogOutput}`,
      );
      // rsyslog's %msg% keeps the space that followed the tag.
      expect(receiver.entries.map((e) => e.line.trimStart()).sort(), target.name).toEqual(
        [...lines, ...fileLines].sort(),
      );
      for (const entry of receiver.entries) {
        const labels = entry.labels.toRecord();
        const fromFile = entry.line.includes('file');
        expect(labels, target.name).toMatchObject({
          __syslog_connection_ip_address: '127.0.0.1',
          __syslog_message_severity: fromFile ? 'error' : 'notice',
          __syslog_message_facility: fromFile ? 'local5' : 'local3',
          __syslog_message_app_name: fromFile ? 'filed' : 'rsys-tag',
        });
        if (!fromFile) expect(labels.__syslog_message_proc_id, target.name).toBe('4242');
        expect(labels.__syslog_message_hostname?.split('.')[0], target.name).toBe(HOST);
        const ageMs = Date.now() - Number(entry.timestampNs / 1_000_000n);
        expect(ageMs, target.name).toBeGreaterThan(-2000);
        expect(ageMs, target.name).toBeLessThan(60_000);
      }
      const stats = receiver.source.component.stats();
      expect(stats.dropped.size, target.name).toBe(0);
      expect(stats.errors.size, target.name).toBe(0);
    }
  });
});

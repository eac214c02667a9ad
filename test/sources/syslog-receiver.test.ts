// The syslog receiver over real sockets: TCP with both framings and UDP, labels as Alloy gives
// them, many connections at once, bad input counted and skipped (or the connection closed) while
// other senders carry on, the in-flight window pausing TCP and dropping UDP, idle timeouts, and a
// clean stop.
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import type { Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Batch } from '../../src/core/batch.js';
import { ConfigError } from '../../src/core/errors.js';
import type { LogEntry } from '../../src/core/signals.js';
import { frameOctetCounting } from '../../src/protocols/syslog/index.js';
import { type SyslogReceiverOptions, syslogReceiver } from '../../src/sources/syslog-receiver/index.js';
import { relabel } from '../../src/transforms/relabel/index.js';

const subscriptions: Subscription[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
});

interface Receiver {
  readonly port: number;
  readonly batches: Batch<'logs'>[];
  readonly entries: () => LogEntry[];
  readonly source: ReturnType<typeof syslogReceiver>;
  readonly state: { completed: boolean; error: unknown };
  stop(): void;
}

async function start(options: Partial<SyslogReceiverOptions> = {}, ack = true): Promise<Receiver> {
  let listening!: (port: number) => void;
  const bound = new Promise<number>((resolve) => {
    listening = resolve;
  });
  const source = syslogReceiver({
    listen: '127.0.0.1:0',
    lookupHostname: false,
    ...options,
    onListening: ({ port }) => listening(port),
  });
  const batches: Batch<'logs'>[] = [];
  const state = { completed: false, error: undefined as unknown };
  subscriptions.push(
    source.subscribe({
      next: (batch) => {
        batches.push(batch);
        if (ack) batch.ack.delivered();
      },
      complete: () => {
        state.completed = true;
      },
      error: (error: unknown) => {
        state.error = error;
      },
    }),
  );
  const port = await bound;
  return {
    port,
    batches,
    entries: () => batches.flatMap((b) => [...b.items]),
    source,
    state,
    stop: () => (source.component as unknown as { stop(): void }).stop(),
  };
}

async function tcp(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

function udp(port: number, datagrams: readonly (string | Buffer)[]): Promise<void> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    let left = datagrams.length;
    if (left === 0) resolve();
    for (const datagram of datagrams) {
      socket.send(datagram, port, '127.0.0.1', (error) => {
        if (error) reject(error);
        if (--left === 0) {
          socket.close();
          resolve();
        }
      });
    }
  });
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const tick = (ms = 50) => new Promise((resolve) => setTimeout(resolve, ms));

const RFC5424 =
  '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 77 ID47 [exampleSDID@32473 iut="3" eventSource="Application"][meta.x-y z="1"] An application event log entry';
const RFC3164 = '<34>Oct 11 22:14:15 mymachine su[9]: su root failed';

describe('syslogReceiver options', () => {
  it.each([
    [{}, 'listen', 'is required'],
    [{ listen: 'nowhere' }, 'listen', "must be 'host:port'"],
    [{ listen: 1514, protocol: 'sctp' }, 'protocol', "must be 'tcp' or 'udp'"],
    [{ listen: 1514, format: 'rfc9999' }, 'format', "must be 'rfc5424', 'rfc3164' or 'auto'"],
    [{ listen: 1514, labels: { 'bad-name': 'x' } }, 'labels.bad-name', 'is not a valid label name'],
    [{ listen: 1514, labels: { ok: 1 } }, 'labels.ok', 'must be a string'],
    [{ listen: 1514, location: 'Nowhere/Special' }, 'location', 'is not a time zone'],
    [{ listen: 1514, maxMessageLength: '8 parsecs' }, 'maxMessageLength', 'is not a byte size'],
    [{ listen: 1514, idleTimeout: 'soon' }, 'idleTimeout', 'is not a duration'],
    [{ listen: 1514, maxInFlight: 0 }, 'maxInFlight', 'must be a positive integer'],
    [{ listen: 1514, maxBatchSize: 1.5 }, 'maxBatchSize', 'must be a positive integer'],
    [{ listen: 1514, maxConnections: -1 }, 'maxConnections', 'must be a positive integer'],
  ])('refuses %j when built', (options, option, problem) => {
    let thrown: unknown;
    try {
      syslogReceiver(options as unknown as SyslogReceiverOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).option).toBe(option);
    expect((thrown as ConfigError).message).toContain(problem);
  });

  it('errors the stream, naming the address, when it cannot listen', async () => {
    const first = await start();
    const second = syslogReceiver({ listen: `127.0.0.1:${first.port}`, lookupHostname: false });
    const error = await new Promise<unknown>((resolve) => {
      subscriptions.push(second.subscribe({ error: resolve }));
    });
    expect(String(error)).toContain(`cannot listen on tcp 127.0.0.1:${first.port}`);
  });
});

describe('syslogReceiver over TCP', () => {
  it('reads newline-framed messages of both formats with the labels Alloy gives', async () => {
    const receiver = await start({ labels: { job: 'syslog' }, labelStructuredData: true });
    const socket = await tcp(receiver.port);
    const before = BigInt(Date.now()) * 1_000_000n;
    socket.write(`${RFC5424}\n${RFC3164}\r\n<13>1 - - - - - - no header fields\n`);
    await until(() => receiver.entries().length === 3, 'three entries');
    const [first, second, third] = receiver.entries();
    expect(first?.line).toBe('An application event log entry');
    expect(first?.labels.toRecord()).toEqual({
      job: 'syslog',
      __syslog_connection_ip_address: '127.0.0.1',
      __syslog_message_severity: 'notice',
      __syslog_message_facility: 'local4',
      __syslog_message_hostname: 'mymachine.example.com',
      __syslog_message_app_name: 'evntslog',
      __syslog_message_proc_id: '77',
      __syslog_message_msg_id: 'ID47',
      __syslog_message_sd_exampleSDID_32473_iut: '3',
      __syslog_message_sd_exampleSDID_32473_eventSource: 'Application',
      __syslog_message_sd_meta_x_y_z: '1',
    });
    expect(first?.timestampNs).toBeGreaterThanOrEqual(before);
    expect(second?.line).toBe('su root failed');
    expect(second?.labels.toRecord()).toEqual({
      job: 'syslog',
      __syslog_connection_ip_address: '127.0.0.1',
      __syslog_message_severity: 'critical',
      __syslog_message_facility: 'auth',
      __syslog_message_hostname: 'mymachine',
      __syslog_message_app_name: 'su',
      __syslog_message_proc_id: '9',
    });
    expect(third?.labels.toRecord()).toEqual({
      job: 'syslog',
      __syslog_connection_ip_address: '127.0.0.1',
      __syslog_message_severity: 'notice',
      __syslog_message_facility: 'user',
    });
    expect(receiver.source.component.stats()).toMatchObject({ received: 3, sent: 3 });
  });

  it('gives labels that relabel maps and then drops, as its documentation shows', async () => {
    let listening!: (port: number) => void;
    const bound = new Promise<number>((resolve) => {
      listening = resolve;
    });
    const relabelled = syslogReceiver({
      listen: '127.0.0.1:0',
      lookupHostname: false,
      labels: { job: 'syslog' },
      onListening: ({ port }) => listening(port),
    }).pipe(
      relabel(
        [
          { sourceLabels: ['__syslog_message_hostname'], targetLabel: 'host' },
          { sourceLabels: ['__syslog_message_app_name'], targetLabel: 'app' },
          { sourceLabels: ['__syslog_message_severity'], targetLabel: 'level' },
          { action: 'labeldrop', regex: '__.*' },
        ],
        { kind: 'logs' },
      ),
    );
    const entries: LogEntry[] = [];
    subscriptions.push(
      relabelled.subscribe((batch) => {
        entries.push(...batch.items);
        batch.ack.delivered();
      }),
    );
    const socket = await tcp(await bound);
    socket.write(`${RFC3164}\n`);
    await until(() => entries.length === 1, 'one entry');
    expect(entries[0]?.labels.toRecord()).toEqual({
      job: 'syslog',
      host: 'mymachine',
      app: 'su',
      level: 'critical',
    });
  });

  it('reads octet-counted messages split across writes', async () => {
    const receiver = await start();
    const socket = await tcp(receiver.port);
    const stream = Buffer.from(
      [RFC5424, '<13>1 - - - - - - two\nlines', '<13>1 - - - - - - é😀'].map(frameOctetCounting).join(''),
    );
    for (let at = 0; at < stream.length; at += 7) {
      socket.write(stream.subarray(at, at + 7));
      await tick(1);
    }
    await until(() => receiver.entries().length === 3, 'three entries');
    expect(receiver.entries().map((e) => e.line)).toEqual([
      'An application event log entry',
      'two\nlines',
      'é😀',
    ]);
    expect(receiver.entries()[0]?.labels.has('__syslog_message_sd_exampleSDID_32473_iut')).toBe(false);
  });

  it('takes the message time, the whole RFC 5424 message or a forced format when asked', async () => {
    const receiver = await start({
      useIncomingTimestamp: true,
      useRfc5424Message: true,
      location: 'Europe/Berlin',
    });
    const socket = await tcp(receiver.port);
    socket.write(`${RFC5424}\n<13>Jan  2 03:04:05 host app: local time\n<13>no time\n`);
    await until(() => receiver.entries().length === 3, 'three entries');
    const [first, second, third] = receiver.entries();
    expect(first?.timestampNs).toBe(1065910455003000000n);
    expect(first?.line).toBe(RFC5424);
    const year = new Date().getUTCFullYear();
    const candidates = [year - 1, year, year + 1].map((y) => BigInt(Date.UTC(y, 0, 2, 2, 4, 5)) * 1_000_000n);
    expect(candidates).toContain(second?.timestampNs);
    expect(second?.line).toBe('local time');
    expect(third?.timestampNs).toBeGreaterThan(1_700_000_000_000_000_000n);

    const strict = await start({ format: 'rfc3164' });
    const other = await tcp(strict.port);
    other.write('<13>1 - - - - - - read as BSD\n');
    await until(() => strict.entries().length === 1, 'one entry');
    expect(strict.entries()[0]?.line).toBe('1 - - - - - - read as BSD');
  });

  it('carries many connections at once, each in order', async () => {
    const receiver = await start({ maxBatchSize: 50 });
    const connections = 40;
    const perConnection = 200;
    const all = await Promise.all(Array.from({ length: connections }, () => tcp(receiver.port)));
    all.forEach((socket, c) => {
      const framed = c % 2 === 0;
      let text = '';
      for (let i = 0; i < perConnection; i++) {
        const message = `<14>1 - host-${c} app ${i} - - connection ${c} message ${i}`;
        text += framed ? frameOctetCounting(message) : `${message}\n`;
      }
      socket.end(text);
    });
    await until(() => receiver.entries().length === connections * perConnection, 'every message', 10_000);
    for (let c = 0; c < connections; c++) {
      const mine = receiver
        .entries()
        .filter((e) => e.labels.get('__syslog_message_hostname') === `host-${c}`)
        .map((e) => Number(e.labels.get('__syslog_message_proc_id')));
      expect(mine).toEqual(Array.from({ length: perConnection }, (_, i) => i));
    }
    expect(receiver.batches.every((b) => b.items.length <= 50)).toBe(true);
    expect(receiver.source.component.stats().dropped.size).toBe(0);
  });

  it('skips and counts malformed, empty and oversized messages, keeping the connection', async () => {
    const receiver = await start({ maxMessageLength: 64 });
    const socket = await tcp(receiver.port);
    socket.write(
      [
        '<13>1 - - - - - - first',
        '<13>1 2024-02-30T00:00:00Z - - - - - bad date',
        '<13>1 - - - - - -',
        `<13>1 - - - - - - ${'x'.repeat(100)}`,
        'no priority at all',
        '<13>1 - - - - - - last',
        '',
      ].join('\n'),
    );
    await until(() => receiver.entries().length === 2, 'two entries');
    await until(() => receiver.source.component.stats().received === 6, 'six received');
    expect(receiver.entries().map((e) => e.line)).toEqual(['first', 'last']);
    const stats = receiver.source.component.stats();
    expect(Object.fromEntries([...stats.dropped].map(([reason, d]) => [reason, d.count]))).toEqual({
      malformed: 2,
      empty_message: 1,
      too_long: 1,
    });
    expect(stats.errors.get('receiving')).toBe(3);
    expect(socket.destroyed).toBe(false);
    const health = receiver.source.component.health();
    expect(health.state).toBe('healthy');
  });

  it('closes a connection whose framing is lost, counts it, and serves the others', async () => {
    const receiver = await start();
    const good = await tcp(receiver.port);
    const garbage = await tcp(receiver.port);
    const brokenCount = await tcp(receiver.port);
    const closed = (socket: Socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const garbageClosed = closed(garbage);
    const brokenClosed = closed(brokenCount);
    garbage.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    brokenCount.write(`${frameOctetCounting('<13>1 - - - - - - counted')}12x<13>`);
    good.write('<13>1 - - - - - - still here\n');
    await Promise.all([garbageClosed, brokenClosed]);
    good.write('<13>1 - - - - - - and here\n');
    await until(() => receiver.entries().length === 3, 'three entries');
    expect(
      receiver
        .entries()
        .map((e) => e.line)
        .sort(),
    ).toEqual(['and here', 'counted', 'still here']);
    expect(receiver.source.component.stats().errors.get('receiving')).toBe(2);
    expect(good.destroyed).toBe(false);
  });

  it('stops reading while the window is full, then delivers everything once acknowledged', async () => {
    const receiver = await start({ maxInFlight: 1, maxBatchSize: 100 }, false);
    const socket = await tcp(receiver.port);
    const total = 20_000;
    let text = '';
    for (let i = 0; i < total; i++)
      text += `<14>1 - h a ${i} - - message number ${i} with some padding to fill the buffers\n`;
    socket.write(text);
    await until(() => receiver.batches.length === 1, 'the first batch');
    await tick(300);
    // The first batch is unacknowledged: one more waits for a slot, the rest stays in the
    // kernel's buffers and the sender's, and nothing is dropped.
    expect(receiver.batches).toHaveLength(1);
    const held = receiver.source.component.stats().received;
    expect(held).toBeLessThan(total);
    await tick(100);
    expect(receiver.source.component.stats().received).toBe(held);
    // What it took in: the batch in flight, the one waiting, and the rest of one 64 KiB read.
    expect(held).toBeLessThan(100 + 100 + Math.ceil(65536 / 80));
    const stats = receiver.source.component.stats();
    expect(stats.dropped.size).toBe(0);
    // Acknowledge as they come: everything arrives, in order.
    let acked = 0;
    await until(
      () => {
        for (; acked < receiver.batches.length; acked++) receiver.batches[acked]?.ack.delivered();
        return receiver.entries().length === total;
      },
      'every message',
      20_000,
    );
    expect(receiver.entries().map((e) => Number(e.labels.get('__syslog_message_proc_id')))).toEqual(
      Array.from({ length: total }, (_, i) => i),
    );
    expect(receiver.source.component.stats().dropped.size).toBe(0);
  });

  it('closes connections that stay silent for idleTimeout', async () => {
    const receiver = await start({ idleTimeout: '150ms' });
    const socket = await tcp(receiver.port);
    socket.write('<13>1 - - - - - - hello\n');
    const started = Date.now();
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(receiver.entries().map((e) => e.line)).toEqual(['hello']);
  });

  it('refuses connections past maxConnections and counts them', async () => {
    const receiver = await start({ maxConnections: 2 });
    await tcp(receiver.port);
    await tcp(receiver.port);
    const third = await tcp(receiver.port);
    await new Promise<void>((resolve) => third.once('close', () => resolve()));
    await until(() => receiver.source.component.stats().errors.get('receiving') === 1, 'the refusal counted');
  });

  it('on stop closes its connections, emits what it holds and completes', async () => {
    const receiver = await start();
    const socket = await tcp(receiver.port);
    socket.write('<13>1 - - - - - - before stop\n');
    await until(() => receiver.entries().length === 1, 'one entry');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    receiver.stop();
    await closed;
    await until(() => receiver.state.completed, 'completion');
    expect(receiver.source.component.health().state).toBe('exited');
  });

  it('looks up the peer name once for __syslog_connection_hostname', async () => {
    const receiver = await start({ lookupHostname: true });
    const socket = await tcp(receiver.port);
    socket.write('<13>1 - - - - - - named\n');
    await until(() => receiver.entries().length === 1, 'one entry');
    const labels = receiver.entries()[0]?.labels;
    expect(labels?.get('__syslog_connection_ip_address')).toBe('127.0.0.1');
    // 127.0.0.1 has a name in every /etc/hosts; which one depends on the machine.
    expect(labels?.get('__syslog_connection_hostname')).toMatch(/^\S+$/);
  });
});

describe('syslogReceiver over UDP', () => {
  it('reads one message per datagram, of both formats, and datagrams holding several', async () => {
    const receiver = await start({ protocol: 'udp', labels: { job: 'udp' } });
    await udp(receiver.port, [
      RFC5424,
      `${RFC3164}\n`,
      '<13>1 - - - - - - one\n<13>1 - - - - - - two\n',
      frameOctetCounting('<13>1 - - - - - - counted'),
    ]);
    await until(() => receiver.entries().length === 5, 'five entries');
    expect(
      receiver
        .entries()
        .map((e) => e.line)
        .sort(),
    ).toEqual(['An application event log entry', 'su root failed', 'one', 'two', 'counted'].sort());
    const bsd = receiver.entries().find((e) => e.line === 'su root failed');
    expect(bsd?.labels.toRecord()).toMatchObject({
      job: 'udp',
      __syslog_connection_ip_address: '127.0.0.1',
      __syslog_message_app_name: 'su',
      __syslog_message_proc_id: '9',
    });
  });

  it('counts and skips bad datagrams', async () => {
    const receiver = await start({ protocol: 'udp', maxMessageLength: 100 });
    await udp(receiver.port, [
      'garbage',
      '<13>1 bad',
      `<13>1 - - - - - - ${'x'.repeat(200)}`,
      '<13>1 - - - - - - fine',
    ]);
    await until(() => receiver.source.component.stats().errors.get('receiving') === 3, 'three errors');
    await until(() => receiver.entries().length === 1, 'one entry');
    const dropped = receiver.source.component.stats().dropped;
    expect(dropped.get('malformed')?.count).toBe(1);
    expect(dropped.get('too_long')?.count).toBe(1);
  });

  it('drops what arrives past one batch while the window is full, counted as window_full', async () => {
    const receiver = await start({ protocol: 'udp', maxInFlight: 1, maxBatchSize: 10 }, false);
    await udp(receiver.port, ['<13>1 - - - - - - first']);
    await until(() => receiver.batches.length === 1, 'the first batch');
    const total = 200;
    await udp(
      receiver.port,
      Array.from({ length: total }, (_, i) => `<13>1 - - - ${i} - - datagram ${i}`),
    );
    await until(() => receiver.source.component.stats().received === total + 1, 'every datagram');
    await tick(50);
    const dropped = receiver.source.component.stats().dropped.get('window_full')?.count ?? 0;
    // One batch waits for the slot and one more is kept: the rest is dropped.
    expect(dropped).toBe(total - 20);
    expect(receiver.batches).toHaveLength(1);
    receiver.batches[0]?.ack.delivered();
    await until(() => receiver.batches.length === 2, 'the waiting batch');
    receiver.batches[1]?.ack.delivered();
    await until(() => receiver.batches.length === 3, 'the kept batch');
    receiver.batches[2]?.ack.delivered();
    expect(receiver.entries().length).toBe(21);
    expect(receiver.source.component.stats()).toMatchObject({ received: total + 1, sent: 21 });
  });

  it('holds datagrams while the peer name is looked up, then labels them all with it', async () => {
    const receiver = await start({ protocol: 'udp', lookupHostname: true });
    await udp(
      receiver.port,
      Array.from({ length: 20 }, (_, i) => `<13>1 - - - - - - named ${i}`),
    );
    await until(() => receiver.entries().length === 20, 'twenty entries');
    const names = new Set(receiver.entries().map((e) => e.labels.get('__syslog_connection_hostname')));
    expect(names.size).toBe(1);
    expect([...names][0]).toMatch(/^\S+$/);
  });

  it('stops and completes', async () => {
    const receiver = await start({ protocol: 'udp' });
    await udp(receiver.port, ['<13>1 - - - - - - before stop']);
    await until(() => receiver.entries().length === 1, 'one entry');
    receiver.stop();
    await until(() => receiver.state.completed, 'completion');
  });
});

// Real input for the components under test: a local HTTP server that exposes a metric and accepts
// every push with 204, temporary files, a remote write push, a Loki push and syslog lines over UDP
// and TCP.
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, onTestFinished } from 'vitest';
import { Labels } from '../../src/core/labels.js';
import {
  encodeLokiPushBody,
  LOKI_PROTOBUF_CONTENT_TYPE,
  LOKI_PUSH_PATH,
} from '../../src/protocols/loki/index.js';
import { encodeWriteRequest, snappyCompress } from '../../src/protocols/remote-write/index.js';
import { logEntry } from './harness.js';

/** The address of a local HTTP server started for the test file. */
export interface LocalServer {
  /** `host:port`, which answers GET with one gauge in the text exposition format. */
  readonly address: string;
  /** The URL of `path` on it; POSTs are answered 204. */
  url(path: string): string;
}

/** Starts a local HTTP server before the file's tests and closes it after them. */
export function useLocalServer(): LocalServer {
  let address = '';
  beforeAll(async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.method === 'GET') {
          res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
          res.end('# TYPE compliance_up gauge\ncompliance_up 1\n');
        } else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    return () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
  });
  return {
    get address() {
      return address;
    },
    url: (path) => `http://${address}${path}`,
  };
}

/** A temporary directory, removed when the current test ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-compliance-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `lines` to a new log file in a temporary directory; returns the directory. */
export function logFile(lines: readonly string[]): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'app.log'), lines.map((line) => `${line}\n`).join(''));
  return dir;
}

/** Pushes one sample of the metric `name` to a remote write receiver. */
export function pushRemoteWrite(port: number, name: string): void {
  const body = snappyCompress(
    encodeWriteRequest([
      { labels: Labels.from({ __name__: name, job: 'x' }), samples: [{ value: 1, timestampMs: Date.now() }] },
    ]),
  );
  void fetch(`http://127.0.0.1:${port}/api/v1/write`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
    body,
  }).catch(() => undefined);
}

/** Pushes `lines` to a Loki receiver as one snappy-compressed protobuf stream. */
export function pushToLoki(port: number, lines: readonly string[]): void {
  const body = encodeLokiPushBody([
    { labels: logEntry('').labels, entries: lines.map((l, n) => logEntry(l, n)) },
  ]);
  void fetch(`http://127.0.0.1:${port}${LOKI_PUSH_PATH}`, {
    method: 'POST',
    headers: { 'Content-Type': LOKI_PROTOBUF_CONTENT_TYPE },
    body,
  }).catch(() => undefined);
}

/** An RFC 5424 syslog message whose MSG is `text`. */
export function syslogMessage(text: string): string {
  return `<14>1 2024-01-01T00:00:00.000Z host compliance 42 - - ${text}`;
}

/** Sends `message` to a syslog receiver: as one datagram, or as a line on a TCP connection. */
export function sendSyslog(protocol: 'udp' | 'tcp', port: number, message: string): void {
  if (protocol === 'udp') {
    const socket = createSocket('udp4');
    socket.send(message, port, '127.0.0.1', () => socket.close());
    return;
  }
  const socket = connect({ host: '127.0.0.1', port }, () => socket.end(`${message}\n`));
  socket.on('error', () => undefined);
}

/** Pushes `lines` to an OTLP receiver as OTLP/JSON log records with string bodies. */
export function pushOtlpLogs(port: number, lines: readonly string[]): void {
  const body = JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'compliance' } }] },
        scopeLogs: [
          {
            logRecords: lines.map((line, n) => ({
              timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(n)),
              body: { stringValue: line },
            })),
          },
        ],
      },
    ],
  });
  void fetch(`http://127.0.0.1:${port}/v1/logs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
  }).catch(() => undefined);
}

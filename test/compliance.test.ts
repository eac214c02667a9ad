// Every built-in component reports the same four things (received, sent, dropped, errors),
// keeps its health, feeds its tap, and settles every batch it takes. One table per role, one
// check per role (test/compliance/harness.ts), run for each signal kind a component takes.
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Registry } from 'prom-client';
import { describe, it } from 'vitest';
import { LOKI_PUSH_PATH } from '../src/protocols/loki/index.js';
import { consoleSink } from '../src/sinks/console-sink.js';
import { exposition } from '../src/sinks/exposition/index.js';
import { fileSink } from '../src/sinks/file-sink.js';
import { lokiWrite } from '../src/sinks/loki-write/index.js';
import { otlpExport } from '../src/sinks/otlp-export/index.js';
import { remoteWrite } from '../src/sinks/remote-write/index.js';
import { hostMetrics } from '../src/sources/host-metrics.js';
import { lokiReceiver } from '../src/sources/loki-receiver/index.js';
import { otlpReceiver } from '../src/sources/otlp-receiver/index.js';
import { remoteWriteReceiver } from '../src/sources/remote-write-receiver/index.js';
import { scrape } from '../src/sources/scrape/index.js';
import { selfMetrics } from '../src/sources/self-metrics.js';
import { syslogReceiver } from '../src/sources/syslog-receiver/index.js';
import { tailFiles } from '../src/sources/tail-files/index.js';
import { drop, json, labels, processLogs } from '../src/transforms/process-logs/index.js';
import { relabel } from '../src/transforms/relabel/index.js';
import { type Case, itemOf, logEntry, sinkCase, sourceCase, transformCase } from './compliance/harness.js';
import {
  logFile,
  pushOtlpLogs,
  pushRemoteWrite,
  pushToLoki,
  sendSyslog,
  syslogMessage,
  tempDir,
  useLocalServer,
} from './compliance/inputs.js';

const server = useLocalServer();

const toFile = () => fileSink({ path: join(tempDir(), 'out.jsonl') });
const toConsole = () => consoleSink({ stream: new PassThrough().resume() });

const sinks: readonly Case[] = [
  sinkCase('fileSink', 'metrics', toFile),
  sinkCase('fileSink', 'logs', toFile),
  sinkCase('consoleSink', 'metrics', toConsole),
  sinkCase('consoleSink', 'logs', toConsole),
  sinkCase('exposition', 'metrics', () => exposition({ listen: '127.0.0.1:0' })),
  sinkCase('remoteWrite', 'metrics', () =>
    remoteWrite({ url: server.url('/api/v1/write'), queue: { batchSendDeadline: 10 } }),
  ),
  sinkCase('lokiWrite', 'logs', () => lokiWrite({ url: server.url(LOKI_PUSH_PATH), batchWait: 10 })),
  sinkCase('otlpExport', 'logs', () => otlpExport({ url: server.url(''), queue: { batchTimeout: 10 } })),
  sinkCase('otlpExport', 'metrics', () => otlpExport({ url: server.url(''), queue: { batchTimeout: 10 } })),
];

const jsonLine = (level: string, msg: string) => JSON.stringify({ level, msg });

const transforms: readonly Case[] = [
  transformCase('relabel', 'metrics', {
    make: () => relabel([{ action: 'drop', sourceLabels: ['n'], regex: '[12]' }]),
    mixed: [itemOf.metrics(1), itemOf.metrics(3)],
    allDropped: [itemOf.metrics(2)],
    out: [{ labels: { __name__: 'compliance_value', n: '3' }, value: 3 }],
    dropReason: 'relabel_drop',
    batchReason: 'relabel_drop',
  }),
  transformCase('processLogs', 'logs', {
    make: () =>
      processLogs(
        json({ expressions: { level: '', msg: '' } }),
        labels(['level']),
        drop({ source: 'level', value: 'debug' }),
      ),
    mixed: [logEntry(jsonLine('info', 'kept')), logEntry(jsonLine('debug', 'noise'))],
    allDropped: [logEntry(jsonLine('debug', 'more noise'))],
    out: [{ labels: { job: 'compliance', level: 'info' }, line: jsonLine('info', 'kept') }],
    dropReason: 'drop_stage',
    batchReason: 'drop_stage',
  }),
];

const lines = ['first line', 'second line', 'third line'];

const syslogOver = (protocol: 'udp' | 'tcp'): Case =>
  sourceCase(
    `syslogReceiver over ${protocol}`,
    'logs',
    () =>
      syslogReceiver({
        listen: '127.0.0.1:0',
        protocol,
        lookupHostname: false,
        onListening: ({ port }) => sendSyslog(protocol, port, syslogMessage(`hello over ${protocol}`)),
      }),
    [`hello over ${protocol}`],
  );

const sources: readonly Case[] = [
  sourceCase('scrape', 'metrics', () =>
    scrape({ targets: [{ __address__: server.address }], interval: '1s', timeout: '1s' }),
  ),
  sourceCase(
    'remoteWriteReceiver',
    'metrics',
    () =>
      remoteWriteReceiver({
        listen: '127.0.0.1:0',
        onListening: ({ port }) => pushRemoteWrite(port, 'pushed'),
      }),
    ['pushed'],
  ),
  sourceCase('selfMetrics', 'metrics', () => selfMetrics({ registry: new Registry(), defaultMetrics: true })),
  sourceCase('hostMetrics', 'metrics', () =>
    hostMetrics({
      procPath: join(import.meta.dirname, 'fixtures/proc'),
      collectors: ['cpu', 'meminfo', 'loadavg', 'netdev', 'stat'],
    }),
  ),
  sourceCase(
    'tailFiles',
    'logs',
    () => tailFiles({ include: join(logFile(lines), '*.log'), pollInterval: 20, syncPeriod: 50 }),
    lines,
  ),
  sourceCase(
    'lokiReceiver',
    'logs',
    () => lokiReceiver({ listen: '127.0.0.1:0', onListening: ({ port }) => pushToLoki(port, lines) }),
    lines,
  ),
  syslogOver('udp'),
  syslogOver('tcp'),
  sourceCase(
    'otlpReceiver',
    'logs',
    () => otlpReceiver({ listen: '127.0.0.1:0', onListening: ({ port }) => pushOtlpLogs(port, lines) }).logs,
    lines,
  ),
];

describe.each(sinks)('sink $name with $kind', ({ check }) => {
  it('counts, taps, settles every batch, and reports exited once its input completes', check);
});

describe.each(transforms)('transform $name with $kind', ({ check }) => {
  it('counts in, out and intentional drops, taps both sides, settles what it drops or passes on', check);
});

describe.each(sources)('source $name with $kind', ({ check }) => {
  it(
    'counts what it takes and emits, is healthy while running, taps its output, stops when unsubscribed',
    check,
  );
});

/**
 * Building a Loki push request: protobuf encoding plus snappy compression of a realistic batch
 * (5,000 lines of 120 to 320 bytes, about 1 MiB as `lokiWrite` sends by default, in 24 streams of
 * six Kubernetes labels, a third of the lines with trace ids as structured metadata), reported
 * per line, with the MiB/s of line bytes in the notes. rivulet's hand-written encoder against
 * protobufjs (reflection, built from Loki's own push.proto in test/fixtures/loki, its message
 * objects prebuilt, and built from the entries each time as a sender using it has to). Every
 * protobuf case compresses with snappyjs. The JSON encoder and both decoders run beside them.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import snappyjs from 'snappyjs';
import { Labels } from '../src/core/labels.js';
import {
  decodeLokiPushBody,
  decodeLokiPushJson,
  encodeLokiPushJson,
  encodeLokiPushRequest,
  formatLokiLabels,
  type LokiPushStream,
} from '../src/protocols/loki/index.js';
import { snappyCompress } from '../src/protocols/remote-write/index.js';
import { type BenchRow, measure } from './harness.js';

const BENCH = 'loki-encode';
const LINES = 5000;
const ROUNDS = 4;
const RUNS = 5;
const PASSES = 5;

export async function run(): Promise<BenchRow[]> {
  const streams = realisticStreams(LINES);
  const lineBytes = streams.reduce(
    (sum, stream) => sum + stream.entries.reduce((n, entry) => n + Buffer.byteLength(entry.line), 0),
    0,
  );
  const root = protobuf.loadSync(fileURLToPath(new URL('../test/fixtures/loki/push.proto', import.meta.url)));
  const PushRequest = root.lookupType('logproto.PushRequest');
  const plain = PushRequest.fromObject(messageOf(streams));
  const body = snappyCompress(encodeLokiPushRequest(streams));
  const json = encodeLokiPushJson(streams);
  let bytes = 0;
  const cases: [string, () => void][] = [
    [
      'rivulet encodeLokiPushRequest + snappyCompress',
      () => {
        bytes += snappyCompress(encodeLokiPushRequest(streams)).length;
      },
    ],
    [
      'protobufjs reflection encode (objects prebuilt) + snappyjs',
      () => {
        bytes += snappyjs.compress(PushRequest.encode(plain).finish()).length;
      },
    ],
    [
      'protobufjs reflection encode, objects built from the entries each time + snappyjs',
      () => {
        bytes += snappyjs.compress(PushRequest.encode(messageOf(streams)).finish()).length;
      },
    ],
    [
      'rivulet encodeLokiPushRequest (protobuf only)',
      () => {
        bytes += encodeLokiPushRequest(streams).length;
      },
    ],
    [
      'protobufjs reflection encode (objects prebuilt, protobuf only)',
      () => {
        bytes += PushRequest.encode(plain).finish().length;
      },
    ],
    [
      'rivulet encodeLokiPushJson + UTF-8',
      () => {
        bytes += Buffer.from(encodeLokiPushJson(streams), 'utf8').length;
      },
    ],
    [
      'rivulet decodeLokiPushBody (snappy + protobuf, receiver side)',
      () => {
        bytes += decodeLokiPushBody(body, 64 << 20).length;
      },
    ],
    [
      'protobufjs reflection decode + snappyjs (receiver side)',
      () => {
        bytes += PushRequest.decode(snappyjs.uncompress(body)).toJSON().streams.length;
      },
    ],
    [
      'rivulet decodeLokiPushJson (receiver side)',
      () => {
        bytes += decodeLokiPushJson(json).length;
      },
    ],
  ];
  // Warm every path up first, so no case pays for compiling code the others share (snappyjs).
  for (let i = 0; i < 5; i++) for (const [, once] of cases) once();
  // The cases take turns, PASSES times over, and each keeps its best median: a busy machine then
  // slows every case alike rather than whichever ran while it was busy.
  const best = new Map<string, BenchRow>();
  for (let pass = 0; pass < PASSES; pass++) {
    for (const [name, once] of cases) {
      const row = await measure(
        BENCH,
        name,
        'line',
        LINES * ROUNDS,
        () => {
          for (let r = 0; r < ROUNDS; r++) once();
        },
        RUNS,
      );
      const known = best.get(name);
      if (known === undefined || row.nsPerUnit < known.nsPerUnit) best.set(name, row);
    }
  }
  if (bytes === 0) throw new Error('nothing was encoded');
  return cases.map(([name]) => {
    const row = best.get(name) as BenchRow;
    const mibPerSecond = (row.unitsPerSecond * (lineBytes / LINES)) / 2 ** 20;
    return { ...row, runs: row.runs * PASSES, note: `${mibPerSecond.toFixed(0)} MiB/s of lines` };
  });
}

/** The message protobufjs encodes, built from the entries as a sender using it would build it. */
function messageOf(streams: readonly LokiPushStream[]): object {
  return {
    streams: streams.map((stream) => ({
      labels: formatLokiLabels(stream.labels),
      entries: stream.entries.map((entry) => ({
        timestamp: {
          seconds: Number(entry.timestampNs / 1_000_000_000n),
          nanos: Number(entry.timestampNs % 1_000_000_000n),
        },
        line: entry.line,
        structuredMetadata:
          entry.structuredMetadata === undefined
            ? []
            : [...entry.structuredMetadata].map(([name, value]) => ({ name, value })),
      })),
    })),
  };
}

/** Lines as a Kubernetes application logs them, in streams of six labels. */
function realisticStreams(lines: number): LokiPushStream[] {
  const apps = ['checkout', 'payments', 'catalog', 'frontend'];
  const levels = ['info', 'info', 'info', 'warn', 'error', 'debug'];
  const paths = [
    '/api/v1/orders',
    '/api/v1/orders/42/items',
    '/healthz',
    '/api/v1/cart',
    '/api/v1/payments/capture',
  ];
  const streams = new Map<string, LokiPushStream & { entries: LokiPushStream['entries'][number][] }>();
  let ns = 1_700_000_000_000_000_000n;
  for (let i = 0; i < lines; i++) {
    const app = apps[i % apps.length] as string;
    const level = levels[(i >> 2) % levels.length] as string;
    const labels = Labels.from({
      cluster: 'prod-eu-west-1',
      namespace: `team-${i % 3}`,
      app,
      pod: `${app}-7d9f8b6c5-${((i % 2) * 2654435761).toString(36).slice(-5)}`,
      container: 'app',
      level,
    });
    let stream = streams.get(labels.key());
    if (stream === undefined) {
      stream = { labels, entries: [] };
      streams.set(labels.key(), stream);
    }
    const path = paths[i % paths.length] as string;
    const line =
      i % 2 === 0
        ? `{"ts":"2023-11-14T22:13:20.${String(i % 1000).padStart(3, '0')}Z","level":"${level}","msg":"request completed","method":"GET","path":"${path}","status":${i % 7 === 0 ? 500 : 200},"duration_ms":${(i * 37) % 900},"user_id":"u-${i % 977}","bytes":${(i * 131) % 65536}}`
        : `ts=2023-11-14T22:13:20.${String(i % 1000).padStart(3, '0')}Z level=${level} caller=handler.go:${i % 300} msg="upstream call finished" upstream=payments-api attempt=${i % 3} latency=${(i * 13) % 400}ms err=${i % 11 === 0 ? '"context deadline exceeded"' : 'null'} note="naïve café"`;
    ns += BigInt(1_000 + (i % 997));
    stream.entries.push(
      i % 3 === 0
        ? {
            timestampNs: ns,
            line,
            structuredMetadata: Labels.from({
              trace_id: (BigInt(i) * 0x9e3779b97f4a7c15n).toString(16).padStart(16, '0').slice(-16),
              span_id: (i * 2654435761).toString(16).padStart(8, '0'),
            }),
          }
        : { timestampNs: ns, line },
    );
  }
  return [...streams.values()];
}

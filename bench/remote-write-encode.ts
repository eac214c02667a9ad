/**
 * Building a remote write request: protobuf encoding plus snappy compression of 2,000 samples
 * (Prometheus's default `max_samples_per_send`), one sample per series and ten labels per series,
 * reported per sample. rivulet's hand-written encoder against protobufjs (reflection, built from
 * the official prompb definitions in test/fixtures/prompb) and against the `prometheus-remote-write`
 * package's own path (its static protobufjs code, label mapping, verify and snappyjs), whose
 * `fetch` is stubbed so nothing goes over the network. Every case compresses with snappyjs.
 */
import { fileURLToPath } from 'node:url';
import { pushTimeseries } from 'prometheus-remote-write';
import protobuf from 'protobufjs';
import snappyjs from 'snappyjs';
import { Labels } from '../src/core/labels.js';
import { encodeWriteRequest, snappyCompress, type WriteSeries } from '../src/protocols/remote-write/index.js';
import { type BenchRow, measure } from './harness.js';

const BENCH = 'remote-write-encode';
const SAMPLES = 2000;
const ROUNDS = 10;
const RUNS = 9;

export async function run(): Promise<BenchRow[]> {
  const series = realisticSeries(SAMPLES);
  const root = protobuf.loadSync(
    fileURLToPath(new URL('../test/fixtures/prompb/remote.proto', import.meta.url)),
  );
  const WriteRequest = root.lookupType('prometheus.WriteRequest');
  const plain = {
    timeseries: series.map((s) => ({
      labels: [...s.labels].map(([name, value]) => ({ name, value })),
      samples: s.samples.map((x) => ({ value: x.value, timestamp: x.timestampMs })),
    })),
  };
  const peerSeries = series.map((s) => ({
    labels: s.labels.toRecord() as { __name__: string },
    samples: s.samples.map((x) => ({ value: x.value, timestamp: x.timestampMs })),
  }));
  const stubFetch = async () => ({ status: 204, statusText: 'No Content', text: async () => '' });
  let bytes = 0;
  const cases: [string, () => Promise<void> | void][] = [
    [
      'rivulet encodeWriteRequest + snappyCompress',
      () => {
        bytes += snappyCompress(encodeWriteRequest(series)).length;
      },
    ],
    [
      'rivulet encodeWriteRequest + snappyCompress, new Labels objects every request (no label cache)',
      () => {
        const fresh = series.map((s) => ({ ...s, labels: Labels.fromSortedPairs(s.labels.rawPairs()) }));
        bytes += snappyCompress(encodeWriteRequest(fresh)).length;
      },
    ],
    [
      'protobufjs reflection encode (objects prebuilt) + snappyjs',
      () => {
        bytes += snappyjs.compress(WriteRequest.encode(plain).finish()).length;
      },
    ],
    [
      'prometheus-remote-write pushTimeseries (fetch stubbed, no network)',
      async () => {
        await pushTimeseries(peerSeries, { url: 'http://stub.invalid', fetch: stubFetch });
      },
    ],
    [
      'rivulet encodeWriteRequest (protobuf only)',
      () => {
        bytes += encodeWriteRequest(series).length;
      },
    ],
    [
      'protobufjs reflection encode (objects prebuilt, protobuf only)',
      () => {
        bytes += WriteRequest.encode(plain).finish().length;
      },
    ],
  ];
  // Warm every path up first, so no case pays for compiling code the others share (snappyjs).
  for (let i = 0; i < 20; i++) for (const [, once] of cases) await once();
  const rows: BenchRow[] = [];
  for (const [name, once] of cases) {
    rows.push(
      await measure(
        BENCH,
        name,
        'sample',
        SAMPLES * ROUNDS,
        async () => {
          for (let r = 0; r < ROUNDS; r++) await once();
        },
        RUNS,
      ),
    );
  }
  if (bytes === 0) throw new Error('nothing was encoded');
  return rows;
}

/** Series as a Kubernetes scrape produces them: ten labels, one sample each. */
function realisticSeries(count: number): WriteSeries[] {
  const names = [
    'http_requests_total',
    'http_request_duration_seconds_bucket',
    'process_cpu_seconds_total',
    'go_goroutines',
  ];
  const methods = ['GET', 'POST', 'PUT', 'DELETE'];
  const codes = ['200', '201', '404', '500'];
  const out: WriteSeries[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      labels: Labels.from({
        __name__: names[i % names.length] as string,
        cluster: 'prod-eu-west-1',
        namespace: `team-${i % 7}`,
        job: 'kubernetes-pods',
        instance: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:8080`,
        pod: `checkout-api-7d9f8b6c5-${(i * 2654435761).toString(36).slice(-5)}`,
        container: 'app',
        method: methods[i % methods.length] as string,
        code: codes[(i >> 2) % codes.length] as string,
        handler: `/api/v1/orders/${i % 50}`,
      }),
      samples: [{ value: (i * 1.37) % 1000, timestampMs: 1_700_000_000_000 + i }],
    });
  }
  return out;
}

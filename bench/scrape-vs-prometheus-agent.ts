/**
 * scrape -> relabel -> remoteWrite against the Prometheus agent (Debian prometheus 2.42 with
 * `--enable-feature=agent`) doing the same job: the same targets, the same relabelling, the
 * same receiver. Each runs alone as its own process for the same time; the figures are CPU
 * time per sample delivered and peak RSS, read from /proc. Skipped when Prometheus is missing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWriteRequest, snappyUncompress } from '../src/protocols/remote-write/index.js';
import type { BenchRow } from './harness.js';

const BENCH = 'scrape-pipeline-vs-agent';
const TARGETS = 10;
const SERIES_PER_TARGET = 2000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);

export async function run(): Promise<BenchRow[]> {
  if (!existsSync('/usr/bin/prometheus')) {
    console.warn(`${BENCH}: skipped, /usr/bin/prometheus is not installed (apt-get install prometheus)`);
    return [];
  }
  const targets = await Promise.all(Array.from({ length: TARGETS }, (_, i) => startTarget(i)));
  const receiver = await startReceiver();
  const addresses = targets.map((t) => `127.0.0.1:${(t.address() as AddressInfo).port}`);
  const receiverUrl = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/api/v1/write`;
  try {
    const agent = await measureProcess(startAgent(addresses, receiverUrl), receiver);
    const ours = await measureProcess(startRivulet(addresses, receiverUrl), receiver);
    return [row('Prometheus agent 2.42', agent), row('rivulet', ours)];
  } finally {
    for (const t of targets) t.close();
    receiver.server.close();
  }
}

interface Measured {
  readonly cpuSeconds: number;
  readonly samples: number;
  readonly peakRssBytes: number;
}

function row(name: string, m: Measured): BenchRow {
  const nsPerSample = (m.cpuSeconds * 1e9) / Math.max(1, m.samples);
  return {
    bench: BENCH,
    case: `${name}: ${TARGETS} targets x ${SERIES_PER_TARGET} series every 1s for ${SECONDS}s`,
    unit: 'sample (CPU)',
    nsPerUnit: nsPerSample,
    unitsPerSecond: 1e9 / nsPerSample,
    runs: 1,
    note: `${(m.cpuSeconds / (m.samples / 1e6)).toFixed(2)} CPU s per million samples; peak RSS ${(m.peakRssBytes / 2 ** 20).toFixed(0)} MiB; ${m.samples} samples delivered`,
  };
}

async function measureProcess(child: ChildProcess, receiver: { samples: number }): Promise<Measured> {
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the process');
  // Let it start and reach a steady state before counting.
  await new Promise((r) => setTimeout(r, 3000));
  const cpuBefore = cpuSeconds(pid);
  const samplesBefore = receiver.samples;
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const cpu = cpuSeconds(pid) - cpuBefore;
  const samples = receiver.samples - samplesBefore;
  const peakRssBytes = peakRss(pid);
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return { cpuSeconds: cpu, samples, peakRssBytes };
}

/** utime + stime of a process, in seconds (clock ticks are 100 a second on Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function peakRss(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

function startAgent(addresses: readonly string[], receiverUrl: string): ChildProcess {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-bench-agent-'));
  const config = `global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: bench
    static_configs:
      - targets: [${addresses.map((a) => `'${a}'`).join(', ')}]
    metric_relabel_configs:
      - action: drop
        source_labels: [__name__]
        regex: 'go_.*'
      - source_labels: [instance]
        regex: '([^:]+):\\d+'
        target_label: host
remote_write:
  - url: ${receiverUrl}
    queue_config:
      batch_send_deadline: 1s
    metadata_config:
      send: false
`;
  writeFileSync(join(dir, 'agent.yml'), config);
  return spawn(
    '/usr/bin/prometheus',
    [
      '--enable-feature=agent',
      `--config.file=${join(dir, 'agent.yml')}`,
      `--storage.agent.path=${join(dir, 'wal')}`,
      '--web.listen-address=127.0.0.1:0',
    ],
    { stdio: 'ignore' },
  );
}

function startRivulet(addresses: readonly string[], receiverUrl: string): ChildProcess {
  const root = new URL('..', import.meta.url).pathname;
  return spawn(process.execPath, ['--import', 'tsx/esm', join(root, 'bench/fixtures/scrape-pipeline.ts')], {
    cwd: root,
    env: { ...process.env, TARGETS: addresses.join(','), RECEIVER: receiverUrl, INTERVAL: '1s' },
    stdio: 'ignore',
  });
}

/** A target whose series change value on every scrape, as real ones do. */
async function startTarget(index: number): Promise<Server> {
  let scrapes = 0;
  const server = createServer((_, res) => {
    scrapes++;
    const lines = ['# HELP bench_value A value that changes.', '# TYPE bench_value gauge'];
    for (let i = 0; i < SERIES_PER_TARGET; i++) {
      lines.push(`bench_value{target="${index}",series="${i}",zone="zone-${i % 7}"} ${scrapes * 1.5 + i}`);
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(`${lines.join('\n')}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

async function startReceiver(): Promise<{ server: Server; samples: number }> {
  const state = { server: undefined as unknown as Server, samples: 0 };
  state.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        for (const s of decodeWriteRequest(snappyUncompress(Buffer.concat(chunks), 256 << 20)).timeseries) {
          if (s.labels.metricName === 'bench_value') state.samples += s.samples.length;
        }
        res.writeHead(204).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => state.server.listen(0, '127.0.0.1', r));
  return state;
}

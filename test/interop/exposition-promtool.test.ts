/**
 * The exposition sink's output, fetched over HTTP, checked by Prometheus's own `promtool check
 * metrics`: exit code 0 means it parsed and passed lint, 1 a parse error, 3 lint problems.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { concat, from, NEVER, type Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createBatch } from '../../src/core/batch.js';
import { Labels } from '../../src/core/labels.js';
import type { MetricMetadata, MetricSample } from '../../src/core/signals.js';
import { type ExpositionAddress, exposition } from '../../src/sinks/exposition/index.js';

const PROMTOOL = '/usr/bin/promtool';
const available = existsSync(PROMTOOL);
const required = process.env.REQUIRE_PEERS === '1';
if (!available && !required)
  console.warn(`skipping promtool interop tests: ${PROMTOOL} is not installed (apt-get install prometheus)`);

const subscriptions: Subscription[] = [];
afterEach(() => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
});

function sample(
  name: string,
  labels: Record<string, string>,
  value: number,
  metadata?: MetricMetadata,
): MetricSample {
  const base = { labels: Labels.from({ ...labels, __name__: name }), value, timestampMs: Date.now() };
  return metadata === undefined ? base : { ...base, metadata };
}

/** Serves `samples` through a real exposition sink and returns the scraped body. */
async function serve(samples: MetricSample[], includeTimestamps = false): Promise<string> {
  let listening!: (address: ExpositionAddress) => void;
  const bound = new Promise<ExpositionAddress>((resolve) => {
    listening = resolve;
  });
  const stream = concat(from([createBatch('metrics', samples)]), NEVER).pipe(
    exposition({ listen: '127.0.0.1:0', includeTimestamps, onListening: listening }),
  );
  subscriptions.push(stream.subscribe());
  const { port } = await bound;
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

function promtool(body: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(body);
  });
}

const requests: MetricMetadata = {
  family: 'http_requests',
  type: 'counter',
  help: 'HTTP requests served, by "code" and\\path.',
};
const legacyCounter: MetricMetadata = {
  family: 'rpc_errors_total',
  type: 'counter',
  help: 'RPC errors.\nSecond line.',
};
const temperature: MetricMetadata = {
  family: 'room_temperature_celsius',
  type: 'gauge',
  help: 'Room temperature.',
};
const latency: MetricMetadata = {
  family: 'request_duration_seconds',
  type: 'histogram',
  help: 'Request latency.',
};
const rpc: MetricMetadata = { family: 'rpc_duration_seconds', type: 'summary', help: 'RPC latency.' };
const build: MetricMetadata = { family: 'build', type: 'info', help: 'Build information.' };

function variety(): MetricSample[] {
  const out: MetricSample[] = [
    sample('http_requests_total', { code: '200', path: '/' }, 1027, requests),
    sample('http_requests_total', { code: '500', path: 'C:\\temp\\"quoted"\nnewline' }, 3, requests),
    sample('rpc_errors_total', { service: 'ünïcödé ✓' }, 0, legacyCounter),
    sample('room_temperature_celsius', { room: 'a' }, -3.5, temperature),
    sample('room_temperature_celsius', { room: 'b' }, Number.NaN, temperature),
    sample('room_temperature_celsius', { room: 'c' }, Number.POSITIVE_INFINITY, temperature),
    sample('room_temperature_celsius', { room: 'd' }, Number.NEGATIVE_INFINITY, temperature),
    sample('room_temperature_celsius', { room: 'e' }, 1.5e-7, temperature),
    sample('room_temperature_celsius', { room: 'f' }, 1234567.891, temperature),
    sample('build_info', { version: '1.2.3' }, 1, build),
  ];
  for (const path of ['/api', '/health']) {
    const bounds = ['0.005', '0.05', '0.5', '5', '+Inf'];
    bounds.forEach((le, i) => {
      out.push(sample('request_duration_seconds_bucket', { path, le }, i * 10, latency));
    });
    out.push(sample('request_duration_seconds_sum', { path }, 12.75, latency));
    out.push(sample('request_duration_seconds_count', { path }, 40, latency));
  }
  for (const quantile of ['0.5', '0.9', '0.99'])
    out.push(sample('rpc_duration_seconds', { quantile }, Number(quantile) / 10, rpc));
  out.push(sample('rpc_duration_seconds', { quantile: '0.999' }, Number.NaN, rpc));
  out.push(sample('rpc_duration_seconds_sum', {}, 1.7560473e7, rpc));
  out.push(sample('rpc_duration_seconds_count', {}, 2693, rpc));
  return out;
}

describe.runIf(available || required)('exposition sink against promtool check metrics', () => {
  it('is installed', () => {
    expect(available, `${PROMTOOL} is missing and REQUIRE_PEERS=1`).toBe(true);
  });

  it('serves counters, gauges, histograms, summaries, escaped labels and NaN/Inf that parse and pass lint', async () => {
    const body = await serve(variety());
    expect(body).toContain('# TYPE request_duration_seconds histogram');
    expect(body).toContain('request_duration_seconds_bucket{le="+Inf",path="/api"} 40');
    expect(body).toContain('# TYPE rpc_duration_seconds summary');
    expect(body).toContain('# TYPE http_requests_total counter');
    expect(body).toContain('path="C:\\\\temp\\\\\\"quoted\\"\\nnewline"');
    const result = await promtool(body);
    expect(result.output).toBe('');
    expect(result.code, `${result.output}\n${body}`).toBe(0);
  });

  it('serves lines with timestamps that parse and pass lint', async () => {
    const result = await promtool(await serve(variety(), true));
    expect(result.code, result.output).toBe(0);
  });

  it('serves series without metadata and OpenMetrics-only types that still parse', async () => {
    const gaugeHistogram: MetricMetadata = {
      family: 'queue_wait_seconds',
      type: 'gaugehistogram',
      help: 'Queue wait.',
    };
    const state: MetricMetadata = { family: 'door_state', type: 'stateset', help: 'Door state.' };
    const unknown: MetricMetadata = { family: 'mystery_value', type: 'unknown', help: 'Unknown.' };
    const body = await serve([
      sample('plain_value', { a: 'b' }, 5),
      sample('queue_wait_seconds_bucket', { le: '1' }, 2, gaugeHistogram),
      sample('queue_wait_seconds_bucket', { le: '+Inf' }, 3, gaugeHistogram),
      sample('queue_wait_seconds_gsum', {}, 2.5, gaugeHistogram),
      sample('queue_wait_seconds_gcount', {}, 3, gaugeHistogram),
      sample('door_state', { door_state: 'open' }, 1, state),
      sample('door_state', { door_state: 'closed' }, 0, state),
      sample('mystery_value', {}, 7, unknown),
    ]);
    const result = await promtool(body);
    // Lint may flag the series that carry no help (exit 3); a parse error (exit 1) would fail.
    expect([0, 3], `${result.output}\n${body}`).toContain(result.code);
    expect(result.output).not.toContain('error while linting');
  });
});

/**
 * The text-format parser on real node_exporter output, fetched with Prometheus's two Accept
 * headers, checked against parse-prometheus-text-format (an independent JavaScript parser of the
 * text format 0.0.4). node_exporter 1.5 (Debian 12) answers the text format to both; its body is
 * also rewritten to OpenMetrics (counter families renamed without `_total`, `# EOF` appended) to
 * check that both formats give the same samples on a real body.
 *
 * Then the edge cases of both formats, served to a real Prometheus 2.42: the parser must accept
 * exactly the bodies whose scrape Prometheus reports up.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricSample } from '../../src/core/signals.js';
import {
  type PromTextFormat,
  PromTextParseError,
  parsePromText,
  parsePromTextToSamples,
  promTextFormat,
} from '../../src/protocols/prom-text/index.js';
import { NODE_EXPORTER, type NodeExporterProcess, startNodeExporter } from './node-exporter.js';
import { peerAvailable } from './peers.js';
import { freePort } from './prometheus-server.js';

const available = peerAvailable(NODE_EXPORTER, 'apt-get install prometheus-node-exporter');
const OPENMETRICS_ACCEPT = 'application/openmetrics-text;version=1.0.0';
const TEXT_ACCEPT = 'text/plain';

/** The shape parse-prometheus-text-format returns (values are strings as written). */
interface PeerFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly metrics: readonly {
    readonly value?: string;
    readonly labels?: Record<string, string>;
    readonly buckets?: Record<string, string>;
    readonly quantiles?: Record<string, string>;
    readonly sum?: string;
    readonly count?: string;
  }[];
}

const parsePeer = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  body: string,
) => PeerFamily[];

describe.skipIf(!available)('parsePromText on prometheus-node-exporter output', () => {
  let exporter: NodeExporterProcess;
  let url = '';
  const bodies = new Map<string, { contentType: string | undefined; body: string }>();

  beforeAll(async () => {
    exporter = await startNodeExporter();
    url = exporter.url;
    for (const accept of [OPENMETRICS_ACCEPT, TEXT_ACCEPT]) {
      const response = await fetch(url, { headers: { accept } });
      expect(response.status, exporter.stderr()).toBe(200);
      bodies.set(accept, {
        contentType: response.headers.get('content-type') ?? undefined,
        body: await response.text(),
      });
    }
  });

  afterAll(() => exporter?.stop());

  function parsed(accept: string): MetricSample[] {
    const answer = bodies.get(accept);
    if (answer === undefined) throw new Error(`no body for ${accept}`);
    return parsePromTextToSamples(answer.body, promTextFormat(answer.contentType), 0);
  }

  it('parses the answers to both Accept headers, in the format their Content-Type names', () => {
    for (const accept of [OPENMETRICS_ACCEPT, TEXT_ACCEPT]) {
      const answer = bodies.get(accept);
      // node_exporter 1.5 does not offer OpenMetrics: it answers the text format to both.
      expect(promTextFormat(answer?.contentType), accept).toBe(
        answer?.contentType?.startsWith('application/openmetrics-text') ? 'openmetrics' : 'text',
      );
    }
    const a = parsed(OPENMETRICS_ACCEPT);
    const b = parsed(TEXT_ACCEPT);
    expect(b.length).toBeGreaterThan(200);
    expect(a.length).toBe(b.length);
    const keys = (samples: MetricSample[]) => samples.map((s) => s.labels.key()).sort();
    expect(keys(a)).toEqual(keys(b));
    for (const name of ['node_memory_MemTotal_bytes', 'node_boot_time_seconds', 'node_exporter_build_info']) {
      const value = (samples: MetricSample[]) => samples.find((s) => s.labels.metricName === name)?.value;
      expect(value(a), name).toBeDefined();
      expect(value(a), name).toBe(value(b));
    }
  });

  it('gives the samples, types and help that parse-prometheus-text-format gives', () => {
    const body = bodies.get(TEXT_ACCEPT)?.body ?? '';
    const ours = parsed(TEXT_ACCEPT);
    const theirs = peerSamples(parsePeer(body));
    expect(ours.length).toBe(theirs.size);
    const problems: string[] = [];
    for (const sample of ours) {
      const key = sample.labels.toString();
      const other = theirs.get(key);
      if (other === undefined) {
        problems.push(`${key}: not found by the peer`);
        continue;
      }
      if (!Object.is(sample.value, other.value) && !(sample.value === other.value)) {
        problems.push(`${key}: ${sample.value} here, ${other.value} in the peer`);
      }
      const type = sample.metadata?.type === 'unknown' ? 'untyped' : (sample.metadata?.type ?? 'untyped');
      if (type !== other.type) problems.push(`${key}: type ${type} here, ${other.type} in the peer`);
      if ((sample.metadata?.help ?? '') !== other.help) problems.push(`${key}: help differs`);
    }
    expect(problems).toEqual([]);
  });

  it('gives the same samples when the body is rewritten as OpenMetrics', () => {
    const body = bodies.get(TEXT_ACCEPT)?.body ?? '';
    const text = parsePromTextToSamples(body, 'text', 0);
    const openMetrics = parsePromTextToSamples(toOpenMetrics(body), 'openmetrics', 0);
    const view = (samples: MetricSample[]) =>
      samples.map((s) => [s.labels.toString(), s.value, s.metadata?.type, s.metadata?.help]);
    expect(view(openMetrics)).toEqual(view(text));
    const counter = openMetrics.find((s) => s.labels.metricName === 'node_cpu_seconds_total');
    expect(counter?.metadata?.family).toBe('node_cpu_seconds');
  });
});

const PROMETHEUS = '/usr/bin/prometheus';
const prometheusAvailable = peerAvailable(PROMETHEUS, 'apt-get install prometheus');

/** Bodies on the edge of each format, where a parser is most likely to differ from Prometheus. */
const EDGE_CASES: readonly (readonly [PromTextFormat, string])[] = [
  ['text', ''],
  ['text', 'a+1\n'],
  ['text', '# HELP a-b x\na 1\n'],
  ['text', 'a{b="x\ny"} 1\n'],
  ['text', 'a{b="x\\\ny"} 1\n'],
  ['text', 'a{b="1"c="2"} 1\n'],
  ['text', 'a{b="1",} 1\n'],
  ['text', 'a{,b="1"} 1\n'],
  ['text', 'a{ } 1\n'],
  ['text', 'a{b="1"}2\n'],
  ['text', 'a{b="1"} {c="2"} 1\n'],
  ['text', 'a 1e-400\n'],
  ['text', 'a 1e400\n'],
  ['text', 'a +nan\n'],
  ['text', 'a Infinity\n'],
  ['text', 'a 0x10\n'],
  ['text', 'a 1_000\n'],
  ['text', 'a 1.5e+06 123\n'],
  ['text', 'a 1 -5\n'],
  ['text', 'a 1 2 3\n'],
  ['text', 'a 1 9223372036854775807\n'],
  ['text', 'a 1 9223372036854775808\n'],
  ['text', 'a\t1\t\n'],
  ['text', 'a 1\r\n'],
  ['text', '  a 1\n'],
  ['text', '  # HELP a x\na 1\n'],
  ['text', '# HELP a\nb 1\n'],
  ['text', '# TYPE a counter \na 1\n'],
  ['text', '# TYPE a gaugehistogram\na 1\n'],
  ['text', 'a 1\n# HELP b x'],
  ['text', 'a{b="1",b="2"} 1\n'],
  ['text', 'a{b="",b="2"} 1\n'],
  ['text', 'a{__name__="b"} 1\n'],
  ['text', 'a{b="\\t\\q😀"} 1\n'],
  ['openmetrics', ''],
  ['openmetrics', 'a 1\n'],
  ['openmetrics', 'a 1\n# EOF'],
  ['openmetrics', '# EOF\n\n'],
  ['openmetrics', 'a 1\n\n# EOF\n'],
  ['openmetrics', ' a 1\n# EOF\n'],
  ['openmetrics', 'a  1\n# EOF\n'],
  ['openmetrics', 'a\t1\n# EOF\n'],
  ['openmetrics', '# comment\n# EOF\n'],
  ['openmetrics', '# HELP a\n# EOF\n'],
  ['openmetrics', '# TYPE a untyped\n# EOF\n'],
  ['openmetrics', '# UNIT _seconds seconds\n# EOF\n'],
  ['openmetrics', '# UNIT a_bytes seconds\n# EOF\n'],
  ['openmetrics', 'a{} 1\n# EOF\n'],
  ['openmetrics', 'a{b="1",} 1\n# EOF\n'],
  ['openmetrics', 'a{b="1",b="2"} 1\n# EOF\n'],
  ['openmetrics', 'a{b="x\\qy"} 1\n# EOF\n'],
  ['openmetrics', 'a 1 -1.5\n# EOF\n'],
  ['openmetrics', 'a 1 1e3\n# EOF\n'],
  ['openmetrics', 'a 1 NaN\n# EOF\n'],
  ['openmetrics', 'a_total 1 # {t="x"} 1 2\n# EOF\n'],
  ['openmetrics', 'a_total 1 2 # {t="x"} 1\n# EOF\n'],
  ['openmetrics', 'a_total 1 # {t="x"} 1 NaN\n# EOF\n'],
  ['openmetrics', 'a_total 1 # {t="x",t="y"} 1\n# EOF\n'],
  ['openmetrics', 'a_bucket{le="1"} 1 # {} 1\n# EOF\n'],
  ['openmetrics', 'a 1 # {t="x"} 1\n# EOF\n'],
  ['openmetrics', 'a_count 1 # {t="x"} 1\n# EOF\n'],
];

describe.skipIf(!prometheusAvailable)('parsePromText against a Prometheus 2.42 scrape', () => {
  it('accepts exactly the bodies whose scrape Prometheus reports up', async () => {
    const server = createHttpServer((request, response) => {
      const [format, body] = EDGE_CASES[Number(request.url?.split('/')[2])] ?? ['text', ''];
      response.writeHead(200, {
        'content-type':
          format === 'openmetrics'
            ? 'application/openmetrics-text; version=1.0.0'
            : 'text/plain; version=0.0.4',
      });
      response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const target = `127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-prom-text-'));
    const jobs = EDGE_CASES.map(
      (_, k) =>
        `  - job_name: c${k}\n    metrics_path: /case/${k}\n    static_configs: [{ targets: ['${target}'] }]`,
    );
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s, scrape_timeout: 1s }\nscrape_configs:\n${jobs.join('\n')}\n`,
    );
    const port = await freePort();
    const prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    try {
      const health = await scrapeHealth(`http://127.0.0.1:${port}`, EDGE_CASES.length, prometheus);
      expect(new Set([...health.values()].map((target) => target.health))).toEqual(new Set(['up', 'down']));
      const disagreements: string[] = [];
      EDGE_CASES.forEach(([format, body], k) => {
        const theirs = health.get(`c${k}`);
        let ours = 'up';
        try {
          parsePromText(body, format, { sample() {} });
        } catch (error) {
          if (!(error instanceof PromTextParseError)) throw error;
          ours = `down (${error.message})`;
        }
        if ((ours === 'up') !== (theirs?.health === 'up')) {
          disagreements.push(
            `${format} ${JSON.stringify(body)}: ${ours} here, ${theirs?.health} (${theirs?.lastError}) in Prometheus`,
          );
        }
      });
      expect(disagreements).toEqual([]);
    } finally {
      const exited = new Promise((resolve) => prometheus.once('exit', resolve));
      if (prometheus.exitCode === null) prometheus.kill('SIGTERM');
      await exited;
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

/** Waits until Prometheus has scraped each of `jobs` targets once and returns their health by job. */
async function scrapeHealth(
  url: string,
  jobs: number,
  child: ChildProcess,
): Promise<Map<string, { health: string; lastError: string }>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${PROMETHEUS} exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/api/v1/targets`);
      const targets = (await response.json()) as {
        data: { activeTargets: { labels: { job: string }; health: string; lastError: string }[] };
      };
      const scraped = targets.data.activeTargets.filter((t) => t.health !== 'unknown');
      if (scraped.length === jobs) return new Map(scraped.map((t) => [t.labels.job, t]));
    } catch {
      // Not serving yet.
    }
    if (Date.now() > deadline)
      throw new Error(`${PROMETHEUS} did not scrape all ${jobs} targets within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The peer's families as samples keyed like `Labels.toString()`, with their type and help. */
function peerSamples(
  families: readonly PeerFamily[],
): Map<string, { value: number; type: string; help: string }> {
  const out = new Map<string, { value: number; type: string; help: string }>();
  for (const family of families) {
    const type = family.type.toLowerCase();
    const put = (name: string, labels: Record<string, string>, value: string): void => {
      const record: Record<string, string> = { __name__: name };
      for (const [label, text] of Object.entries(labels)) if (text !== '') record[label] = text;
      const key = `{${Object.keys(record)
        .sort()
        .map((label) => `${label}=${JSON.stringify(record[label])}`)
        .join(', ')}}`;
      out.set(key, { value: peerNumber(value), type, help: family.help });
    };
    for (const metric of family.metrics) {
      const labels = metric.labels ?? {};
      if (metric.buckets !== undefined || metric.quantiles !== undefined) {
        const [suffix, label, points] =
          metric.buckets !== undefined
            ? ['_bucket', 'le', metric.buckets]
            : ['', 'quantile', metric.quantiles ?? {}];
        for (const [bound, value] of Object.entries(points))
          put(`${family.name}${suffix}`, { ...labels, [label]: bound }, value);
        put(`${family.name}_sum`, labels, metric.sum ?? 'NaN');
        put(`${family.name}_count`, labels, metric.count ?? 'NaN');
      } else {
        put(family.name, labels, metric.value ?? 'NaN');
      }
    }
  }
  return out;
}

function peerNumber(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/**
 * Rewrites a text-format body from node_exporter as OpenMetrics: a counter family is named
 * without `_total`, `untyped` becomes `unknown`, and `# EOF` ends the body.
 */
function toOpenMetrics(body: string): string {
  const counters = new Set<string>();
  for (const match of body.matchAll(/^# TYPE (\S+) counter$/gm)) counters.add(match[1] as string);
  const family = (name: string): string =>
    counters.has(name) && name.endsWith('_total') ? name.slice(0, -6) : name;
  const out: string[] = [];
  for (const line of body.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+)(.*)$/.exec(line);
    if (meta !== null) {
      const rest = meta[1] === 'TYPE' && meta[3] === ' untyped' ? ' unknown' : (meta[3] as string);
      out.push(`# ${meta[1]} ${family(meta[2] as string)}${rest}`);
    } else {
      out.push(line);
    }
  }
  return `${out.join('\n')}\n# EOF\n`;
}

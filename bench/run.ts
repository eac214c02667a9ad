/**
 * Runs every benchmark and prints a table. `--json` prints JSON instead; `--write` also rewrites
 * the generated part of BENCHMARKS.md. Names given run only the benchmarks whose name contains
 * one of them (the table in BENCHMARKS.md is only rewritten from a full run).
 *
 *   npm run bench
 *   npm run bench -- --json
 *   npm run bench -- --write
 *   npm run bench -- wal
 *   npm run bench -- relabel labels-hash --json
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { run as clusterConvergence } from './cluster-convergence.js';
import { run as clusterRing } from './cluster-ring.js';
import type { BenchRow } from './harness.js';
import { run as labelsHash } from './labels-hash.js';
import { run as logsPipeline } from './logs-pipeline.js';
import { run as lokiEncode } from './loki-encode.js';
import { run as otelProcessors } from './otel-processors.js';
import { run as otelTailSample } from './otel-tail-sample.js';
import { run as otlpExport } from './otlp-export.js';
import { run as otlpJson } from './otlp-json.js';
import { run as otlpPipeline } from './otlp-pipeline.js';
import { run as otlpProto } from './otlp-proto.js';
import { run as pipelineOverhead } from './pipeline-overhead.js';
import { run as processLogs } from './process-logs.js';
import { run as promTextParse } from './prom-text-parse.js';
import { run as relabel } from './relabel.js';
import { run as remoteWriteEncode } from './remote-write-encode.js';
import { run as scrapeVsAgent } from './scrape-vs-prometheus-agent.js';
import { run as syslogParse } from './syslog-parse.js';
import { run as wal } from './wal.js';

const benches: readonly (readonly [string, () => Promise<BenchRow[]>])[] = [
  ['pipeline-overhead', pipelineOverhead],
  ['labels-hash', labelsHash],
  ['prom-text-parse', promTextParse],
  ['relabel', relabel],
  ['process-logs', processLogs],
  ['remote-write-encode', remoteWriteEncode],
  ['loki-encode', lokiEncode],
  ['logs-pipeline', logsPipeline],
  ['scrape-vs-prometheus-agent', scrapeVsAgent],
  ['syslog-parse', syslogParse],
  ['wal', wal],
  ['cluster-ring', clusterRing],
  ['cluster-convergence', clusterConvergence],
  ['otlp-proto', otlpProto],
  ['otlp-json', otlpJson],
  ['otlp-export', otlpExport],
  ['otlp-pipeline', otlpPipeline],
  ['otel-processors', otelProcessors],
  ['otel-tail-sample', otelTailSample],
];

const args = new Set(process.argv.slice(2).filter((arg) => arg.startsWith('--')));
const names = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const selected =
  names.length === 0 ? benches : benches.filter(([name]) => names.some((n) => name.includes(n)));
if (selected.length === 0)
  throw new Error(
    `no benchmark matches ${names.join(', ')}; there are ${benches.map(([n]) => n).join(', ')}`,
  );
if (names.length > 0 && args.has('--write'))
  throw new Error(
    '--write rewrites the whole table in BENCHMARKS.md, so it needs every benchmark: drop the names',
  );

const rows: BenchRow[] = [];
for (const [, bench] of selected) rows.push(...(await bench()));

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const date = new Date().toISOString().slice(0, 10);

if (args.has('--json')) {
  console.log(JSON.stringify({ date, machine, rows }, null, 2));
} else {
  console.log(table(rows));
}

if (args.has('--write')) {
  const file = new URL('../BENCHMARKS.md', import.meta.url);
  const text = readFileSync(file, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const generated = `${start}\nRun on ${date}: ${machine}. Command: \`npm run bench -- --write\`.\n\n${table(rows)}\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < 0) throw new Error('BENCHMARKS.md lacks the bench:start / bench:end markers');
  writeFileSync(file, text.slice(0, from) + generated + text.slice(to + end.length));
}

function table(all: readonly BenchRow[]): string {
  const lines = [
    '| benchmark | case | ns per unit | units per second | notes |',
    '| --- | --- | ---: | ---: | --- |',
  ];
  for (const row of all) {
    lines.push(
      `| ${row.bench} | ${row.case} | ${row.nsPerUnit.toFixed(1)} ns/${row.unit} | ${Math.round(row.unitsPerSecond).toLocaleString('en-US')} | ${row.note ?? ''} |`,
    );
  }
  return lines.join('\n');
}

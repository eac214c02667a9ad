/**
 * Checks hostMetrics against the real node_exporter on this host: every family hostMetrics emits
 * must also be in node_exporter's exposition, with the same TYPE, HELP and label names, and the
 * values that cannot drift between the two reads (total memory, boot time) must be equal.
 */
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricSample } from '../../src/core/signals.js';
import { hostMetrics } from '../../src/sources/host-metrics.js';
import { NODE_EXPORTER, type NodeExporterProcess, startNodeExporter } from './node-exporter.js';
import { peerAvailable } from './peers.js';

const available = peerAvailable(NODE_EXPORTER, 'apt-get install prometheus-node-exporter');

interface Family {
  type?: string;
  help?: string;
  labelNames: Set<string>;
  values: number[];
}

describe.skipIf(!available)('hostMetrics against prometheus-node-exporter', () => {
  let exporter: NodeExporterProcess;
  let url = '';

  beforeAll(async () => {
    exporter = await startNodeExporter();
    url = exporter.url;
  });

  afterAll(() => exporter?.stop());

  it('emits families that node_exporter has, with the same TYPE, HELP and label names', async () => {
    const batch = await firstValueFrom(hostMetrics({ id: 'interop-host-metrics' }));
    batch.ack.delivered();
    const response = await fetch(url);
    expect(response.ok, exporter.stderr()).toBe(true);
    const theirs = parseExposition(await response.text());
    const ours = groupOurs(batch.items);

    expect(ours.size).toBeGreaterThan(20);
    const problems: string[] = [];
    for (const [name, family] of ours) {
      const other = theirs.get(name);
      if (other === undefined) {
        problems.push(`${name}: not in node_exporter's output`);
        continue;
      }
      if (other.type !== family.type)
        problems.push(`${name}: TYPE ${family.type} here, ${other.type} in node_exporter`);
      if (other.help !== family.help)
        problems.push(`${name}: HELP '${family.help}' here, '${other.help}' in node_exporter`);
      const mine = [...family.labelNames].sort().join(',');
      const its = [...other.labelNames].sort().join(',');
      if (mine !== its) problems.push(`${name}: labels {${mine}} here, {${its}} in node_exporter`);
    }
    expect(problems).toEqual([]);

    for (const name of ['node_memory_MemTotal_bytes', 'node_boot_time_seconds']) {
      expect(ours.get(name)?.values, name).toHaveLength(1);
      expect(ours.get(name)?.values, name).toEqual(theirs.get(name)?.values);
    }
  });
});

function groupOurs(items: readonly MetricSample[]): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const sample of items) {
    const name = sample.labels.metricName;
    let family = families.get(name);
    if (family === undefined) {
      family = { labelNames: new Set(), values: [] };
      if (sample.metadata?.type !== undefined) family.type = sample.metadata.type;
      if (sample.metadata?.help !== undefined) family.help = sample.metadata.help;
      families.set(name, family);
    }
    for (const label of sample.labels.names()) if (label !== '__name__') family.labelNames.add(label);
    family.values.push(sample.value);
  }
  return families;
}

/**
 * Reads the Prometheus text format: `# HELP`, `# TYPE` and sample lines. A label with an empty
 * value is the same as no label in Prometheus, so it is left out of the label names.
 */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const familyOf = (name: string): Family => {
    let family = families.get(name);
    if (family === undefined) {
      family = { labelNames: new Set(), values: [] };
      families.set(name, family);
    }
    return family;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta !== null) {
      const family = familyOf(meta[2] as string);
      const rest = meta[3] ?? '';
      if (meta[1] === 'TYPE') family.type = rest;
      else family.help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (sample === null) throw new Error(`unparsed exposition line: ${line}`);
    const family = familyOf(sample[1] as string);
    for (const match of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      if (match[2] !== '') family.labelNames.add(match[1] as string);
    }
    family.values.push(Number(sample[3]));
  }
  return families;
}

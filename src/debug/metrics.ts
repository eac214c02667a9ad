/**
 * `/metrics`: the run's own metrics (the `rivulet_component_*` families the runner registers,
 * and whatever else is in that registry) plus the process metrics (CPU, memory, event loop, GC,
 * handles), in the Prometheus text format.
 */
import client, { Registry } from 'prom-client';
import { scrub } from './mask.js';

/** The process metrics, kept on a registry of their own so no user registry gets them twice. */
let processRegistry: Registry | undefined;

function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    client.collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** A rendered scrape. */
export interface MetricsPage {
  readonly contentType: string;
  readonly body: string;
}

/**
 * Renders `registry` and, when `withProcess` is set, the process metrics that `registry` does
 * not already have (a registry that `collectDefaultMetrics` ran on keeps its own).
 */
export async function renderMetrics(
  registry: Registry | undefined,
  withProcess: boolean,
): Promise<MetricsPage> {
  const process = withProcess ? processMetrics() : undefined;
  if (registry === undefined) {
    if (process === undefined) return { contentType: Registry.PROMETHEUS_CONTENT_TYPE, body: '' };
    return { contentType: process.contentType, body: await process.metrics() };
  }
  const main = await registry.metrics();
  if (process === undefined || process === registry || registry.contentType !== process.contentType)
    return { contentType: registry.contentType, body: main };
  const present = new Set(registry.getMetricsAsArray().map((metric) => metric.name));
  const parts = [main];
  for (const metric of process.getMetricsAsArray()) {
    if (present.has(metric.name)) continue;
    parts.push(await process.getSingleMetricAsString(metric.name));
  }
  const body = parts
    .map((part) => part.trimEnd())
    .filter((part) => part !== '')
    .join('\n\n');
  return { contentType: registry.contentType, body: body === '' ? '' : `${body}\n` };
}

/**
 * `body` with known secret values masked where text can hold them (series names and labels,
 * help texts), never in sample values or timestamps, so masking cannot corrupt a number.
 */
export function scrubExposition(body: string, secrets: ReadonlySet<string>): string {
  if (secrets.size === 0) return body;
  return body
    .split('\n')
    .map((line) => {
      if (line.startsWith('# HELP ')) return scrub(line, secrets);
      if (line.startsWith('#') || line === '') return line;
      const labelsEnd = line.lastIndexOf('}');
      return labelsEnd < 0 ? line : scrub(line.slice(0, labelsEnd + 1), secrets) + line.slice(labelsEnd + 1);
    })
    .join('\n');
}

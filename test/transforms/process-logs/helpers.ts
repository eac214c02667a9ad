// Shared helpers for the processLogs tests: entries, running stages over batches, and reading
// the component's counters.
import { firstValueFrom, type Observable, of, toArray } from 'rxjs';
import { type Batch, createBatch } from '../../../src/core/batch.js';
import type { ComponentInfo } from '../../../src/core/component.js';
import { collectGraph } from '../../../src/core/graph.js';
import { type LabelRecord, Labels } from '../../../src/core/labels.js';
import type { LogEntry } from '../../../src/core/signals.js';
import { processLogs, type Stage } from '../../../src/transforms/process-logs/index.js';

export const T0 = 1_700_000_000_000_000_000n;

/** A log entry with the given line and labels. */
export function entry(line: string, labels: LabelRecord = { app: 'api' }, timestampNs = T0): LogEntry {
  return { labels: Labels.from(labels), line, timestampNs };
}

/** The component behind a stream made with processLogs. */
export function componentOf(stream: Observable<unknown>): ComponentInfo {
  const [component] = collectGraph([stream]).components;
  if (component === undefined) throw new Error('no component in the graph');
  return component;
}

/** Runs `entries` as one batch through `stages`; returns the entries out and the component. */
export async function run(
  stages: readonly Stage[],
  entries: readonly LogEntry[],
): Promise<{ out: LogEntry[]; batches: Batch<'logs'>[]; component: ComponentInfo }> {
  const stream = of(createBatch('logs', entries)).pipe(processLogs(...stages));
  const batches = await firstValueFrom(stream.pipe(toArray()));
  return { out: batches.flatMap((b) => [...b.items]), batches, component: componentOf(stream) };
}

/** Runs one line through `stages` and returns the single entry out (or undefined). */
export async function one(
  stages: readonly Stage[],
  line: string,
  labels?: LabelRecord,
): Promise<LogEntry | undefined> {
  const { out } = await run(stages, [entry(line, labels)]);
  return out[0];
}

/** Errors counted at the processing stage. */
export function errors(component: ComponentInfo): number {
  return component.stats().errors.get('processing') ?? 0;
}

/** Items dropped for `reason`. */
export function dropped(component: ComponentInfo, reason: string): number {
  return component.stats().dropped.get(reason)?.count ?? 0;
}

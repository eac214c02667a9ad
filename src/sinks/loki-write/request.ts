/**
 * Turns queued entries into one push request body, and log entries into queued entries: stream
 * labels with external labels added and internal labels removed, the tenant, the size that
 * `batchSize` counts.
 */
import type { Labels } from '../../core/labels.js';
import type { LogEntry } from '../../core/signals.js';
import {
  encodeLokiPushBody,
  encodeLokiPushJson,
  type LokiPushEntry,
  type LokiPushStream,
} from '../../protocols/loki/index.js';
import { utf8Size } from '../../protocols/protobuf/writer.js';
import type { ItemTracker } from '../shared/item-outcome.js';
import type { QueuedEntry } from './tracker.js';

/** The label that routes an entry to another tenant, as in Alloy and Promtail. */
export const TENANT_LABEL = '__tenant_id__';
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

/** The body of one request: entries grouped into streams in arrival order, each stream's entries in order. */
export function buildBody(entries: readonly QueuedEntry[], format: 'protobuf' | 'json'): Uint8Array {
  const byStream = new Map<string, { labels: Labels; entries: LokiPushEntry[] }>();
  for (const { entry, labels } of entries) {
    const key = labels.key();
    let stream = byStream.get(key);
    if (stream === undefined) {
      stream = { labels, entries: [] };
      byStream.set(key, stream);
    }
    stream.entries.push(entry);
  }
  const streams: LokiPushStream[] = [...byStream.values()];
  return format === 'json' ? Buffer.from(encodeLokiPushJson(streams), 'utf8') : encodeLokiPushBody(streams);
}

/** Where an entry goes: the labels it is sent with and its tenant. */
interface Route {
  readonly labels: Labels;
  readonly tenant: string;
}

/** Why an entry cannot be sent, or `undefined` when it can. */
export type SkipReason = 'no_labels' | 'invalid_timestamp';

/** Prepares log entries for the queue, remembering each label set's route. */
export class EntryPreparer {
  private readonly routes = new WeakMap<Labels, Route>();

  constructor(
    private readonly externalLabels: Labels,
    private readonly defaultTenant: string,
  ) {}

  /** The labels an entry is sent with and its tenant. */
  route(labels: Labels): Route {
    let route = this.routes.get(labels);
    if (route === undefined) {
      const builder = labels.builder();
      this.externalLabels.forEach((name, value) => {
        if (labels.get(name) === undefined) builder.set(name, value);
      });
      for (const name of labels.names()) if (name.startsWith('__')) builder.delete(name);
      route = { labels: builder.build(), tenant: labels.get(TENANT_LABEL) ?? this.defaultTenant };
      this.routes.set(labels, route);
    }
    return route;
  }

  /** Why `entry` cannot be sent, or `undefined` when it can. */
  problem(entry: LogEntry): SkipReason | undefined {
    if (entry.timestampNs < MIN_INT64 || entry.timestampNs > MAX_INT64) return 'invalid_timestamp';
    if (this.route(entry.labels).labels.size === 0) return 'no_labels';
    return undefined;
  }

  /**
   * The sendable entries of `items` as queue entries tracked by `tracker`; the others are
   * reported to `onSkip` and recorded on the tracker as skipped.
   */
  prepare(
    items: readonly LogEntry[],
    tracker: ItemTracker,
    onSkip: (count: number, reason: SkipReason) => void,
  ): QueuedEntry[] {
    const out: QueuedEntry[] = [];
    const queuedAt = performance.now();
    let skipped: Map<SkipReason, number> | undefined;
    for (const entry of items) {
      const problem = this.problem(entry);
      if (problem !== undefined) {
        skipped ??= new Map();
        skipped.set(problem, (skipped.get(problem) ?? 0) + 1);
        continue;
      }
      const { labels, tenant } = this.route(entry.labels);
      out.push({ entry, labels, tenant, size: entrySize(entry), queuedAt, tracker });
    }
    if (skipped !== undefined) {
      for (const [reason, count] of skipped) {
        onSkip(count, reason);
        tracker.record(count, { status: 'skipped', reason });
      }
    }
    return out;
  }
}

/** Bytes of an entry's line and structured metadata, what `batchSize` counts. */
export function entrySize(entry: LogEntry): number {
  const line = entry.line;
  let size = line.length <= 64 ? utf8Size(line) : Buffer.byteLength(line, 'utf8');
  const metadata = entry.structuredMetadata;
  if (metadata !== undefined) for (const text of metadata.rawPairs()) size += utf8Size(text);
  return size;
}

/**
 * The `rivulet_wal_*` metrics, one series per WAL directory (label `wal`), read from each open
 * WAL's snapshot when the registry is collected.
 */
import client, { Counter, Gauge, type Registry } from 'prom-client';
import type { FileWalSnapshot } from './file-wal.js';

interface Snapshotting {
  snapshot(): FileWalSnapshot;
}

const byRegistry = new WeakMap<Registry, Set<Snapshotting>>();

/** Adds `wal` to the metrics of `registry` (the default one when undefined); returns the undo. */
export function exposeWalMetrics(registry: Registry | undefined, wal: Snapshotting): () => void {
  const target = registry ?? client.register;
  let wals = byRegistry.get(target);
  if (wals === undefined) {
    wals = new Set();
    byRegistry.set(target, wals);
    register(target, wals);
  }
  wals.add(wal);
  return () => wals.delete(wal);
}

type Pick = (s: FileWalSnapshot) => number;

function register(registry: Registry, wals: ReadonlySet<Snapshotting>): void {
  const gauge = (name: string, help: string, pick: Pick): void => {
    new Gauge({
      name,
      help,
      labelNames: ['wal'],
      registers: [registry],
      collect() {
        this.reset();
        for (const wal of wals) {
          const s = wal.snapshot();
          this.set({ wal: s.dir }, pick(s));
        }
      },
    });
  };
  const counter = (name: string, help: string, pick: Pick): void => {
    new Counter({
      name,
      help,
      labelNames: ['wal'],
      registers: [registry],
      collect() {
        this.reset();
        for (const wal of wals) {
          const s = wal.snapshot();
          this.inc({ wal: s.dir }, pick(s));
        }
      },
    });
  };
  gauge('rivulet_wal_segments', 'Segment files the WAL holds.', (s) => s.segments);
  gauge('rivulet_wal_size_bytes', 'Bytes the WAL holds on disk.', (s) => s.bytes);
  gauge(
    'rivulet_wal_oldest_unsent_age_seconds',
    'Seconds since the oldest record not yet sent was appended; 0 when everything is sent.',
    (s) => s.oldestUnsentAgeSeconds,
  );
  gauge(
    'rivulet_wal_replay_duration_seconds',
    'How long reading back what was unsent at start-up took.',
    (s) => s.replaySeconds,
  );
  counter('rivulet_wal_appended_bytes_total', 'Bytes appended to the WAL.', (s) => s.appendedBytes);
  counter('rivulet_wal_appended_items_total', 'Items appended to the WAL.', (s) => s.appendedItems);
  counter(
    'rivulet_wal_appended_records_total',
    'Records (one per append) written to the WAL.',
    (s) => s.appendedRecords,
  );
  counter('rivulet_wal_fsyncs_total', 'fdatasync calls the WAL made.', (s) => s.syncs);
  counter('rivulet_wal_fsync_seconds_total', 'Seconds spent in fdatasync.', (s) => s.syncSeconds);
  counter(
    'rivulet_wal_corrupt_records_total',
    'Damaged regions or records found while reading, each skipped.',
    (s) => s.corruptRecords,
  );
  counter('rivulet_wal_corrupt_bytes_total', 'Bytes skipped as unreadable.', (s) => s.corruptBytes);
  counter(
    'rivulet_wal_torn_tail_bytes_total',
    'Bytes of incomplete writes cut off the end of the WAL at start-up.',
    (s) => s.tornTailBytes,
  );
  counter(
    'rivulet_wal_missing_segments_total',
    'Segment files found missing at start-up.',
    (s) => s.missingSegments,
  );
  new Counter({
    name: 'rivulet_wal_dropped_items_total',
    help: 'Items lost without being sent, by reason (max_size, max_age, corrupt_record).',
    labelNames: ['wal', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const wal of wals) {
        const s = wal.snapshot();
        for (const [reason, count] of s.droppedItems) this.inc({ wal: s.dir, reason }, count);
      }
    },
  });
}

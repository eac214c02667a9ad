// A custom component: a transform made with defineTransform, composed like a built-in one.
// Run it with `npx tsx examples/custom-component.ts`: it prints the error lines of a few log
// entries and the component's counters.

import {
  type Batch,
  consoleSink,
  createBatch,
  defineTransform,
  Labels,
  type LogEntry,
  run,
  withItems,
} from 'rivulet';
import { map, Observable } from 'rxjs';

/** Keeps only log entries whose `level` label is `error`; the rest are counted as dropped on purpose. */
export const onlyErrors = (id?: string) =>
  defineTransform(
    { type: 'onlyErrors', id, input: 'logs', output: 'logs' },
    (ctx) => (upstream) =>
      upstream.pipe(
        map((batch) => {
          const kept = batch.items.filter((entry) => entry.labels.get('level') === 'error');
          ctx.dropped(batch.items.length - kept.length, 'not_error', true);
          return withItems(batch, kept);
        }),
      ),
  );

const entry = (level: string, line: string, ns: bigint): LogEntry => ({
  labels: Labels.from({ app: 'checkout', level }),
  line,
  timestampNs: ns,
});

const logs = new Observable<Batch<'logs'>>((subscriber) => {
  subscriber.next(
    createBatch('logs', [
      entry('info', 'order 17 placed', 1_764_000_000_000_000_000n),
      entry('error', 'payment service timed out', 1_764_000_000_500_000_000n),
      entry('info', 'order 18 placed', 1_764_000_001_000_000_000n),
    ]),
  );
  subscriber.complete();
});

const filter = onlyErrors('only-errors');
const running = run({ logs: logs.pipe(filter, consoleSink()) }, { handleSignals: false });
const result = await running.done;
const stats = running.registry.component('only-errors')?.stats();
console.log(
  `ok=${result.ok} received=${stats?.received} sent=${stats?.sent} dropped=${stats?.dropped.get('not_error')?.count}`,
);

/**
 * Runs entries through the compiled steps of `processLogs`, one subscription's worth of state.
 *
 * Work is a queue of tasks processed one at a time, in order: a batch from upstream, a step's
 * expiry (a multiline block whose wait is over), the final flush of each holding step when the
 * input ends, and completion. A rate limiter that holds back pauses the queue mid-batch; later
 * batches wait behind it, unacknowledged, which is what slows the sources down.
 *
 * Acknowledgements. A batch's ack must settle only once every one of its lines has been
 * delivered or dropped. Lines that go out in the batch's own output settle with it. Lines a
 * step holds past the end of the batch (a multiline block, a CRI partial line) belong to a
 * {@link HeldGroup}: when the batch ends, its ack is split into one piece for its output and
 * one piece per group still holding its lines (`Ack.split`, so the batch settles once every
 * piece has: failed if any failed). A group carries the pieces of every batch it holds lines
 * of; the entry it becomes carries them on, and the batch that entry leaves in gets an ack
 * standing for its own piece and them (`Ack.all`), so they settle exactly when it does. An
 * entry dropped on the way settles what it carries as dropped.
 */
import { Ack } from '../../core/ack.js';
import { type Batch, createBatch, withItems } from '../../core/batch.js';
import type { ComponentContext } from '../../core/component.js';
import { toError } from '../../core/errors.js';
import type { LogEntry } from '../../core/signals.js';
import { Extracted } from './extracted.js';
import {
  type Emit,
  type EntryState,
  type HeldGroup,
  STOP,
  type StageRun,
  type StageType,
  type Step,
  type StepInstance,
  type StepResult,
  type Wait,
} from './stage.js';

type Task =
  | { readonly kind: 'batch'; readonly batch: Batch<'logs'> }
  | { readonly kind: 'flush'; readonly index: number }
  | { readonly kind: 'expire'; readonly index: number }
  | { readonly kind: 'complete' };

/** Where the runner sends its output. */
export interface RunnerOutput {
  next(batch: Batch<'logs'>): void;
  complete(): void;
}

/** Counts into the pipeline's own metrics (a `logMetrics` registry), when there is one. */
export type PipelineCounter = (
  name: string,
  help: string,
  labels: Readonly<Record<string, string>>,
  by: number,
) => void;

/** The reason a batch's ack settles with when every one of its lines was dropped. */
const ALL_DROPPED = 'process_logs_drop';

export class Runner implements StageRun {
  readonly component: string;
  private readonly instances: StepInstance[];
  private readonly types: readonly StageType[];
  private readonly queue: Task[] = [];
  private task: Task | undefined;
  private items: readonly LogEntry[] = [];
  private itemIndex = 0;
  private readonly stackEntries: EntryState[] = [];
  private readonly stackSteps: number[] = [];
  private out: LogEntry[] = [];
  private outHolds: Ack[] = [];
  private epoch = 0;
  private inBatch = false;
  private readonly touched = new Set<HeldGroup>();
  private lastDropReason: string | undefined;
  private running = false;
  private waitTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private closed = false;

  constructor(
    steps: readonly Step[],
    private readonly context: ComponentContext,
    private readonly output: RunnerOutput,
    private readonly counter: PipelineCounter | undefined,
  ) {
    this.component = context.id;
    this.types = steps.map((step) => step.type);
    this.instances = steps.map((step, index) => step.create(index));
  }

  /** Takes a batch from upstream. */
  push(batch: Batch<'logs'>): void {
    if (this.closed) {
      batch.ack.dropped('unsubscribed');
      return;
    }
    this.queue.push({ kind: 'batch', batch });
    this.pump();
  }

  /** Upstream completed: flush what the steps hold, in step order, then complete. */
  end(): void {
    if (this.closed) return;
    this.instances.forEach((instance, index) => {
      if (instance.flush !== undefined) this.queue.push({ kind: 'flush', index });
    });
    this.queue.push({ kind: 'complete' });
    this.pump();
  }

  /** Upstream failed: what is held and queued settles as failed, so a replaying source sends it again. */
  fail(error: unknown): void {
    this.abandon({ status: 'failed', error: toError(error) }, false);
  }

  /** The subscriber went away: what is held and queued settles as dropped and is counted. */
  dispose(): void {
    this.abandon({ status: 'dropped', reason: 'unsubscribed' }, true);
  }

  // StageRun

  now(): number {
    return Date.now();
  }

  drop(entry: EntryState, reason: string): typeof STOP {
    this.context.dropped(1, reason, true);
    this.lastDropReason = reason;
    if (entry.holds !== undefined) {
      for (const ack of entry.holds) ack.dropped(reason);
      entry.holds = undefined;
    }
    return STOP;
  }

  problem(stage: StageType, message: string): void {
    this.context.error('processing', `${stage}: ${message}`);
  }

  count(name: string, help: string, labels: Readonly<Record<string, string>>, by = 1): void {
    this.counter?.(name, help, labels, by);
  }

  hold(group: HeldGroup, entry: EntryState): void {
    group.size++;
    if (entry.holds !== undefined) {
      for (const ack of entry.holds) group.holds.push(ack);
      entry.holds = undefined;
    }
    if (this.inBatch && group.epoch !== this.epoch) {
      group.epoch = this.epoch;
      this.touched.add(group);
    }
  }

  release(group: HeldGroup): Ack[] | undefined {
    this.touched.delete(group);
    const holds = group.holds;
    group.holds = [];
    group.size = 0;
    return holds.length > 0 ? holds : undefined;
  }

  wake(index: number, delayMs: number): void {
    if (this.closed) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (this.closed) return;
        this.queue.push({ kind: 'expire', index });
        this.pump();
      },
      Math.max(0, delayMs),
    );
    this.timers.add(timer);
  }

  // The queue

  private pump(): void {
    if (this.running || this.closed || this.waitTimer !== undefined) return;
    this.running = true;
    try {
      while (!this.closed && this.waitTimer === undefined) {
        if (this.task === undefined) {
          const next = this.queue.shift();
          if (next === undefined) break;
          this.start(next);
          continue;
        }
        if (!this.advance()) break;
      }
    } finally {
      this.running = false;
    }
  }

  private start(task: Task): void {
    this.task = task;
    this.epoch++;
    this.out = [];
    this.outHolds = [];
    this.lastDropReason = undefined;
    switch (task.kind) {
      case 'batch':
        this.inBatch = true;
        this.items = task.batch.items;
        this.itemIndex = 0;
        return;
      case 'flush':
      case 'expire': {
        this.inBatch = false;
        this.items = [];
        const instance = this.instances[task.index] as StepInstance;
        const entries = (task.kind === 'flush' ? instance.flush?.(this) : instance.expire?.(this)) ?? [];
        this.pushEntries(entries, task.index + 1);
        return;
      }
      case 'complete':
        this.task = undefined;
        this.closed = true;
        for (const timer of this.timers) clearTimeout(timer);
        this.timers.clear();
        this.output.complete();
        return;
    }
  }

  /** Works on the current task; `false` when a step asked to wait. */
  private advance(): boolean {
    for (;;) {
      const entry = this.stackEntries.pop();
      if (entry !== undefined) {
        if (!this.runEntry(entry, this.stackSteps.pop() as number)) return false;
        continue;
      }
      if (this.itemIndex < this.items.length) {
        const item = this.items[this.itemIndex++] as LogEntry;
        const state: EntryState = {
          labels: item.labels,
          line: item.line,
          timestampNs: item.timestampNs,
          structuredMetadata: item.structuredMetadata,
          extracted: new Extracted(item.labels),
          holds: undefined,
          original: item,
        };
        if (!this.runEntry(state, 0)) return false;
        continue;
      }
      this.finish();
      return true;
    }
  }

  private pushEntries(entries: readonly EntryState[], step: number): void {
    for (let k = entries.length - 1; k >= 0; k--) {
      this.stackEntries.push(entries[k] as EntryState);
      this.stackSteps.push(step);
    }
  }

  /** Runs one entry from step `from` on; `false` when a step asked to wait. */
  private runEntry(entry: EntryState, from: number): boolean {
    const instances = this.instances;
    const n = instances.length;
    let s = from;
    while (s < n) {
      let result: StepResult;
      try {
        result = (instances[s] as StepInstance).process(entry, this);
      } catch (error) {
        this.context.error('processing', `${this.types[s]}: ${toError(error).message}`);
        s++;
        continue;
      }
      if (result === undefined) {
        s++;
        continue;
      }
      if (typeof result === 'number') {
        s = result;
        continue;
      }
      if (result === STOP) return true;
      const waitMs = (result as Wait).waitMs;
      if (waitMs !== undefined) {
        this.stackEntries.push(entry);
        this.stackSteps.push(s);
        this.waitTimer = setTimeout(() => {
          this.waitTimer = undefined;
          this.pump();
        }, waitMs);
        return false;
      }
      this.pushEntries((result as Emit).emit, s + 1);
      return true;
    }
    this.collect(entry);
    return true;
  }

  private collect(entry: EntryState): void {
    const original = entry.original;
    if (
      original !== undefined &&
      original.labels === entry.labels &&
      original.line === entry.line &&
      original.timestampNs === entry.timestampNs &&
      original.structuredMetadata === entry.structuredMetadata
    ) {
      this.out.push(original);
    } else {
      const metadata = entry.structuredMetadata;
      this.out.push(
        metadata === undefined || metadata.size === 0
          ? { labels: entry.labels, line: entry.line, timestampNs: entry.timestampNs }
          : {
              labels: entry.labels,
              line: entry.line,
              timestampNs: entry.timestampNs,
              structuredMetadata: metadata,
            },
      );
    }
    if (entry.holds !== undefined) for (const ack of entry.holds) this.outHolds.push(ack);
  }

  /** Ends the current task: emits its output with the right ack. */
  private finish(): void {
    const task = this.task as Task;
    this.task = undefined;
    const out = this.out;
    const outHolds = this.outHolds;
    this.out = [];
    this.outHolds = [];
    if (task.kind !== 'batch') {
      this.touched.clear();
      if (out.length > 0) {
        this.output.next(createBatch('logs', out, outHolds.length > 0 ? Ack.all(outHolds) : new Ack()));
      }
      return;
    }
    const batch = task.batch;
    const groups = [...this.touched];
    this.touched.clear();
    if (batch.items.length === 0) {
      this.output.next(batch);
      return;
    }
    const pieces = (out.length > 0 ? 1 : 0) + groups.length;
    if (pieces === 0) {
      batch.ack.dropped(this.lastDropReason ?? ALL_DROPPED);
      return;
    }
    const acks = batch.ack.split(pieces);
    let i = 0;
    const own = out.length > 0 ? (acks[i++] as Ack) : undefined;
    for (const group of groups) group.holds.push(acks[i++] as Ack);
    if (own === undefined) return;
    if (groups.length === 0 && outHolds.length === 0 && sameItems(out, batch.items)) {
      this.output.next(batch);
      return;
    }
    const ack = outHolds.length > 0 ? Ack.all([own, ...outHolds]) : own;
    this.output.next(
      own === batch.ack && ack === own ? withItems(batch, out) : createBatch('logs', out, ack),
    );
  }

  private abandon(
    outcome: { status: 'dropped'; reason: string } | { status: 'failed'; error: Error },
    count: boolean,
  ): void {
    if (this.closed) return;
    this.closed = true;
    if (this.waitTimer !== undefined) clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    let lost = 0;
    const settle = (ack: Ack): void => {
      ack.settle(outcome);
    };
    const task = this.task;
    if (task?.kind === 'batch') {
      settle(task.batch.ack);
      lost += this.items.length - this.itemIndex + this.out.length + this.stackEntries.length;
    } else if (task !== undefined) lost += this.out.length + this.stackEntries.length;
    for (const ack of this.outHolds) settle(ack);
    for (const entry of this.stackEntries) for (const ack of entry.holds ?? []) settle(ack);
    this.stackEntries.length = 0;
    this.stackSteps.length = 0;
    for (const queued of this.queue) {
      if (queued.kind !== 'batch') continue;
      settle(queued.batch.ack);
      lost += queued.batch.items.length;
    }
    this.queue.length = 0;
    for (const instance of this.instances) {
      for (const group of instance.abandon?.() ?? []) {
        lost += group.size;
        for (const ack of group.holds) settle(ack);
        group.holds = [];
      }
    }
    if (count && outcome.status === 'dropped') this.context.dropped(lost, outcome.reason, false);
  }
}

function sameItems(a: readonly LogEntry[], b: readonly LogEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

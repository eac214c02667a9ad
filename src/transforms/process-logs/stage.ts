/**
 * The stage model of `processLogs`. A {@link Stage} is what a stage function (`json`, `labels`,
 * ...) returns: its options, validated when it was made. `processLogs` compiles the stages into
 * one flat list of steps (a `match` stage's nested stages sit inline, and `match` jumps over
 * them when its selector does not match), and each subscription makes its own instances, so
 * state such as held multiline blocks or rate limiter tokens belongs to one subscription.
 *
 * An instance processes one entry at a time, changing it in place, and answers what happens next:
 * continue, jump, stop (dropped or held), emit entries it held before, or wait.
 */
import type { Ack } from '../../core/ack.js';
import type { Labels } from '../../core/labels.js';
import type { LogEntry } from '../../core/signals.js';
import { type Extracted, valueToString } from './extracted.js';

/** The stage types, named as Alloy's `stage.*` blocks in camelCase. */
export type StageType =
  | 'cri'
  | 'decolorize'
  | 'docker'
  | 'drop'
  | 'json'
  | 'labelDrop'
  | 'labelKeep'
  | 'labels'
  | 'limit'
  | 'logfmt'
  | 'match'
  | 'metrics'
  | 'multiline'
  | 'output'
  | 'pattern'
  | 'regex'
  | 'replace'
  | 'staticLabels'
  | 'structuredMetadata'
  | 'template'
  | 'tenant'
  | 'timestamp'
  | 'truncate';

/** One entry on its way through the stages. Stages change it in place. */
export interface EntryState {
  labels: Labels;
  line: string;
  timestampNs: bigint;
  structuredMetadata: Labels | undefined;
  readonly extracted: Extracted;
  /**
   * Acknowledgements of earlier batches whose lines this entry carries: set on an entry that a
   * stage assembled from held lines (multiline, CRI partial lines). They settle with the batch
   * the entry leaves in, or as dropped if the entry is dropped.
   */
  holds: Ack[] | undefined;
  /** The entry this state was made from, returned as is when nothing changed. */
  readonly original: LogEntry | undefined;
}

/** The entry left the chain: it was dropped (and counted) or a stage holds it. */
export const STOP: unique symbol = Symbol('stop');

/** The entry is held; `emit` are entries released now, which continue at the next step. */
export interface Emit {
  readonly emit: readonly EntryState[];
}

/** Try this step again for this entry after `waitMs` (a rate limiter holding back). */
export interface Wait {
  readonly waitMs: number;
}

/**
 * What a step answers: `undefined` to go on with the next step, a step index to jump to, {@link STOP},
 * an {@link Emit} or a {@link Wait}.
 */
export type StepResult = undefined | number | typeof STOP | Emit | Wait;

/** Lines a stage holds back together: the acks of the batches they came from travel with them. */
export class HeldGroup {
  /** Acks (pieces of batch acks) that settle with the entry this group becomes. */
  holds: Ack[] = [];
  /** The batch (runner epoch) that last added a line. */
  epoch = -1;
  /** Input entries held, for counting when the group is abandoned. */
  size = 0;
}

/** What a step can ask of the runner that drives it. */
export interface StageRun {
  /** The component's id, for messages. */
  readonly component: string;
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Drops the entry, counting it with `reason` and settling what it carries. Returns {@link STOP}. */
  drop(entry: EntryState, reason: string): typeof STOP;
  /** Counts bad input that a stage skipped over (a processing error); the entry goes on. */
  problem(stage: StageType, message: string): void;
  /** Counts something into the pipeline's own metrics, when `processLogs` has a registry. */
  count(name: string, help: string, labels: Readonly<Record<string, string>>, by?: number): void;
  /** Adds `entry` to a held group; its acks move to the group. */
  hold(group: HeldGroup, entry: EntryState): void;
  /** Releases a group: returns the acks the entry made from it must carry. */
  release(group: HeldGroup): Ack[] | undefined;
  /** Asks for `expire` of step `index` to run in `delayMs`. */
  wake(index: number, delayMs: number): void;
}

/** A stage's per-subscription instance. */
export interface StepInstance {
  process(entry: EntryState, run: StageRun): StepResult;
  /** Entries the step still holds, released when the input ends. */
  flush?(run: StageRun): EntryState[];
  /** Entries whose wait is over, after a {@link StageRun.wake}. */
  expire?(run: StageRun): EntryState[];
  /** Groups still held when the subscription ends early, to settle and count. */
  abandon?(): HeldGroup[];
}

/** A compiled step: makes one instance per subscription. */
export interface Step {
  readonly type: StageType;
  create(index: number): StepInstance;
}

/** The flat list of steps that stages compile into. */
export interface StepList {
  readonly steps: Step[];
  /** The component's name, for messages. */
  readonly component: string;
}

type Compile = (list: StepList) => void;

const compilers = new WeakMap<Stage, Compile>();

/**
 * A configured processing stage, made by a stage function such as `json` or `labels` and
 * passed to `processLogs`. Its options were checked when it was made.
 */
export class Stage {
  /** @internal */
  constructor(
    /** The kind of stage. */
    readonly type: StageType,
    compile: Compile,
  ) {
    compilers.set(this, compile);
  }
}

/** Appends a stage's steps to `list`. */
export function compileStage(stage: Stage, list: StepList): void {
  const compile = compilers.get(stage);
  if (compile === undefined) throw new TypeError('not a stage made by a processLogs stage function');
  compile(list);
}

/** A stage with one step whose instances share no state, or whose `create` makes fresh ones. */
export function stepStage(type: StageType, create: (index: number) => StepInstance): Stage {
  return new Stage(type, (list) => {
    list.steps.push({ type, create });
  });
}

/** A stage with one stateless step: `process` serves every subscription. */
export function simpleStage(type: StageType, process: StepInstance['process']): Stage {
  const instance: StepInstance = { process };
  return stepStage(type, () => instance);
}

/**
 * The text a parsing stage reads: the line, or with `source` the extracted value under that key
 * as a string. `undefined` (the stage does nothing) when the key is absent or has no string form.
 */
export function sourceText(entry: EntryState, source: string | undefined): string | undefined {
  if (source === undefined) return entry.line;
  return valueToString(entry.extracted.get(source));
}

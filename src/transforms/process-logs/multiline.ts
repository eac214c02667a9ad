/**
 * `multiline`: Alloy's `stage.multiline`. Joins the lines of a multi-line record (a stack
 * trace, a pretty-printed object) into one entry. A line matching `firstLine` starts a block;
 * the lines after it, up to the next first line, join it with `\n`. Each stream (label set) has
 * its own block. A block is sent when the stream's next first line arrives, when it reaches
 * `maxLines`, when no line has joined it for `maxWaitTime`, or when the input ends. The entry
 * has the labels, timestamp, structured metadata and extracted values of the block's first
 * line. Until a stream's first first line, its lines pass through alone; after that, a line that
 * arrives with no block open starts one.
 *
 * Blocks are held across batches. A batch acknowledgement settles only once every line of it
 * has left in some output batch or been dropped: the lines still held when a batch ends keep a
 * piece of its ack (`Ack.split`), and the batch the joined entry leaves in settles those pieces
 * with its own (`Ack.all`). A source that replays from its acknowledged position therefore
 * replays held lines after a crash instead of losing them.
 *
 * `maxStreams` (not in Alloy) bounds the blocks held at once: past it, the stream whose block
 * waited longest is sent early.
 */
import { ConfigError } from '../../core/errors.js';
import { type Duration, durationOption } from '../../core/units.js';
import { describe, objectOption, positiveInteger, regexOption } from './options.js';
import {
  type EntryState,
  HeldGroup,
  STOP,
  type Stage,
  type StageRun,
  type StepInstance,
  stepStage,
} from './stage.js';

/** Options of {@link multiline}. */
export interface MultilineStageOptions {
  /** An RE2 regex that matches (anywhere in) the first line of a block, such as `'^\\d{4}-\\d{2}-\\d{2}'`. */
  readonly firstLine: string;
  /** How long a block waits for another line before it is sent. @defaultValue `'3s'` */
  readonly maxWaitTime?: Duration;
  /** The most lines in a block; a block reaching it is sent. @defaultValue 128 */
  readonly maxLines?: number;
  /** Remove trailing `\r` and `\n` from each line before joining. @defaultValue `true` */
  readonly trimNewlines?: boolean;
  /** The most streams with a block held at once. @defaultValue 10000 */
  readonly maxStreams?: number;
}

class Block extends HeldGroup {
  readonly lines: string[] = [];
  deadline = 0;
  constructor(readonly first: EntryState) {
    super();
  }
}

/** Streams remembered as having seen a first line, beyond those with a block open. */
const MAX_SEEN = 100_000;

/**
 * Joins multi-line records.
 *
 * @example
 * ```ts
 * processLogs(multiline({ firstLine: '^\\[\\d{4}-\\d{2}-\\d{2}', maxWaitTime: '3s', maxLines: 500 }));
 * ```
 */
export function multiline(options: MultilineStageOptions): Stage {
  const stage = 'multiline';
  objectOption(stage, options);
  const firstLine = regexOption(stage, 'firstLine', options.firstLine);
  const maxWaitMs = durationOption(stage, 'maxWaitTime', options.maxWaitTime ?? '3s', 1);
  const maxLines = positiveInteger(stage, 'maxLines', options.maxLines ?? 128);
  const maxStreams = positiveInteger(stage, 'maxStreams', options.maxStreams ?? 10_000);
  const trim = options.trimNewlines ?? true;
  if (typeof trim !== 'boolean')
    throw new ConfigError(stage, 'trimNewlines', `must be a boolean, got ${describe(trim)}`);

  return stepStage(stage, (index) => {
    // Open blocks by stream, least recently appended to first, so the first one expires first.
    const blocks = new Map<string, Block>();
    const seen = new Set<string>();
    let armed = false;
    const finish = (block: Block, run: StageRun): EntryState => {
      const entry = block.first;
      entry.line = block.lines.join('\n');
      entry.holds = run.release(block);
      return entry;
    };
    const arm = (run: StageRun): void => {
      if (armed) return;
      const next = blocks.values().next().value as Block | undefined;
      if (next === undefined) return;
      armed = true;
      run.wake(index, next.deadline - run.now());
    };
    const instance: StepInstance = {
      process(entry, run) {
        const key = entry.labels.key();
        const isFirst = firstLine.test(entry.line);
        let block = blocks.get(key);
        if (block === undefined && !isFirst && !seen.has(key)) return undefined;
        const emit: EntryState[] = [];
        if (isFirst && block !== undefined) {
          blocks.delete(key);
          emit.push(finish(block, run));
          block = undefined;
        }
        if (block === undefined) {
          block = new Block(entry);
          if (!seen.has(key)) {
            if (seen.size >= MAX_SEEN) seen.delete(seen.values().next().value as string);
            seen.add(key);
          }
          if (blocks.size >= maxStreams) {
            const [oldestKey, oldest] = blocks.entries().next().value as [string, Block];
            blocks.delete(oldestKey);
            emit.push(finish(oldest, run));
          }
        } else blocks.delete(key);
        block.lines.push(trim ? entry.line.replace(/[\r\n]+$/, '') : entry.line);
        run.hold(block, entry);
        if (block.lines.length >= maxLines) emit.push(finish(block, run));
        else {
          block.deadline = run.now() + maxWaitMs;
          blocks.set(key, block);
          arm(run);
        }
        return emit.length === 0 ? STOP : { emit };
      },
      expire(run) {
        armed = false;
        const now = run.now();
        const out: EntryState[] = [];
        for (const [key, block] of blocks) {
          if (block.deadline > now) break;
          blocks.delete(key);
          out.push(finish(block, run));
        }
        arm(run);
        return out;
      },
      flush(run) {
        const out = [...blocks.values()].map((block) => finish(block, run));
        blocks.clear();
        return out;
      },
      abandon() {
        const held = [...blocks.values()];
        blocks.clear();
        return held;
      },
    };
    return instance;
  });
}

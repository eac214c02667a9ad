/**
 * `cri`: Alloy's `stage.cri`. Parses the CRI log format that containerd and CRI-O write,
 * `<time> <stdout|stderr> <P|F> <content>`: the line becomes the content, the `stream` label is
 * set, the time (RFC 3339) becomes the timestamp when it parses, and `time`, `stream`, `flags`
 * and `content` go into the extracted map. A line not in the format goes on unchanged.
 *
 * A runtime splits a long line into partial lines (flag `P`) ended by a full one (`F`); they are
 * joined per stream (label set) and sent as one entry when the `F` line arrives, with the full
 * line's timestamp. When `maxPartialLines` streams have partial lines pending and another
 * partial line arrives, all pending ones are sent as they are (counted in
 * `loki_process_cri_partial_lines_flushed_total` when `processLogs` has a `metrics` registry).
 * With `maxPartialLineSizeTruncate`, a joined line is cut to `maxPartialLineSize` bytes.
 *
 * Partial lines can be held across batches; the batches' acknowledgements then settle when the
 * joined entry's batch does (see `processLogs`).
 */
import { ConfigError } from '../../core/errors.js';
import { type ByteSize, byteSizeOption } from '../../core/units.js';
import { timestampParser } from './go-time.js';
import { describe, longerThan, positiveInteger, truncateUtf8 } from './options.js';
import {
  type EntryState,
  HeldGroup,
  STOP,
  type Stage,
  type StageRun,
  type StepInstance,
  stepStage,
} from './stage.js';

/** Options of {@link cri}. */
export interface CriStageOptions {
  /** The most streams with partial lines pending. @defaultValue 100 */
  readonly maxPartialLines?: number;
  /** The most bytes a joined line keeps when `maxPartialLineSizeTruncate` is on; 0 for no limit. @defaultValue 0 */
  readonly maxPartialLineSize?: ByteSize;
  /** Cut joined lines to `maxPartialLineSize`. @defaultValue `false` */
  readonly maxPartialLineSizeTruncate?: boolean;
}

interface Pending {
  entry: EntryState;
  readonly group: HeldGroup;
}

const parseTime = timestampParser('RFC3339Nano');

/**
 * Parses CRI container logs and joins partial lines.
 *
 * @example
 * ```ts
 * processLogs(cri(), labelDrop(['filename']));
 * ```
 */
export function cri(options: CriStageOptions = {}): Stage {
  const stage = 'cri';
  if (options === null || typeof options !== 'object') {
    throw new ConfigError(stage, 'options', `must be an object, got ${describe(options)}`);
  }
  const maxPartialLines = positiveInteger(stage, 'maxPartialLines', options.maxPartialLines ?? 100);
  const maxSize = byteSizeOption(stage, 'maxPartialLineSize', options.maxPartialLineSize ?? 0);
  const truncate = options.maxPartialLineSizeTruncate ?? false;
  const cut = (entry: EntryState, run: StageRun): void => {
    if (truncate && longerThan(entry.line, maxSize)) {
      entry.line = truncateUtf8(entry.line, maxSize);
      run.count(
        'loki_process_cri_lines_truncated_total',
        'A count of lines that were truncated due to the max_partial_line_size limit',
        {},
        1,
      );
    }
  };
  return stepStage(stage, () => {
    let pending = new Map<string, Pending>();
    const release = (p: Pending, run: StageRun): EntryState => {
      p.entry.holds = run.release(p.group);
      return p.entry;
    };
    const instance: StepInstance = {
      process(entry, run) {
        const parsed = parseCri(entry.line);
        if (parsed === undefined) return undefined;
        const extracted = entry.extracted;
        extracted.set('time', parsed.time);
        extracted.set('flags', parsed.partial ? 'P' : 'F');
        extracted.set('stream', parsed.stream);
        extracted.set('content', parsed.content);
        entry.line = parsed.content;
        const ts = parseTime(parsed.time);
        if (ts !== undefined) entry.timestampNs = ts;
        if (entry.labels.get('stream') !== parsed.stream)
          entry.labels = entry.labels.with('stream', parsed.stream);
        const key = entry.labels.key();
        const previous = pending.get(key);
        if (parsed.partial) {
          if (pending.size >= maxPartialLines) {
            run.count(
              'loki_process_cri_partial_lines_flushed_total',
              'A count of partial lines that were flushed prematurely due to the max_partial_lines limit being exceeded',
              {},
              pending.size,
            );
            const flushed = [...pending.values()].map((p) => release(p, run));
            pending = new Map();
            cut(entry, run);
            const group = new HeldGroup();
            run.hold(group, entry);
            pending.set(key, { entry, group });
            return { emit: flushed };
          }
          const group = previous?.group ?? new HeldGroup();
          if (previous !== undefined) entry.line = previous.entry.line + entry.line;
          cut(entry, run);
          run.hold(group, entry);
          pending.set(key, { entry, group });
          return STOP;
        }
        if (previous !== undefined) {
          entry.line = previous.entry.line + entry.line;
          cut(entry, run);
          pending.delete(key);
          const holds = run.release(previous.group);
          if (holds !== undefined)
            entry.holds = entry.holds === undefined ? holds : [...entry.holds, ...holds];
        }
        return undefined;
      },
      flush(run) {
        const flushed = [...pending.values()].map((p) => release(p, run));
        pending = new Map();
        return flushed;
      },
      abandon() {
        const groups = [...pending.values()].map((p) => p.group);
        pending = new Map();
        return groups;
      },
    };
    return instance;
  });
}

/** A CRI line's parts, or `undefined` when the line is not in the format. As lenient as Alloy's parser. */
export function parseCri(
  line: string,
): { time: string; stream: 'stdout' | 'stderr'; partial: boolean; content: string } | undefined {
  let space = -1;
  for (let i = 0; i < line.length; i++) {
    if (/\s/.test(line[i] as string)) {
      space = i;
      break;
    }
  }
  if (space < 0 || line[space] !== ' ') return undefined;
  const time = line.slice(0, space);
  let at = space + 1;
  let stream: 'stdout' | 'stderr';
  if (line.startsWith('stdout', at)) stream = 'stdout';
  else if (line.startsWith('stderr', at)) stream = 'stderr';
  else return undefined;
  at += 6;
  if (line[at] !== ' ') return undefined;
  at++;
  let partial = false;
  if (line[at] === 'P' || line[at] === 'F') {
    partial = line[at] === 'P';
    at++;
  }
  if (line[at] === ' ') at++;
  return { time, stream, partial, content: line.slice(at) };
}

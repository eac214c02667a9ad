// The container log formats: cri (parsing, partial-line joining across batches with their acks,
// the maxPartialLines bound, truncation) and docker.
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type Batch, createBatch } from '../../../src/core/batch.js';
import { ConfigError } from '../../../src/core/errors.js';
import { parseCri } from '../../../src/transforms/process-logs/cri.js';
import { cri, docker, logMetrics, processLogs } from '../../../src/transforms/process-logs/index.js';
import { entry, errors, run, T0 } from './helpers.js';

const TS = '2024-05-01T10:20:30.123456789Z';
const TS_NS = 1714558830123456789n;

describe('cri', () => {
  it.each([
    [`${TS} stdout F hello world`, { time: TS, stream: 'stdout', partial: false, content: 'hello world' }],
    [`${TS} stderr P part`, { time: TS, stream: 'stderr', partial: true, content: 'part' }],
    [`${TS} stdout hello`, { time: TS, stream: 'stdout', partial: false, content: 'hello' }],
    [`${TS} stdout F `, { time: TS, stream: 'stdout', partial: false, content: '' }],
    [`${TS} stdin F x`, undefined],
    [`${TS}\tstdout F x`, undefined],
    ['no-spaces', undefined],
  ])('parses %j', (line, parsed) => {
    expect(parseCri(line)).toEqual(parsed);
  });

  it('sets the line, the stream label and the timestamp; leaves other lines alone', async () => {
    const { out, component } = await run([cri()], [entry(`${TS} stderr F boom`), entry('plain line')]);
    expect(out[0]).toEqual({ labels: expect.anything(), line: 'boom', timestampNs: TS_NS });
    expect(out[0]?.labels.toRecord()).toEqual({ app: 'api', stream: 'stderr' });
    expect(out[1]?.line).toBe('plain line');
    expect(errors(component)).toBe(0);
  });

  it('keeps the timestamp when the time does not parse', async () => {
    const { out } = await run([cri()], [entry('yesterday stdout F x')]);
    expect(out[0]?.timestampNs).toBe(T0);
  });

  it('joins partial lines per stream across batches; acks settle with the joined entry', () => {
    const subject = new Subject<Batch<'logs'>>();
    const out: Batch<'logs'>[] = [];
    subject.pipe(processLogs(cri())).subscribe((b) => out.push(b));
    const first = createBatch('logs', [
      entry(`${TS} stdout P a-`),
      entry(`${TS} stderr F other`),
      entry(`${TS} stdout P b-`),
    ]);
    const second = createBatch('logs', [entry(`${TS} stdout F c`)]);
    subject.next(first);
    expect(out.map((b) => b.items.map((e) => e.line))).toEqual([['other']]);
    out[0]?.ack.delivered();
    expect(first.ack.settled).toBe(false);
    subject.next(second);
    expect(out[1]?.items.map((e) => e.line)).toEqual(['a-b-c']);
    expect(out[1]?.items[0]?.labels.get('stream')).toBe('stdout');
    expect(first.ack.settled).toBe(false);
    out[1]?.ack.delivered();
    expect(first.ack.result?.status).toBe('delivered');
    expect(second.ack.result?.status).toBe('delivered');
  });

  it('sends pending partial lines when maxPartialLines streams are pending, and at the end', async () => {
    const registry = logMetrics();
    const subject = new Subject<Batch<'logs'>>();
    const out: string[] = [];
    let completed = false;
    subject.pipe(processLogs({ metrics: registry }, cri({ maxPartialLines: 2 }))).subscribe({
      next: (b) => out.push(...b.items.map((e) => e.line)),
      complete: () => {
        completed = true;
      },
    });
    subject.next(
      createBatch('logs', [
        entry(`${TS} stdout P a`, { pod: '1' }),
        entry(`${TS} stdout P b`, { pod: '2' }),
        entry(`${TS} stdout P c`, { pod: '3' }),
      ]),
    );
    expect(out.sort()).toEqual(['a', 'b']);
    subject.complete();
    expect(out).toContain('c');
    expect(completed).toBe(true);
    const flushed = registry
      .collect(0)
      .find((s) => s.labels.metricName === 'loki_process_cri_partial_lines_flushed_total');
    expect(flushed?.value).toBe(2);
  });

  it('truncates joined lines with maxPartialLineSizeTruncate', async () => {
    const { out } = await run(
      [cri({ maxPartialLineSize: 5, maxPartialLineSizeTruncate: true })],
      [entry(`${TS} stdout P abcd`), entry(`${TS} stdout F efgh`)],
    );
    expect(out.map((e) => e.line)).toEqual(['abcde']);
  });

  it.each([
    [{ maxPartialLines: 0 }, 'maxPartialLines'],
    [{ maxPartialLineSize: 'huge' }, 'maxPartialLineSize'],
  ])('rejects %j', (options, option) => {
    let thrown: unknown;
    try {
      cri(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).option).toBe(option);
  });
});

describe('docker', () => {
  it('takes the line, stream and time from Docker JSON', async () => {
    const { out, component } = await run(
      [docker()],
      [entry(JSON.stringify({ log: 'hello\n', stream: 'stderr', time: TS }))],
    );
    expect(out[0]?.line).toBe('hello\n');
    expect(out[0]?.labels.toRecord()).toEqual({ app: 'api', stream: 'stderr' });
    expect(out[0]?.timestampNs).toBe(TS_NS);
    expect(errors(component)).toBe(0);
  });

  it('leaves other lines alone, counting the JSON error', async () => {
    const { out, component } = await run([docker()], [entry('not docker')]);
    expect(out[0]?.line).toBe('not docker');
    expect(out[0]?.timestampNs).toBe(T0);
    expect(errors(component)).toBe(1);
  });
});

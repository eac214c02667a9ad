// multiline: joining blocks per stream, the three ways a block ends (next first line, maxLines,
// maxWaitTime) and the end of input; and the acknowledgement contract for lines held across
// batches: a batch's ack settles exactly when every output batch holding one of its lines has.
import fc from 'fast-check';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Batch, createBatch } from '../../../src/core/batch.js';
import { ConfigError } from '../../../src/core/errors.js';
import { drop, multiline, processLogs, type Stage } from '../../../src/transforms/process-logs/index.js';
import { componentOf, entry, run, T0 } from './helpers.js';

const first = '^\\d';

/** Subscribes a processLogs over a Subject; collects output batches. */
function harness(...stages: Stage[]) {
  const input = new Subject<Batch<'logs'>>();
  const stream = input.pipe(processLogs(...stages));
  const out: Batch<'logs'>[] = [];
  const state = { completed: false, error: undefined as unknown };
  const subscription = stream.subscribe({
    next: (b) => out.push(b),
    error: (e: unknown) => {
      state.error = e;
    },
    complete: () => {
      state.completed = true;
    },
  });
  const lines = () => out.map((b) => b.items.map((e) => e.line));
  return { input, stream, out, state, subscription, lines };
}

describe('multiline', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('joins lines into blocks per stream, passing lines through until the first first line', async () => {
    const { out } = await run(
      [multiline({ firstLine: first })],
      [
        entry('  orphan'),
        entry('1 a', { app: 'x' }),
        entry('2 b'),
        entry('  at x.y', { app: 'x' }),
        entry('  at c.d'),
        entry('3 e', { app: 'x' }),
      ],
    );
    expect(out.map((e) => e.line)).toEqual(['  orphan', '1 a\n  at x.y', '2 b\n  at c.d', '3 e']);
  });

  it("keeps the first line's labels, timestamp and extracted values; trims newlines", async () => {
    const { out } = await run(
      [multiline({ firstLine: first })],
      [entry('1 start\r\n', { app: 'api' }, T0), entry('  more\n', { app: 'api' }, T0 + 5n)],
    );
    expect(out).toEqual([{ labels: expect.anything(), line: '1 start\n  more', timestampNs: T0 }]);
    const raw = await run(
      [multiline({ firstLine: first, trimNewlines: false })],
      [entry('1 a\n'), entry(' b')],
    );
    expect(raw.out[0]?.line).toBe('1 a\n\n b');
  });

  it('sends a block that reaches maxLines at once', () => {
    const h = harness(multiline({ firstLine: first, maxLines: 2 }));
    h.input.next(createBatch('logs', [entry('1 a'), entry(' b'), entry(' c')]));
    expect(h.lines()).toEqual([['1 a\n b']]);
  });

  it('sends a block after maxWaitTime without a new line, in a batch of its own', () => {
    vi.useFakeTimers({ now: 0 });
    const h = harness(multiline({ firstLine: first, maxWaitTime: '3s' }));
    const batch = createBatch('logs', [entry('1 a'), entry(' b')]);
    h.input.next(batch);
    vi.advanceTimersByTime(2000);
    h.input.next(createBatch('logs', [entry(' c')]));
    vi.advanceTimersByTime(2999);
    expect(h.lines()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(h.lines()).toEqual([['1 a\n b\n c']]);
    expect(batch.ack.settled).toBe(false);
    h.out[0]?.ack.delivered();
    expect(batch.ack.result?.status).toBe('delivered');
  });

  it('sends what it holds when the input ends, then completes, leaving no timer behind', () => {
    vi.useFakeTimers({ now: 0 });
    const h = harness(multiline({ firstLine: first }));
    h.input.next(createBatch('logs', [entry('1 a'), entry(' b'), entry('2 c', { app: 'other' })]));
    expect(h.lines()).toEqual([]);
    h.input.complete();
    expect(h.lines()).toEqual([['1 a\n b', '2 c']]);
    expect(h.state.completed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sends the oldest block early past maxStreams', () => {
    const h = harness(multiline({ firstLine: first, maxStreams: 2 }));
    h.input.next(
      createBatch('logs', [entry('1 a', { s: '1' }), entry('2 b', { s: '2' }), entry('3 c', { s: '3' })]),
    );
    expect(h.lines()).toEqual([['1 a']]);
  });

  it.each([
    [{ firstLine: '' }, 'firstLine'],
    [{ firstLine: '(' }, 'firstLine'],
    [{ firstLine: 'x', maxLines: 0 }, 'maxLines'],
    [{ firstLine: 'x', maxWaitTime: '0' }, 'maxWaitTime'],
    [{ firstLine: 'x', trimNewlines: 'yes' }, 'trimNewlines'],
  ])('rejects %j', (options, option) => {
    let thrown: unknown;
    try {
      multiline(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).option).toBe(option);
  });
});

describe('multiline acknowledgements', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('settles a batch only when the batch carrying its held lines settles', () => {
    vi.useFakeTimers({ now: 0 });
    const h = harness(multiline({ firstLine: first }));
    const a = createBatch('logs', [entry('1 a'), entry(' a2')]);
    const b = createBatch('logs', [entry(' a3'), entry('2 b')]);
    h.input.next(a);
    expect(h.out).toEqual([]);
    h.input.next(b);
    expect(h.lines()).toEqual([['1 a\n a2\n a3']]);
    expect(h.out[0]?.ack).not.toBe(a.ack);
    expect(a.ack.settled).toBe(false);
    h.out[0]?.ack.delivered();
    expect(a.ack.result?.status).toBe('delivered');
    expect(b.ack.settled).toBe(false);
    vi.advanceTimersByTime(3000);
    expect(h.lines()).toEqual([['1 a\n a2\n a3'], ['2 b']]);
    h.out[1]?.ack.delivered();
    expect(b.ack.result?.status).toBe('delivered');
  });

  it('fails the source batches when the joined entry fails', () => {
    const h = harness(multiline({ firstLine: first }));
    const a = createBatch('logs', [entry('1 a')]);
    const b = createBatch('logs', [entry(' b'), entry('2 c')]);
    h.input.next(a);
    h.input.next(b);
    h.out[0]?.ack.failed(new Error('backend down'));
    expect(a.ack.result?.status).toBe('failed');
    expect(b.ack.settled).toBe(false);
    h.input.complete();
    h.out[1]?.ack.delivered();
    expect(b.ack.result?.status).toBe('failed');
  });

  it('settles held lines as dropped when a later stage drops the joined entry', () => {
    const h = harness(
      multiline({ firstLine: first }),
      drop({ expression: 'secret', dropCounterReason: 'secret' }),
    );
    const a = createBatch('logs', [entry('1 secret')]);
    const b = createBatch('logs', [entry(' more'), entry('2 ok')]);
    h.input.next(a);
    h.input.next(b);
    expect(a.ack.result).toEqual({ status: 'dropped', reason: 'secret' });
    expect(h.out).toEqual([]);
    expect(b.ack.settled).toBe(false);
    h.input.complete();
    h.out[0]?.ack.delivered();
    expect(b.ack.result?.status).toBe('delivered');
  });

  it('settles held lines as dropped and counts them when unsubscribed', () => {
    const h = harness(multiline({ firstLine: first }));
    const a = createBatch('logs', [entry('1 a'), entry(' b')]);
    h.input.next(a);
    h.subscription.unsubscribe();
    expect(a.ack.result).toEqual({ status: 'dropped', reason: 'unsubscribed' });
    expect(componentOf(h.stream).stats().dropped.get('unsubscribed')?.count).toBe(2);
  });

  it('fails held lines when upstream fails, and passes the error on', () => {
    const h = harness(multiline({ firstLine: first }));
    const a = createBatch('logs', [entry('1 a')]);
    h.input.next(a);
    h.input.error(new Error('source broke'));
    expect(a.ack.result?.status).toBe('failed');
    expect((h.state.error as Error).message).toBe('source broke');
  });

  it('property: a batch settles delivered exactly when the output batches with its lines (and its own) are', () => {
    const line = fc.record({ stream: fc.constantFrom('a', 'b', 'c'), first: fc.boolean() });
    const batches = fc.array(fc.array(line, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(
        batches,
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.integer({ min: 1, max: 4 }),
        (input, order, maxLines) => {
          const h = harness(multiline({ firstLine: '^F', maxLines }));
          const sent = input.map((lines, b) =>
            createBatch(
              'logs',
              lines.map((l, i) => entry(`${l.first ? 'F' : '-'}${b}.${i}`, { stream: l.stream })),
            ),
          );
          // The output batches emitted while each input batch was processed carry its own piece.
          const during = sent.map((batch) => {
            const before = h.out.length;
            h.input.next(batch);
            return h.out.slice(before);
          });
          h.input.complete();
          // Every line comes out exactly once, in order within its stream.
          const outLines = h.out.flatMap((batch) => batch.items.flatMap((e) => e.line.split('\n')));
          expect([...outLines].sort()).toEqual(sent.flatMap((b) => b.items.map((e) => e.line)).sort());
          const origin = (text: string) => Number(text.slice(1).split('.')[0]);
          const holders = sent.map((_, b) => [
            ...(during[b] ?? []),
            ...h.out.filter((o) => o.items.some((e) => e.line.split('\n').some((t) => origin(t) === b))),
          ]);
          const pending = [...h.out];
          const check = () => {
            sent.forEach((batch, b) => {
              const all = (holders[b] ?? []).every((o) => o.ack.settled);
              expect(batch.ack.settled).toBe(all);
              if (all) expect(batch.ack.result?.status).toBe('delivered');
            });
          };
          check();
          for (const pick of order) {
            if (pending.length === 0) break;
            const [next] = pending.splice(pick % pending.length, 1);
            next?.ack.delivered();
            check();
          }
          for (const rest of pending) rest.ack.delivered();
          check();
        },
      ),
      { numRuns: 300 },
    );
  });
});

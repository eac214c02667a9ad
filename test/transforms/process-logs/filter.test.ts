// Stages that drop or select entries: drop (each condition and their conjunction), match
// (selectors, line filters, nested stages, drop action) and limit (drop and wait).

import { Subject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Ack } from '../../../src/core/ack.js';
import { type Batch, createBatch } from '../../../src/core/batch.js';
import { ConfigError } from '../../../src/core/errors.js';
import {
  drop,
  json,
  labels,
  limit,
  match,
  processLogs,
  staticLabels,
} from '../../../src/transforms/process-logs/index.js';
import { componentOf, dropped, entry, run, T0 } from './helpers.js';

describe('drop', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const lines = (stage: ReturnType<typeof drop>, inputs = ['{"level":"debug"}', '{"level":"info"}', '{}']) =>
    run(
      [json({ expressions: { level: '' } }), stage],
      inputs.map((l) => entry(l)),
    );

  it('drops by expression on the line', async () => {
    const { out, component } = await lines(drop({ expression: 'debug' }));
    expect(out.map((e) => e.line)).toEqual(['{"level":"info"}', '{}']);
    expect(dropped(component, 'drop_stage')).toBe(1);
    expect(component.stats().dropped.get('drop_stage')?.intentional).toBe(true);
  });

  it('drops when the source key is present (a JSON null counts as present, as in Alloy)', async () => {
    const { out } = await run(
      [json({ expressions: { level: '' } }), drop({ source: 'level' })],
      [entry('{"level":"x"}'), entry('{}')],
    );
    expect(out).toEqual([]);
    const absent = await run([drop({ source: 'level' })], [entry('x')]);
    expect(absent.out).toHaveLength(1);
  });

  it('drops on an exact value of the source, or a regex over joined sources', async () => {
    expect((await lines(drop({ source: 'level', value: 'debug' }))).out).toHaveLength(2);
    expect((await lines(drop({ source: 'level', value: 'debu' }))).out).toHaveLength(3);
    const joined = await run(
      [
        json({ expressions: { a: '', b: '' } }),
        drop({ source: 'a,b', separator: '|', expression: '^x\\|y$' }),
      ],
      [entry('{"a":"x","b":"y"}'), entry('{"a":"x","b":"z"}')],
    );
    expect(joined.out.map((e) => e.line)).toEqual(['{"a":"x","b":"z"}']);
  });

  it('drops lines longer than longerThan bytes (UTF-8)', async () => {
    const { out } = await run(
      [drop({ longerThan: 4 })],
      [entry('abcd'), entry('abcde'), entry('abé'), entry('abcé')],
    );
    expect(out.map((e) => e.line)).toEqual(['abcd', 'abé']);
  });

  it('drops entries older than olderThan', async () => {
    vi.useFakeTimers({ now: Number(T0 / 1_000_000n) });
    const { out } = await run(
      [drop({ olderThan: '1h' })],
      [entry('old', {}, T0 - 3_600_000_000_001n), entry('recent', {}, T0 - 3_599_000_000_000n)],
    );
    expect(out.map((e) => e.line)).toEqual(['recent']);
  });

  it('drops only when every condition holds, under its own reason', async () => {
    const { out, component } = await run(
      [drop({ expression: 'x', longerThan: 3, dropCounterReason: 'long_x' })],
      [entry('x'), entry('xxxx'), entry('yyyy')],
    );
    expect(out.map((e) => e.line)).toEqual(['x', 'yyyy']);
    expect(dropped(component, 'long_x')).toBe(1);
  });

  it('settles the ack as dropped when the whole batch is dropped', async () => {
    const batch = createBatch('logs', [entry('x'), entry('x')]);
    const subject = new Subject<Batch<'logs'>>();
    const out: Batch<'logs'>[] = [];
    subject
      .pipe(processLogs(drop({ expression: 'x', dropCounterReason: 'noise' })))
      .subscribe((b) => out.push(b));
    subject.next(batch);
    expect(out).toEqual([]);
    expect(batch.ack.result).toEqual({ status: 'dropped', reason: 'noise' });
  });

  it.each([
    [{}, 'options'],
    [{ value: 'a', expression: 'b', source: 's' }, 'value'],
    [{ value: 'a' }, 'options'],
    [{ value: 'a', longerThan: 10 }, 'value'],
    [{ expression: '(' }, 'expression'],
    [{ olderThan: 'soon' }, 'olderThan'],
    [{ longerThan: 'big' }, 'longerThan'],
  ])('rejects %j naming the option', (options, option) => {
    let thrown: unknown;
    try {
      drop(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).option).toBe(option);
  });
});

describe('match', () => {
  const inputs = [
    entry('GET /health 200', { app: 'api', level: 'info' }),
    entry('error: timeout', { app: 'api', level: 'error' }),
    entry('error: retry', { app: 'api', level: 'error' }),
    entry('error: disk', { app: 'db', level: 'error' }),
    entry('warning', { app: 'api' }),
  ];

  it.each([
    ['{app="api"}', [0, 1, 2, 4]],
    ['{app!="api"}', [3]],
    ['{app=~"a.*"}', [0, 1, 2, 4]],
    ['{app=~"a"}', []],
    ['{app!~"d.*", level=""}', [4]],
    ['{app="api", level=~"err.*|warn.*"}', [1, 2]],
    ['{app="api"} |= "error"', [1, 2]],
    ['{app="api"} |= "error" != "retry"', [1]],
    ['{app=~".+"} |~ "^error: (timeout|disk)$"', [1, 3]],
    ['{app=~".+"} !~ "error"', [0, 4]],
    ['{app=`api`,} |= `GET`', [0]],
    ['{ app = "api" }|="health"', [0]],
  ])('%s selects the right entries for the nested stages', async (selector, selected) => {
    const { out } = await run([match({ selector, stages: [staticLabels({ hit: 'yes' })] })], inputs);
    expect(out.flatMap((e, i) => (e.labels.get('hit') === 'yes' ? [i] : []))).toEqual(selected);
  });

  it('drops matching entries with action drop', async () => {
    const { out, component } = await run(
      [match({ selector: '{app="api"} |= "health"', action: 'drop', dropCounterReason: 'healthcheck' })],
      inputs,
    );
    expect(out).toHaveLength(4);
    expect(dropped(component, 'healthcheck')).toBe(1);
  });

  it('nests: inner stages run in order, then later stages run for everyone', async () => {
    const { out } = await run(
      [
        match({
          selector: '{app="api"}',
          stages: [
            json({ expressions: { user: '' } }),
            match({ selector: '{app="api"} |= "bob"', stages: [labels(['user'])] }),
          ],
        }),
        staticLabels({ after: '1' }),
      ],
      [entry('{"user":"bob"}'), entry('{"user":"eve"}'), entry('{"user":"bob"}', { app: 'db' })],
    );
    expect(out.map((e) => e.labels.toRecord())).toEqual([
      { app: 'api', user: 'bob', after: '1' },
      { app: 'api', after: '1' },
      { app: 'db', after: '1' },
    ]);
  });

  it.each([
    [{ selector: '' }, 'selector'],
    [{ selector: 'app="x"', stages: [staticLabels({ a: 'b' })] }, 'selector'],
    [{ selector: '{}', stages: [staticLabels({ a: 'b' })] }, 'selector'],
    [{ selector: '{app=~"("}', stages: [staticLabels({ a: 'b' })] }, 'selector'],
    [{ selector: '{app="x"} | json', stages: [staticLabels({ a: 'b' })] }, 'selector'],
    [{ selector: '{app="x"}' }, 'stages'],
    [{ selector: '{app="x"}', action: 'drop', stages: [staticLabels({ a: 'b' })] }, 'stages'],
    [{ selector: '{app="x"}', action: 'skip' }, 'action'],
    [{ selector: '{app="x"}', stages: ['json'] }, 'stages[0]'],
  ])('rejects %j naming the option', (options, option) => {
    let thrown: unknown;
    try {
      match(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).option).toBe(option);
  });
});

describe('limit', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drops lines over the burst, refilling at rate', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const subject = new Subject<Batch<'logs'>>();
    const stream = subject.pipe(processLogs(limit({ rate: 2, burst: 3, drop: true })));
    const out: string[] = [];
    stream.subscribe((b) => out.push(...b.items.map((e) => e.line)));
    subject.next(
      createBatch(
        'logs',
        ['a', 'b', 'c', 'd', 'e'].map((l) => entry(l)),
      ),
    );
    vi.advanceTimersByTime(1000);
    subject.next(
      createBatch(
        'logs',
        ['f', 'g', 'h'].map((l) => entry(l)),
      ),
    );
    expect(out).toEqual(['a', 'b', 'c', 'f', 'g']);
    expect(componentOf(stream).stats().dropped.get('ratelimit_drop_stage')?.count).toBe(3);
  });

  it('limits each label value separately with byLabelName, leaving entries without it alone', async () => {
    const { out } = await run(
      [limit({ rate: 1, burst: 1, drop: true, byLabelName: 'tenant' })],
      [
        entry('a1', { tenant: 'a' }),
        entry('a2', { tenant: 'a' }),
        entry('b1', { tenant: 'b' }),
        entry('n1', {}),
        entry('n2', {}),
      ],
    );
    expect(out.map((e) => e.line)).toEqual(['a1', 'b1', 'n1', 'n2']);
  });

  it('holds lines back without drop: later batches wait, unacknowledged, in order', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const subject = new Subject<Batch<'logs'>>();
    const stream = subject.pipe(processLogs(limit({ rate: 10, burst: 2 })));
    const out: Batch<'logs'>[] = [];
    stream.subscribe((b) => out.push(b));
    const first = createBatch(
      'logs',
      ['a', 'b', 'c', 'd'].map((l) => entry(l)),
    );
    const second = createBatch('logs', [entry('e')]);
    subject.next(first);
    subject.next(second);
    expect(out).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(out).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(out.map((b) => b.items.map((e) => e.line))).toEqual([['a', 'b', 'c', 'd']]);
    expect(out[0]?.ack).toBe(first.ack);
    vi.advanceTimersByTime(100);
    expect(out.map((b) => b.items.map((e) => e.line))).toEqual([['a', 'b', 'c', 'd'], ['e']]);
    expect(componentOf(stream).stats().dropped.size).toBe(0);
  });

  it('settles held-back batches as dropped when unsubscribed', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const subject = new Subject<Batch<'logs'>>();
    const subscription = subject.pipe(processLogs(limit({ rate: 1, burst: 1 }))).subscribe();
    const waiting = createBatch('logs', [entry('a'), entry('b')], new Ack());
    const queued = createBatch('logs', [entry('c')]);
    subject.next(waiting);
    subject.next(queued);
    subscription.unsubscribe();
    expect(waiting.ack.result).toEqual({ status: 'dropped', reason: 'unsubscribed' });
    expect(queued.ack.result).toEqual({ status: 'dropped', reason: 'unsubscribed' });
  });

  it.each([
    [{ rate: 0, burst: 1 }, 'rate'],
    [{ rate: 1, burst: 0.5 }, 'burst'],
    [{ rate: 1, burst: 1, byLabelName: 'tenant' }, 'drop'],
    [{ rate: 1, burst: 1, drop: true, byLabelName: 'bad-name' }, 'byLabelName'],
  ])('rejects %j naming the option', (options, option) => {
    let thrown: unknown;
    try {
      limit(options as never);
    } catch (error) {
      thrown = error;
    }
    expect((thrown as ConfigError).option).toBe(option);
  });
});

// The relabel transform on batches (counts, acks, rules from an Observable) and the program's
// result cache. The rule semantics are in relabel-rules.test.ts, regexes in relabel-regex.test.ts.
import {
  BehaviorSubject,
  EMPTY,
  firstValueFrom,
  NEVER,
  type Observable,
  of,
  Subject,
  throwError,
  toArray,
} from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type Batch, createBatch } from '../../src/core/batch.js';
import type { ComponentInfo } from '../../src/core/component.js';
import { ConfigError } from '../../src/core/errors.js';
import { collectGraph } from '../../src/core/graph.js';
import { Labels } from '../../src/core/labels.js';
import type { LogEntry, MetricSample } from '../../src/core/signals.js';
import {
  compileRelabelRules,
  MAX_BATCHES_WAITING_FOR_RULES,
  type RelabelRule,
  relabel,
} from '../../src/transforms/relabel/index.js';

const sample = (name: string, extra: Record<string, string> = {}): MetricSample => ({
  labels: Labels.from({ __name__: name, job: 'api', ...extra }),
  value: 1,
  timestampMs: 1_700_000_000_000,
});

const entry = (app: string, line: string): LogEntry => ({
  labels: Labels.from({ app, filename: `/var/log/${app}.log` }),
  line,
  timestampNs: 1_700_000_000_000_000_000n,
});

const dropGo: readonly RelabelRule[] = [{ action: 'drop', sourceLabels: ['__name__'], regex: 'go_.*' }];

function componentOf(stream: Observable<unknown>): ComponentInfo {
  const [component] = collectGraph([stream]).components;
  if (component === undefined) throw new Error('no component in the graph');
  return component;
}

/** Subscribes, returning what was emitted so far and whether the stream completed. */
function watch<T>(stream: Observable<T>) {
  const state = { out: [] as T[], done: false, error: undefined as unknown };
  const subscription = stream.subscribe({
    next: (value) => state.out.push(value),
    error: (error: unknown) => {
      state.error = error;
    },
    complete: () => {
      state.done = true;
    },
  });
  return Object.assign(state, { subscription });
}

describe('relabel on metric batches', () => {
  it('rewrites labels, drops items, counts them and keeps the ack', async () => {
    const batch = createBatch('metrics', [
      sample('up'),
      sample('go_goroutines'),
      sample('http_requests_total'),
    ]);
    const stream = of(batch).pipe(
      relabel([...dropGo, { sourceLabels: ['job'], targetLabel: 'service' }], { id: 'relabel-metrics' }),
    );
    const [out] = await firstValueFrom(stream.pipe(toArray()));
    expect(out?.ack).toBe(batch.ack);
    expect(out?.kind).toBe('metrics');
    expect(out?.items.map((s) => s.labels.toRecord())).toEqual([
      { __name__: 'up', job: 'api', service: 'api' },
      { __name__: 'http_requests_total', job: 'api', service: 'api' },
    ]);
    expect(out?.items[0]?.timestampMs).toBe(1_700_000_000_000);
    const stats = componentOf(stream).stats();
    expect(stats).toMatchObject({ received: 3, sent: 2 });
    expect(stats.dropped.get('relabel_drop')).toEqual({ count: 1, intentional: true });
    expect(batch.ack.settled).toBe(false);
  });

  it('passes a batch through as the same object when no labels change', async () => {
    const batch = createBatch('metrics', [sample('up'), sample('process_cpu_seconds_total')]);
    const out = await firstValueFrom(of(batch).pipe(relabel(dropGo)));
    expect(out).toBe(batch);
  });

  it('keeps unchanged items as the same objects and copies changed ones', async () => {
    const keep = sample('up', { env: 'prod' });
    const change = sample('up', { env: 'dev' });
    const rules: RelabelRule[] = [
      { sourceLabels: ['env'], regex: 'dev', targetLabel: 'env', replacement: 'development' },
    ];
    const out = await firstValueFrom(of(createBatch('metrics', [keep, change])).pipe(relabel(rules)));
    expect(out.items[0]).toBe(keep);
    expect(out.items[1]).not.toBe(change);
    expect(out.items[1]).toEqual({
      ...change,
      labels: Labels.from({ __name__: 'up', job: 'api', env: 'development' }),
    });
  });

  it('does not emit a batch whose items are all dropped and settles its ack as dropped', async () => {
    const all = createBatch('metrics', [sample('go_goroutines'), sample('go_threads')]);
    const some = createBatch('metrics', [sample('go_threads'), sample('up')]);
    const stream = of(all, some).pipe(relabel(dropGo));
    const out = await firstValueFrom(stream.pipe(toArray()));
    expect(out.map((b) => b.items.length)).toEqual([1]);
    expect(all.ack.result).toEqual({ status: 'dropped', reason: 'relabel_drop' });
    expect(some.ack.settled).toBe(false);
    expect(componentOf(stream).stats().dropped.get('relabel_drop')).toEqual({ count: 3, intentional: true });
  });

  it('handles empty input, empty batches and upstream errors', async () => {
    expect(await firstValueFrom(EMPTY.pipe(relabel(dropGo), toArray()))).toEqual([]);
    const empty = createBatch('metrics', []);
    expect(await firstValueFrom(of(empty).pipe(relabel(dropGo)))).toBe(empty);
    const failure = new Error('upstream broke');
    await expect(firstValueFrom(throwError(() => failure).pipe(relabel(dropGo)))).rejects.toThrow(
      'upstream broke',
    );
  });

  it('stops on early unsubscribe from a source that never completes', () => {
    const input = new Subject<Batch<'metrics'>>();
    const seen = watch(input.pipe(relabel(dropGo)));
    input.next(createBatch('metrics', [sample('up')]));
    seen.subscription.unsubscribe();
    input.next(createBatch('metrics', [sample('up')]));
    expect(seen.out).toHaveLength(1);
    expect(input.observed).toBe(false);
  });

  it('applies the same compiled rules to each subscription', async () => {
    const operator = relabel([{ targetLabel: 'cluster', replacement: 'eu-1' }]);
    const input = of(createBatch('metrics', [sample('up')]));
    for (let i = 0; i < 2; i++) {
      const out = await firstValueFrom(input.pipe(operator));
      expect(out.items[0]?.labels.get('cluster')).toBe('eu-1');
    }
  });

  it('throws a ConfigError when built with invalid rules or options', () => {
    expect(() => relabel([{ action: 'keep', regex: '(?=x)' }], { id: 'bad' })).toThrow(ConfigError);
    expect(() => relabel([{ action: 'keep', regex: '(?=x)' }], { id: 'bad' })).toThrow(
      /^bad: option 'rules\[0\]\.regex'/,
    );
    expect(() => relabel(dropGo, { maxCacheSize: -1 })).toThrow(/maxCacheSize/);
    expect(() => relabel(dropGo, { kind: 'traces' as 'logs' })).toThrow(/option 'kind'/);
  });
});

describe('relabel on log batches', () => {
  it('rewrites stream labels and drops entries, keeping the rest of each entry', async () => {
    const batch = createBatch('logs', [
      entry('api', 'GET /'),
      entry('debug', 'noise'),
      entry('web', 'POST /x'),
    ]);
    const stream = of(batch).pipe(
      relabel(
        [
          { action: 'drop', sourceLabels: ['app'], regex: 'debug' },
          { action: 'labeldrop', regex: 'filename' },
        ],
        { kind: 'logs', id: 'relabel-logs' },
      ),
    );
    const [out] = await firstValueFrom(stream.pipe(toArray()));
    expect(out?.kind).toBe('logs');
    expect(out?.items.map((e) => [e.labels.toRecord(), e.line, e.timestampNs])).toEqual([
      [{ app: 'api' }, 'GET /', 1_700_000_000_000_000_000n],
      [{ app: 'web' }, 'POST /x', 1_700_000_000_000_000_000n],
    ]);
    const component = componentOf(stream);
    expect(component.input).toEqual(['logs']);
    expect(component.output).toBe('logs');
    expect(component.stats().dropped.get('relabel_drop')).toEqual({ count: 1, intentional: true });
  });
});

describe('relabel with rules from an Observable', () => {
  it('holds batches until the first rules arrive, then applies the latest rules', () => {
    const rules = new Subject<readonly RelabelRule[]>();
    const input = new Subject<Batch<'metrics'>>();
    const stream = input.pipe(relabel(rules));
    const seen = watch(stream);
    input.next(createBatch('metrics', [sample('go_threads'), sample('up')]));
    expect(seen.out).toHaveLength(0);
    rules.next(dropGo);
    expect(seen.out.map((b) => b.items.map((s) => s.labels.metricName))).toEqual([['up']]);
    rules.next([{ action: 'keep', sourceLabels: ['__name__'], regex: 'go_.*' }]);
    input.next(createBatch('metrics', [sample('go_threads'), sample('up')]));
    expect(seen.out[1]?.items.map((s) => s.labels.metricName)).toEqual(['go_threads']);
    input.complete();
    expect(seen.done).toBe(true);
  });

  it('reports invalid rules, keeps the previous ones, and recovers on valid ones', () => {
    const rules = new BehaviorSubject<readonly RelabelRule[]>(dropGo);
    const input = new Subject<Batch<'metrics'>>();
    const stream = input.pipe(relabel(rules, { id: 'live-rules' }));
    const component = componentOf(stream);
    const seen = watch(stream);
    rules.next([{ action: 'keep', regex: '(a)\\1' }]);
    expect(component.health().state).toBe('unhealthy');
    expect(component.health().message).toContain('rules[0].regex');
    expect(component.stats().errors.get('processing')).toBe(1);
    input.next(createBatch('metrics', [sample('go_threads'), sample('up')]));
    expect(seen.out[0]?.items.map((s) => s.labels.metricName)).toEqual(['up']);
    rules.next([]);
    expect(component.health().state).toBe('healthy');
    input.next(createBatch('metrics', [sample('go_threads')]));
    expect(seen.out[1]?.items.map((s) => s.labels.metricName)).toEqual(['go_threads']);
    expect(seen.error).toBeUndefined();
    seen.subscription.unsubscribe();
  });

  it('waits for rules after the input completes, then flushes and completes', () => {
    const rules = new Subject<readonly RelabelRule[]>();
    const seen = watch(of(createBatch('metrics', [sample('up')])).pipe(relabel(rules)));
    expect(seen.done).toBe(false);
    rules.next([{ targetLabel: 'late', replacement: 'yes' }]);
    expect(seen.out[0]?.items[0]?.labels.get('late')).toBe('yes');
    expect(seen.done).toBe(true);
  });

  it('drops waiting and later batches when the rules end without valid rules', () => {
    const rules = new Subject<readonly RelabelRule[]>();
    const input = new Subject<Batch<'metrics'>>();
    const stream = input.pipe(relabel(rules));
    const component = componentOf(stream);
    const seen = watch(stream);
    const early = createBatch('metrics', [sample('up')]);
    input.next(early);
    rules.next([{ action: 'nope' as 'drop' }]);
    rules.complete();
    const late = createBatch('metrics', [sample('up'), sample('up')]);
    input.next(late);
    expect(seen.out).toHaveLength(0);
    expect(early.ack.result).toEqual({ status: 'dropped', reason: 'relabel_no_rules' });
    expect(late.ack.result).toEqual({ status: 'dropped', reason: 'relabel_no_rules' });
    expect(component.stats().dropped.get('relabel_no_rules')).toEqual({ count: 3, intentional: false });
    expect(component.health().state).toBe('unhealthy');
    input.complete();
    expect(seen.done).toBe(true);
  });

  it('keeps the last rules when the rules stream fails', () => {
    const rules = new Subject<readonly RelabelRule[]>();
    const input = new Subject<Batch<'metrics'>>();
    const stream = input.pipe(relabel(rules));
    const component = componentOf(stream);
    const seen = watch(stream);
    rules.next(dropGo);
    rules.error(new Error('watch failed'));
    input.next(createBatch('metrics', [sample('go_threads'), sample('up')]));
    expect(seen.out[0]?.items.map((s) => s.labels.metricName)).toEqual(['up']);
    expect(component.health()).toMatchObject({ state: 'unhealthy' });
    expect(component.health().message).toContain('watch failed');
    expect(seen.error).toBeUndefined();
    seen.subscription.unsubscribe();
  });

  it(`holds at most ${MAX_BATCHES_WAITING_FOR_RULES} batches, dropping the oldest`, () => {
    const input = new Subject<Batch<'metrics'>>();
    const stream = input.pipe(relabel(NEVER));
    const component = componentOf(stream);
    const seen = watch(stream);
    const batches = Array.from({ length: MAX_BATCHES_WAITING_FOR_RULES + 3 }, () =>
      createBatch('metrics', [sample('up')]),
    );
    for (const batch of batches) input.next(batch);
    expect(batches.slice(0, 3).every((b) => b.ack.result?.status === 'dropped')).toBe(true);
    expect(batches.slice(3).some((b) => b.ack.settled)).toBe(false);
    expect(component.stats().dropped.get('relabel_no_rules')?.count).toBe(3);
    seen.subscription.unsubscribe();
    // Unsubscribing settles what still waits.
    expect(batches.every((b) => b.ack.result?.status === 'dropped')).toBe(true);
    expect(component.stats().dropped.get('unsubscribed')?.count).toBe(MAX_BATCHES_WAITING_FOR_RULES);
  });
});

describe('the result cache', () => {
  const rules: RelabelRule[] = [
    { action: 'drop', sourceLabels: ['__name__'], regex: 'go_.*' },
    { sourceLabels: ['instance'], regex: '([^:]+):.*', targetLabel: 'host' },
  ];

  it('stays within maxCacheSize', () => {
    const program = compileRelabelRules(rules, 'relabel', { maxCacheSize: 10 });
    for (let i = 0; i < 1000; i++) {
      const out = program.apply(Labels.from({ __name__: 'up', instance: `10.0.0.${i}:9100` }));
      expect(out?.get('host')).toBe(`10.0.0.${i}`);
      expect(program.cacheSize).toBeLessThanOrEqual(10);
    }
    expect(program.cacheSize).toBe(10);
    program.clearCache();
    expect(program.cacheSize).toBe(0);
  });

  it('gives the same results warm as cold, drops included, and the same object when unchanged', () => {
    const cached = compileRelabelRules(rules);
    const uncached = compileRelabelRules(rules, 'relabel', { maxCacheSize: 0 });
    const sets = [
      Labels.from({ __name__: 'up', instance: 'a:1' }),
      Labels.from({ __name__: 'go_threads', instance: 'a:1' }),
      Labels.from({ __name__: 'up' }),
    ];
    for (let round = 0; round < 3; round++) {
      for (const set of sets) {
        // A fresh but equal object each time, as a scrape produces.
        const input = Labels.fromEntries(set);
        const out = cached.apply(input);
        expect(out?.toRecord()).toEqual(uncached.apply(input)?.toRecord());
        if (out?.equals(input)) expect(out).toBe(input);
      }
    }
    expect(cached.cacheSize).toBe(3);
    expect(uncached.cacheSize).toBe(0);
  });

  it('keeps a busy entry while others churn through', () => {
    const program = compileRelabelRules(rules, 'relabel', { maxCacheSize: 8 });
    const busy = Labels.from({ __name__: 'up', instance: 'busy:1' });
    const first = program.apply(busy);
    for (let i = 0; i < 100; i++) {
      program.apply(Labels.from({ __name__: 'up', instance: `other${i}:1` }));
      // Used every other insertion: within half the capacity, so never evicted.
      expect(program.apply(busy)).toBe(first);
    }
  });

  it('tells apart label sets whose text holds the characters a naive key would join on', () => {
    const one = Labels.from({ a: 'x\u00ffb\u00ffy' });
    const two = Labels.from({ a: 'x', b: 'y' });
    expect(one.key()).not.toBe(two.key());
    const program = compileRelabelRules([{ action: 'keep', sourceLabels: ['b'], regex: 'y' }]);
    expect(program.apply(one)).toBeUndefined();
    expect(program.apply(two)).toBe(two);
    expect(program.apply(one)).toBeUndefined();
    // The same size, different labels.
    const three = Labels.from({ a: 'x\u00ffb', c: 'y' });
    const four = Labels.fromEntries([
      ['a', 'x'],
      ['b\u00ffc', 'y'],
    ]);
    expect(three.key()).not.toBe(four.key());
    const byA = compileRelabelRules([{ sourceLabels: ['a'], targetLabel: 'copy' }]);
    expect(byA.apply(three)?.get('copy')).toBe('x\u00ffb');
    expect(byA.apply(four)?.get('copy')).toBe('x');
    expect(byA.apply(three)?.get('copy')).toBe('x\u00ffb');
  });
});

describe('the documented examples', () => {
  it('compileRelabelRules drops pod_template_hash', () => {
    const program = compileRelabelRules([{ action: 'labeldrop', regex: 'pod_template_hash' }]);
    expect(String(program.apply(Labels.from({ __name__: 'up', pod_template_hash: 'abc' })))).toBe(
      '{__name__="up"}',
    );
  });

  it('relabel drops go_ metrics and derives host from instance', async () => {
    const metrics = of(
      createBatch('metrics', [sample('go_threads'), sample('up', { instance: '10.0.0.1:9100' })]),
    );
    const out = await firstValueFrom(
      metrics.pipe(
        relabel([
          { action: 'drop', sourceLabels: ['__name__'], regex: 'go_.*' },
          { sourceLabels: ['instance'], regex: '([^:]+):\\d+', targetLabel: 'host' },
        ]),
      ),
    );
    expect(out.items.map((s) => s.labels.toRecord())).toEqual([
      { __name__: 'up', job: 'api', instance: '10.0.0.1:9100', host: '10.0.0.1' },
    ]);
  });
});

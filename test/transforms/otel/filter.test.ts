// The filter transform: each condition of each signal kind, how drop and keep rules combine,
// predicates, acknowledgements and counters, bad input and bad configuration.
import { firstValueFrom, of, Subject, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type Batch, createBatch } from '../../../src/core/batch.js';
import { ConfigError } from '../../../src/core/errors.js';
import { Labels } from '../../../src/core/labels.js';
import type { LogEntry, MetricSample, Span } from '../../../src/core/signals.js';
import {
  type FilterKind,
  type FilterOptions,
  type FilterRule,
  filter,
} from '../../../src/transforms/otel/filter.js';
import { attrs, componentOf, entry, record, sample, span, watch } from './helpers.js';

/** Runs items as one batch through a filter; returns the kept items and the component. */
async function kept<K extends FilterKind>(options: FilterOptions<K>, items: Batch<K>['items']) {
  const input = createBatch(options.kind, items);
  const stream = of(input).pipe(filter(options));
  const out = await firstValueFrom(stream.pipe(toArray()));
  return { out: out.flatMap((b) => [...b.items]), batches: out, input, component: componentOf(stream) };
}

/** Whether one item survives `drop: [rule]`. */
async function survives<K extends FilterKind>(kind: K, rule: FilterRule<K>, item: Batch<K>['items'][number]) {
  const { out } = await kept({ kind, drop: [rule] } as FilterOptions<K>, [item] as Batch<K>['items']);
  return out.length === 1;
}

describe('filter: span conditions', () => {
  const cases: { name: string; rule: FilterRule<'traces'>; item: Span; dropped: boolean }[] = [
    { name: 'name, exact', rule: { name: 'GET /cart' }, item: span(), dropped: true },
    { name: 'name, exact, other', rule: { name: 'GET /car' }, item: span(), dropped: false },
    { name: 'name regex, full match', rule: { name: { regex: 'GET /.*' } }, item: span(), dropped: true },
    { name: 'name regex is anchored', rule: { name: { regex: 'cart' } }, item: span(), dropped: false },
    {
      name: 'name regex, alternatives',
      rule: { name: { regex: '.*(health|ready)z?' } },
      item: span({ name: 'GET /healthz' }),
      dropped: true,
    },
    { name: 'kind', rule: { kind: 'server' }, item: span({ kind: 2 }), dropped: true },
    { name: 'kind, other', rule: { kind: 'client' }, item: span({ kind: 2 }), dropped: false },
    { name: 'kind list', rule: { kind: ['client', 'internal'] }, item: span({ kind: 1 }), dropped: true },
    {
      name: 'status code',
      rule: { statusCode: 'error' },
      item: span({ status: { code: 2, message: 'boom' } }),
      dropped: true,
    },
    {
      name: 'status code, other',
      rule: { statusCode: ['ok', 'unset'] },
      item: span({ status: { code: 2, message: '' } }),
      dropped: false,
    },
    {
      name: 'attribute string',
      rule: { attributes: { 'http.method': 'GET' } },
      item: span({ attributes: attrs({ 'http.method': 'GET' }) }),
      dropped: true,
    },
    {
      name: 'attribute missing',
      rule: { attributes: { 'http.method': 'GET' } },
      item: span(),
      dropped: false,
    },
    {
      name: 'attribute number matches an int',
      rule: { attributes: { 'http.status_code': 500 } },
      item: span({ attributes: attrs({ 'http.status_code': 500n }) }),
      dropped: true,
    },
    {
      name: 'attribute bigint matches a double',
      rule: { attributes: { ratio: 2n } },
      item: span({ attributes: attrs({ ratio: 2 }) }),
      dropped: true,
    },
    {
      name: 'attribute number, other type',
      rule: { attributes: { 'http.status_code': 500 } },
      item: span({ attributes: attrs({ 'http.status_code': '500' }) }),
      dropped: false,
    },
    {
      name: 'attribute boolean',
      rule: { attributes: { error: true } },
      item: span({ attributes: attrs({ error: true }) }),
      dropped: true,
    },
    {
      name: 'attribute regex on a string',
      rule: { attributes: { 'http.route': { regex: '/api/.*' } } },
      item: span({ attributes: attrs({ 'http.route': '/api/v1' }) }),
      dropped: true,
    },
    {
      name: 'attribute regex on an int',
      rule: { attributes: { 'http.status_code': { regex: '5..' } } },
      item: span({ attributes: attrs({ 'http.status_code': 503n }) }),
      dropped: true,
    },
    {
      name: 'attribute regex on bytes',
      rule: { attributes: { raw: { regex: '.*' } } },
      item: span({ attributes: attrs({ raw: new Uint8Array([1]) }) }),
      dropped: false,
    },
    {
      name: 'attribute NaN',
      rule: { attributes: { x: 1 } },
      item: span({ attributes: attrs({ x: Number.NaN }) }),
      dropped: false,
    },
    {
      name: 'all attributes must match',
      rule: { attributes: { a: 'x', b: 'y' } },
      item: span({ attributes: attrs({ a: 'x', b: 'z' }) }),
      dropped: false,
    },
    {
      name: 'resource attribute',
      rule: { resourceAttributes: { 'service.name': 'checkout' } },
      item: span(),
      dropped: true,
    },
    {
      name: 'resource attribute, other',
      rule: { resourceAttributes: { 'service.name': 'cart' } },
      item: span(),
      dropped: false,
    },
    { name: 'scope name', rule: { scopeName: 'http' }, item: span(), dropped: true },
    {
      name: 'all conditions',
      rule: { name: 'GET /cart', kind: 'server', statusCode: 'unset' },
      item: span(),
      dropped: true,
    },
    {
      name: 'one condition fails',
      rule: { name: 'GET /cart', kind: 'client' },
      item: span(),
      dropped: false,
    },
    { name: 'predicate', rule: (s) => s.name.startsWith('GET'), item: span(), dropped: true },
    {
      name: 'predicate returning a non-boolean',
      rule: (() => 1) as unknown as FilterRule<'traces'>,
      item: span(),
      dropped: false,
    },
  ];
  it.each(cases)('$name', async ({ rule, item, dropped }) => {
    expect(await survives('traces', rule, item)).toBe(!dropped);
  });
});

describe('filter: log conditions', () => {
  const otlp = (fields: Parameters<typeof record>[0]) =>
    entry('hello', { app: 'api' }, { otlp: record(fields) });
  const cases: { name: string; rule: FilterRule<'logs'>; item: LogEntry; dropped: boolean }[] = [
    {
      name: 'severity max from the OTLP number',
      rule: { severity: { max: 'debug' } },
      item: otlp({ severityNumber: 7 }),
      dropped: true,
    },
    {
      name: 'severity max is the end of the range',
      rule: { severity: { max: 'debug' } },
      item: otlp({ severityNumber: 8 }),
      dropped: true,
    },
    {
      name: 'severity above max',
      rule: { severity: { max: 'debug' } },
      item: otlp({ severityNumber: 9 }),
      dropped: false,
    },
    {
      name: 'severity min',
      rule: { severity: { min: 'warn' } },
      item: otlp({ severityNumber: 13 }),
      dropped: true,
    },
    {
      name: 'severity below min',
      rule: { severity: { min: 'warn' } },
      item: otlp({ severityNumber: 12 }),
      dropped: false,
    },
    {
      name: 'severity by number',
      rule: { severity: { min: 17, max: 20 } },
      item: otlp({ severityNumber: 18 }),
      dropped: true,
    },
    {
      name: 'severity text when the number is unset',
      rule: { severity: { min: 'error' } },
      item: otlp({ severityNumber: 0, severityText: 'ERROR' }),
      dropped: true,
    },
    {
      name: 'severity from a level label',
      rule: { severity: { max: 'info' } },
      item: entry('x', { level: 'info' }),
      dropped: true,
    },
    {
      name: 'severity from a level label, upper case',
      rule: { severity: { max: 'info' } },
      item: entry('x', { level: 'WARNING' }),
      dropped: false,
    },
    {
      name: 'severity from structured metadata',
      rule: { severity: { min: 'error' } },
      item: entry('x', {}, { metadata: { level: 'err' } }),
      dropped: true,
    },
    {
      name: 'severity from another label',
      rule: { severity: { min: 'error', label: 'lvl' } },
      item: entry('x', { lvl: 'fatal' }),
      dropped: true,
    },
    {
      name: 'severity with a step',
      rule: { severity: { min: 'info', max: 'info' } },
      item: entry('x', { level: 'info3' }),
      dropped: true,
    },
    {
      name: 'unknown severity does not match',
      rule: { severity: { max: 'fatal' } },
      item: entry('x'),
      dropped: false,
    },
    {
      name: 'unknown severity with matchUndefined',
      rule: { severity: { max: 'debug', matchUndefined: true } },
      item: entry('x', { level: 'chatty' }),
      dropped: true,
    },
    {
      name: 'NaN severity number is unknown',
      rule: { severity: { max: 'fatal' } },
      item: otlp({ severityNumber: Number.NaN, severityText: '' }),
      dropped: false,
    },
    { name: 'body exact', rule: { body: 'hello' }, item: entry('hello'), dropped: true },
    {
      name: 'body regex',
      rule: { body: { regex: '.*health.*' } },
      item: entry('GET /healthz 200'),
      dropped: true,
    },
    {
      name: 'body regex is anchored',
      rule: { body: { regex: 'health' } },
      item: entry('GET /healthz 200'),
      dropped: false,
    },
    {
      name: 'record attribute',
      rule: { attributes: { 'user.id': '42' } },
      item: otlp({ attributes: attrs({ 'user.id': '42' }) }),
      dropped: true,
    },
    {
      name: 'structured metadata for an entry without a record',
      rule: { attributes: { trace_id: 'abc' } },
      item: entry('x', {}, { metadata: { trace_id: 'abc' } }),
      dropped: true,
    },
    {
      name: 'no record, no metadata',
      rule: { attributes: { trace_id: 'abc' } },
      item: entry('x'),
      dropped: false,
    },
    {
      name: 'resource attribute',
      rule: { resourceAttributes: { 'service.name': 'checkout' } },
      item: otlp({}),
      dropped: true,
    },
    {
      name: 'resource attribute, no record',
      rule: { resourceAttributes: { 'service.name': 'checkout' } },
      item: entry('x'),
      dropped: false,
    },
    {
      name: 'label equal',
      rule: { labels: [{ name: 'app', value: 'api' }] },
      item: entry('x'),
      dropped: true,
    },
    {
      name: 'label not equal',
      rule: { labels: [{ name: 'app', type: '!=', value: 'api' }] },
      item: entry('x'),
      dropped: false,
    },
    {
      name: 'label regex',
      rule: { labels: [{ name: 'app', type: '=~', value: 'a.i|web' }] },
      item: entry('x'),
      dropped: true,
    },
    {
      name: 'label not regex',
      rule: { labels: [{ name: 'app', type: '!~', value: 'a.*' }] },
      item: entry('x'),
      dropped: false,
    },
    {
      name: 'absent label is empty',
      rule: { labels: [{ name: 'env', value: '' }] },
      item: entry('x'),
      dropped: true,
    },
    { name: 'predicate', rule: (e) => e.line.length > 3, item: entry('hello'), dropped: true },
  ];
  it.each(cases)('$name', async ({ rule, item, dropped }) => {
    expect(await survives('logs', rule, item)).toBe(!dropped);
  });
});

describe('filter: metric conditions', () => {
  const cases: { name: string; rule: FilterRule<'metrics'>; item: MetricSample; dropped: boolean }[] = [
    { name: 'name exact', rule: { name: 'up' }, item: sample('up'), dropped: true },
    { name: 'name regex', rule: { name: { regex: 'go_.*' } }, item: sample('go_goroutines'), dropped: true },
    {
      name: 'name regex is anchored',
      rule: { name: { regex: 'go' } },
      item: sample('go_goroutines'),
      dropped: false,
    },
    {
      name: 'labels',
      rule: {
        labels: [
          { name: 'job', value: 'api' },
          { name: 'env', type: '=~', value: 'dev|test' },
        ],
      },
      item: sample('up', { env: 'dev' }),
      dropped: true,
    },
    {
      name: 'labels, one fails',
      rule: {
        labels: [
          { name: 'job', value: 'api' },
          { name: 'env', type: '=~', value: 'dev|test' },
        ],
      },
      item: sample('up', { env: 'prod' }),
      dropped: false,
    },
    {
      name: 'name and labels',
      rule: { name: 'up', labels: [{ name: 'job', type: '!=', value: 'web' }] },
      item: sample('up'),
      dropped: true,
    },
    {
      name: 'no name',
      rule: { name: { regex: '.+' } },
      item: { labels: Labels.from({ job: 'x' }), value: 1, timestampMs: 0 },
      dropped: false,
    },
    {
      name: 'predicate on NaN',
      rule: (s) => Number.isNaN(s.value),
      item: sample('up', {}, Number.NaN),
      dropped: true,
    },
  ];
  it.each(cases)('$name', async ({ rule, item, dropped }) => {
    expect(await survives('metrics', rule, item)).toBe(!dropped);
  });
});

describe('filter: drop and keep', () => {
  const items = [
    sample('up'),
    sample('go_goroutines'),
    sample('http_requests_total'),
    sample('go_gc_duration_seconds'),
  ];
  const names = (out: MetricSample[]) => out.map((s) => s.labels.metricName);

  it('drops an item when any drop rule matches', async () => {
    const { out } = await kept(
      { kind: 'metrics', drop: [{ name: 'up' }, { name: { regex: 'go_gc.*' } }] },
      items,
    );
    expect(names(out)).toEqual(['go_goroutines', 'http_requests_total']);
  });

  it('keeps only items matching a keep rule', async () => {
    const { out } = await kept(
      { kind: 'metrics', keep: [{ name: { regex: 'go_.*' } }, { name: 'up' }] },
      items,
    );
    expect(names(out)).toEqual(['up', 'go_goroutines', 'go_gc_duration_seconds']);
  });

  it('drops what a drop rule matches among what keep rules keep', async () => {
    const { out } = await kept(
      { kind: 'metrics', keep: [{ name: { regex: 'go_.*' } }], drop: [{ name: 'go_goroutines' }] },
      items,
    );
    expect(names(out)).toEqual(['go_gc_duration_seconds']);
  });

  it('passes everything with no rules', async () => {
    const { out, batches, input } = await kept({ kind: 'metrics' }, items);
    expect(out).toEqual(items);
    expect(batches[0]).toBe(input);
  });
});

describe('filter: acknowledgements and counters', () => {
  it('keeps the ack of a batch it passes on, settles one it drops whole, counts intentional drops', () => {
    const input = new Subject<Batch<'traces'>>();
    const stream = input.pipe(filter({ kind: 'traces', drop: [{ name: 'noise' }] }));
    const seen = watch(stream);
    const mixed = createBatch('traces', [span(), span({ name: 'noise' }), span()]);
    const gone = createBatch('traces', [span({ name: 'noise' })]);
    const untouched = createBatch('traces', [span()]);
    input.next(mixed);
    input.next(gone);
    input.next(untouched);
    input.complete();
    expect(seen.out.map((b) => b.items.length)).toEqual([2, 1]);
    expect(seen.out[0]?.ack).toBe(mixed.ack);
    expect(seen.out[1]).toBe(untouched);
    expect(gone.ack.result).toEqual({ status: 'dropped', reason: 'filtered' });
    expect(mixed.ack.settled).toBe(false);
    seen.out[0]?.ack.delivered();
    expect(mixed.ack.result).toEqual({ status: 'delivered' });
    const component = componentOf(stream);
    expect(component.stats()).toMatchObject({ received: 5, sent: 3 });
    expect(component.stats().dropped).toEqual(new Map([['filtered', { count: 2, intentional: true }]]));
    expect(component.stats().errors.size).toBe(0);
    expect(component.health()).toMatchObject({ state: 'exited', message: 'completed' });
  });

  it('counts a predicate that throws as an error and takes it as not matching', async () => {
    const { out, component } = await kept(
      {
        kind: 'logs',
        drop: [
          (e) => {
            if (e.line === 'bad') throw new Error('predicate broke');
            return false;
          },
          { body: 'drop me' },
        ],
      },
      [entry('bad'), entry('good'), entry('drop me')],
    );
    expect(out.map((e) => e.line)).toEqual(['bad', 'good']);
    expect(component.stats().errors.get('processing')).toBe(1);
    expect(component.stats().dropped.get('filtered')?.count).toBe(1);
  });

  it('never throws on odd input: missing records, empty ids, NaN values', async () => {
    const odd = [
      span({ traceId: new Uint8Array(0), attributes: attrs({ x: Number.NaN }) }),
      { ...span(), status: undefined, resource: undefined, scope: undefined } as unknown as Span,
    ];
    const { out } = await kept(
      {
        kind: 'traces',
        drop: [
          { statusCode: 'error' },
          { resourceAttributes: { 'service.name': 'x' } },
          { scopeName: 'http', attributes: { x: { regex: 'NaN' } } },
        ],
      },
      odd,
    );
    expect(out).toHaveLength(1);
    const logs = await kept(
      { kind: 'logs', drop: [{ severity: { min: 1 } }, { resourceAttributes: { a: 'b' } }] },
      [
        { ...entry('x'), otlp: undefined } as unknown as LogEntry,
        entry(
          'y',
          {},
          { otlp: { ...record(), severityNumber: Number.NaN, severityText: undefined } as never },
        ),
      ],
    );
    expect(logs.out).toHaveLength(2);
    const broken = await kept({ kind: 'metrics', drop: [{ name: 'up' }] }, [
      null as unknown as MetricSample,
      sample('up'),
    ]);
    expect(broken.out).toEqual([null]);
    expect(broken.component.stats().errors.get('processing')).toBe(1);
  });
});

describe('filter: configuration', () => {
  it.each<{ options: Record<string, unknown>; option: string }>([
    { options: { kind: 'profiles' }, option: 'kind' },
    { options: { kind: 'traces', drop: { name: 'x' } }, option: 'drop' },
    { options: { kind: 'traces', drop: [{}] }, option: 'drop[0]' },
    { options: { kind: 'traces', drop: [null] }, option: 'drop[0]' },
    { options: { kind: 'traces', drop: [{ name: 'a' }, { nmae: 'x' }] }, option: 'drop[1].nmae' },
    { options: { kind: 'traces', drop: [{ name: { regex: '(' } }] }, option: 'drop[0].name.regex' },
    { options: { kind: 'traces', drop: [{ name: { regex: '(?=x)' } }] }, option: 'drop[0].name.regex' },
    { options: { kind: 'traces', drop: [{ kind: 'sever' }] }, option: 'drop[0].kind' },
    { options: { kind: 'traces', drop: [{ kind: [] }] }, option: 'drop[0].kind' },
    { options: { kind: 'traces', drop: [{ statusCode: 2 }] }, option: 'drop[0].statusCode' },
    { options: { kind: 'traces', drop: [{ attributes: {} }] }, option: 'drop[0].attributes' },
    {
      options: { kind: 'traces', drop: [{ attributes: { a: Number.NaN } }] },
      option: 'drop[0].attributes["a"]',
    },
    { options: { kind: 'traces', drop: [{ attributes: { a: null } }] }, option: 'drop[0].attributes["a"]' },
    { options: { kind: 'traces', keep: [] }, option: 'keep' },
    { options: { kind: 'logs', drop: [{ severity: { min: 'loud' } }] }, option: 'drop[0].severity.min' },
    { options: { kind: 'logs', drop: [{ severity: { min: 25 } }] }, option: 'drop[0].severity.min' },
    {
      options: { kind: 'logs', drop: [{ severity: { min: 'error', max: 'info' } }] },
      option: 'drop[0].severity.min',
    },
    {
      options: { kind: 'logs', drop: [{ severity: { matchUndefined: 'yes' } }] },
      option: 'drop[0].severity.matchUndefined',
    },
    { options: { kind: 'logs', drop: [{ labels: [] }] }, option: 'drop[0].labels' },
    {
      options: { kind: 'logs', drop: [{ labels: [{ name: 'a', type: '~', value: 'b' }] }] },
      option: 'drop[0].labels[0].type',
    },
    {
      options: { kind: 'logs', drop: [{ labels: [{ name: '', value: 'b' }] }] },
      option: 'drop[0].labels[0].name',
    },
    {
      options: { kind: 'metrics', drop: [{ labels: [{ name: 'a', type: '=~', value: '[' }] }] },
      option: 'drop[0].labels[0].value',
    },
    { options: { kind: 'metrics', drop: [{ body: 'x' }] }, option: 'drop[0].body' },
  ])('rejects $options naming $option', ({ options, option }) => {
    const build = () => filter(options as unknown as FilterOptions<'traces'>);
    expect(build).toThrow(ConfigError);
    try {
      build();
    } catch (error) {
      expect((error as ConfigError).option).toBe(option);
    }
  });
});

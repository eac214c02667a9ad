// The resource transform: the Collector's actions on resource attributes of spans and OTLP log
// records, and on stream labels of other log entries; resource identity kept for the encoders.
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../../src/core/batch.js';
import { ConfigError } from '../../../src/core/errors.js';
import type { AnyValue, Span } from '../../../src/core/signals.js';
import type { AttributeAction } from '../../../src/transforms/otel/attributes.js';
import { resource } from '../../../src/transforms/otel/resource.js';
import {
  logEntry,
  logs,
  nth,
  otlpRecord,
  record,
  resourceOf,
  span,
  through,
  traces,
} from './attr-fixtures.js';

describe('resource: actions on span resources', () => {
  const cases: readonly {
    readonly name: string;
    readonly actions: readonly AttributeAction[];
    readonly before: Record<string, AnyValue>;
    readonly after: Record<string, AnyValue>;
  }[] = [
    {
      name: 'insert',
      actions: [{ action: 'insert', key: 'env', value: 'prod' }],
      before: { 'service.name': 'api' },
      after: { 'service.name': 'api', env: 'prod' },
    },
    {
      name: 'insert keeps an existing value',
      actions: [{ action: 'insert', key: 'env', value: 'prod' }],
      before: { env: 'dev' },
      after: { env: 'dev' },
    },
    {
      name: 'update',
      actions: [{ action: 'update', key: 'env', value: 'prod' }],
      before: { env: 'dev' },
      after: { env: 'prod' },
    },
    {
      name: 'update of an absent key',
      actions: [{ action: 'update', key: 'env', value: 'prod' }],
      before: {},
      after: {},
    },
    {
      name: 'upsert from another attribute',
      actions: [{ action: 'upsert', key: 'service.namespace', fromAttribute: 'k8s.namespace.name' }],
      before: { 'k8s.namespace.name': 'shop' },
      after: { 'k8s.namespace.name': 'shop', 'service.namespace': 'shop' },
    },
    {
      name: 'delete by pattern',
      actions: [{ action: 'delete', pattern: '^host\\.' }],
      before: { 'host.id': 'a', 'host.name': 'b', 'service.name': 'api' },
      after: { 'service.name': 'api' },
    },
    {
      name: 'hash',
      actions: [{ action: 'hash', key: 'host.name' }],
      before: { 'host.name': 'foo' },
      after: { 'host.name': '0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33' },
    },
    {
      name: 'extract',
      actions: [
        { action: 'extract', key: 'k8s.pod.name', pattern: '^(?P<deployment>.+)-[a-z0-9]+-[a-z0-9]+$' },
      ],
      before: { 'k8s.pod.name': 'api-7d9f8-x2x4z' },
      after: { 'k8s.pod.name': 'api-7d9f8-x2x4z', deployment: 'api' },
    },
    {
      name: 'convert',
      actions: [{ action: 'convert', key: 'pid', convertedType: 'int' }],
      before: { pid: '4242' },
      after: { pid: 4242n },
    },
  ];
  it.each(cases)('$name', async ({ actions, before, after }) => {
    const { out } = await through(resource(actions), [traces(span({ resource: resourceOf(before) }))]);
    expect(record(nth(out, 0, 0).resource.attributes)).toEqual(after);
  });

  it('edits each resource once: spans that shared one share the edited one, across batches too', async () => {
    const shared = resourceOf({ 'service.name': 'api' });
    const other = resourceOf({ 'service.name': 'web' });
    const first = traces(span({ resource: shared }), span({ resource: other }), span({ resource: shared }));
    const second = traces(span({ resource: shared }));
    const { out } = await through(resource([{ action: 'insert', key: 'env', value: 'prod' }]), [
      first,
      second,
    ]);
    const [a, b, c] = [nth(out, 0, 0), nth(out, 0, 1), nth(out, 0, 2)];
    const d = nth(out, 1, 0);
    expect(a?.resource).not.toBe(shared);
    expect(a?.resource).toBe(c?.resource);
    expect(a?.resource).toBe(d.resource);
    expect(b?.resource).not.toBe(a?.resource);
    expect(a?.scope).toBe(first.items[0]?.scope);
    expect(record(shared.attributes)).toEqual({ 'service.name': 'api' });
  });

  it('keeps spans, resources and the batch itself when nothing changes, and keeps the ack', async () => {
    const batch = traces(span(), span());
    const { out } = await through(resource([{ action: 'delete', key: 'absent' }]), [batch]);
    expect(out[0]).toBe(batch);
    const changed = traces(span());
    const { out: edited } = await through(resource([{ action: 'upsert', key: 'a', value: 1n }]), [changed]);
    expect(edited[0]).not.toBe(changed);
    expect(edited[0]?.ack).toBe(changed.ack);
  });

  it('never throws on spans without a resource: they pass unchanged, counted as errors', async () => {
    const broken = { ...span(), resource: undefined } as unknown as Span;
    const { out, component } = await through(resource([{ action: 'insert', key: 'a', value: 'b' }]), [
      traces(broken, span()),
    ]);
    expect(out[0]?.items[0]).toBe(broken);
    expect(record(nth(out, 0, 1).resource.attributes)).toEqual({ 'service.name': 'api', a: 'b' });
    expect(component.stats().errors.get('processing')).toBe(1);
  });
});

describe('resource on logs', () => {
  it('edits the OTLP record resource, sharing the edited resource among records', async () => {
    const shared = resourceOf({ 'service.name': 'api', 'host.name': 'h1' });
    const e1 = logEntry('a', { job: 'app' }, undefined, otlpRecord({ resource: shared }));
    const e2 = logEntry('b', { job: 'app' }, undefined, otlpRecord({ resource: shared }));
    const { out } = await through(resource([{ action: 'delete', key: 'host.name' }], { kind: 'logs' }), [
      logs(e1, e2),
    ]);
    const [r1, r2] = out[0]?.items ?? [];
    expect(record(r1?.otlp?.resource.attributes ?? [])).toEqual({ 'service.name': 'api' });
    expect(r1?.otlp?.resource).toBe(r2?.otlp?.resource);
    expect(r1?.labels).toBe(e1.labels);
  });

  it('edits the stream labels of other entries, as strings', async () => {
    const entry = logEntry('x', { job: 'app', pod: 'api-1' });
    const { out } = await through(
      resource(
        [
          { action: 'upsert', key: 'cluster', value: 'eu-1' },
          { action: 'insert', key: 'shard', value: 3n },
          { action: 'extract', key: 'pod', pattern: '^(?P<app>[a-z]+)-' },
          { action: 'delete', key: 'pod' },
        ],
        { kind: 'logs' },
      ),
      [logs(entry, logEntry('y', { job: 'app', pod: 'api-1' }))],
    );
    expect(out[0]?.items[0]?.labels.toRecord()).toEqual({
      job: 'app',
      cluster: 'eu-1',
      shard: '3',
      app: 'api',
    });
    expect(out[0]?.items[1]?.labels.toRecord()).toEqual({
      job: 'app',
      cluster: 'eu-1',
      shard: '3',
      app: 'api',
    });
  });

  it('reuses the edited label set for entries sharing one label set object', async () => {
    const entry = logEntry('x', { job: 'app' });
    const twin = { ...entry, line: 'y' };
    const input = new Subject<Batch<'logs'>>();
    const seen: Batch<'logs'>[] = [];
    input
      .pipe(resource([{ action: 'insert', key: 'env', value: 'prod' }], { kind: 'logs' }))
      .subscribe((b) => seen.push(b));
    input.next(logs(entry));
    input.next(logs(twin));
    expect(seen[0]?.items[0]?.labels).toBe(seen[1]?.items[0]?.labels);
    expect(seen[0]?.items[0]?.labels.get('env')).toBe('prod');
  });
});

describe('resource: stream behaviour', () => {
  it('passes empty batches, fails with its input and stops on unsubscribe', async () => {
    const op = resource([{ action: 'insert', key: 'a', value: 'b' }]);
    const empty = traces();
    expect((await through(op, [empty])).out).toEqual([empty]);
    const errors: unknown[] = [];
    const input = new Subject<Batch<'traces'>>();
    const seen: Batch<'traces'>[] = [];
    const subscription = input
      .pipe(op)
      .subscribe({ next: (b) => seen.push(b), error: (e: unknown) => errors.push(e) });
    input.next(traces(span()));
    subscription.unsubscribe();
    input.next(traces(span()));
    expect(seen).toHaveLength(1);
    const failing = new Subject<Batch<'traces'>>();
    failing.pipe(op).subscribe({ error: (e: unknown) => errors.push(e) });
    failing.error(new Error('source broke'));
    expect(errors).toHaveLength(1);
  });
});

describe('resource: configuration', () => {
  it.each([
    { name: 'no actions', actions: [], option: 'actions' },
    { name: 'a bad action', actions: [{ action: 'insert', key: 'a' }], option: 'actions[0].value' },
    {
      name: 'a bad kind',
      actions: [{ action: 'delete', key: 'a' }],
      options: { kind: 'profiles' },
      option: 'kind',
    },
  ])('rejects $name', ({ actions, options, option }) => {
    expect(() => resource(actions as AttributeAction[], options as undefined)).toThrow(ConfigError);
    try {
      resource(actions as AttributeAction[], options as undefined);
    } catch (error) {
      expect((error as ConfigError).option).toBe(option);
    }
  });
});

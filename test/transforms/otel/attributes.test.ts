// The attributes transform: each Collector action on span attributes, log record attributes and
// structured metadata; include/exclude; bad input; config checks; acks and identity.
import { createHash } from 'node:crypto';
import { NEVER, of, Subject, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../../src/core/batch.js';
import { ConfigError } from '../../../src/core/errors.js';
import { Labels } from '../../../src/core/labels.js';
import type { AnyValue, Span } from '../../../src/core/signals.js';
import {
  type AttributeAction,
  type AttributesMatchProperties,
  attributes,
} from '../../../src/transforms/otel/attributes.js';
import {
  attrs,
  componentOf,
  logEntry,
  logs,
  nth,
  otlpRecord,
  RESOURCE,
  record,
  resourceOf,
  SCOPE,
  span,
  through,
  traces,
} from './attr-fixtures.js';

const sha1 = (bytes: Uint8Array | string) => createHash('sha1').update(bytes).digest('hex');

/** Runs one span with `before` attributes through `actions`; returns its attributes after. */
async function spanAfter(
  actions: readonly AttributeAction[],
  before: Record<string, AnyValue>,
): Promise<Record<string, AnyValue>> {
  const { out } = await through(attributes(actions), [traces(span({ attributes: before }))]);
  return record(nth(out, 0, 0).attributes);
}

describe('attributes: actions on span attributes', () => {
  const cases: readonly {
    readonly name: string;
    readonly actions: readonly AttributeAction[];
    readonly before: Record<string, AnyValue>;
    readonly after: Record<string, AnyValue>;
  }[] = [
    {
      name: 'insert adds an absent key',
      actions: [{ action: 'insert', key: 'env', value: 'prod' }],
      before: { a: 'x' },
      after: { a: 'x', env: 'prod' },
    },
    {
      name: 'insert leaves a present key',
      actions: [{ action: 'insert', key: 'env', value: 'prod' }],
      before: { env: 'dev' },
      after: { env: 'dev' },
    },
    {
      name: 'insert keeps the value type (bigint is an int)',
      actions: [{ action: 'insert', key: 'n', value: 123n }],
      before: {},
      after: { n: 123n },
    },
    {
      name: 'insert fromAttribute copies the value',
      actions: [{ action: 'insert', key: 'b', fromAttribute: 'a' }],
      before: { a: 7n },
      after: { a: 7n, b: 7n },
    },
    {
      name: 'insert fromAttribute does nothing without the source',
      actions: [{ action: 'insert', key: 'b', fromAttribute: 'missing' }],
      before: { a: 1 },
      after: { a: 1 },
    },
    {
      name: 'update changes a present key',
      actions: [{ action: 'update', key: 'env', value: 'prod' }],
      before: { env: 'dev' },
      after: { env: 'prod' },
    },
    {
      name: 'update leaves an absent key absent',
      actions: [{ action: 'update', key: 'env', value: 'prod' }],
      before: { a: 'x' },
      after: { a: 'x' },
    },
    {
      name: 'upsert inserts',
      actions: [{ action: 'upsert', key: 'env', value: true }],
      before: {},
      after: { env: true },
    },
    {
      name: 'upsert updates',
      actions: [{ action: 'upsert', key: 'env', value: 'prod' }],
      before: { env: 'dev' },
      after: { env: 'prod' },
    },
    {
      name: 'upsert fromAttribute',
      actions: [{ action: 'upsert', key: 'env', fromAttribute: 'stage' }],
      before: { env: 'dev', stage: 'qa' },
      after: { env: 'qa', stage: 'qa' },
    },
    {
      name: 'delete by key',
      actions: [{ action: 'delete', key: 'password' }],
      before: { password: 'x', user: 'u' },
      after: { user: 'u' },
    },
    {
      name: 'delete by pattern (unanchored)',
      actions: [{ action: 'delete', pattern: 'secret' }],
      before: { 'db.secret': 1, secret_key: 2, user: 'u' },
      after: { user: 'u' },
    },
    {
      name: 'delete of an absent key does nothing',
      actions: [{ action: 'delete', key: 'nope' }],
      before: { a: 'x' },
      after: { a: 'x' },
    },
    {
      name: 'hash a string (SHA-1 hex)',
      actions: [{ action: 'hash', key: 'email' }],
      before: { email: 'foo' },
      after: { email: '0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33' },
    },
    {
      name: 'hash with sha256',
      actions: [{ action: 'hash', key: 'email', algorithm: 'sha256' }],
      before: { email: 'foo' },
      after: { email: '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae' },
    },
    {
      name: 'hash an int: 8 little-endian bytes',
      actions: [{ action: 'hash', key: 'id' }],
      before: { id: 1n },
      after: { id: sha1(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0)) },
    },
    {
      name: "hash a negative int: two's complement",
      actions: [{ action: 'hash', key: 'id' }],
      before: { id: -1n },
      after: { id: sha1(new Uint8Array(8).fill(255)) },
    },
    {
      name: 'hash a double: its IEEE bits, little-endian',
      actions: [{ action: 'hash', key: 'x' }],
      before: { x: 1 },
      after: { x: sha1(Uint8Array.of(0, 0, 0, 0, 0, 0, 0xf0, 0x3f)) },
    },
    {
      name: 'hash a boolean: one byte',
      actions: [{ action: 'hash', key: 'ok' }],
      before: { ok: true },
      after: { ok: sha1(Uint8Array.of(1)) },
    },
    {
      name: 'hash a map: the empty string',
      actions: [{ action: 'hash', key: 'm' }],
      before: { m: { kvlist: [] } },
      after: { m: '' },
    },
    {
      name: 'hash by pattern',
      actions: [{ action: 'hash', pattern: '^user\\.' }],
      before: { 'user.id': 'foo', other: 'foo' },
      after: { 'user.id': sha1('foo'), other: 'foo' },
    },
    {
      name: 'hash of an absent key does nothing',
      actions: [{ action: 'hash', key: 'nope' }],
      before: { a: 'x' },
      after: { a: 'x' },
    },
    {
      name: 'extract named groups into new attributes, overwriting',
      actions: [
        {
          action: 'extract',
          key: 'url',
          pattern: '^/api/v1/document/(?P<doc>[^/]+)/update/(?P<version>.*)$',
        },
      ],
      before: { url: '/api/v1/document/12345678/update/v1', version: 'old' },
      after: { url: '/api/v1/document/12345678/update/v1', version: 'v1', doc: '12345678' },
    },
    {
      name: 'extract without a match does nothing',
      actions: [{ action: 'extract', key: 'url', pattern: '^/x/(?P<id>\\d+)' }],
      before: { url: '/y/1' },
      after: { url: '/y/1' },
    },
    {
      name: 'extract from a non-string does nothing',
      actions: [{ action: 'extract', key: 'n', pattern: '(?P<d>\\d)' }],
      before: { n: 12n },
      after: { n: 12n },
    },
    {
      name: 'extract: a group that took no part is the empty string',
      actions: [{ action: 'extract', key: 'v', pattern: '(?P<a>x)?(?P<b>y)' }],
      before: { v: 'y' },
      after: { v: 'y', a: '', b: 'y' },
    },
    {
      name: 'convert a decimal string to int',
      actions: [{ action: 'convert', key: 's', convertedType: 'int' }],
      before: { s: '-42' },
      after: { s: -42n },
    },
    {
      name: 'convert a double to int truncates',
      actions: [{ action: 'convert', key: 'd', convertedType: 'int' }],
      before: { d: -2.9 },
      after: { d: -2n },
    },
    {
      name: 'convert a boolean to int',
      actions: [{ action: 'convert', key: 'b', convertedType: 'int' }],
      before: { b: true },
      after: { b: 1n },
    },
    {
      name: 'convert a non-numeric string to int leaves it',
      actions: [{ action: 'convert', key: 's', convertedType: 'int' }],
      before: { s: '4.5' },
      after: { s: '4.5' },
    },
    {
      name: 'convert an int64 overflow leaves it',
      actions: [{ action: 'convert', key: 's', convertedType: 'int' }],
      before: { s: '9223372036854775808' },
      after: { s: '9223372036854775808' },
    },
    {
      name: 'convert a string to double',
      actions: [{ action: 'convert', key: 's', convertedType: 'double' }],
      before: { s: '2.5e3' },
      after: { s: 2500 },
    },
    {
      name: 'convert an int to double',
      actions: [{ action: 'convert', key: 'n', convertedType: 'double' }],
      before: { n: 7n },
      after: { n: 7 },
    },
    {
      name: 'convert "inf" to double',
      actions: [{ action: 'convert', key: 's', convertedType: 'double' }],
      before: { s: '-Inf' },
      after: { s: Number.NEGATIVE_INFINITY },
    },
    {
      name: 'convert a word to double leaves it',
      actions: [{ action: 'convert', key: 's', convertedType: 'double' }],
      before: { s: 'abc' },
      after: { s: 'abc' },
    },
    {
      name: 'convert an int to string',
      actions: [{ action: 'convert', key: 'n', convertedType: 'string' }],
      before: { n: 200n },
      after: { n: '200' },
    },
    {
      name: 'convert a large double to string without exponent',
      actions: [{ action: 'convert', key: 'd', convertedType: 'string' }],
      before: { d: 1e21 },
      after: { d: '1000000000000000000000' },
    },
    {
      name: 'convert a small double to string without exponent',
      actions: [{ action: 'convert', key: 'd', convertedType: 'string' }],
      before: { d: 1.5e-7 },
      after: { d: '0.00000015' },
    },
    {
      name: 'convert bytes to string: Base64',
      actions: [{ action: 'convert', key: 'b', convertedType: 'string' }],
      before: { b: Uint8Array.of(1, 2, 3) },
      after: { b: 'AQID' },
    },
    {
      name: 'convert a map to string: JSON with sorted keys',
      actions: [{ action: 'convert', key: 'm', convertedType: 'string' }],
      before: { m: { kvlist: attrs({ z: 1n, a: '<b>' }) } },
      after: { m: '{"a":"\\u003cb\\u003e","z":1}' },
    },
    {
      name: 'convert of an absent key does nothing',
      actions: [{ action: 'convert', key: 'nope', convertedType: 'int' }],
      before: { a: 'x' },
      after: { a: 'x' },
    },
    {
      name: 'actions run in order',
      actions: [
        { action: 'upsert', key: 'copy', fromAttribute: 'orig' },
        { action: 'hash', key: 'orig' },
        { action: 'delete', key: 'copy' },
      ],
      before: { orig: 'foo' },
      after: { orig: sha1('foo') },
    },
  ];

  it.each(cases)('$name', async ({ actions, before, after }) => {
    expect(await spanAfter(actions, before)).toEqual(after);
  });

  it('updates a key in place and appends inserted keys, keeping attribute order', async () => {
    const { out } = await through(
      attributes([
        { action: 'upsert', key: 'b', value: 'B' },
        { action: 'insert', key: 'z', value: 'Z' },
      ]),
      [traces(span({ attributes: { a: 1n, b: 2n, c: 3n } }))],
    );
    expect(nth(out, 0, 0).attributes.map((kv) => kv.key)).toEqual(['a', 'b', 'c', 'z']);
  });
});

describe('attributes: batches, identity and acks', () => {
  it('passes the batch on with its ack, shares resource and scope, and keeps unchanged spans', async () => {
    const changed = span({ attributes: { env: 'dev' } });
    const untouched = span({ attributes: { other: 1n } });
    const batch = traces(changed, untouched);
    const { out, component } = await through(attributes([{ action: 'update', key: 'env', value: 'prod' }]), [
      batch,
    ]);
    const [result] = out;
    expect(result?.ack).toBe(batch.ack);
    expect(result?.items[1]).toBe(untouched);
    const edited = result?.items[0] as Span;
    expect(edited).not.toBe(changed);
    expect(edited.resource).toBe(changed.resource);
    expect(edited.scope).toBe(changed.scope);
    expect(edited.spanId).toBe(changed.spanId);
    expect(record(changed.attributes)).toEqual({ env: 'dev' });
    expect(component.stats()).toMatchObject({ received: 2, sent: 2 });
    expect(component.stats().dropped.size).toBe(0);
  });

  it('emits the very same batch when no span changed', async () => {
    const batch = traces(span({ attributes: { a: 'x' } }));
    const { out } = await through(attributes([{ action: 'delete', key: 'nope' }]), [batch]);
    expect(out[0]).toBe(batch);
  });

  it('never throws on malformed spans: they pass unchanged and count as processing errors', async () => {
    const noAttributes = { ...span(), attributes: undefined } as unknown as Span;
    const nullItem = null as unknown as Span;
    const good = span({ attributes: { a: 'x' } });
    const { out, component } = await through(attributes([{ action: 'upsert', key: 'env', value: 'prod' }]), [
      traces(noAttributes, nullItem, good),
    ]);
    const items = out[0]?.items ?? [];
    expect(record((items[0] as Span).attributes)).toEqual({ env: 'prod' });
    expect(items[1]).toBeNull();
    expect(record((items[2] as Span).attributes)).toEqual({ a: 'x', env: 'prod' });
    expect(component.stats().errors.get('processing')).toBe(1);
  });

  it('passes empty batches, completes with its input, and fails with it', async () => {
    const empty = traces();
    expect((await through(attributes([{ action: 'delete', key: 'a' }]), [empty])).out).toEqual([empty]);
    const failed = throwError(() => new Error('upstream down')).pipe(
      attributes([{ action: 'delete', key: 'a' }]),
    );
    await expect(through(() => failed, [])).rejects.toThrow('upstream down');
  });

  it('keeps running on a source that never completes and stops on unsubscribe', () => {
    const input = new Subject<Batch<'traces'>>();
    const seen: Batch<'traces'>[] = [];
    const subscription = input
      .pipe(attributes([{ action: 'insert', key: 'k', value: 'v' }]))
      .subscribe((b) => seen.push(b));
    input.next(traces(span()));
    expect(seen).toHaveLength(1);
    subscription.unsubscribe();
    input.next(traces(span()));
    expect(seen).toHaveLength(1);
    expect(NEVER.pipe(attributes([{ action: 'insert', key: 'k', value: 'v' }])).subscribe().closed).toBe(
      false,
    );
  });
});

describe('attributes: include and exclude', () => {
  const upsert: AttributeAction[] = [{ action: 'upsert', key: 'touched', value: true }];
  const touched = async (
    props: { include?: AttributesMatchProperties; exclude?: AttributesMatchProperties },
    s: Span,
  ) => {
    const { out } = await through(attributes(upsert, props), [traces(s)]);
    return record(nth(out, 0, 0).attributes).touched === true;
  };
  const cases: readonly {
    readonly name: string;
    readonly include?: AttributesMatchProperties;
    readonly exclude?: AttributesMatchProperties;
    readonly span: Span;
    readonly applies: boolean;
  }[] = [
    {
      name: 'strict service name matches',
      include: { matchType: 'strict', services: ['api'] },
      span: span(),
      applies: true,
    },
    {
      name: 'strict service name does not match',
      include: { matchType: 'strict', services: ['web'] },
      span: span(),
      applies: false,
    },
    {
      name: 'a span without service.name is <nil-service-name>',
      include: { matchType: 'strict', services: ['<nil-service-name>'] },
      span: span({ resource: resourceOf({}) }),
      applies: true,
    },
    {
      name: 'regexp span names match anywhere',
      include: { matchType: 'regexp', spanNames: ['users'] },
      span: span({ name: 'GET /users/1' }),
      applies: true,
    },
    {
      name: 'strict span names match whole names only',
      include: { matchType: 'strict', spanNames: ['users'] },
      span: span({ name: 'GET /users/1' }),
      applies: false,
    },
    {
      name: 'span kinds',
      include: { matchType: 'strict', spanKinds: ['SPAN_KIND_CLIENT'] },
      span: span({ kind: 3 }),
      applies: true,
    },
    {
      name: 'span kinds, other kind',
      include: { matchType: 'strict', spanKinds: ['SPAN_KIND_CLIENT'] },
      span: span({ kind: 2 }),
      applies: false,
    },
    {
      name: 'attribute present, any value',
      include: { matchType: 'strict', attributes: [{ key: 'user' }] },
      span: span({ attributes: { user: 'u' } }),
      applies: true,
    },
    {
      name: 'attribute absent',
      include: { matchType: 'strict', attributes: [{ key: 'user' }] },
      span: span({ attributes: {} }),
      applies: false,
    },
    {
      name: 'strict number equals an int attribute',
      include: { matchType: 'strict', attributes: [{ key: 'code', value: 200 }] },
      span: span({ attributes: { code: 200n } }),
      applies: true,
    },
    {
      name: 'strict string does not equal an int attribute',
      include: { matchType: 'strict', attributes: [{ key: 'code', value: '200' }] },
      span: span({ attributes: { code: 200n } }),
      applies: false,
    },
    {
      name: 'strict bigint does not equal a double attribute',
      include: { matchType: 'strict', attributes: [{ key: 'x', value: 1n }] },
      span: span({ attributes: { x: 1 } }),
      applies: false,
    },
    {
      name: 'regexp value matches an int attribute as text',
      include: { matchType: 'regexp', attributes: [{ key: 'code', value: '^5\\d\\d$' }] },
      span: span({ attributes: { code: 503n } }),
      applies: true,
    },
    {
      name: 'regexp value never matches a map attribute',
      include: { matchType: 'regexp', attributes: [{ key: 'm', value: '.*' }] },
      span: span({ attributes: { m: { kvlist: [] } } }),
      applies: false,
    },
    {
      name: 'every attribute must match',
      include: {
        matchType: 'strict',
        attributes: [
          { key: 'a', value: 'x' },
          { key: 'b', value: 'y' },
        ],
      },
      span: span({ attributes: { a: 'x', b: 'z' } }),
      applies: false,
    },
    {
      name: 'resource attributes',
      include: { matchType: 'strict', resources: [{ key: 'service.name', value: 'api' }] },
      span: span(),
      applies: true,
    },
    {
      name: 'libraries by name and version',
      include: { matchType: 'strict', libraries: [{ name: SCOPE.name, version: '1.2.0' }] },
      span: span(),
      applies: true,
    },
    {
      name: 'libraries, other version',
      include: { matchType: 'strict', libraries: [{ name: SCOPE.name, version: '2.0.0' }] },
      span: span(),
      applies: false,
    },
    {
      name: 'exclude skips what it matches',
      exclude: { matchType: 'strict', spanNames: ['GET /health'] },
      span: span({ name: 'GET /health' }),
      applies: false,
    },
    {
      name: 'exclude leaves the rest',
      exclude: { matchType: 'strict', spanNames: ['GET /health'] },
      span: span({ name: 'GET /users' }),
      applies: true,
    },
    {
      name: 'exclude is checked after include',
      include: { matchType: 'strict', services: ['api'] },
      exclude: { matchType: 'regexp', spanNames: ['health'] },
      span: span({ name: 'GET /health' }),
      applies: false,
    },
  ];
  it.each(cases)('$name', async ({ include, exclude, span: s, applies }) => {
    expect(
      await touched(
        { ...(include === undefined ? {} : { include }), ...(exclude === undefined ? {} : { exclude }) },
        s,
      ),
    ).toBe(applies);
  });
});

describe('attributes on logs', () => {
  it('edits the OTLP record attributes when the entry carries one, leaving the Loki fields', async () => {
    const entry = logEntry(
      'user logged in',
      { job: 'app' },
      { trace: 'abc' },
      otlpRecord({ attributes: { password: 'x', user: 'u' } }),
    );
    const { out } = await through(attributes([{ action: 'delete', key: 'password' }], { kind: 'logs' }), [
      logs(entry),
    ]);
    const result = out[0]?.items[0];
    expect(record(result?.otlp?.attributes ?? [])).toEqual({ user: 'u' });
    expect(result?.otlp?.resource).toBe(entry.otlp?.resource);
    expect(result?.structuredMetadata).toBe(entry.structuredMetadata);
    expect(result?.labels).toBe(entry.labels);
  });

  it('edits structured metadata as strings otherwise; the empty string removes a label', async () => {
    const entry = logEntry('GET /users 200', { job: 'app' }, { user: 'foo', status: '200' });
    const { out } = await through(
      attributes(
        [
          { action: 'hash', key: 'user' },
          { action: 'insert', key: 'n', value: 5n },
          { action: 'convert', key: 'status', convertedType: 'double' },
          { action: 'upsert', key: 'gone', value: '' },
        ],
        { kind: 'logs' },
      ),
      [logs(entry)],
    );
    expect(out[0]?.items[0]?.structuredMetadata?.toRecord()).toEqual({
      user: sha1('foo'),
      n: '5',
      status: '200',
    });
  });

  it('adds structured metadata to entries without any, and leaves the field out when nothing is set', async () => {
    const { out } = await through(
      attributes(
        [
          { action: 'insert', key: 'env', value: 'prod' },
          { action: 'delete', key: 'none' },
        ],
        { kind: 'logs' },
      ),
      [logs(logEntry('a'))],
    );
    expect(out[0]?.items[0]?.structuredMetadata?.toRecord()).toEqual({ env: 'prod' });
    const { out: untouched } = await through(attributes([{ action: 'delete', key: 'x' }], { kind: 'logs' }), [
      logs(logEntry('b', { job: 'app' }, { x: '1' })),
    ]);
    expect(untouched[0]?.items[0]).not.toHaveProperty('structuredMetadata');
  });

  const bodyCases: readonly { name: string; include: AttributesMatchProperties; applies: boolean }[] = [
    { name: 'log bodies (regexp)', include: { matchType: 'regexp', logBodies: ['logged'] }, applies: true },
    {
      name: 'log bodies (strict, whole body only)',
      include: { matchType: 'strict', logBodies: ['logged'] },
      applies: false,
    },
    { name: 'severity texts', include: { matchType: 'strict', logSeverityTexts: ['INFO'] }, applies: true },
    {
      name: 'severity number at least WARN',
      include: { matchType: 'strict', logSeverityNumber: { min: 13 } },
      applies: false,
    },
    {
      name: 'severity number at least INFO',
      include: { matchType: 'strict', logSeverityNumber: { min: 9 } },
      applies: true,
    },
    {
      name: 'record attributes',
      include: { matchType: 'strict', attributes: [{ key: 'user', value: 'u' }] },
      applies: true,
    },
  ];
  it.each(bodyCases)('include by $name', async ({ include, applies }) => {
    const entry = logEntry('x', { job: 'app' }, undefined, otlpRecord({ attributes: { user: 'u' } }));
    const { out } = await through(
      attributes([{ action: 'insert', key: 'touched', value: true }], { kind: 'logs', include }),
      [logs(entry)],
    );
    expect(record(out[0]?.items[0]?.otlp?.attributes ?? []).touched === true).toBe(applies);
  });

  it('matches Loki-shaped entries on their line, structured metadata (as strings) and labels', async () => {
    const entry = logEntry('GET /users 500', { job: 'app' }, { status: '500' });
    const run = async (include: AttributesMatchProperties) => {
      const { out } = await through(
        attributes([{ action: 'insert', key: 'touched', value: 'yes' }], { kind: 'logs', include }),
        [logs(entry)],
      );
      return out[0]?.items[0]?.structuredMetadata?.get('touched') === 'yes';
    };
    expect(await run({ matchType: 'regexp', logBodies: [' 5\\d\\d$'] })).toBe(true);
    expect(await run({ matchType: 'strict', attributes: [{ key: 'status', value: 500 }] })).toBe(true);
    expect(await run({ matchType: 'strict', resources: [{ key: 'job', value: 'app' }] })).toBe(true);
    expect(await run({ matchType: 'strict', resources: [{ key: 'job', value: 'web' }] })).toBe(false);
    expect(await run({ matchType: 'strict', logSeverityNumber: { min: 1, matchUndefined: true } })).toBe(
      true,
    );
    expect(await run({ matchType: 'strict', logSeverityNumber: { min: 1 } })).toBe(false);
  });
});

describe('attributes: configuration is checked when built', () => {
  const bad: readonly { name: string; actions: unknown; options?: unknown; option: string }[] = [
    { name: 'no actions', actions: [], option: 'actions' },
    { name: 'an unknown action', actions: [{ action: 'rename', key: 'a' }], option: 'actions[0].action' },
    { name: 'insert without a value', actions: [{ action: 'insert', key: 'a' }], option: 'actions[0].value' },
    {
      name: 'insert with both value and fromAttribute',
      actions: [{ action: 'insert', key: 'a', value: 1, fromAttribute: 'b' }],
      option: 'actions[0].value',
    },
    { name: 'upsert without a key', actions: [{ action: 'upsert', value: 1 }], option: 'actions[0].key' },
    {
      name: 'update with a pattern',
      actions: [{ action: 'update', key: 'a', value: 1, pattern: 'x' }],
      option: 'actions[0].pattern',
    },
    { name: 'delete without key or pattern', actions: [{ action: 'delete' }], option: 'actions[0].key' },
    {
      name: 'hash with an invalid regex',
      actions: [{ action: 'hash', pattern: '(' }],
      option: 'actions[0].pattern',
    },
    {
      name: 'hash with an unknown algorithm',
      actions: [{ action: 'hash', key: 'a', algorithm: 'md5' }],
      option: 'actions[0].algorithm',
    },
    {
      name: 'delete with a value',
      actions: [{ action: 'delete', key: 'a', value: 1 }],
      option: 'actions[0].value',
    },
    {
      name: 'extract without a pattern',
      actions: [{ action: 'extract', key: 'a' }],
      option: 'actions[0].pattern',
    },
    {
      name: 'extract without named groups',
      actions: [{ action: 'extract', key: 'a', pattern: 'x(\\d)' }],
      option: 'actions[0].pattern',
    },
    {
      name: 'extract with an unnamed group',
      actions: [{ action: 'extract', key: 'a', pattern: '(?P<n>x)(\\d)' }],
      option: 'actions[0].pattern',
    },
    {
      name: 'extract with a lookahead (not RE2)',
      actions: [{ action: 'extract', key: 'a', pattern: '(?=x)(?P<n>x)' }],
      option: 'actions[0].pattern',
    },
    {
      name: 'convert to an unknown type',
      actions: [{ action: 'convert', key: 'a', convertedType: 'float' }],
      option: 'actions[0].convertedType',
    },
    {
      name: 'convert with a value',
      actions: [{ action: 'convert', key: 'a', convertedType: 'int', value: 1 }],
      option: 'actions[0].value',
    },
    {
      name: 'convertedType on another action',
      actions: [{ action: 'insert', key: 'a', value: 1, convertedType: 'int' }],
      option: 'actions[0].convertedType',
    },
    {
      name: 'an unknown kind',
      actions: [{ action: 'delete', key: 'a' }],
      options: { kind: 'metrics' },
      option: 'kind',
    },
    {
      name: 'include without matchType',
      actions: [{ action: 'delete', key: 'a' }],
      options: { include: { spanNames: ['x'] } },
      option: 'include.matchType',
    },
    {
      name: 'include with nothing to match',
      actions: [{ action: 'delete', key: 'a' }],
      options: { include: { matchType: 'strict' } },
      option: 'include.attributes',
    },
    {
      name: 'log properties on spans',
      actions: [{ action: 'delete', key: 'a' }],
      options: { include: { matchType: 'strict', logBodies: ['x'] } },
      option: 'include.logBodies',
    },
    {
      name: 'span properties on logs',
      actions: [{ action: 'delete', key: 'a' }],
      options: { kind: 'logs', exclude: { matchType: 'strict', spanNames: ['x'] } },
      option: 'exclude.spanNames',
    },
    {
      name: 'an unknown strict span kind',
      actions: [{ action: 'delete', key: 'a' }],
      options: { include: { matchType: 'strict', spanKinds: ['SERVER'] } },
      option: 'include.spanKinds[0]',
    },
    {
      name: 'a regexp attribute value that is not a string',
      actions: [{ action: 'delete', key: 'a' }],
      options: { include: { matchType: 'regexp', attributes: [{ key: 'a', value: 1 }] } },
      option: 'include.attributes[0].value',
    },
    {
      name: 'an invalid regexp',
      actions: [{ action: 'delete', key: 'a' }],
      options: { exclude: { matchType: 'regexp', services: ['['] } },
      option: 'exclude.services[0]',
    },
  ];
  it.each(bad)('rejects $name, naming $option', ({ actions, options, option }) => {
    let thrown: unknown;
    try {
      attributes(actions as AttributeAction[], options as undefined);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).option).toBe(option);
  });

  it('accepts action names in any case, as the Collector does', async () => {
    const actions = [{ action: 'UPSERT', key: 'a', value: 'b' }] as unknown as AttributeAction[];
    expect(await spanAfter(actions, {})).toEqual({ a: 'b' });
  });
});

describe('attributes: type wiring', () => {
  it('is a traces transform by default and a logs transform with kind: logs', async () => {
    const tracesOp = attributes([{ action: 'delete', key: 'a' }]);
    const logsOp = attributes([{ action: 'delete', key: 'a' }], { kind: 'logs' });
    const t = await through(tracesOp, [traces(span())]);
    const l = await through(logsOp, [logs(logEntry('x'))]);
    expect(t.out[0]?.kind).toBe('traces');
    expect(l.out[0]?.kind).toBe('logs');
    expect(componentOf(of(traces()).pipe(tracesOp)).input).toEqual(['traces']);
    // @ts-expect-error a logs transform does not take spans
    of(traces()).pipe(logsOp);
    expect(RESOURCE.attributes).toEqual(attrs({ 'service.name': 'api' }));
    expect(Labels.EMPTY.size).toBe(0);
  });
});

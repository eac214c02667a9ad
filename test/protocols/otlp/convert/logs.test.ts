// otlpLogsToEntries as Loki's OTLP endpoint stores logs by default, entriesToOtlpLogs back, and
// the round trips between them.
import { describe, expect, it } from 'vitest';
import { Labels } from '../../../../src/core/labels.js';
import type { AnyValue, LogEntry, OtlpLogRecord } from '../../../../src/core/signals.js';
import {
  entriesToOtlpLogs,
  LOKI_DEFAULT_INDEX_LABELS,
  otlpLogsToEntries,
} from '../../../../src/protocols/otlp/convert/index.js';
import { attrs, logRecord, resource, scope, T } from './fixtures.js';

function one(record: OtlpLogRecord, options?: Parameters<typeof otlpLogsToEntries>[1]): LogEntry {
  const entries = otlpLogsToEntries([record], options);
  expect(entries).toHaveLength(1);
  return entries[0] as LogEntry;
}

const K8S = resource({
  'service.name': 'checkout',
  'service.namespace': 'shop',
  'service.instance.id': 'pod-7',
  'deployment.environment': 'prod',
  'cloud.region': 'eu-west-1',
  'k8s.namespace.name': 'shop',
  'k8s.pod.name': 'checkout-7',
  'k8s.container.name': 'app',
  'host.name': 'node-3',
  'process.pid': 42n,
});

describe('otlpLogsToEntries', () => {
  it('makes the default resource attributes stream labels and the rest structured metadata', () => {
    const entry = one(logRecord({ resource: K8S }));
    expect(entry.labels.toRecord()).toEqual({
      service_name: 'checkout',
      service_namespace: 'shop',
      service_instance_id: 'pod-7',
      deployment_environment: 'prod',
      cloud_region: 'eu-west-1',
      k8s_namespace_name: 'shop',
      k8s_pod_name: 'checkout-7',
      k8s_container_name: 'app',
    });
    expect(entry.structuredMetadata?.toRecord()).toEqual({ host_name: 'node-3', process_pid: '42' });
  });

  it('shares one stream label set among the records of a resource', () => {
    const [a, b] = otlpLogsToEntries([logRecord({ resource: K8S }), logRecord({ resource: K8S })]);
    expect(a?.labels).toBe(b?.labels);
  });

  it('replaces the default list with indexLabels', () => {
    const entry = one(logRecord({ resource: K8S }), { indexLabels: ['service.name', 'host.name'] });
    expect(entry.labels.toRecord()).toEqual({ service_name: 'checkout', host_name: 'node-3' });
    expect(entry.structuredMetadata?.get('k8s_pod_name')).toBe('checkout-7');
  });

  it.each<[string, Record<string, AnyValue>, Record<string, string>]>([
    [
      'takes service_name from another label',
      { 'k8s.container.name': 'app' },
      { k8s_container_name: 'app', service_name: 'app' },
    ],
    [
      'falls back to unknown_service',
      { 'k8s.pod.name': 'p' },
      { k8s_pod_name: 'p', service_name: 'unknown_service' },
    ],
    [
      'keeps an existing service.name',
      { 'service.name': 's', 'k8s.job.name': 'j' },
      { service_name: 's', k8s_job_name: 'j' },
    ],
  ])('%s when there is no service.name', (_, attributes, expected) => {
    expect(one(logRecord({ resource: resource(attributes) })).labels.toRecord()).toEqual(expected);
  });

  it('does not discover a service name when discoverServiceName is empty', () => {
    const entry = one(logRecord({ resource: resource({ 'k8s.pod.name': 'p' }) }), {
      discoverServiceName: [],
    });
    expect(entry.labels.toRecord()).toEqual({ k8s_pod_name: 'p' });
  });

  it('writes scope and record fields as Loki names them', () => {
    const record = logRecord({
      resource: resource({ 'service.name': 'a' }),
      scope: scope('io.logger', '3.1', attrs({ 'lib.flavour': 'x' })),
      observedTimeUnixNano: T + 5n,
      severityNumber: 17,
      severityText: 'ERROR',
      flags: 1,
      droppedAttributesCount: 2,
      traceId: new Uint8Array(16).fill(0x0f),
      spanId: new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]),
      attributes: attrs({
        'http.method': 'GET',
        '1st': 'x',
        _private: 'y',
        request: { kvlist: attrs({ id: 7n, user: { kvlist: attrs({ name: 'n' }) } }) },
      }),
    });
    expect(one(record).structuredMetadata?.toRecord()).toEqual({
      lib_flavour: 'x',
      scope_name: 'io.logger',
      scope_version: '3.1',
      http_method: 'GET',
      key_1st: 'x',
      key_private: 'y',
      request_id: '7',
      request_user_name: 'n',
      observed_timestamp: String(T + 5n),
      severity_number: '17',
      severity_text: 'ERROR',
      dropped_attributes_count: '2',
      flags: '1',
      trace_id: '0f'.repeat(16),
      span_id: 'deadbeef00010203',
    });
  });

  it('lets record fields win over attributes, attributes over resource and scope attributes', () => {
    const record = logRecord({
      resource: resource({ 'service.name': 'a', owner: 'resource', shared: 'resource' }),
      scope: scope('', '', attrs({ owner: 'scope', shared: 'scope' })),
      attributes: attrs({ shared: 'record', severity_text: 'spoofed' }),
      severityText: 'WARN',
    });
    expect(one(record).structuredMetadata?.toRecord()).toEqual({
      owner: 'resource',
      shared: 'record',
      severity_text: 'WARN',
    });
  });

  it('leaves out all-zero trace and span ids', () => {
    const record = logRecord({ traceId: new Uint8Array(16), spanId: new Uint8Array(8) });
    expect(one(record).structuredMetadata).toBeUndefined();
  });

  it.each<[string, AnyValue, string]>([
    ['string', 'plain line', 'plain line'],
    ['empty', null, ''],
    ['int', 12n, '12'],
    ['double', 0.1, '0.1'],
    ['bool', false, 'false'],
    ['bytes', new Uint8Array([0xff]), '/w=='],
    ['array', ['a', 1n], '["a",1]'],
    [
      'map',
      { kvlist: attrs({ msg: 'hi', level: 'info', n: [true] }) },
      '{"level":"info","msg":"hi","n":[true]}',
    ],
  ])('renders a %s body as the line', (_, body, line) => {
    expect(one(logRecord({ body })).line).toBe(line);
  });

  it.each<[string, bigint, bigint, bigint | 'now']>([
    ['time', T, T + 9n, T],
    ['observed time when time is 0', 0n, T + 9n, T + 9n],
    ['now when both are 0', 0n, 0n, 'now'],
  ])('takes the %s', (_, timeUnixNano, observedTimeUnixNano, expected) => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const entry = one(logRecord({ timeUnixNano, observedTimeUnixNano }));
    if (expected === 'now') expect(entry.timestampNs >= before).toBe(true);
    else expect(entry.timestampNs).toBe(expected);
    // observed_timestamp is only written when both times are set.
    expect(entry.structuredMetadata?.has('observed_timestamp') ?? false).toBe(
      timeUnixNano !== 0n && observedTimeUnixNano !== 0n,
    );
  });

  it('keeps the record', () => {
    const record = logRecord();
    expect(one(record).otlp).toBe(record);
  });
});

describe('entriesToOtlpLogs', () => {
  it('gives back the record of an entry that came from OTLP, as it was', () => {
    const record = logRecord({ body: { kvlist: attrs({ msg: 'hi' }) } });
    const [entry] = otlpLogsToEntries([record]);
    expect(entriesToOtlpLogs([entry as LogEntry])[0]).toBe(record);
  });

  it.each<[string, Partial<LogEntry>, Partial<OtlpLogRecord>]>([
    ['a new time', { timestampNs: T + 1n }, { timeUnixNano: T + 1n, body: { kvlist: attrs({ msg: 'hi' }) } }],
    ['a new line', { line: 'redacted' }, { timeUnixNano: T, body: 'redacted' }],
  ])('applies %s to the record', (_, change, expected) => {
    const record = logRecord({ body: { kvlist: attrs({ msg: 'hi' }) }, severityText: 'INFO' });
    const [entry] = otlpLogsToEntries([record]);
    const [back] = entriesToOtlpLogs([{ ...(entry as LogEntry), ...change }]);
    expect(back).toEqual({ ...record, ...expected });
  });

  it('builds a record from an entry without one', () => {
    const entry: LogEntry = {
      labels: Labels.from({ service_name: 'api', k8s_namespace_name: 'prod', level: 'warn', team: 'core' }),
      line: 'disk almost full',
      timestampNs: T,
      structuredMetadata: Labels.from({
        trace_id: 'ab'.repeat(16),
        span_id: 'cd'.repeat(8),
        user: 'u1',
        flags: '1',
        scope_name: 'io.logger',
      }),
    };
    const [record] = entriesToOtlpLogs([entry]);
    expect(record).toEqual({
      resource: {
        attributes: [
          { key: 'k8s.namespace.name', value: 'prod' },
          { key: 'level', value: 'warn' },
          { key: 'service.name', value: 'api' },
          { key: 'team', value: 'core' },
        ],
        droppedAttributesCount: 0,
        schemaUrl: '',
      },
      scope: { name: 'io.logger', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
      timeUnixNano: T,
      observedTimeUnixNano: T,
      severityNumber: 13,
      severityText: 'warn',
      body: 'disk almost full',
      attributes: [{ key: 'user', value: 'u1' }],
      droppedAttributesCount: 0,
      flags: 1,
      traceId: new Uint8Array(16).fill(0xab),
      spanId: new Uint8Array(8).fill(0xcd),
      eventName: '',
    } satisfies OtlpLogRecord);
  });

  it('shares one resource among the entries of a stream', () => {
    const labels = Labels.from({ service_name: 'api' });
    const records = entriesToOtlpLogs([
      { labels, line: 'a', timestampNs: 1n },
      { labels: Labels.from({ service_name: 'api' }), line: 'b', timestampNs: 2n },
    ]);
    expect(records[0]?.resource).toBe(records[1]?.resource);
  });

  it.each<[string, Record<string, string>, Record<string, string>, string, number]>([
    [
      'severity_text and severity_number metadata',
      {},
      { severity_text: 'Warning', severity_number: '14' },
      'Warning',
      14,
    ],
    ['a level label', { level: 'ERROR' }, {}, 'ERROR', 17],
    ['a severity label', { severity: 'debug' }, {}, 'debug', 5],
    ['level metadata', {}, { level: 'info' }, 'info', 9],
    ['detected_level metadata', {}, { detected_level: 'fatal' }, 'fatal', 21],
    ['a numbered level', { level: 'INFO3' }, {}, 'INFO3', 11],
    ['an unknown level', { level: 'chatty' }, {}, 'chatty', 0],
    ['no level', {}, {}, '', 0],
    ['a bad severity_number', {}, { severity_text: 'warn', severity_number: '99' }, 'warn', 13],
  ])('takes the severity from %s', (_, labels, metadata, text, number) => {
    const [record] = entriesToOtlpLogs([
      { labels: Labels.from(labels), line: 'x', timestampNs: T, structuredMetadata: Labels.from(metadata) },
    ]);
    expect([record?.severityText, record?.severityNumber]).toEqual([text, number]);
  });

  it('keeps ids that are not hex of the right length as attributes', () => {
    const [record] = entriesToOtlpLogs([
      {
        labels: Labels.EMPTY,
        line: 'x',
        timestampNs: T,
        structuredMetadata: Labels.from({ trace_id: 'xyz', span_id: 'abcd', observed_timestamp: 'later' }),
      },
    ]);
    expect(record?.attributes).toEqual([
      { key: 'span_id', value: 'abcd' },
      { key: 'trace_id', value: 'xyz' },
    ]);
    expect(record?.traceId).toEqual(new Uint8Array(0));
    expect(record?.observedTimeUnixNano).toBe(T);
  });

  it('turns every default index label name back into its attribute name', () => {
    const labels = Labels.fromEntries(
      LOKI_DEFAULT_INDEX_LABELS.map((name) => [name.replaceAll('.', '_'), 'v']),
    );
    const [record] = entriesToOtlpLogs([{ labels, line: '', timestampNs: 0n }]);
    expect(record?.resource.attributes.map((kv) => kv.key).sort()).toEqual(
      [...LOKI_DEFAULT_INDEX_LABELS].sort(),
    );
  });
});

describe('round trips', () => {
  it('entries without records → OTLP → entries keep labels, line, time and metadata', () => {
    const entries: LogEntry[] = [
      {
        labels: Labels.from({ service_name: 'api', k8s_pod_name: 'p1', cloud_region: 'eu' }),
        line: 'hello',
        timestampNs: T,
        structuredMetadata: Labels.from({
          user: 'u1',
          trace_id: '0af7651916cd43dd8448eb211c80319c',
          span_id: 'b7ad6b7169203331',
          severity_text: 'INFO',
          severity_number: '9',
          flags: '1',
          scope_name: 'lib',
          scope_version: '1',
          // Records made from entries have an observed time, which Loki writes out.
          observed_timestamp: String(T),
        }),
      },
    ];
    const back = otlpLogsToEntries(entriesToOtlpLogs(entries));
    expect(
      back.map(({ otlp: _, ...rest }) => ({
        ...rest,
        labels: rest.labels.toString(),
        structuredMetadata: rest.structuredMetadata?.toString(),
      })),
    ).toEqual(
      entries.map((e) => ({
        ...e,
        labels: e.labels.toString(),
        structuredMetadata: e.structuredMetadata?.toString(),
      })),
    );
  });

  it('OTLP → entries → OTLP gives the records back', () => {
    const records = [
      logRecord({
        resource: K8S,
        body: { kvlist: attrs({ a: 1n }) },
        severityNumber: 9,
        severityText: 'INFO',
      }),
      logRecord({ timeUnixNano: 0n, observedTimeUnixNano: T }),
    ];
    const back = entriesToOtlpLogs(otlpLogsToEntries(records));
    expect(back[0]).toBe(records[0]);
    // A record without a time comes back with the observed time as its time.
    expect(back[1]).toEqual({ ...records[1], timeUnixNano: T });
  });
});

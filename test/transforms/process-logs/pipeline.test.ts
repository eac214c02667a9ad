// processLogs as a whole: an end-to-end pipeline of several stages, the operator contract
// (empty, one, many, an error, a source that never completes, early unsubscribe, a stage that
// throws), acknowledgements and counters, and its options.
import { EMPTY, firstValueFrom, NEVER, of, Subject, throwError, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type Batch, createBatch } from '../../../src/core/batch.js';
import { ConfigError } from '../../../src/core/errors.js';
import { Labels } from '../../../src/core/labels.js';
import {
  cri,
  drop,
  json,
  labelDrop,
  labels,
  logMetrics,
  match,
  metrics,
  multiline,
  output,
  processLogs,
  regex,
  replace,
  structuredMetadata,
  TENANT_LABEL,
  template,
  tenant,
  timestamp,
} from '../../../src/transforms/process-logs/index.js';
import { simpleStage } from '../../../src/transforms/process-logs/stage.js';
import { componentOf, entry, errors } from './helpers.js';

const k8s = { namespace: 'shop', pod: 'api-7d9f', container: 'api', filename: '/var/log/pods/api.log' };
const criLine = (ts: string, flag: 'P' | 'F', content: string) => `${ts} stdout ${flag} ${content}`;
const at = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;

describe('processLogs end to end', () => {
  it('parses container JSON logs into labels, metadata, a timestamp, a tenant and a clean line', async () => {
    const registry = logMetrics();
    const pipeline = processLogs(
      { id: 'k8s-app-logs', metrics: registry },
      cri(),
      multiline({ firstLine: '^\\{' }),
      json({ expressions: { level: '', msg: 'message', ts: 'time', trace_id: 'trace.id', org: 'tenant' } }),
      match({
        selector: '{namespace="shop"} |= "password"',
        stages: [replace({ expression: 'password=(\\S+)', source: 'msg', replace: '***' })],
      }),
      drop({ source: 'level', value: 'debug', dropCounterReason: 'debug' }),
      labels(['level']),
      structuredMetadata(['trace_id']),
      timestamp({ source: 'ts', format: 'RFC3339Nano' }),
      template({ source: 'msg', template: '[{{ ToUpper .level }}] {{ .msg }}' }),
      output({ source: 'msg' }),
      tenant({ source: 'org' }),
      labelDrop(['filename']),
      metrics({ registry, type: 'counter', name: 'lines_total', source: 'level', config: { action: 'inc' } }),
    );
    const lines = [
      criLine(
        '2024-05-01T10:00:00.000000001Z',
        'F',
        '{"level":"info","message":"hello","time":"2024-05-01T09:59:59.5Z","trace":{"id":"t-1"},"tenant":"acme"}',
      ),
      // A long line the runtime split in two: cri joins it.
      criLine('2024-05-01T10:00:01Z', 'P', '{"level":"warn","message":"login password=hunter2",'),
      criLine('2024-05-01T10:00:01Z', 'F', '"time":"2024-05-01T10:00:01Z","tenant":"acme"}'),
      criLine('2024-05-01T10:00:02Z', 'F', '{"level":"debug","message":"noise"}'),
      // Pretty-printed JSON over two lines: multiline joins it.
      criLine('2024-05-01T10:00:03Z', 'F', '{"level":"error","message":"multi",'),
      criLine('2024-05-01T10:00:03Z', 'F', '  "time":"2024-05-01T10:00:04Z","tenant":"acme"}'),
      criLine('2024-05-01T10:00:05Z', 'F', '{not json at all'),
    ];
    const stream = of(
      createBatch(
        'logs',
        lines.map((l) => entry(l, k8s)),
      ),
    ).pipe(pipeline);
    const out = (await firstValueFrom(stream.pipe(toArray()))).flatMap((b) => [...b.items]);
    expect(out.map((e) => e.line)).toEqual([
      '[INFO] hello',
      '[WARN] login password=***',
      '[ERROR] multi',
      '{not json at all',
    ]);
    const base = { namespace: 'shop', pod: 'api-7d9f', container: 'api', stream: 'stdout' };
    expect(out.map((e) => e.labels.toRecord())).toEqual([
      { ...base, level: 'info', [TENANT_LABEL]: 'acme' },
      { ...base, level: 'warn', [TENANT_LABEL]: 'acme' },
      { ...base, level: 'error', [TENANT_LABEL]: 'acme' },
      base,
    ]);
    expect(out.map((e) => e.structuredMetadata?.toRecord())).toEqual([
      { trace_id: 't-1' },
      undefined,
      undefined,
      undefined,
    ]);
    expect(out.map((e) => e.timestampNs)).toEqual([
      at('2024-05-01T09:59:59.500Z'),
      at('2024-05-01T10:00:01Z'),
      at('2024-05-01T10:00:04Z'),
      // Not JSON: no time, and no earlier time for its label set, so the CRI time stays.
      at('2024-05-01T10:00:05Z'),
    ]);
    const component = componentOf(stream);
    expect(component.id).toBe('k8s-app-logs');
    expect(component.stats()).toMatchObject({ received: 7, sent: 4 });
    expect(component.stats().dropped.get('debug')).toEqual({ count: 1, intentional: true });
    // '{not json at all': the JSON error, then the template on a missing level.
    expect(errors(component)).toBe(2);
    const counted = registry
      .collect(0)
      .map((s) => `${s.labels.metricName}{${s.labels.get('level') ?? s.labels.get('reason')}} ${s.value}`);
    expect(counted.sort()).toEqual([
      'loki_process_custom_lines_total{error} 1',
      'loki_process_custom_lines_total{info} 1',
      'loki_process_custom_lines_total{warn} 1',
      'loki_process_dropped_lines_total{debug} 1',
    ]);
  });
});

describe('processLogs as an operator', () => {
  const tag = () => [regex({ expression: '(?P<n>\\d+)' }), labels(['n'])];

  it('completes on an empty input', async () => {
    expect(await firstValueFrom(EMPTY.pipe(processLogs(...tag()), toArray()))).toEqual([]);
  });

  it('passes an empty batch through, and returns an unchanged batch as it is', async () => {
    const empty = createBatch('logs', []);
    const untouched = createBatch('logs', [entry('no digits'), entry('none')]);
    const out = await firstValueFrom(of(empty, untouched).pipe(processLogs(labelDrop(['x'])), toArray()));
    expect(out[0]).toBe(empty);
    expect(out[1]).toBe(untouched);
  });

  it('keeps batch order and acks across many batches', async () => {
    const batches = Array.from({ length: 20 }, (_, b) =>
      createBatch('logs', [entry(`${b}`), entry(`${b}!`)]),
    );
    const out = await firstValueFrom(of(...batches).pipe(processLogs(...tag()), toArray()));
    expect(out.map((b) => b.ack)).toEqual(batches.map((b) => b.ack));
    expect(out.map((b) => b.items.map((e) => e.labels.get('n')))).toEqual(
      batches.map((_, b) => [`${b}`, `${b}`]),
    );
  });

  it('passes an upstream error on, naming no component of its own', async () => {
    const failing = throwError(() => new Error('boom'));
    await expect(firstValueFrom(failing.pipe(processLogs(...tag())))).rejects.toThrow('boom');
  });

  it('works with a source that never completes, and unsubscribes cleanly', () => {
    const input = new Subject<Batch<'logs'>>();
    const out: Batch<'logs'>[] = [];
    const subscription = input.pipe(processLogs(...tag())).subscribe((b) => out.push(b));
    input.next(createBatch('logs', [entry('1')]));
    expect(out).toHaveLength(1);
    subscription.unsubscribe();
    expect(input.observed).toBe(false);
    const never = NEVER.pipe(processLogs(...tag())).subscribe();
    never.unsubscribe();
  });

  it('counts a stage that throws as an error and carries on with the next stage', async () => {
    const broken = simpleStage('template', () => {
      throw new Error('bug');
    });
    const stream = of(createBatch('logs', [entry('7')])).pipe(processLogs(broken, ...tag()));
    const [batch] = await firstValueFrom(stream.pipe(toArray()));
    expect(batch?.items[0]?.labels.get('n')).toBe('7');
    expect(errors(componentOf(stream))).toBe(1);
  });

  it('keeps structured metadata and copies nothing it did not change', async () => {
    const withMetadata = { ...entry('12'), structuredMetadata: Labels.from({ a: 'b' }) };
    const [batch] = await firstValueFrom(
      of(createBatch('logs', [withMetadata])).pipe(processLogs(...tag()), toArray()),
    );
    expect(batch?.items[0]).toEqual({ ...withMetadata, labels: Labels.from({ app: 'api', n: '12' }) });
  });

  it('registers as a logs transform in the graph', () => {
    const stream = EMPTY.pipe(processLogs({ id: 'my-logs' }, ...tag()));
    expect(componentOf(stream)).toMatchObject({
      id: 'my-logs',
      type: 'processLogs',
      role: 'transform',
      input: ['logs'],
      output: 'logs',
    });
  });

  it.each([
    [() => processLogs({ metrics: {} as never }, ...tag()), 'metrics'],
    [() => processLogs(json as never), 'stages[0]'],
    [() => processLogs({ id: 'x' }, 'labels' as never), 'stages[0]'],
    [() => processLogs({ id: 'has space' }), 'id'],
  ])('rejects bad arguments (%#)', (make, option) => {
    let thrown: unknown;
    try {
      EMPTY.pipe(make());
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).option).toBe(option);
  });
});

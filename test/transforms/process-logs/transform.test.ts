// Stages that set labels, structured metadata, the line or the tenant from the extracted map:
// labels, staticLabels, labelDrop, labelKeep, structuredMetadata, tenant, output, template,
// replace, decolorize and truncate. Each with the input it must leave alone.

import { firstValueFrom, of, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createBatch } from '../../../src/core/batch.js';
import { ConfigError } from '../../../src/core/errors.js';
import { Labels } from '../../../src/core/labels.js';
import {
  decolorize,
  json,
  labelDrop,
  labelKeep,
  labels,
  logMetrics,
  output,
  processLogs,
  regex,
  replace,
  staticLabels,
  structuredMetadata,
  TENANT_LABEL,
  template,
  tenant,
  truncate,
} from '../../../src/transforms/process-logs/index.js';
import { entry, errors, run } from './helpers.js';

describe('labels', () => {
  it('sets labels from extracted values, renaming, in Go string form', async () => {
    const { out } = await run(
      [
        json({ expressions: { level: '', code: 'status', ok: '' } }),
        labels({ level: null, http_status: 'code', ok: '' }),
      ],
      [entry('{"level":"info","status":404,"ok":false}')],
    );
    expect(out[0]?.labels.toRecord()).toEqual({ app: 'api', level: 'info', http_status: '404', ok: 'false' });
  });

  it('skips absent keys, null values and invalid UTF-8; removes the label for an empty value', async () => {
    const { out } = await run(
      [json({ expressions: { a: '', b: '', c: '', app: '' } }), labels(['a', 'b', 'c', 'missing', 'app'])],
      [entry('{"a":null,"b":"\\ud800","app":""}')],
    );
    expect(out[0]?.labels.toRecord()).toEqual({});
  });

  it('takes a list of names', async () => {
    const { out } = await run(
      [json({ expressions: { level: '' } }), labels(['level'])],
      [entry('{"level":"warn"}')],
    );
    expect(out[0]?.labels.get('level')).toBe('warn');
  });

  it.each([[[]], [{}], [['bad-name']], [{ '1x': null }], [{ ok: 5 }]])('rejects %j', (values) => {
    expect(() => labels(values as never)).toThrow(ConfigError);
  });
});

describe('staticLabels, labelDrop, labelKeep', () => {
  it('sets fixed labels, skipping empty values', async () => {
    const { out } = await run([staticLabels({ env: 'prod', app: 'web', none: '' })], [entry('x')]);
    expect(out[0]?.labels.toRecord()).toEqual({ app: 'web', env: 'prod' });
  });

  it('drops and keeps labels', async () => {
    const input = entry('x', { app: 'api', filename: '/a.log', pod: 'p1', ns: 'default' });
    expect((await run([labelDrop(['filename', 'absent'])], [input])).out[0]?.labels.names()).toEqual([
      'app',
      'ns',
      'pod',
    ]);
    expect((await run([labelKeep(['app', 'ns', 'absent'])], [input])).out[0]?.labels.names()).toEqual([
      'app',
      'ns',
    ]);
  });

  it('returns the same entry when nothing changes', async () => {
    const input = entry('x', { app: 'api' });
    const { out } = await run([labelDrop(['other']), labelKeep(['app'])], [input]);
    expect(out[0]).toBe(input);
  });

  it.each([
    () => staticLabels({ 'bad-name': 'x' }),
    () => labelDrop([]),
    () => labelKeep(['ok', '']),
    () => staticLabels(null as never),
  ])('rejects bad options (%#)', (make) => {
    expect(make).toThrow(ConfigError);
  });
});

describe('structuredMetadata', () => {
  it('sets metadata from extracted values and moves labels of the same name', async () => {
    const { out } = await run(
      [
        json({ expressions: { trace_id: 'traceId', user: '' } }),
        structuredMetadata({ trace_id: null, uid: 'user', pod: '' }),
      ],
      [entry('{"traceId":"abc123","user":7}', { app: 'api', pod: 'web-1' })],
    );
    expect(out[0]?.labels.toRecord()).toEqual({ app: 'api' });
    expect(out[0]?.structuredMetadata?.toRecord()).toEqual({ trace_id: 'abc123', uid: '7', pod: 'web-1' });
  });

  it('adds to existing metadata and leaves entries without the keys alone', async () => {
    const withMetadata = { ...entry('{}'), structuredMetadata: Labels.from({ a: '1' }) };
    const { out } = await run(
      [json({ expressions: { b: '' } }), structuredMetadata(['b', 'c'])],
      [withMetadata, { ...entry('{"b":"2"}'), structuredMetadata: Labels.from({ a: '1' }) }],
    );
    expect(out[0]).toBe(withMetadata);
    expect(out[1]?.structuredMetadata?.toRecord()).toEqual({ a: '1', b: '2' });
  });
});

describe('tenant', () => {
  it(`sets the reserved ${TENANT_LABEL} label from a value, a source or a label`, async () => {
    const fromValue = await run([tenant({ value: 'team-a' })], [entry('x')]);
    expect(fromValue.out[0]?.labels.get('__tenant_id__')).toBe('team-a');
    const fromSource = await run(
      [json({ expressions: { org: '' } }), tenant({ source: 'org' })],
      [entry('{"org":"acme"}'), entry('{"org":""}'), entry('{}')],
    );
    expect(fromSource.out.map((e) => e.labels.get(TENANT_LABEL))).toEqual(['acme', undefined, undefined]);
    const fromLabel = await run([tenant({ label: 'namespace' })], [entry('x', { namespace: 'billing' })]);
    expect(fromLabel.out[0]?.labels.get(TENANT_LABEL)).toBe('billing');
  });

  it.each([{}, { value: 'a', source: 'b' }, { label: 'a', value: 'b' }, { value: '' }])(
    'rejects %j',
    (options) => {
      expect(() => tenant(options as never)).toThrow(ConfigError);
    },
  );
});

describe('output', () => {
  it('replaces the line with an extracted value; absent or null leaves it', async () => {
    const { out } = await run(
      [json({ expressions: { msg: '' } }), output({ source: 'msg' })],
      [entry('{"msg":"hello"}'), entry('{"msg":12.5}'), entry('{"msg":null}'), entry('{}')],
    );
    expect(out.map((e) => e.line)).toEqual(['hello', '12.5', '{"msg":null}', '{}']);
  });

  it('needs a source', () => {
    expect(() => output({ source: '' })).toThrow(/source/);
  });
});

describe('template', () => {
  it('computes a value from .Value, other keys and .Entry', async () => {
    const { out } = await run(
      [
        json({ expressions: { level: '', app: '' } }),
        template({ source: 'level', template: '{{ ToUpper .Value }}-{{ .app }}-{{ len .Entry }}' }),
        labels(['level']),
      ],
      [entry('{"level":"warn","app":"x"}')],
    );
    expect(out[0]?.labels.get('level')).toBe('WARN-x-26');
  });

  it('creates an absent key, and removes the key on an empty result', async () => {
    const { out } = await run(
      [
        template({ source: 'made', template: 'from {{ .app }}' }),
        template({ source: 'app', template: '{{ if eq .app "none" }}x{{ end }}' }),
        labels(['made', 'app']),
      ],
      [entry('x', { app: 'api' })],
    );
    expect(out[0]?.labels.toRecord()).toEqual({ app: 'api', made: 'from api' });
  });

  it('leaves the entry alone and counts an error when the template fails on it', async () => {
    const { out, component } = await run(
      [template({ source: 'x', template: '{{ ToUpper .missing }}' }), labels(['x'])],
      [entry('line')],
    );
    expect(out[0]?.labels.has('x')).toBe(false);
    expect(errors(component)).toBe(1);
  });

  it.each(['{{ range .x }}{{ end }}', '{{ $x := 1 }}', '{{ nosuchfunc .x }}', '{{ if .x }}', '{{ .x'])(
    'rejects %j when the stage is made',
    (text) => {
      expect(() => template({ source: 'x', template: text })).toThrow(ConfigError);
    },
  );
});

describe('replace', () => {
  it('replaces what the groups captured, in every match', async () => {
    const { out } = await run(
      [replace({ expression: 'password=(\\S+)', replace: '****' })],
      [entry('login password=hunter2 retry password=abc'), entry('nothing to see')],
    );
    expect(out.map((e) => e.line)).toEqual(['login password=**** retry password=****', 'nothing to see']);
  });

  it('uses .Value and extracted keys in the replacement, and extracts named groups', async () => {
    const { out } = await run(
      [
        replace({
          expression: '(?P<ip>\\d+\\.\\d+\\.\\d+\\.\\d+)',
          replace: '{{ .Value | Sha2Hash "salt" | trunc 8 }}',
        }),
        labels(['ip']),
      ],
      [entry('client 11.11.11.11 connected')],
    );
    expect(out[0]?.line).toMatch(/^client [0-9a-f]{8} connected$/);
    expect(out[0]?.labels.get('ip')).toBe(out[0]?.line.split(' ')[1]);
  });

  it('removes what the groups captured with an empty replacement', async () => {
    const { out } = await run([replace({ expression: '(\\s+DEBUG)' })], [entry('a   DEBUG b')]);
    expect(out[0]?.line).toBe('a b');
  });

  it('works on a source key, leaving the line', async () => {
    const { out } = await run(
      [
        json({ expressions: { msg: '' } }),
        replace({ source: 'msg', expression: '(\\d+)', replace: 'N' }),
        labels(['msg']),
      ],
      [entry('{"msg":"took 12 of 30"}')],
    );
    expect(out[0]?.labels.get('msg')).toBe('took N of N');
    expect(out[0]?.line).toBe('{"msg":"took 12 of 30"}');
  });

  it('counts an error and leaves the line when the replacement template fails', async () => {
    const { out, component } = await run(
      [replace({ expression: '(a)', replace: '{{ ToUpper .nope }}' })],
      [entry('abc')],
    );
    expect(out[0]?.line).toBe('abc');
    expect(errors(component)).toBe(1);
  });
});

describe('decolorize', () => {
  it('strips ANSI escape sequences', async () => {
    const { out } = await run(
      [decolorize()],
      [entry('\u001b[31mERROR\u001b[0m \u001b[1;32mok\u001b[m done'), entry('plain')],
    );
    expect(out.map((e) => e.line)).toEqual(['ERROR ok done', 'plain']);
  });
});

describe('truncate', () => {
  it('cuts lines to the limit with the suffix included, marking the extracted map', async () => {
    const { out } = await run(
      [
        truncate({ rules: [{ limit: 10, suffix: '...' }] }),
        template({ source: 't', template: '{{ .truncated | default "" }}' }),
        labels({ t: null }),
      ],
      [entry('0123456789abcdef'), entry('short')],
    );
    expect(out.map((e) => e.line)).toEqual(['0123456...', 'short']);
    expect(out.map((e) => e.labels.get('t'))).toEqual(['line', undefined]);
  });

  it('never cuts a character in two', async () => {
    const { out } = await run([truncate({ rules: [{ limit: 4 }] })], [entry('aéé'), entry('😀😀')]);
    expect(out.map((e) => e.line)).toEqual(['aé', '😀']);
  });

  it('truncates labels, structured metadata and extracted values, counting them in a registry', async () => {
    const registry = logMetrics();
    const stream = of(
      createBatch('logs', [
        {
          ...entry('{"msg":"a very long message"}', { app: 'api', path: '/a/very/long/path' }),
          structuredMetadata: Labels.from({ trace: '0123456789' }),
        },
      ]),
    ).pipe(
      processLogs(
        { metrics: registry },
        json({ expressions: { msg: '' } }),
        truncate({
          rules: [
            { limit: 6, sourceType: 'label', sources: ['path'] },
            { limit: 4, sourceType: 'structured_metadata' },
            { limit: 5, sourceType: 'extracted', sources: ['msg'], suffix: '~' },
          ],
        }),
        labels(['msg', 'truncated']),
      ),
    );
    const [batch] = await firstValueFrom(stream.pipe(toArray()));
    const out = batch?.items[0];
    expect(out?.labels.toRecord()).toEqual({
      app: 'api',
      path: '/a/ver',
      msg: 'a ve~',
      truncated: 'extracted,label,structured_metadata',
    });
    expect(out?.structuredMetadata?.toRecord()).toEqual({ trace: '0123' });
    const counted = registry
      .collect(0)
      .filter((s) => s.labels.metricName === 'loki_process_truncated_fields_total')
      .map((s) => [s.labels.get('field'), s.value]);
    expect(counted.sort()).toEqual([
      ['extracted', 1],
      ['label', 1],
      ['structured_metadata', 1],
    ]);
  });

  it.each([
    [{ rules: [] }, 'rules'],
    [{ rules: [{ limit: 0 }] }, 'rules[0].limit'],
    [{ rules: [{ limit: 3, suffix: '...' }] }, 'rules[0].suffix'],
    [{ rules: [{ limit: 3, sources: ['a'] }] }, 'rules[0].sources'],
    [{ rules: [{ limit: 3, sourceType: 'body' }] }, 'rules[0].sourceType'],
  ])('rejects %j naming the option', (options, option) => {
    let thrown: unknown;
    try {
      truncate(options as never);
    } catch (error) {
      thrown = error;
    }
    expect((thrown as ConfigError).option).toBe(option);
  });
});

describe('regex then labels on bad input', () => {
  it('never throws out of the pipeline', async () => {
    const { out } = await run(
      [
        regex({ expression: '(?P<x>\\d+)' }),
        labels(['x']),
        template({ source: 'x', template: '{{ .x | ToUpper }}' }),
      ],
      [entry(''), entry('\ud800'), entry('7')],
    );
    expect(out).toHaveLength(3);
  });
});

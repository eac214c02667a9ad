// The parsing stages (json, logfmt, regex, pattern): what each extracts, from the line or a
// source, and what bad input does. Extracted values are observed through `labels` and `output`.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.js';
import {
  json,
  labels,
  logfmt,
  output,
  pattern,
  regex,
  template,
} from '../../../src/transforms/process-logs/index.js';
import { evaluatePath, parsePath } from '../../../src/transforms/process-logs/json-path.js';
import { decodeLogfmt } from '../../../src/transforms/process-logs/logfmt-decode.js';
import { dropped, entry, errors, run } from './helpers.js';

/** Every extracted key rendered by a template, so tests can read the whole extracted map. */
const show = (...keys: string[]) => [
  template({ source: 'shown', template: keys.map((k) => `${k}={{ index . "${k}" }}`).join(' ') }),
  output({ source: 'shown' }),
];

describe('json', () => {
  const cases: readonly [string, Record<string, string>, string, string][] = [
    ['a field', { level: '' }, '{"level":"info"}', 'level=info'],
    ['a renamed field', { lvl: 'level' }, '{"level":"warn"}', 'lvl=warn'],
    ['a nested path', { user: 'ctx.user.id' }, '{"ctx":{"user":{"id":42}}}', 'user=42'],
    ['an index', { first: 'items[0].n' }, '{"items":[{"n":"a"},{"n":"b"}]}', 'first=a'],
    ['a negative index', { last: 'items[-1]' }, '{"items":[1,2,3]}', 'last=3'],
    ['a quoted key', { pod: '"k8s.pod"' }, '{"k8s.pod":"web-1"}', 'pod=web-1'],
    ['a boolean', { ok: '' }, '{"ok":true}', 'ok=true'],
    ['a float in Go form', { n: '' }, '{"n":1e21}', 'n=1000000000000000000000'],
    ['a small float in Go form', { n: '' }, '{"n":0.0000001}', 'n=0.0000001'],
    ['an object as JSON', { o: '' }, '{"o":{"a":1,"b":[true]}}', 'o={"a":1,"b":[true]}'],
    ['a missing path (null, not shown)', { x: 'nope.deeper' }, '{"a":1}', 'x=<no value>'],
    ['an index of a non-array', { x: 'a[0]' }, '{"a":"s"}', 'x=<no value>'],
  ];
  it.each(cases)('extracts %s', async (_, expressions, line, shown) => {
    const { out, component } = await run(
      [json({ expressions }), ...show(...Object.keys(expressions))],
      [entry(line)],
    );
    expect(out[0]?.line).toBe(shown);
    expect(errors(component)).toBe(0);
  });

  it('reads a source key instead of the line', async () => {
    const { out } = await run(
      [
        json({ expressions: { inner: '' } }),
        json({ expressions: { level: '' }, source: 'inner' }),
        ...show('level'),
      ],
      [entry('{"inner":"{\\"level\\":\\"debug\\"}"}')],
    );
    expect(out[0]?.line).toBe('level=debug');
  });

  it('does nothing when the source key is absent', async () => {
    const { out, component } = await run([json({ expressions: { a: '' }, source: 'missing' })], [entry('x')]);
    expect(out[0]?.line).toBe('x');
    expect(errors(component)).toBe(0);
  });

  it.each(['not json', '[1,2]', '"a string"', '42', '{"a":', ''])(
    'keeps malformed input %j, counting an error',
    async (line) => {
      const { out, component } = await run([json({ expressions: { a: '' } })], [entry(line)]);
      expect(out.map((e) => e.line)).toEqual([line]);
      expect(errors(component)).toBe(1);
    },
  );

  it('treats null as an empty object, as Go does', async () => {
    const { out, component } = await run([json({ expressions: { a: '' } })], [entry('null')]);
    expect(out).toHaveLength(1);
    expect(errors(component)).toBe(0);
  });

  it('drops malformed input with dropMalformed, counted as malformed_json', async () => {
    const { out, component } = await run(
      [json({ expressions: { a: '' }, dropMalformed: true })],
      [entry('{"a":1}'), entry('nope')],
    );
    expect(out.map((e) => e.line)).toEqual(['{"a":1}']);
    expect(dropped(component, 'malformed_json')).toBe(1);
    expect(errors(component)).toBe(0);
  });

  it('starts the extracted map with the labels, and can overwrite them', async () => {
    const { out } = await run(
      [json({ expressions: { app: 'service' } }), labels(['app'])],
      [entry('{"service":"billing"}', { app: 'api', filename: 'x.log' })],
    );
    expect(out[0]?.labels.toRecord()).toEqual({ app: 'billing', filename: 'x.log' });
  });

  it.each([
    [{ expressions: {} }, 'expressions'],
    [{ expressions: { a: 'a[*]' } }, 'expressions.a'],
    [{ expressions: { a: 'foo | bar' } }, 'expressions.a'],
    [{ expressions: { a: 'a.' } }, 'expressions.a'],
    [{ expressions: { a: '' }, source: '' }, 'source'],
  ])('rejects %j naming the option', (options, option) => {
    expect(() => json(options as never)).toThrow(ConfigError);
    try {
      json(options as never);
    } catch (error) {
      expect((error as ConfigError).option).toBe(option);
    }
  });
});

describe('json paths', () => {
  it.each([
    ['a', ['a']],
    ['a.b_c.D1', ['a', 'b_c', 'D1']],
    ['a[2][-1]', ['a', 2, -1]],
    ['"x.y".z', ['x.y', 'z']],
    ['"say \\"hi\\""', ['say "hi"']],
    ['[0].a', [0, 'a']],
  ])('parses %s', (path, steps) => {
    expect(parsePath(path)).toEqual(steps);
  });

  it.each(['', 'a..b', 'a[', 'a[x]', '*', 'a.*', 'length(a)', '"open', 'a b'])('rejects %j', (path) => {
    expect(() => parsePath(path)).toThrow(/supported/);
  });

  it('evaluates to null where the path leads nowhere', () => {
    expect(evaluatePath({ a: [1] }, ['a', 5])).toBeNull();
    expect(evaluatePath({ a: 1 }, ['a', 'b'])).toBeNull();
    expect(evaluatePath({ a: { b: 0 } }, ['a', 'b'])).toBe(0);
  });
});

describe('logfmt', () => {
  it('extracts mapped fields, quoted values and bare keys', async () => {
    const { out, component } = await run(
      [
        logfmt({ mapping: { level: '', took: 'duration', msg: '', flag: '' } }),
        ...show('level', 'took', 'msg', 'flag'),
      ],
      [entry('ts=1 level=warn duration=12ms msg="hello \\"you\\"" flag')],
    );
    expect(out[0]?.line).toBe('level=warn took=12ms msg=hello "you" flag=');
    expect(errors(component)).toBe(0);
  });

  it('keeps what it decoded before a syntax error, counting an error', async () => {
    const { out, component } = await run(
      [logfmt({ mapping: { a: '', b: '' } }), ...show('a', 'b')],
      [entry('a=1 b="unterminated')],
    );
    expect(out[0]?.line).toBe('a=1 b=<no value>');
    expect(errors(component)).toBe(1);
  });

  it('rejects an empty mapping', () => {
    expect(() => logfmt({ mapping: {} })).toThrow(/mapping/);
  });

  it.each([
    ['a=1 b=2', [], ['a', '1', 'b', '2']],
    ['  a=  b=x ', [], ['a', '', 'b', 'x']],
    ['k="a b" c="\\u00e9\\n"', [], ['k', 'a b', 'c', 'é\n']],
    ['=x', ["unexpected '='"], []],
    ['a"b=1', ["unexpected '\"'"], []],
    ['a=b=c', ["unexpected '='"], []],
    ['a="x\ny"', ['unterminated'], []],
  ])('decodes %j like go-logfmt', (text, problems, pairs) => {
    const seen: string[] = [];
    const problem = decodeLogfmt(text, (k, v) => seen.push(k, v));
    expect(seen).toEqual(pairs);
    if (problems.length === 0) expect(problem).toBeUndefined();
    else expect(problem).toContain(problems[0]);
  });
});

describe('regex', () => {
  it('extracts named groups anywhere in the line', async () => {
    const { out, component } = await run(
      [regex({ expression: 'user=(?P<user>\\w+)(?: id=(?P<id>\\d+))?' }), ...show('user', 'id')],
      [entry('GET / user=bob rest')],
    );
    expect(out[0]?.line).toBe('user=bob id=');
    expect(errors(component)).toBe(0);
  });

  it('sets labels from groups with labelsFromGroups', async () => {
    const { out } = await run(
      [regex({ expression: '^(?P<level>[A-Z]+) ', labelsFromGroups: true })],
      [entry('WARN disk almost full')],
    );
    expect(out[0]?.labels.get('level')).toBe('WARN');
  });

  it('reads a source key', async () => {
    const { out } = await run(
      [
        json({ expressions: { path: '' } }),
        regex({ expression: '^/(?P<svc>[^/]+)', source: 'path' }),
        labels(['svc']),
      ],
      [entry('{"path":"/billing/invoices"}')],
    );
    expect(out[0]?.labels.get('svc')).toBe('billing');
  });

  it('keeps a line it does not match, counting an error', async () => {
    const { out, component } = await run(
      [regex({ expression: '^(?P<n>\\d+)$' }), labels(['n'])],
      [entry('abc')],
    );
    expect(out[0]?.labels.has('n')).toBe(false);
    expect(errors(component)).toBe(1);
  });

  it.each(['(?=x)', '(', 'a{2,1}', '\\1'])('rejects %j, which Go rejects', (expression) => {
    expect(() => regex({ expression })).toThrow(/expression/);
  });
});

describe('pattern', () => {
  const access = '<ip> - <user> [<ts>] "<method> <path> <_>" <status> <size>';
  it('extracts the captures of an access log line', async () => {
    const { out } = await run(
      [pattern({ pattern: access }), ...show('ip', 'user', 'ts', 'method', 'path', 'status', 'size')],
      [entry('10.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326')],
    );
    expect(out[0]?.line).toBe(
      'ip=10.0.0.1 user=frank ts=10/Oct/2000:13:55:36 -0700 method=GET path=/a.gif status=200 size=2326',
    );
  });

  it('gives the rest of the line to the capture before a missing literal', async () => {
    const { out } = await run(
      [pattern({ pattern: '<a> | <b> | <c>' }), ...show('a', 'b', 'c')],
      [entry('x | y and z')],
    );
    expect(out[0]?.line).toBe('a=x b=y and z c=<no value>');
  });

  it('needs the leading literal at the start; else counts an error', async () => {
    const { out, component } = await run(
      [pattern({ pattern: 'level=<level> ' }), ...show('level')],
      [entry('level=info x'), entry('msg level=info x')],
    );
    expect(out.map((e) => e.line)).toEqual(['level=info', 'level=<no value>']);
    expect(errors(component)).toBe(1);
  });

  it('sets labels with labelsFromGroups', async () => {
    const { out } = await run(
      [pattern({ pattern: '<level>: <_>', labelsFromGroups: true })],
      [entry('error: boom')],
    );
    expect(out[0]?.labels.get('level')).toBe('error');
  });

  it.each([
    ['no captures', 'plain text'],
    ['only <_>', '<_> text'],
    ['consecutive captures', '<a><b>'],
    ['duplicate names', '<a> <a>'],
  ])('rejects %s', (_, text) => {
    expect(() => pattern({ pattern: text })).toThrow(ConfigError);
  });

  it('treats a malformed capture as literal text', async () => {
    const { out } = await run([pattern({ pattern: '<1x> <a>' }), ...show('a')], [entry('<1x> value')]);
    expect(out[0]?.line).toBe('a=value');
  });
});

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: relabelling templates are written ${1}, as in Prometheus
// The relabelling engine and rule validation, table-driven. The cases restate the facts of
// Prometheus's own tests (model/relabel/relabel_test.go: TestRelabel, TestRelabelValidate,
// TestTargetLabelValidity) with rivulet's API, plus the edges those tests leave out.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { type LabelRecord, Labels } from '../../src/core/labels.js';
import { compileRelabelRules, type RelabelRule } from '../../src/transforms/relabel/index.js';

type Outcome = LabelRecord | 'dropped';

function relabelled(rules: readonly RelabelRule[], input: LabelRecord): Outcome {
  const out = compileRelabelRules(rules, 'relabel', { maxCacheSize: 0 }).apply(Labels.from(input));
  return out === undefined ? 'dropped' : out.toRecord();
}

/** Prometheus's hashmod: the last 8 bytes of the MD5 sum, big-endian, modulo `modulus`. */
function prometheusHashMod(value: string, modulus: bigint): string {
  return (createHash('md5').update(value, 'utf8').digest().readBigUInt64BE(8) % modulus).toString();
}

interface Case {
  readonly name: string;
  readonly input: LabelRecord;
  readonly rules: readonly RelabelRule[];
  readonly output: Outcome;
}

const cases: readonly Case[] = [
  {
    name: 'replace expands ${1} as often as it appears',
    input: { path: '/api/v1', job: 'web' },
    rules: [
      { sourceLabels: ['path'], regex: '/api/(.*)', targetLabel: 'version', replacement: 'x${1}-y${1}' },
    ],
    output: { path: '/api/v1', job: 'web', version: 'xv1-yv1' },
  },
  {
    name: 'source labels are joined with the separator, and later rules see earlier results',
    input: { a: 'foo', b: 'bar', c: 'baz' },
    rules: [
      { sourceLabels: ['a', 'b'], regex: 'f(.*);(.*)r', targetLabel: 'a', replacement: 'b${1}${2}m' },
      { sourceLabels: ['c', 'a'], regex: '(b).*b(.*)ba(.*)', targetLabel: 'd', replacement: '$1$2$2$3' },
    ],
    output: { a: 'boobam', b: 'bar', c: 'baz', d: 'boooom' },
  },
  {
    name: 'a drop stops the rules that follow',
    input: { a: 'foo' },
    rules: [
      { sourceLabels: ['a'], regex: '.*o.*', action: 'drop' },
      { sourceLabels: ['a'], regex: 'f(.*)', targetLabel: 'd', replacement: 'x' },
    ],
    output: 'dropped',
  },
  {
    name: 'drop when the regex matches',
    input: { a: 'foo', b: 'bar' },
    rules: [{ sourceLabels: ['a'], regex: '.*o.*', action: 'drop' }],
    output: 'dropped',
  },
  {
    name: 'a group in the middle of the regex',
    input: { a: 'abc' },
    rules: [{ sourceLabels: ['a'], regex: '.*(b).*', targetLabel: 'd' }],
    output: { a: 'abc', d: 'b' },
  },
  {
    name: 'drop keeps what does not match',
    input: { a: 'foo' },
    rules: [{ sourceLabels: ['a'], regex: 'no-match', action: 'drop' }],
    output: { a: 'foo' },
  },
  {
    name: 'the regex is anchored: f|o does not match foo',
    input: { a: 'foo' },
    rules: [{ sourceLabels: ['a'], regex: 'f|o', action: 'drop' }],
    output: { a: 'foo' },
  },
  {
    name: 'the regex is anchored: oo does not match foo, .*oo does',
    input: { a: 'foo' },
    rules: [
      { sourceLabels: ['a'], regex: 'oo', action: 'drop' },
      { sourceLabels: ['a'], regex: '.*oo', targetLabel: 'b', replacement: 'hit' },
    ],
    output: { a: 'foo', b: 'hit' },
  },
  {
    name: 'keep drops what does not match',
    input: { a: 'foo' },
    rules: [{ sourceLabels: ['a'], regex: 'no-match', action: 'keep' }],
    output: 'dropped',
  },
  {
    name: 'keep keeps what matches',
    input: { a: 'foo' },
    rules: [{ sourceLabels: ['a'], regex: 'f.*', action: 'keep' }],
    output: { a: 'foo' },
  },
  {
    name: 'replace does nothing without a match',
    input: { a: 'boo' },
    rules: [{ sourceLabels: ['a'], regex: 'f', targetLabel: 'b', replacement: 'bar' }],
    output: { a: 'boo' },
  },
  {
    name: 'labelmap copies every matching label to the expanded name',
    input: { a: 'foo', b1: 'bar', b2: 'baz' },
    rules: [{ regex: '(b.*)', replacement: 'bar_${1}', action: 'labelmap' }],
    output: { a: 'foo', b1: 'bar', b2: 'baz', bar_b1: 'bar', bar_b2: 'baz' },
  },
  {
    name: 'labelmap strips a prefix',
    input: { a: 'foo', __meta_my_bar: 'aaa', __meta_my_baz: 'bbb', __meta_other: 'ccc' },
    rules: [{ regex: '__meta_(my.*)', replacement: '${1}', action: 'labelmap' }],
    output: {
      a: 'foo',
      __meta_my_bar: 'aaa',
      __meta_my_baz: 'bbb',
      __meta_other: 'ccc',
      my_bar: 'aaa',
      my_baz: 'bbb',
    },
  },
  {
    name: 'labelmap: when two labels map to one name, the later in name order wins',
    input: { a_x: '1', b_x: '2' },
    rules: [{ regex: '.*_(x)', action: 'labelmap' }],
    output: { a_x: '1', b_x: '2', x: '2' },
  },
  {
    name: 'a templated target label',
    input: { a: 'some-name-value' },
    rules: [{ sourceLabels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${2}', targetLabel: '${1}' }],
    output: { a: 'some-name-value', name: 'value' },
  },
  {
    name: 'a replacement that expands to nothing deletes the (expanded) target',
    input: { a: 'some-name-value', name: 'old' },
    rules: [{ sourceLabels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${3}', targetLabel: '${1}' }],
    output: { a: 'some-name-value' },
  },
  {
    name: 'a target that expands to an invalid name changes nothing',
    input: { a: 'some-name-0' },
    rules: [
      { sourceLabels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', targetLabel: '${3}' },
      { sourceLabels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', targetLabel: '${2}' },
      { sourceLabels: ['a'], regex: 'some-([^-]+)(-[^,]+)', replacement: '${1}', targetLabel: '${2}' },
    ],
    output: { a: 'some-name-0' },
  },
  {
    name: 'service discovery tags split into labels',
    input: { __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar' },
    rules: [
      {
        sourceLabels: ['__meta_sd_tags'],
        regex: '(?:.+,|^)path:(/[^,]+).*',
        replacement: '${1}',
        targetLabel: '__metrics_path__',
      },
      {
        sourceLabels: ['__meta_sd_tags'],
        regex: '(?:.+,|^)job:([^,]+).*',
        replacement: '${1}',
        targetLabel: 'job',
      },
      {
        sourceLabels: ['__meta_sd_tags'],
        regex: '(?:.+,|^)label:([^=]+)=([^,]+).*',
        replacement: '${2}',
        targetLabel: '${1}',
      },
    ],
    output: {
      __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar',
      __metrics_path__: '/secret',
      job: 'some-job',
      foo: 'bar',
    },
  },
  {
    name: 'a label dropped by one rule can be set again by the next (prometheus#12283)',
    input: {
      __meta_kubernetes_pod_container_port_name: 'foo',
      __meta_kubernetes_pod_annotation_XXX_metrics_port: '9091',
    },
    rules: [
      { regex: '^__meta_kubernetes_pod_container_port_name$', action: 'labeldrop' },
      {
        sourceLabels: ['__meta_kubernetes_pod_annotation_XXX_metrics_port'],
        regex: '(.+)',
        replacement: 'metrics',
        targetLabel: '__meta_kubernetes_pod_container_port_name',
      },
      { sourceLabels: ['__meta_kubernetes_pod_container_port_name'], regex: '^metrics$', action: 'keep' },
    ],
    output: {
      __meta_kubernetes_pod_annotation_XXX_metrics_port: '9091',
      __meta_kubernetes_pod_container_port_name: 'metrics',
    },
  },
  {
    name: 'labelkeep keeps only matching names',
    input: { a: 'foo', b1: 'bar', b2: 'baz' },
    rules: [{ regex: '(b.*)', action: 'labelkeep' }],
    output: { b1: 'bar', b2: 'baz' },
  },
  {
    name: 'labeldrop drops matching names',
    input: { a: 'foo', b1: 'bar', b2: 'baz' },
    rules: [{ regex: '(b.*)', action: 'labeldrop' }],
    output: { a: 'foo' },
  },
  {
    name: 'labeldrop of every label leaves an empty set, not a drop',
    input: { a: 'foo' },
    rules: [{ regex: '.*', action: 'labeldrop' }],
    output: {},
  },
  {
    name: 'uppercase and lowercase',
    input: { foo: 'bAr123Foo' },
    rules: [
      { sourceLabels: ['foo'], action: 'uppercase', targetLabel: 'foo_uppercase' },
      { sourceLabels: ['foo'], action: 'lowercase', targetLabel: 'foo_lowercase' },
    ],
    output: { foo: 'bAr123Foo', foo_lowercase: 'bar123foo', foo_uppercase: 'BAR123FOO' },
  },
  {
    name: 'lowercase of an absent source deletes the target',
    input: { t: 'x' },
    rules: [{ sourceLabels: ['missing'], action: 'lowercase', targetLabel: 't' }],
    output: {},
  },
  {
    name: 'keepequal keeps when the target equals the source',
    input: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
    rules: [{ sourceLabels: ['__tmp_port'], action: 'keepequal', targetLabel: '__port1' }],
    output: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
  },
  {
    name: 'dropequal drops when the target equals the source',
    input: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
    rules: [{ sourceLabels: ['__tmp_port'], action: 'dropequal', targetLabel: '__port1' }],
    output: 'dropped',
  },
  {
    name: 'dropequal keeps when they differ',
    input: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
    rules: [{ sourceLabels: ['__tmp_port'], action: 'dropequal', targetLabel: '__port2' }],
    output: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
  },
  {
    name: 'keepequal drops when they differ',
    input: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
    rules: [{ sourceLabels: ['__tmp_port'], action: 'keepequal', targetLabel: '__port2' }],
    output: 'dropped',
  },
  {
    name: 'keepequal compares the joined sources; absent labels count as empty',
    input: { a: 'x', b: 'y', t: 'x;y' },
    rules: [
      { sourceLabels: ['a', 'b'], action: 'keepequal', targetLabel: 't' },
      { sourceLabels: ['missing'], action: 'keepequal', targetLabel: 'absent' },
    ],
    output: { a: 'x', b: 'y', t: 'x;y' },
  },
  {
    name: 'dropequal with both sides absent drops',
    input: { a: 'x' },
    rules: [{ sourceLabels: ['missing'], action: 'dropequal', targetLabel: 'absent' }],
    output: 'dropped',
  },
  {
    name: 'defaults: action replace, regex (.*), replacement $1 copy a label',
    input: { a: 'foo' },
    rules: [{ sourceLabels: ['a'], targetLabel: 'b' }],
    output: { a: 'foo', b: 'foo' },
  },
  {
    name: 'defaults: without source labels a replace sets a constant',
    input: { a: 'foo' },
    rules: [{ targetLabel: 'env', replacement: 'prod' }],
    output: { a: 'foo', env: 'prod' },
  },
  {
    name: 'defaults: copying an absent label deletes the target',
    input: { a: 'foo', b: 'old' },
    rules: [{ sourceLabels: ['missing'], targetLabel: 'b' }],
    output: { a: 'foo' },
  },
  {
    name: 'defaults: the separator is ; and an empty separator joins directly',
    input: { a: 'x', b: 'y' },
    rules: [
      { sourceLabels: ['a', 'b'], targetLabel: 'semi' },
      { sourceLabels: ['a', 'b'], separator: '', targetLabel: 'none' },
      { sourceLabels: ['a', 'missing', 'b'], separator: '/', targetLabel: 'slash' },
    ],
    output: { a: 'x', b: 'y', semi: 'x;y', none: 'xy', slash: 'x//y' },
  },
  {
    name: '. does not match a newline, so (.*) leaves a multi-line value alone; (?s) matches it',
    input: { a: 'foo\nbar' },
    rules: [
      { sourceLabels: ['a'], targetLabel: 'plain' },
      { sourceLabels: ['a'], regex: '(?s)(.*)', targetLabel: 'dotall' },
    ],
    output: { a: 'foo\nbar', dotall: 'foo\nbar' },
  },
  {
    name: 'an empty regex matches only the empty value',
    input: { a: 'foo' },
    rules: [
      { sourceLabels: ['a'], regex: '', action: 'drop' },
      { sourceLabels: ['missing'], regex: '', targetLabel: 'empty', replacement: 'yes' },
    ],
    output: { a: 'foo', empty: 'yes' },
  },
  {
    name: 'actions are case-insensitive, as Prometheus reads them',
    input: { a: 'foo' },
    rules: [{ sourceLabels: ['a'], regex: 'foo', action: 'DROP' as 'drop' }],
    output: 'dropped',
  },
];

describe('relabelling semantics', () => {
  it.each(cases)('$name', ({ input, rules, output }) => {
    expect(relabelled(rules, input)).toEqual(output);
  });

  it('hashmod gives the numbers Prometheus gives (976 for "baz", 734 for "foo\\nbar", modulus 1000)', () => {
    const rule = (source: string): RelabelRule => ({
      sourceLabels: [source],
      targetLabel: 'shard',
      action: 'hashmod',
      modulus: 1000,
    });
    expect(relabelled([rule('c')], { a: 'foo', b: 'bar', c: 'baz' })).toEqual({
      a: 'foo',
      b: 'bar',
      c: 'baz',
      shard: '976',
    });
    expect(relabelled([rule('a')], { a: 'foo\nbar' })).toEqual({ a: 'foo\nbar', shard: '734' });
  });

  it('hashmod matches md5 of the joined values (last 8 bytes, big-endian) for any input and modulus', () => {
    const moduli = [1n, 2n, 7n, 1000n, 2n ** 32n + 15n, 2n ** 63n + 5n, 2n ** 64n - 1n];
    const values = ['', 'a', '10.0.0.1:9100', 'ünïcödé/路径', 'x'.repeat(1000), 'a;b'];
    for (const modulus of moduli) {
      for (const value of values) {
        const [a, b] = value.includes(';') ? value.split(';') : [value, undefined];
        const input = b === undefined ? { a: a ?? '' } : { a: a ?? '', b };
        const sources = b === undefined ? ['a'] : ['a', 'b'];
        const out = relabelled(
          [{ sourceLabels: sources, targetLabel: 'h', action: 'hashmod', modulus }],
          input,
        );
        expect(out === 'dropped' ? undefined : out.h).toBe(prometheusHashMod(value, modulus));
      }
    }
    // With the largest modulus, the result is the 64-bit number itself.
    expect(prometheusHashMod('baz', 2n ** 64n - 1n)).toBe(
      createHash('md5').update('baz').digest().readBigUInt64BE(8).toString(),
    );
  });

  it('returns the same object when no rule changes anything', () => {
    const input = Labels.from({ a: 'foo', b: 'bar' });
    const program = compileRelabelRules([
      { sourceLabels: ['a'], regex: 'f.*', action: 'keep' },
      { sourceLabels: ['a'], targetLabel: 'b', replacement: 'bar' },
      { regex: 'zzz', action: 'labeldrop' },
      { sourceLabels: ['a'], targetLabel: 'tmp', replacement: 'x' },
      { regex: 'tmp', action: 'labeldrop' },
    ]);
    expect(program.apply(input)).toBe(input);
  });
});

interface InvalidCase {
  readonly name: string;
  readonly rules: readonly RelabelRule[];
  /** The option the error names. */
  readonly option: string;
  /** Part of the message. */
  readonly says: string;
}

const invalid: readonly InvalidCase[] = [
  {
    name: 'an empty action',
    rules: [{ action: '' as 'drop' }],
    option: 'rules[0].action',
    says: 'replace, keep, drop',
  },
  {
    name: 'an unknown action',
    rules: [{ action: 'rename' as 'drop' }],
    option: 'rules[0].action',
    says: 'labelmap',
  },
  {
    name: 'hashmod without a modulus',
    rules: [{ action: 'hashmod', sourceLabels: ['a'], targetLabel: 'b' }],
    option: 'rules[0].modulus',
    says: 'positive integer',
  },
  {
    name: 'hashmod with modulus 0',
    rules: [{ action: 'hashmod', sourceLabels: ['a'], targetLabel: 'b', modulus: 0 }],
    option: 'rules[0].modulus',
    says: 'positive integer',
  },
  {
    name: 'replace without a target',
    rules: [{ action: 'replace' }],
    option: 'rules[0].targetLabel',
    says: 'required',
  },
  {
    name: 'lowercase without a target',
    rules: [{ action: 'lowercase' }],
    option: 'rules[0].targetLabel',
    says: 'required',
  },
  {
    name: 'keepequal without a target',
    rules: [{ action: 'keepequal', sourceLabels: ['a'] }],
    option: 'rules[0].targetLabel',
    says: 'required',
  },
  {
    name: 'hashmod without a target',
    rules: [{ action: 'hashmod', modulus: 2 }],
    option: 'rules[0].targetLabel',
    says: 'required',
  },
  {
    name: 'replace to an invalid name',
    rules: [{ targetLabel: '-foo' }],
    option: 'rules[0].targetLabel',
    says: '"-foo"',
  },
  {
    name: 'replace to a template starting with a digit',
    rules: [
      { sourceLabels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', targetLabel: '0${3}' },
    ],
    option: 'rules[0].targetLabel',
    says: '"0${3}"',
  },
  {
    name: 'replace to a template with a dash',
    rules: [
      { sourceLabels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', targetLabel: '-${3}' },
    ],
    option: 'rules[0].targetLabel',
    says: '"-${3}"',
  },
  {
    name: 'lowercase to a template',
    rules: [{ action: 'lowercase', targetLabel: '${3}' }],
    option: 'rules[0].targetLabel',
    says: '"${3}"',
  },
  {
    name: 'uppercase with a replacement',
    rules: [{ action: 'uppercase', targetLabel: 'a', replacement: 'x' }],
    option: 'rules[0].replacement',
    says: 'cannot be set',
  },
  {
    name: 'keepequal with a replacement (reported before the other-fields check)',
    rules: [{ action: 'keepequal', sourceLabels: ['a'], targetLabel: 'b', replacement: 'x', regex: 'y' }],
    option: 'rules[0].replacement',
    says: 'cannot be set',
  },
  {
    name: 'keepequal with a regex',
    rules: [{ action: 'keepequal', sourceLabels: ['a'], targetLabel: 'b', regex: 'x' }],
    option: 'rules[0].regex',
    says: 'only sourceLabels and targetLabel',
  },
  {
    name: 'dropequal with a modulus',
    rules: [{ action: 'dropequal', sourceLabels: ['a'], targetLabel: 'b', modulus: 3 }],
    option: 'rules[0].modulus',
    says: 'only sourceLabels and targetLabel',
  },
  {
    name: 'dropequal with a separator',
    rules: [{ action: 'dropequal', sourceLabels: ['a'], targetLabel: 'b', separator: ',' }],
    option: 'rules[0].separator',
    says: 'only sourceLabels and targetLabel',
  },
  {
    name: 'labelmap to an invalid name template',
    rules: [{ action: 'labelmap', regex: '(.*)', replacement: 'foo-$1' }],
    option: 'rules[0].replacement',
    says: '"foo-$1"',
  },
  {
    name: 'hashmod to a template',
    rules: [{ action: 'hashmod', modulus: 2, targetLabel: '${1}' }],
    option: 'rules[0].targetLabel',
    says: 'hashmod',
  },
  {
    name: 'labeldrop with source labels',
    rules: [{ action: 'labeldrop', regex: 'a', sourceLabels: ['a'] }],
    option: 'rules[0].sourceLabels',
    says: 'only regex',
  },
  {
    name: 'labeldrop with empty source labels (set is set)',
    rules: [{ action: 'labeldrop', regex: 'a', sourceLabels: [] }],
    option: 'rules[0].sourceLabels',
    says: 'only regex',
  },
  {
    name: 'labelkeep with a target',
    rules: [{ action: 'labelkeep', regex: 'a', targetLabel: 'b' }],
    option: 'rules[0].targetLabel',
    says: 'only regex',
  },
  {
    name: 'labelkeep with a modulus',
    rules: [{ action: 'labelkeep', regex: 'a', modulus: 2 }],
    option: 'rules[0].modulus',
    says: 'only regex',
  },
  {
    name: 'labeldrop with a separator',
    rules: [{ action: 'labeldrop', regex: 'a', separator: ',' }],
    option: 'rules[0].separator',
    says: 'only regex',
  },
  {
    name: 'labeldrop with a replacement',
    rules: [{ action: 'labeldrop', regex: 'a', replacement: 'b' }],
    option: 'rules[0].replacement',
    says: 'only regex',
  },
  {
    name: 'an invalid source label name',
    rules: [{ sourceLabels: ['ok', 'not-ok'], targetLabel: 'a' }],
    option: 'rules[0].sourceLabels[1]',
    says: '"not-ok"',
  },
  {
    name: 'a field in Prometheus spelling',
    rules: [{ source_labels: ['a'], targetLabel: 'b' } as RelabelRule],
    option: 'rules[0].source_labels',
    says: 'sourceLabels, separator',
  },
  {
    name: 'a negative modulus',
    rules: [{ action: 'hashmod', modulus: -1, targetLabel: 'a' }],
    option: 'rules[0].modulus',
    says: 'non-negative integer',
  },
  {
    name: 'a fractional modulus',
    rules: [{ action: 'hashmod', modulus: 1.5, targetLabel: 'a' }],
    option: 'rules[0].modulus',
    says: 'non-negative integer',
  },
  {
    name: 'a modulus past 2^64 - 1',
    rules: [{ action: 'hashmod', modulus: 2n ** 64n, targetLabel: 'a' }],
    option: 'rules[0].modulus',
    says: 'below 2^64',
  },
  {
    name: 'a regex that is not a string',
    rules: [{ regex: /x/ as unknown as string, targetLabel: 'a' }],
    option: 'rules[0].regex',
    says: 'string',
  },
  {
    name: 'the index of the invalid rule',
    rules: [{ targetLabel: 'ok' }, { action: 'keep' }, { action: 'nope' as 'drop' }],
    option: 'rules[2].action',
    says: 'nope',
  },
];

describe('rule validation', () => {
  it.each(invalid)('rejects $name', ({ rules, option, says }) => {
    let thrown: unknown;
    try {
      compileRelabelRules(rules);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).option).toBe(option);
    expect((thrown as ConfigError).message).toContain(`relabel: option '${option}'`);
    expect((thrown as ConfigError).message).toContain(says);
  });

  it('names the calling component', () => {
    expect(() => compileRelabelRules([{ action: 'keep', regex: '(' }], 'scrape.0')).toThrow(
      /^scrape\.0: option 'rules\[0\]\.regex'/,
    );
  });

  // Prometheus's TestTargetLabelValidity: which replace targets with `$` are well-formed.
  it.each([
    ['-label', false],
    ['label', true],
    ['label${1}', true],
    ['${1}label', true],
    ['${1}', true],
    ['${', false],
    ['$', false],
    ['${}', false],
    ['foo${', false],
    ['$1', true],
    ['asd$2asd', true],
    ['-foo${1}bar-', false],
    ['_${1}_', true],
    ['foo${bar}foo', true],
  ] as const)('a replace target of %j is valid: %s', (targetLabel, valid) => {
    const compile = () => compileRelabelRules([{ sourceLabels: ['a'], regex: '(.*)', targetLabel }]);
    if (valid) expect(compile).not.toThrow();
    else expect(compile).toThrow(ConfigError);
  });

  it('accepts what Prometheus accepts', () => {
    expect(() =>
      compileRelabelRules([
        { action: 'keep', sourceLabels: ['a'], regex: 'x', targetLabel: 'ignored' },
        { action: 'labelmap', regex: '(.*)', sourceLabels: ['ignored'], replacement: 'x_$1' },
        { action: 'labeldrop', regex: 'a', separator: ';', replacement: '$1' },
        { action: 'keepequal', sourceLabels: ['a'], targetLabel: 'b', separator: ';' },
        { action: 'hashmod', sourceLabels: ['a'], targetLabel: 'b', modulus: 2n ** 64n - 1n },
        { action: 'Replace' as 'replace', targetLabel: 'b', separator: '' },
        {},
      ]),
    ).toThrow(/'rules\[6\]\.targetLabel' is required/); // only the last: a replace without a target
    expect(() => compileRelabelRules([])).not.toThrow();
  });
});

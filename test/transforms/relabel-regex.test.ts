// biome-ignore-all lint/suspicious/noTemplateCurlyInString: relabelling templates are written ${1}, as in Prometheus
// Regexes (RE2 syntax, anchored, the string-matching shapes), Go's template expansion and Go's
// case mapping, as relabelling uses them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { Labels } from '../../src/core/labels.js';
import { expandTemplate, parseTemplate } from '../../src/transforms/relabel/expand.js';
import { goToLower, goToUpper } from '../../src/transforms/relabel/go-case.js';
import { compileRelabelRules } from '../../src/transforms/relabel/index.js';
import { compileRegex, compileRegexWithRe2, usesStringMatching } from '../../src/transforms/relabel/regex.js';

describe('regex syntax is RE2 syntax', () => {
  // Each of these is valid in JavaScript or PCRE but not in Go's regexp.
  it.each([
    ['(?=x)', 'lookahead'],
    ['(?!x)', 'negative lookahead'],
    ['(?<=a)b', 'lookbehind'],
    ['(?<!a)b', 'negative lookbehind'],
    ['(a)\\1', 'a backreference'],
    ['a++', 'a possessive repeat'],
    ['(?>a)', 'an atomic group'],
    ['\\Z', '\\Z'],
    ['\\u0041', 'a \\u escape'],
    ['a{1001}', 'a repeat count over 1000'],
    ['(?P<n>a)(?P<n>b)', 'a duplicate group name'],
    ['(?x) a', 'the x flag'],
    ['[a', 'an unclosed class'],
    ['(', 'an unclosed group'],
  ])('rejects %j (%s) naming the rule', (regex) => {
    let thrown: unknown;
    try {
      compileRelabelRules([{ targetLabel: 'ok' }, { action: 'drop', sourceLabels: ['a'], regex }]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).option).toBe('rules[1].regex');
    expect((thrown as ConfigError).message).toContain(JSON.stringify(regex));
  });

  it.each([
    ['(?i)abc', 'ABC', true],
    ['\\pL+', 'été', true],
    ['[[:alpha:]]+', 'abc', true],
    ['\\Qa.b\\E', 'a.b', true],
    ['\\Qa.b\\E', 'axb', false],
    ['(?P<x>a)b', 'ab', true],
    ['x{2,3}', 'xxxx', false],
    ['a$', 'a', true],
    ['^a$', 'a', true],
    ['a\\z', 'a', true],
    ['(?m)a$', 'a', true],
    ['.', '😀', true],
    ['..', '😀', false],
  ])('accepts Go syntax: %j against %j matches: %s', (regex, value, matches) => {
    expect(compileRegex(regex).test(value)).toBe(matches);
    expect(compileRegexWithRe2(regex).test(value)).toBe(matches);
  });

  it('anchors both ends even against alternations and newlines', () => {
    expect(compileRegex('a|b').test('ab')).toBe(false);
    expect(compileRegex('a$').test('a\n')).toBe(false);
    expect(compileRegex('.*').test('a\nb')).toBe(false);
    expect(compileRegex('(?s).*').test('a\nb')).toBe(true);
  });
});

describe('string-matching shapes agree with re2js', () => {
  const shapes = [
    '',
    'foo',
    'foo|bar|baz',
    'a|',
    '.*',
    '.+',
    '(.*)',
    '(.+)',
    'go_.*',
    'go_.+',
    '.*_total',
    '.+_bucket',
    'a(.*)b',
    'a(.+)b',
    '(a)(.*)(b)',
    '(?:a.*)',
    '((a)(.*))',
    '(?P<name>a)(.*)',
    '(?<rest>.*)x',
    'a.*|b(.*)|(c)',
    '.*x.*',
    '.+x.+',
    '.*ab.+',
    'a\\.b.*',
    '\\$\\(x\\).*',
    '()(.*)()',
    'é.*',
    'x\ny.*',
  ];

  it('uses string matching for each of them', () => {
    for (const shape of shapes) expect(usesStringMatching(shape), shape).toBe(true);
  });

  it.each([
    'a*',
    'a?b',
    '.',
    '.*?',
    '.*.*',
    '(.*)(.*)',
    '(a|b)',
    '(.*)+',
    '[ab]',
    '\\d',
    '(?i)a',
    '^a',
    'a{2}',
    '.*a.*b',
  ])('leaves %j to re2js', (regex) => {
    expect(usesStringMatching(regex)).toBe(false);
  });

  it('match and capture exactly as re2js does (property)', () => {
    const alphabet = ['a', 'b', 'c', 'x', 'y', '_', '.', '$', '(', ')', '\n', 'é', '😀', 'g', 'o', 't', 'l'];
    const text = fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 12 });
    for (const shape of shapes) {
      const fast = compileRegex(shape);
      const slow = compileRegexWithRe2(shape);
      expect(fast.groupCount).toBe(slow.groupCount);
      expect(fast.groupNames).toEqual(slow.groupNames);
      const literals = shape.replace(/[\\.+*?()|[\]{}^$]|\?P?<\w+>|\?:/g, '');
      const seeded = fc.oneof(
        text,
        fc.tuple(text, text).map(([a, b]) => a + literals + b),
        fc.constant(literals),
      );
      fc.assert(
        fc.property(seeded, (value) => {
          expect(fast.test(value), `${JSON.stringify(shape)} ~ ${JSON.stringify(value)}`).toBe(
            slow.test(value),
          );
          expect(fast.exec(value), `${JSON.stringify(shape)} ~ ${JSON.stringify(value)}`).toEqual(
            slow.exec(value),
          );
        }),
        { numRuns: 300 },
      );
    }
  });
});

describe("replacement expansion follows Go's regexp.Expand", () => {
  it.each([
    ['(a)(b)', 'ab', '$1-$2', 'a-b'],
    ['(a)(b)', 'ab', '${1}x', 'ax'],
    ['(a)(b)', 'ab', '$1x', ''], // the group named `1x`, which does not exist
    ['(?P<1x>a)(b)', 'ab', '$1x', 'a'], // ... unless it does
    ['(a)(b)', 'ab', '$1_$2', 'b'], // `1_` is a name too
    ['(a)(b)', 'ab', '$$1', '$1'],
    ['(a)(b)', 'ab', '$$$1', '$a'],
    ['(a)(b)', 'ab', 'x$', 'x$'],
    ['(a)(b)', 'ab', '${1', '${1'],
    ['(a)(b)', 'ab', '${}', '${}'],
    ['(a)(b)', 'ab', '$-1', '$-1'],
    ['(a)(b)', 'ab', '$0', 'ab'],
    ['(a)(b)', 'ab', '$3', ''],
    ['(a)(b)', 'ab', '$01', ''], // leading zero: a name, not a number
    ['(?P<01>a)(b)', 'ab', '$01', 'a'],
    ['(a)(b)', 'ab', '$1234567890', ''], // too long to be a number, so a name
    ['(?P<first>a)(?P<second>b)', 'ab', '$second-${first}', 'b-a'],
    ['(?P<first>a)(b)', 'ab', '$firstx', ''],
    ['(?P<first>a)(b)', 'ab', '$first.x', 'a.x'],
    ['(a)|(b)', 'b', '[$1][$2]', '[][b]'], // a group that took no part is empty
    ['(a)(b)', 'ab', '$1é', ''], // letters beyond ASCII extend the name
    ['(a)(b)', 'ab', '${1}é', 'aé'],
    ['(.*)', 'v', 'plain', 'plain'],
  ])('%j on %j: %j expands to %j', (regex, value, template, expected) => {
    const compiled = compileRegex(regex);
    const groups = compiled.exec(value);
    expect(groups).toBeDefined();
    expect(expandTemplate(parseTemplate(template, compiled), groups ?? [])).toBe(expected);
  });

  it('a labelmap replacement `$1x` refers to the group named 1x', () => {
    const program = compileRelabelRules([{ action: 'labelmap', regex: 'm_(.*)', replacement: 'k_${1}x' }]);
    expect(program.apply(Labels.from({ m_a: 'v' }))?.toRecord()).toEqual({ m_a: 'v', k_ax: 'v' });
  });
});

describe("lowercase and uppercase map case as Go's strings.ToLower / ToUpper", () => {
  it.each([
    ['bAr123Foo', 'bar123foo', 'BAR123FOO'],
    ['ÀÉÎõü', 'àéîõü', 'ÀÉÎÕÜ'],
    ['straße', 'straße', 'STRAßE'], // ß has no one-letter uppercase
    ['İstanbul', 'istanbul', 'İSTANBUL'], // İ lowercases to i, without a combining dot
    ['ΟΔΟΣ', 'οδοσ', 'ΟΔΟΣ'], // no final-sigma rule
    ['ﬁx', 'ﬁx', 'ﬁX'], // the ligature stays one letter
    ['ᾳ', 'ᾳ', 'ᾼ'], // simple mapping to the titlecase form
    ['ǅ', 'ǆ', 'Ǆ'],
    ['😀a', '😀a', '😀A'],
  ])('%j: lower %j, upper %j', (text, lower, upper) => {
    expect(goToLower(text)).toBe(lower);
    expect(goToUpper(text)).toBe(upper);
  });
});

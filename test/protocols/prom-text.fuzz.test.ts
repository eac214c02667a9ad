/**
 * Property tests of the text-format parser: valid bodies of random families parse to what was
 * written, in both formats and through the exposition encoder; mutated and random bodies either
 * parse or throw a PromTextParseError that points inside the body, and never take long.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Labels } from '../../src/core/labels.js';
import { encodeExpositionText, formatExpositionValue } from '../../src/protocols/exposition-text.js';
import {
  type PromTextFormat,
  PromTextParseError,
  parsePromText,
  parsePromTextToSamples,
  parseSeriesLabels,
} from '../../src/protocols/prom-text/index.js';

/** How long one parse of a small body may take, generously, before it counts as a hang. */
const TIME_BOUND_MS = 250;

interface GeneratedSample {
  readonly labels: readonly (readonly [string, string])[];
  readonly value: number;
  readonly timestampMs: number | undefined;
  readonly exemplar:
    | { readonly labels: readonly (readonly [string, string])[]; readonly value: number }
    | undefined;
}

interface GeneratedFamily {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'untyped';
  readonly help: string | undefined;
  readonly samples: readonly GeneratedSample[];
}

const TRICKY = ['a', 'Z', '0', ' ', '\t', '"', '\\', '\n', '{', '}', '=', ',', '#', 'é', '😀', '\r'];
const metricName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,10}$/);
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,6}$/).filter((name) => name !== '__name__');
const labelValue = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.string({ unit: fc.constantFrom(...TRICKY), maxLength: 6 }),
);
const labelSet = fc.uniqueArray(fc.tuple(labelName, labelValue), {
  maxLength: 4,
  selector: ([name]) => name,
});
const sampleValue = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1, 1e-300, 1e300),
);
const generatedSample: fc.Arbitrary<GeneratedSample> = fc.record({
  labels: labelSet,
  value: sampleValue,
  timestampMs: fc.option(fc.integer({ min: 0, max: 4_000_000_000_000 }), { nil: undefined }),
  exemplar: fc.option(fc.record({ labels: labelSet, value: fc.double({ noNaN: true }) }), { nil: undefined }),
});
const families: fc.Arbitrary<GeneratedFamily[]> = fc.uniqueArray(
  fc.record({
    name: metricName,
    type: fc.constantFrom('counter' as const, 'gauge' as const, 'untyped' as const),
    help: fc.option(fc.oneof(fc.string({ maxLength: 10 }), fc.string({ unit: fc.constantFrom(...TRICKY) })), {
      nil: undefined,
    }),
    samples: fc.array(generatedSample, { minLength: 1, maxLength: 4 }),
  }),
  { maxLength: 5, selector: (family) => family.name },
);

function escapeText(text: string, quotes: boolean): string {
  return text.replace(quotes ? /[\\"\n]/g : /[\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

function labelText(labels: readonly (readonly [string, string])[]): string {
  return `{${labels.map(([name, value]) => `${name}="${escapeText(value, true)}"`).join(',')}}`;
}

/** The family's samples are named `name` in 0.0.4, and `name_total` for a counter in OpenMetrics. */
function render(all: readonly GeneratedFamily[], format: PromTextFormat): string {
  const out: string[] = [];
  for (const family of all) {
    const openMetrics = format === 'openmetrics';
    const type = openMetrics && family.type === 'untyped' ? 'unknown' : family.type;
    const sampleName = openMetrics && family.type === 'counter' ? `${family.name}_total` : family.name;
    out.push(`# TYPE ${family.name} ${type}`);
    if (family.help !== undefined) out.push(`# HELP ${family.name} ${escapeText(family.help, openMetrics)}`);
    for (const sample of family.samples) {
      let line = `${sampleName}${labelText(sample.labels)} ${formatExpositionValue(sample.value)}`;
      if (sample.timestampMs !== undefined) {
        line += openMetrics ? ` ${(sample.timestampMs / 1000).toFixed(3)}` : ` ${sample.timestampMs}`;
      }
      if (openMetrics && family.type === 'counter' && sample.exemplar !== undefined) {
        line += ` # ${labelText(sample.exemplar.labels)} ${formatExpositionValue(sample.exemplar.value)}`;
      }
      out.push(line);
    }
  }
  if (format === 'openmetrics') out.push('# EOF');
  return out.map((line) => `${line}\n`).join('');
}

function sameNumber(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** Parses `body`, checking every series the visitor gets parses, and that an error points inside the body. */
function parseOrLocate(body: string, format: PromTextFormat): void {
  const started = performance.now();
  try {
    parsePromText(body, format, {
      sample(series, value, timestampMs) {
        parseSeriesLabels(series);
        if (typeof value !== 'number') throw new Error('value is not a number');
        if (timestampMs !== undefined && !Number.isFinite(timestampMs))
          throw new Error('timestamp is not finite');
      },
    });
  } catch (error) {
    if (!(error instanceof PromTextParseError)) throw error;
    const lines = body.split('\n');
    expect(error.line).toBeGreaterThanOrEqual(1);
    expect(error.line).toBeLessThanOrEqual(lines.length);
    expect(error.column).toBeGreaterThanOrEqual(1);
    expect(error.column).toBeLessThanOrEqual([...(lines[error.line - 1] as string)].length + 1);
    expect(error.offset).toBeGreaterThanOrEqual(0);
    expect(error.offset).toBeLessThanOrEqual(body.length);
    expect(error.message).toBe(`line ${error.line}, column ${error.column}: ${error.reason}`);
  }
  expect(performance.now() - started).toBeLessThan(TIME_BOUND_MS);
}

const mutation = fc.record({
  kind: fc.constantFrom('insert' as const, 'delete' as const, 'replace' as const),
  at: fc.nat(),
  text: fc.oneof(
    fc.constantFrom(...TRICKY, '\0', '\ud800', '\udc00', '# EOF\n', '.', 'e', '-', '+', 'Inf'),
    fc.string(),
  ),
});

function mutate(body: string, edits: readonly { kind: string; at: number; text: string }[]): string {
  let out = body;
  for (const edit of edits) {
    const at = edit.at % (out.length + 1);
    if (edit.kind === 'insert') out = out.slice(0, at) + edit.text + out.slice(at);
    else if (edit.kind === 'delete') out = out.slice(0, at) + out.slice(at + 1 + (edit.text.length % 3));
    else out = out.slice(0, at) + edit.text + out.slice(at + edit.text.length);
  }
  return out;
}

describe.each(['text', 'openmetrics'] as const)('parsePromText properties, %s', (format) => {
  it('reads back the samples of valid bodies', () => {
    fc.assert(
      fc.property(families, (all) => {
        const body = render(all, format);
        const samples = parsePromTextToSamples(body, format, -1);
        const expected = all.flatMap((family) => family.samples.map((sample) => ({ family, sample })));
        expect(samples).toHaveLength(expected.length);
        samples.forEach((parsed, k) => {
          const { family, sample } = expected[k] as (typeof expected)[number];
          const name =
            format === 'openmetrics' && family.type === 'counter' ? `${family.name}_total` : family.name;
          expect(parsed.labels.equals(Labels.fromEntries([...sample.labels, ['__name__', name]]))).toBe(true);
          expect(sameNumber(parsed.value, sample.value)).toBe(true);
          const timestampMs =
            sample.timestampMs === undefined
              ? -1
              : format === 'openmetrics'
                ? Math.trunc(Number((sample.timestampMs / 1000).toFixed(3)) * 1000)
                : sample.timestampMs;
          expect(parsed.timestampMs).toBe(timestampMs);
          expect(parsed.metadata?.family).toBe(family.name);
          const help =
            family.help === undefined || (format === 'text' && /^[ \t]*$/.test(family.help))
              ? undefined
              : family.help;
          expect(parsed.metadata?.help).toBe(help === '' ? undefined : help);
          if (format === 'openmetrics' && family.type === 'counter' && sample.exemplar !== undefined) {
            const exemplar = parsed.exemplars?.[0];
            expect(exemplar?.labels.equals(Labels.fromEntries(sample.exemplar.labels))).toBe(true);
            expect(exemplar?.value).toBe(sample.exemplar.value === 0 ? 0 : sample.exemplar.value);
          } else {
            expect(parsed.exemplars).toBeUndefined();
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('parses or throws a located PromTextParseError for mutated bodies', () => {
    fc.assert(
      fc.property(families, fc.array(mutation, { minLength: 1, maxLength: 4 }), (all, edits) => {
        parseOrLocate(mutate(render(all, format), edits), format);
      }),
      { numRuns: 2000 },
    );
  });

  it('parses or throws a located PromTextParseError for random strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: fc.constantFrom(...TRICKY, '\0', '\ud800', 'Inf', '# EOF', '1') }),
          fc.string(),
        ),
        (body) => parseOrLocate(body, format),
      ),
      { numRuns: 1000 },
    );
  });
});

describe('numbers', () => {
  const digits = (max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: max });
  const decimal = fc
    .tuple(
      fc.constantFrom('', '+', '-'),
      digits(20),
      fc.option(digits(20), { nil: undefined }),
      fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(4)), {
        nil: undefined,
      }),
    )
    .map(([sign, whole, fraction, exponent]) => {
      const text = `${sign}${whole}${fraction === undefined ? '' : `.${fraction}`}`;
      return exponent === undefined ? text : `${text}${exponent.join('')}`;
    });

  it('reads decimal values exactly as Number() rounds them, and rejects what Go rejects', () => {
    fc.assert(
      fc.property(decimal, (text) => {
        const mantissa = text.replace(/[eE].*$/, '');
        const exponent = /[eE][+-]?(\d*)$/.exec(text);
        const valid = /\d/.test(mantissa) && (exponent === null || exponent[1] !== '');
        const expected = Number(text);
        let value: number | undefined;
        try {
          value = parsePromTextToSamples(`a ${text}\n`, 'text', 0)[0]?.value;
        } catch (error) {
          if (!(error instanceof PromTextParseError)) throw error;
        }
        if (valid && Number.isFinite(expected)) expect(value).toBe(expected);
        else expect(value).toBeUndefined();
      }),
      { numRuns: 3000 },
    );
  });
});

describe('round trip through encodeExpositionText', () => {
  it('parses back what the encoder writes', () => {
    fc.assert(
      fc.property(families, (all) => {
        const body = encodeExpositionText(
          all.map((family) => ({
            name: family.name,
            type: family.type,
            help: family.help,
            samples: family.samples.map((sample) => ({
              labels: Labels.fromEntries(sample.labels),
              value: sample.value,
              timestampMs: sample.timestampMs,
            })),
          })),
        );
        const parsed = parsePromTextToSamples(body, 'text', -1);
        const expected = all.flatMap((family) =>
          family.samples.map((sample) => ({
            labels: Labels.fromEntries([...sample.labels, ['__name__', family.name]]),
            value: sample.value,
            timestampMs: sample.timestampMs ?? -1,
          })),
        );
        expect(parsed).toHaveLength(expected.length);
        parsed.forEach((sample, k) => {
          const want = expected[k] as (typeof expected)[number];
          expect(sample.labels.equals(want.labels)).toBe(true);
          expect(sameNumber(sample.value, want.value)).toBe(true);
          expect(sample.timestampMs).toBe(want.timestampMs);
        });
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * The sampling policies of `tailSample`, as the Collector's `tail_sampling` processor evaluates
 * them: their types, their checks when the component is built, and the evaluators that decide a
 * trace. Policies are compiled once; each subscription makes its own evaluators, so the stateful
 * ones (`rateLimiting`, `composite`) keep per-subscription state.
 */
import type { RE2JS } from 're2js';
import { ConfigError } from '../../../core/errors.js';
import type { AnyValue, Attributes, Resource, Span } from '../../../core/signals.js';
import { attrCompileRegex } from '../attr-actions.js';
import { attrGet } from '../attr-values.js';
import { fnv1a64Salted, probabilityThreshold } from './hash.js';

/** Samples every trace. */
export interface TailSampleAlwaysSamplePolicy {
  readonly type: 'alwaysSample';
}

/**
 * Samples traces by duration: from the earliest span start to the latest span end, in whole
 * milliseconds. Without `upperThresholdMs`, a duration of at least `thresholdMs` samples; with
 * it, a duration above `thresholdMs` and at most `upperThresholdMs`.
 */
export interface TailSampleLatencyPolicy {
  readonly type: 'latency';
  readonly thresholdMs: number;
  /** The upper bound; 0 means none. @defaultValue 0 */
  readonly upperThresholdMs?: number;
}

/** A span status, as the Collector's `status_codes` names it. */
export type TailSampleStatusCode = 'OK' | 'ERROR' | 'UNSET';

/** Samples traces with a span whose status is one of `statusCodes`. */
export interface TailSampleStatusCodePolicy {
  readonly type: 'statusCode';
  readonly statusCodes: readonly TailSampleStatusCode[];
}

/**
 * Samples traces where a resource or span has the numeric attribute `key` within
 * `[minValue, maxValue]` (either bound may be left out, not both). Ints and doubles count;
 * other types do not. With `invertMatch`, traces where no resource or span has it in range
 * (the Collector's deprecated inverted decisions: an inverted "not sampled" vetoes the trace).
 */
export interface TailSampleNumericAttributePolicy {
  readonly type: 'numericAttribute';
  readonly key: string;
  /** @defaultValue no lower bound */
  readonly minValue?: number | bigint;
  /** @defaultValue no upper bound */
  readonly maxValue?: number | bigint;
  /** @defaultValue false */
  readonly invertMatch?: boolean;
}

/**
 * Samples traces where a resource or span has the string attribute `key` equal to one of
 * `values`, or, with `enabledRegexMatching`, matching one of them as an RE2 regex (anywhere in
 * the string). With `invertMatch`, traces where none has (an inverted decision, as above).
 */
export interface TailSampleStringAttributePolicy {
  readonly type: 'stringAttribute';
  readonly key: string;
  readonly values: readonly string[];
  /** @defaultValue false */
  readonly enabledRegexMatching?: boolean;
  /** How many regex results are cached (by attribute value). @defaultValue 128 */
  readonly cacheMaxSize?: number;
  /** @defaultValue false */
  readonly invertMatch?: boolean;
}

/**
 * Samples `samplingPercentage` percent of traces by a hash of the trace id (FNV-1a of
 * `hashSalt` and the id), so every collector with the same salt keeps the same traces.
 */
export interface TailSampleProbabilisticPolicy {
  readonly type: 'probabilistic';
  /** 0 to 100. */
  readonly samplingPercentage: number;
  /** @defaultValue `'default-hash-seed'` */
  readonly hashSalt?: string;
}

/**
 * Samples traces while a token bucket of spans allows: it refills at `spansPerSecond` and holds
 * at most `burstCapacity`; a trace takes as many tokens as it has spans, or is not sampled.
 */
export interface TailSampleRateLimitingPolicy {
  readonly type: 'rateLimiting';
  readonly spansPerSecond: number;
  /** @defaultValue twice `spansPerSecond` */
  readonly burstCapacity?: number;
}

/** Samples traces with at least `minSpans` spans and, when `maxSpans` is given, at most that many. */
export interface TailSampleSpanCountPolicy {
  readonly type: 'spanCount';
  readonly minSpans: number;
  /** 0 means no maximum. @defaultValue 0 */
  readonly maxSpans?: number;
}

/** The policies that look at a trace directly. */
export type TailSampleLeafPolicy =
  | TailSampleAlwaysSamplePolicy
  | TailSampleLatencyPolicy
  | TailSampleStatusCodePolicy
  | TailSampleNumericAttributePolicy
  | TailSampleStringAttributePolicy
  | TailSampleProbabilisticPolicy
  | TailSampleRateLimitingPolicy
  | TailSampleSpanCountPolicy;

/** Samples traces that every sub-policy samples. */
export interface TailSampleAndPolicy {
  readonly type: 'and';
  readonly policies: readonly TailSampleLeafPolicy[];
}

/** Drops traces that every sub-policy samples, whatever the other policies decide. */
export interface TailSampleDropPolicy {
  readonly type: 'drop';
  readonly policies: readonly TailSampleLeafPolicy[];
}

/** A sub-policy of a composite policy with its share of the rate. */
export interface TailSampleCompositeSubPolicy {
  readonly policy: TailSampleLeafPolicy | TailSampleAndPolicy;
  /**
   * Its share of `maxTotalSpansPerSecond`, in percent.
   * @defaultValue an equal share: `100 / policies.length`
   */
  readonly percent?: number;
}

/**
 * Sub-policies tried in order, each with a spans-per-second allowance: the first that samples
 * a trace decides, sampling it if the spans it sampled this second plus the trace's stay within
 * its allowance (and within `maxTotalSpansPerSecond`), and not sampling it otherwise. The
 * Collector's `policy_order` is the order of `policies`, and `rate_allocation` is each entry's
 * `percent`.
 */
export interface TailSampleCompositePolicy {
  readonly type: 'composite';
  readonly maxTotalSpansPerSecond: number;
  readonly policies: readonly TailSampleCompositeSubPolicy[];
}

/**
 * One sampling policy of {@link tailSample}, as an Alloy `policy` block with the Collector's
 * option names in camelCase. A trace is sampled when any policy samples it and no `drop` policy
 * (nor an inverted match) vetoes it.
 *
 * @example
 * ```ts
 * const policies: TailSamplePolicy[] = [
 *   { type: 'statusCode', statusCodes: ['ERROR'] },
 *   { type: 'and', policies: [
 *     { type: 'stringAttribute', key: 'service.name', values: ['checkout'] },
 *     { type: 'probabilistic', samplingPercentage: 25 },
 *   ] },
 *   { type: 'composite', maxTotalSpansPerSecond: 1000, policies: [
 *     { policy: { type: 'latency', thresholdMs: 2000 }, percent: 60 },
 *     { policy: { type: 'alwaysSample' } },
 *   ] },
 * ];
 * ```
 */
export type TailSamplePolicy =
  | TailSampleLeafPolicy
  | TailSampleAndPolicy
  | TailSampleDropPolicy
  | TailSampleCompositePolicy;

/** The policy type names. */
export const TAIL_SAMPLE_POLICY_TYPES: readonly TailSamplePolicy['type'][] = [
  'alwaysSample',
  'latency',
  'statusCode',
  'numericAttribute',
  'stringAttribute',
  'probabilistic',
  'rateLimiting',
  'spanCount',
  'and',
  'drop',
  'composite',
];

/** What a policy sees of a trace: its id and the spans received so far. */
export interface TailSampleTrace {
  readonly traceId: Uint8Array;
  readonly spans: readonly Span[];
}

/** A policy's vote, as the Collector's `sampling.Decision`. */
export type TailSampleDecision = 'sampled' | 'notSampled' | 'invertSampled' | 'invertNotSampled' | 'dropped';

/** Decides a trace at time `nowMs` (milliseconds, the sampler's clock). */
type Evaluator = (trace: TailSampleTrace, nowMs: number) => TailSampleDecision;
/** Makes a fresh evaluator (fresh state) for one subscription. */
type EvaluatorFactory = () => Evaluator;

/** The compiled policies of one `tailSample`: makes the per-subscription decision function. */
export interface TailSamplePolicies {
  /**
   * A decision function with its own state: whether to sample a trace. `onError` is told about
   * a policy that threw; that policy's vote is left out, as the Collector does.
   */
  create(onError: (error: unknown) => void): (trace: TailSampleTrace, nowMs: number) => boolean;
}

/**
 * Checks and compiles policies.
 *
 * @throws ConfigError naming `policies[i]...` and what is wrong.
 */
export function compileTailSamplePolicies(
  policies: readonly TailSamplePolicy[],
  component: string,
  sampleOnFirstMatch: boolean,
): TailSamplePolicies {
  if (!Array.isArray(policies) || policies.length === 0)
    throw new ConfigError(component, 'policies', 'must be a list of at least one policy');
  const compiled = policies.map((policy, i) => ({
    drop: policy?.type === 'drop',
    make: compilePolicy(policy, component, `policies[${i}]`, 'top'),
  }));
  // Drop policies first: a drop decides at once.
  const ordered = [...compiled.filter((p) => p.drop), ...compiled.filter((p) => !p.drop)];
  return {
    create(onError) {
      const evaluators = ordered.map((p) => p.make());
      return (trace, nowMs) => {
        let sampled = false;
        let invertSampled = false;
        let notSampled = false;
        for (const evaluate of evaluators) {
          let decision: TailSampleDecision;
          try {
            decision = evaluate(trace, nowMs);
          } catch (error) {
            onError(error);
            continue;
          }
          if (decision === 'dropped' || decision === 'invertNotSampled') return false;
          if (decision === 'sampled') {
            sampled = true;
            if (sampleOnFirstMatch) break;
          } else if (decision === 'invertSampled') invertSampled = true;
          else notSampled = true;
        }
        return sampled || (invertSampled && !notSampled);
      };
    },
  };
}

type Level = 'top' | 'and' | 'composite';

function compilePolicy(
  policy: TailSamplePolicy,
  component: string,
  path: string,
  level: Level,
): EvaluatorFactory {
  const fail = (field: string, problem: string): never => {
    throw new ConfigError(component, field === '' ? path : `${path}.${field}`, problem);
  };
  if (typeof policy !== 'object' || policy === null) fail('', 'must be a policy object with a `type`');
  const loose = policy as unknown as Record<string, unknown>;
  const number = (field: string, min: number, integer = false): number => {
    const value = loose[field];
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < min ||
      (integer && !Number.isInteger(value))
    )
      fail(field, `must be ${integer ? 'an integer' : 'a number'} of at least ${min}, got ${String(value)}`);
    return value as number;
  };
  const optionalNumber = (field: string, min: number, integer = false): number | undefined =>
    loose[field] === undefined ? undefined : number(field, min, integer);
  const key = (): string => {
    if (typeof loose.key !== 'string' || loose.key === '') fail('key', 'must be a non-empty string');
    return loose.key as string;
  };
  const bool = (field: string): boolean => {
    const value = loose[field];
    if (value !== undefined && typeof value !== 'boolean') fail(field, 'must be a boolean');
    return value === true;
  };
  const subPolicies = (): TailSampleLeafPolicy[] => {
    const list = loose.policies;
    if (!Array.isArray(list) || list.length === 0) fail('policies', 'must be a list of at least one policy');
    return list as TailSampleLeafPolicy[];
  };
  switch (loose.type) {
    case 'alwaysSample':
      return () => () => 'sampled';
    case 'latency': {
      const threshold = number('thresholdMs', 0);
      const upper = optionalNumber('upperThresholdMs', 0) ?? 0;
      return () => (trace) => latency(trace, threshold, upper);
    }
    case 'statusCode': {
      const list = loose.statusCodes;
      if (!Array.isArray(list) || list.length === 0)
        fail('statusCodes', 'must list at least one of OK, ERROR, UNSET');
      const codes = new Set<number>();
      (list as unknown[]).forEach((code, i) => {
        const n = code === 'UNSET' ? 0 : code === 'OK' ? 1 : code === 'ERROR' ? 2 : undefined;
        if (n === undefined)
          fail(`statusCodes[${i}]`, `must be OK, ERROR or UNSET, got ${JSON.stringify(code)}`);
        codes.add(n as number);
      });
      return () => (trace) =>
        trace.spans.some((span) => codes.has(span.status?.code)) ? 'sampled' : 'notSampled';
    }
    case 'numericAttribute': {
      const k = key();
      const bound = (field: 'minValue' | 'maxValue'): number | undefined => {
        const value = loose[field];
        if (value === undefined) return undefined;
        if (typeof value === 'bigint') return Number(value);
        if (typeof value !== 'number' || Number.isNaN(value)) fail(field, 'must be a number or a bigint');
        return value as number;
      };
      const min = bound('minValue') ?? Number.NEGATIVE_INFINITY;
      const max = bound('maxValue') ?? Number.POSITIVE_INFINITY;
      if (loose.minValue === undefined && loose.maxValue === undefined)
        fail('minValue', "or 'maxValue' is required");
      if (min > max) fail('maxValue', 'must not be below minValue');
      const invert = bool('invertMatch');
      const inRange = (value: AnyValue | undefined): boolean => {
        if (typeof value === 'bigint') {
          const n = Number(value);
          return n >= min && n <= max;
        }
        return typeof value === 'number' && value >= min && value <= max;
      };
      return () => (trace) => attributeDecision(trace, k, inRange, invert, level);
    }
    case 'stringAttribute': {
      const k = key();
      const list = loose.values;
      if (!Array.isArray(list) || list.length === 0) fail('values', 'must be a list of at least one string');
      (list as unknown[]).forEach((value, i) => {
        if (typeof value !== 'string') fail(`values[${i}]`, 'must be a string');
      });
      const values = list as string[];
      const invert = bool('invertMatch');
      const regex = bool('enabledRegexMatching');
      const cacheSize = optionalNumber('cacheMaxSize', 1, true) ?? 128;
      if (!regex) {
        const set = new Set(values.filter((v) => v !== ''));
        const match = (value: AnyValue | undefined) =>
          typeof value === 'string' && value !== '' && set.has(value);
        return () => (trace) => attributeDecision(trace, k, match, invert, level);
      }
      const regexes: RE2JS[] = values.map((v, i) => attrCompileRegex(v, component, `${path}.values[${i}]`));
      return () => {
        const cache = new Map<string, boolean>();
        const match = (value: AnyValue | undefined): boolean => {
          if (typeof value !== 'string') return false;
          const cached = cache.get(value);
          if (cached !== undefined) return cached;
          const result = regexes.some((re) => re.test(value));
          if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
          cache.set(value, result);
          return result;
        };
        return (trace) => attributeDecision(trace, k, match, invert, level);
      };
    }
    case 'probabilistic': {
      const percentage = number('samplingPercentage', 0);
      if (percentage > 100) fail('samplingPercentage', `must be at most 100, got ${percentage}`);
      const salt =
        loose.hashSalt === undefined || loose.hashSalt === '' ? 'default-hash-seed' : loose.hashSalt;
      if (typeof salt !== 'string') fail('hashSalt', 'must be a string');
      const threshold = probabilityThreshold(percentage / 100);
      const hash = fnv1a64Salted(salt as string);
      return () => (trace) => (hash(trace.traceId) <= threshold ? 'sampled' : 'notSampled');
    }
    case 'rateLimiting': {
      const rate = number('spansPerSecond', Number.MIN_VALUE);
      const burst = optionalNumber('burstCapacity', 1) ?? rate * 2;
      return () => {
        let tokens = burst;
        let last: number | undefined;
        return (trace, nowMs) => {
          if (last !== undefined && nowMs > last)
            tokens = Math.min(burst, tokens + ((nowMs - last) / 1000) * rate);
          if (last === undefined || nowMs > last) last = nowMs;
          const needed = trace.spans.length;
          if (needed > tokens) return 'notSampled';
          tokens -= needed;
          return 'sampled';
        };
      };
    }
    case 'spanCount': {
      const min = number('minSpans', 0, true);
      const max = optionalNumber('maxSpans', 0, true) ?? 0;
      if (max !== 0 && max < min) fail('maxSpans', 'must not be below minSpans');
      return () => (trace) => {
        const count = trace.spans.length;
        return count >= min && (max === 0 || count <= max) ? 'sampled' : 'notSampled';
      };
    }
    case 'and':
    case 'drop': {
      if (level === 'and') fail('type', `'${loose.type}' cannot be nested in an 'and' policy`);
      if (loose.type === 'drop' && level !== 'top') fail('type', "'drop' can only be a top-level policy");
      const subs = subPolicies().map((sub, i) =>
        compilePolicy(sub, component, `${path}.policies[${i}]`, 'and'),
      );
      const outcome: TailSampleDecision = loose.type === 'and' ? 'sampled' : 'dropped';
      return () => {
        const evaluators = subs.map((make) => make());
        return (trace, nowMs) => {
          for (const evaluate of evaluators) {
            const decision = evaluate(trace, nowMs);
            if (decision === 'notSampled' || decision === 'invertNotSampled') return 'notSampled';
          }
          return outcome;
        };
      };
    }
    case 'composite': {
      if (level !== 'top') fail('type', "'composite' can only be a top-level policy");
      const total = number('maxTotalSpansPerSecond', 1);
      const list = loose.policies;
      if (!Array.isArray(list) || list.length === 0)
        fail('policies', 'must be a list of at least one sub-policy');
      const entries = list as TailSampleCompositeSubPolicy[];
      const subs = entries.map((entry, i) => {
        const at = `${path}.policies[${i}]`;
        if (typeof entry !== 'object' || entry === null || entry.policy === undefined)
          throw new ConfigError(component, at, 'must be { policy, percent? }');
        const percent = entry.percent;
        if (percent !== undefined && (typeof percent !== 'number' || !(percent > 0) || percent > 100))
          throw new ConfigError(
            component,
            `${at}.percent`,
            `must be above 0 and at most 100, got ${String(percent)}`,
          );
        return {
          make: compilePolicy(entry.policy, component, `${at}.policy`, 'composite'),
          allocated: percent === undefined ? total / entries.length : (percent / 100) * total,
        };
      });
      return () => {
        const evaluators = subs.map((sub) => ({ evaluate: sub.make(), allocated: sub.allocated, spent: 0 }));
        let second: number | undefined;
        return (trace, nowMs) => {
          const now = Math.floor(nowMs / 1000);
          if (now !== second) {
            second = now;
            for (const sub of evaluators) sub.spent = 0;
          }
          for (const sub of evaluators) {
            const decision = sub.evaluate(trace, nowMs);
            if (decision !== 'sampled' && decision !== 'invertSampled') continue;
            const after = sub.spent + trace.spans.length;
            if (after <= sub.allocated && after <= total) {
              sub.spent = after;
              return 'sampled';
            }
            return 'notSampled';
          }
          return 'notSampled';
        };
      };
    }
    default:
      return fail(
        'type',
        `must be one of ${TAIL_SAMPLE_POLICY_TYPES.join(', ')}, got ${JSON.stringify(loose.type)}`,
      );
  }
}

/** Latency from the earliest start to the latest end, in whole milliseconds (truncated). */
function latency(trace: TailSampleTrace, thresholdMs: number, upperThresholdMs: number): TailSampleDecision {
  let min: bigint | undefined;
  let max: bigint | undefined;
  for (const span of trace.spans) {
    const start = span.startTimeUnixNano;
    const end = span.endTimeUnixNano;
    if (typeof start === 'bigint' && (min === undefined || start < min)) min = start;
    if (typeof end === 'bigint' && (max === undefined || end > max)) max = end;
  }
  if (min === undefined || max === undefined) return 'notSampled';
  const ms = Number((max - min) / 1_000_000n);
  if (upperThresholdMs === 0) return ms >= thresholdMs ? 'sampled' : 'notSampled';
  return thresholdMs < ms && ms <= upperThresholdMs ? 'sampled' : 'notSampled';
}

/**
 * The Collector's `hasResourceOrSpanWithCondition` and its inverted form: does any resource or
 * span have `key` with a matching value. Inverted, a trace is `invertSampled` unless some
 * resource or span matches; inside `and` and `composite`, inverted votes are plain ones.
 */
function attributeDecision(
  trace: TailSampleTrace,
  key: string,
  match: (value: AnyValue | undefined) => boolean,
  invert: boolean,
  level: Level,
): TailSampleDecision {
  const found = anyMatch(trace.spans, key, match);
  if (!invert) return found ? 'sampled' : 'notSampled';
  if (level !== 'top') return found ? 'notSampled' : 'sampled';
  return found ? 'invertNotSampled' : 'invertSampled';
}

function anyMatch(
  spans: readonly Span[],
  key: string,
  match: (value: AnyValue | undefined) => boolean,
): boolean {
  let lastResource: Resource | undefined;
  for (const span of spans) {
    const resource = span.resource;
    if (resource !== lastResource) {
      lastResource = resource;
      if (match(attrGet(attributesOf(resource), key))) return true;
    }
    if (match(attrGet(attributesOf(span), key))) return true;
  }
  return false;
}

function attributesOf(holder: { readonly attributes?: Attributes } | undefined): Attributes {
  return holder?.attributes ?? [];
}

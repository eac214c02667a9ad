/**
 * Relabelling as a pure function over label sets, for every component that relabels: the
 * `relabel` transform, scrape target relabelling, metric relabelling and remote write's write
 * relabel configs.
 */
import { ConfigError } from '../../core/errors.js';
import type { Labels } from '../../core/labels.js';
import { applyRules } from './apply.js';
import { ResultCache } from './cache.js';
import { type CompiledRule, compileRules, type RelabelRule } from './rules.js';

/** Options of {@link compileRelabelRules}. */
export interface RelabelProgramOptions {
  /**
   * The most results kept in the program's cache, keyed by input label set; 0 turns the cache
   * off. Each entry holds the input and output label sets.
   * @defaultValue 100000
   */
  readonly maxCacheSize?: number;
}

/** Compiled relabelling rules, applied to one label set at a time. */
export interface RelabelProgram {
  /** How many rules the program applies. */
  readonly ruleCount: number;
  /**
   * Applies the rules in order. Returns the relabelled set (the same object when nothing
   * changed), or `undefined` when a rule dropped it.
   */
  apply(labels: Labels): Labels | undefined;
  /** How many results the cache holds now. */
  readonly cacheSize: number;
  /** Empties the cache. */
  clearCache(): void;
}

/** The default of {@link RelabelProgramOptions.maxCacheSize}, as in Alloy. */
export const DEFAULT_MAX_CACHE_SIZE = 100_000;

/**
 * Validates and compiles relabelling rules into a program.
 *
 * @param component - the name error messages give, such as the id of the calling component.
 * @throws ConfigError naming `rules[i].field` for the first invalid rule, or `maxCacheSize`.
 *
 * @example
 * ```ts
 * const program = compileRelabelRules([{ action: 'labeldrop', regex: 'pod_template_hash' }]);
 * program.apply(Labels.from({ __name__: 'up', pod_template_hash: 'abc' })); // {__name__="up"}
 * ```
 */
export function compileRelabelRules(
  rules: readonly RelabelRule[],
  component = 'relabel',
  options: RelabelProgramOptions = {},
): RelabelProgram {
  const maxCacheSize = cacheSizeOption(component, options.maxCacheSize);
  return createProgram(compileRules(rules, component), maxCacheSize);
}

/** Checks the `maxCacheSize` option. */
export function cacheSizeOption(component: string, value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_CACHE_SIZE;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ConfigError(
      component,
      'maxCacheSize',
      `must be a non-negative integer (0 turns the cache off), got ${value}`,
    );
  }
  return value;
}

/** A program over rules already compiled, with a cache of its own. */
export function createProgram(rules: readonly CompiledRule[], maxCacheSize: number): RelabelProgram {
  const cache = new ResultCache(rules.length === 0 ? 0 : maxCacheSize);
  return {
    ruleCount: rules.length,
    apply(labels: Labels): Labels | undefined {
      if (cache.capacity === 0) return applyRules(rules, labels);
      const cached = cache.get(labels);
      if (cached !== undefined) return cached ?? undefined;
      const output = applyRules(rules, labels);
      cache.set(labels, output);
      return output;
    },
    get cacheSize() {
      return cache.size;
    },
    clearCache() {
      cache.clear();
    },
  };
}

/**
 * Build-time checks shared by the OpenTelemetry-style processors (`batch`, `filter`,
 * `probabilisticSample`, `memoryLimit`): each throws a `ConfigError` naming the component and
 * the option, and saying what would be valid.
 */
import { ConfigError } from '../../core/errors.js';

/** A value for a message: strings quoted, objects and arrays named. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

/** The options argument itself: an object (or absent, when every option has a default). */
export function optionsObject<T extends object>(component: string, options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigError(component, 'options', `must be an object, got ${describeValue(options)}`);
  }
  return options;
}

/** A signal kind among those the component takes. */
export function kindOption<K extends string>(component: string, value: unknown, allowed: readonly K[]): K {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(
      component,
      'kind',
      `must be one of ${allowed.map((k) => `'${k}'`).join(', ')}, got ${describeValue(value)}`,
    );
  }
  return value as K;
}

/** An integer of at least `minimum`, or `fallback` when absent. */
export function integerOption(
  component: string,
  option: string,
  value: unknown,
  fallback: number,
  minimum: number,
  maximum = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > maximum) {
    const range =
      maximum === Number.MAX_SAFE_INTEGER ? `at least ${minimum}` : `from ${minimum} to ${maximum}`;
    throw new ConfigError(component, option, `must be an integer ${range}, got ${describeValue(value)}`);
  }
  return value;
}

/** A boolean, or `fallback` when absent. */
export function booleanOption(component: string, option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new ConfigError(component, option, `must be true or false, got ${describeValue(value)}`);
  }
  return value;
}

/** A non-empty string, or `undefined` when absent. */
export function optionalStringOption(component: string, option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new ConfigError(component, option, `must be a non-empty string, got ${describeValue(value)}`);
  }
  return value;
}

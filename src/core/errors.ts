/**
 * Errors raised by rivulet. Every error carries a {@link ErrorCode}, the id of the component it
 * came from (when known) and the underlying cause.
 */

/** The small set of error codes rivulet raises. */
export type ErrorCode =
  | 'config'
  | 'source'
  | 'sink'
  | 'transform'
  | 'wal_corruption'
  | 'cluster'
  | 'pipeline';

/** Options shared by every {@link RivuletError}. */
export interface RivuletErrorOptions {
  /** The id of the component that raised the error. */
  readonly component?: string;
  /** The error that caused this one. */
  readonly cause?: unknown;
}

/** The base class of every error rivulet raises. */
export class RivuletError extends Error {
  /** What kind of failure this is. */
  readonly code: ErrorCode;
  /** The id of the component that raised the error, when known. */
  readonly component: string | undefined;

  constructor(code: ErrorCode, message: string, options: RivuletErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RivuletError';
    this.code = code;
    this.component = options.component;
  }
}

/**
 * A component was built with an invalid option. Thrown by the factory when it is called, never
 * later, with a message naming the option and what would be valid.
 */
export class ConfigError extends RivuletError {
  /** The option path that is wrong, such as `interval` or `rules[2].regex`. */
  readonly option: string;
  /** What is wrong with it and what would be valid, without the component and option. */
  readonly problem: string;

  constructor(
    component: string,
    option: string,
    problem: string,
    options: { readonly cause?: unknown } = {},
  ) {
    super('config', `${component}: option '${option}' ${problem}`, { component, cause: options.cause });
    this.name = 'ConfigError';
    this.option = option;
    this.problem = problem;
  }
}

/** A source failed to read or receive. */
export class SourceError extends RivuletError {
  constructor(message: string, options: RivuletErrorOptions = {}) {
    super('source', message, options);
    this.name = 'SourceError';
  }
}

/** A sink failed to deliver. `retryable` says whether the same data may succeed later. */
export class SinkError extends RivuletError {
  /** Whether sending the same data again may succeed. */
  readonly retryable: boolean;

  constructor(message: string, retryable: boolean, options: RivuletErrorOptions = {}) {
    super('sink', message, options);
    this.name = 'SinkError';
    this.retryable = retryable;
  }
}

/** Data read back from a write-ahead log did not match what was written. */
export class WalCorruptionError extends RivuletError {
  constructor(message: string, options: RivuletErrorOptions = {}) {
    super('wal_corruption', message, options);
    this.name = 'WalCorruptionError';
  }
}

/** Cluster membership or sharding failed. */
export class ClusterError extends RivuletError {
  constructor(message: string, options: RivuletErrorOptions = {}) {
    super('cluster', message, options);
    this.name = 'ClusterError';
  }
}

/** Turns anything thrown into an `Error`, keeping the original as the cause. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : `non-error thrown: ${String(thrown)}`, {
    cause: thrown,
  });
}

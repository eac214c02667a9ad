/**
 * Secrets: a wrapper for credentials (passwords, tokens, keys) whose value is read only on
 * purpose, with {@link Secret.reveal}. Every other way of turning it into text (`String()`,
 * template literals, `JSON.stringify`, `console.log`, `util.inspect`) gives `<secret>`, so a
 * secret passed as an option never ends up in a log line, an error message or the debug endpoint.
 */
import { inspect } from 'node:util';

/** What a secret shows instead of its value. */
const MASK = '<secret>';
/** Brands secrets across copies of the package, where `instanceof` would fail. */
const BRAND = Symbol.for('rivulet.secret');

/**
 * A credential that shows as `<secret>` everywhere but {@link Secret.reveal}. Make one with
 * {@link secret}.
 *
 * @example
 * ```ts
 * const password = secret(process.env.PASSWORD ?? '');
 * console.log(`password: ${password}`); // password: <secret>
 * authenticate(password.reveal());
 * ```
 */
export class Secret {
  readonly #value: string;

  /**
   * Wraps `value`. Prefer the {@link secret} function.
   * @param value - the credential
   */
  constructor(value: string) {
    if (typeof value !== 'string') throw new TypeError(`secret() takes a string, got ${typeof value}`);
    this.#value = value;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** The value itself: call this only where the credential is used, never to log it. */
  reveal(): string {
    return this.#value;
  }

  /** Always `<secret>`. */
  toString(): string {
    return MASK;
  }

  /** Always `<secret>`, so `JSON.stringify` never writes the value. */
  toJSON(): string {
    return MASK;
  }

  /** Always `<secret>`, for template literals and string concatenation. */
  [Symbol.toPrimitive](): string {
    return MASK;
  }

  /** Always `<secret>`, for `console.log` and `util.inspect`. */
  [inspect.custom](): string {
    return MASK;
  }
}

/**
 * Marks a credential as secret: it shows as `<secret>` in logs, errors and the debug endpoint,
 * and only `.reveal()` gives the value back.
 *
 * @param value - the credential, such as a password or a bearer token
 * @returns the wrapped value
 *
 * @example
 * ```ts
 * const token = secret(process.env.API_TOKEN ?? '');
 * String(token); // '<secret>'
 * token.reveal(); // the token
 * ```
 */
export function secret(value: string): Secret {
  return new Secret(value);
}

/**
 * Whether `value` is a {@link Secret} (from this or any other copy of the package).
 *
 * @example
 * ```ts
 * isSecret(secret('hunter2')); // true
 * isSecret('hunter2'); // false
 * ```
 */
export function isSecret(value: unknown): value is Secret {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * The plain value of an option that takes either a string or a {@link Secret}, for components
 * that accept both.
 *
 * @example
 * ```ts
 * const header = `Bearer ${reveal(options.bearerToken)}`;
 * ```
 */
export function reveal(value: string | Secret): string {
  return isSecret(value) ? value.reveal() : value;
}

/**
 * The revealed values of the secrets found in `value`: a `Secret`, or plain objects and arrays
 * holding some, a few levels deep.
 * @internal
 */
export function revealedSecrets(value: unknown, into: Set<string> = new Set(), depth = 0): Set<string> {
  if (isSecret(value)) {
    const revealed = value.reveal();
    if (revealed !== '') into.add(revealed);
  } else if (typeof value === 'object' && value !== null && depth < 8) {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (Array.isArray(value) || prototype === Object.prototype || prototype === null) {
      for (const entry of Object.values(value)) revealedSecrets(entry, into, depth + 1);
    }
  }
  return into;
}

/**
 * `text` with every occurrence of one of `secrets` replaced by `<secret>`: the last line of
 * defence against a message built with `.reveal()`.
 * @internal
 */
export function maskRevealed(text: string, secrets: ReadonlySet<string>): string {
  let out = text;
  for (const value of secrets) if (out.includes(value)) out = out.split(value).join(MASK);
  return out;
}

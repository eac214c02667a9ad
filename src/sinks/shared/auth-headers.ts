/**
 * The request headers and credentials an HTTP sink takes (`headers`, `basicAuth`, `bearerToken`,
 * `tls`), and how they become the headers of every request: user headers first, then an
 * `Authorization` header from the credentials. Headers the protocol sets cannot be overridden.
 * Credentials may be `secret(...)` values; they are revealed here, where the headers are built,
 * and nowhere else.
 */
import { ConfigError } from '../../core/errors.js';
import { isSecret, reveal, type Secret } from '../../core/secret.js';
import type { TlsOptions } from '../remote-write/http-client.js';

/** A user name and password for HTTP basic authentication. */
export interface BasicAuth {
  readonly username: string;
  /**
   * The password. Give it as `secret(process.env.PASSWORD ?? '')` so that logs and the debug
   * endpoint show `<secret>`; a plain string works too.
   */
  readonly password: string | Secret;
}

/** The headers and credentials of an HTTP sink's requests. */
export interface HttpAuthOptions {
  /**
   * Extra request headers. The protocol's own headers cannot be overridden. A value that is a
   * credential (an API key, say) can be given as `secret(...)`, so it is never shown or logged.
   * @defaultValue none
   */
  readonly headers?: Readonly<Record<string, string | Secret>>;
  /** HTTP basic authentication; give the password as `secret(...)`. @defaultValue none */
  readonly basicAuth?: BasicAuth;
  /**
   * A bearer token for the `Authorization` header. Give it as `secret(process.env.TOKEN ?? '')`
   * so that logs and the debug endpoint show `<secret>`; a plain string works too.
   * @defaultValue none
   */
  readonly bearerToken?: string | Secret;
  /** TLS settings for `https` URLs. @defaultValue the system's trust store */
  readonly tls?: TlsOptions;
}

/** Which user headers a sink refuses. */
export interface ReservedHeaders {
  /** Lower-case names the protocol sets itself. */
  readonly protocol: readonly string[];
  /** Lower-case names set from another option, mapped to that option's name. @defaultValue none */
  readonly fromOptions?: Readonly<Record<string, string>>;
}

/**
 * Validates `headers`, `basicAuth` and `bearerToken` and returns the headers every request
 * carries, secrets revealed. Throws a `ConfigError` naming the header or option at fault, never
 * showing a value.
 */
export function authHeadersOption(
  type: string,
  options: HttpAuthOptions,
  reserved: ReservedHeaders,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const lower = name.toLowerCase();
    if (reserved.protocol.includes(lower)) {
      throw new ConfigError(type, `headers.${name}`, 'is set by the protocol and cannot be overridden');
    }
    const fromOptions = reserved.fromOptions;
    if (fromOptions !== undefined && Object.hasOwn(fromOptions, lower)) {
      throw new ConfigError(
        type,
        `headers.${name}`,
        `is set from '${fromOptions[lower]}': use that option instead`,
      );
    }
    headers[name] = credential(type, `headers.${name}`, value);
  }
  if (options.basicAuth !== undefined && options.bearerToken !== undefined) {
    throw new ConfigError(type, 'bearerToken', 'cannot be used together with basicAuth; choose one');
  }
  if (options.basicAuth !== undefined) {
    headers.Authorization = basicAuthorization(type, 'basicAuth', options.basicAuth);
  }
  if (options.bearerToken !== undefined) {
    headers.Authorization = `Bearer ${credential(type, 'bearerToken', options.bearerToken)}`;
  }
  return headers;
}

/** The `Authorization` value of HTTP basic authentication, the password revealed. */
export function basicAuthorization(type: string, option: string, auth: BasicAuth): string {
  if (auth === null || typeof auth !== 'object' || typeof auth.username !== 'string') {
    throw new ConfigError(type, `${option}.username`, 'must be a string');
  }
  const password = credential(type, `${option}.password`, auth.password);
  return `Basic ${Buffer.from(`${auth.username}:${password}`).toString('base64')}`;
}

/** The plain value of a string-or-secret option; throws a `ConfigError` for anything else. */
export function credential(type: string, option: string, value: string | Secret): string {
  if (typeof value !== 'string' && !isSecret(value)) {
    throw new ConfigError(type, option, `must be a string or a secret(...), got ${describe(value)}`);
  }
  return reveal(value);
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

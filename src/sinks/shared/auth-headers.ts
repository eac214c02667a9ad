/**
 * The request headers and credentials an HTTP sink takes (`headers`, `basicAuth`, `bearerToken`,
 * `tls`), and how they become the headers of every request: user headers first, then an
 * `Authorization` header from the credentials. Headers the protocol sets cannot be overridden.
 */
import { ConfigError } from '../../core/errors.js';
import type { TlsOptions } from '../remote-write/http-client.js';

/** A user name and password for HTTP basic authentication. */
export interface BasicAuth {
  readonly username: string;
  readonly password: string;
}

/** The headers and credentials of an HTTP sink's requests. */
export interface HttpAuthOptions {
  /** Extra request headers. The protocol's own headers cannot be overridden. @defaultValue none */
  readonly headers?: Readonly<Record<string, string>>;
  /** HTTP basic authentication. @defaultValue none */
  readonly basicAuth?: BasicAuth;
  /** A bearer token for the `Authorization` header. @defaultValue none */
  readonly bearerToken?: string;
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
 * carries. Throws a `ConfigError` naming the header or option at fault.
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
    headers[name] = value;
  }
  if (options.basicAuth !== undefined && options.bearerToken !== undefined) {
    throw new ConfigError(type, 'bearerToken', 'cannot be used together with basicAuth; choose one');
  }
  if (options.basicAuth !== undefined) {
    const { username, password } = options.basicAuth;
    headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  if (options.bearerToken !== undefined) headers.Authorization = `Bearer ${options.bearerToken}`;
  return headers;
}

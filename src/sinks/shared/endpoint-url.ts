/**
 * The endpoint option of an HTTP sink: a required http or https URL, validated when the sink is
 * built.
 */
import { ConfigError } from '../../core/errors.js';

/**
 * Parses `value` as the endpoint named by `option`, throwing a `ConfigError` when it is missing,
 * not a URL, or not http(s). `example` completes the "is required" message.
 */
export function endpointUrlOption(type: string, option: string, value: unknown, example: string): URL {
  if (typeof value !== 'string' || value === '') {
    throw new ConfigError(type, option, `is required: ${example}`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(type, option, `is not a URL: '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(type, option, `must be http or https, got '${url.protocol}'`);
  }
  return url;
}

import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { secret } from '../../src/core/secret.js';
import { lokiWrite } from '../../src/sinks/loki-write/index.js';
import { otlpExport } from '../../src/sinks/otlp-export/index.js';
import { remoteWrite } from '../../src/sinks/remote-write/index.js';
import {
  authHeadersOption,
  basicAuthorization,
  credential,
  type HttpAuthOptions,
} from '../../src/sinks/shared/auth-headers.js';

const reserved = { protocol: ['content-type'], fromOptions: { 'x-scope-orgid': 'tenantId' } };
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('authHeadersOption', () => {
  it('reveals a secret bearer token into the Authorization header', () => {
    const headers = authHeadersOption('sink', { bearerToken: secret('t0ken-value') }, reserved);
    expect(headers).toEqual({ Authorization: 'Bearer t0ken-value' });
  });

  it('reveals a secret basic auth password', () => {
    const headers = authHeadersOption(
      'sink',
      { basicAuth: { username: 'alice', password: secret('pa55word') } },
      reserved,
    );
    expect(headers).toEqual({ Authorization: basic('alice', 'pa55word') });
  });

  it('reveals secret header values and keeps plain ones', () => {
    const headers = authHeadersOption(
      'sink',
      { headers: { 'X-Api-Key': secret('k3y-value'), 'X-Team': 'platform' } },
      reserved,
    );
    expect(headers).toEqual({ 'X-Api-Key': 'k3y-value', 'X-Team': 'platform' });
  });

  it('still takes plain strings for every credential', () => {
    expect(authHeadersOption('sink', { bearerToken: 'plain' }, reserved)).toEqual({
      Authorization: 'Bearer plain',
    });
    expect(authHeadersOption('sink', { basicAuth: { username: 'bob', password: 'pw' } }, reserved)).toEqual({
      Authorization: basic('bob', 'pw'),
    });
    expect(authHeadersOption('sink', {}, reserved)).toEqual({});
  });

  it('names the option at fault without showing a secret', () => {
    const both: HttpAuthOptions = {
      basicAuth: { username: 'alice', password: secret('pa55word') },
      bearerToken: secret('t0ken-value'),
    };
    expect(() => authHeadersOption('sink', both, reserved)).toThrow(/bearerToken/);
    const reservedHeader = (): unknown =>
      authHeadersOption('sink', { headers: { 'Content-Type': secret('k3y-value') } }, reserved);
    expect(reservedHeader).toThrow(ConfigError);
    expect(reservedHeader).toThrow(/headers\.Content-Type/);
    const fromOption = (): unknown =>
      authHeadersOption('sink', { headers: { 'X-Scope-OrgID': secret('k3y-value') } }, reserved);
    expect(fromOption).toThrow(/tenantId/);
    for (const attempt of [both, { headers: { 'Content-Type': secret('k3y-value') } }]) {
      try {
        authHeadersOption('sink', attempt, reserved);
      } catch (error) {
        expect(String(error)).not.toMatch(/pa55word|t0ken-value|k3y-value/);
        expect(inspect(error)).not.toMatch(/pa55word|t0ken-value|k3y-value/);
      }
    }
  });

  it('refuses a credential that is neither a string nor a secret', () => {
    expect(() => authHeadersOption('sink', { bearerToken: 42 as unknown as string }, reserved)).toThrow(
      /'bearerToken' must be a string or a secret/,
    );
    expect(() =>
      authHeadersOption('sink', { headers: { 'X-Api-Key': { key: 'v' } as unknown as string } }, reserved),
    ).toThrow(/headers\.X-Api-Key/);
    expect(() =>
      authHeadersOption(
        'sink',
        { basicAuth: { username: 'alice', password: undefined as unknown as string } },
        reserved,
      ),
    ).toThrow(/basicAuth\.password/);
  });

  it('has helpers for other components that build the same headers', () => {
    expect(credential('scrape', 'bearerToken', secret('abc'))).toBe('abc');
    expect(credential('scrape', 'bearerToken', 'abc')).toBe('abc');
    expect(basicAuthorization('scrape', 'basicAuth', { username: 'u', password: secret('p') })).toBe(
      basic('u', 'p'),
    );
    expect(() =>
      basicAuthorization('scrape', 'basicAuth', { username: 7 as unknown as string, password: 'p' }),
    ).toThrow(/basicAuth\.username/);
  });
});

describe('HTTP sinks take secret credentials', () => {
  it('remoteWrite, lokiWrite and otlpExport accept secrets for every credential option', () => {
    const token = secret('t0ken-value');
    expect(() => remoteWrite({ url: 'http://127.0.0.1:1/api/v1/write', bearerToken: token })).not.toThrow();
    expect(() =>
      lokiWrite({
        url: 'http://127.0.0.1:1/loki/api/v1/push',
        basicAuth: { username: 'alice', password: secret('pa55word') },
      }),
    ).not.toThrow();
    expect(() =>
      otlpExport({ url: 'http://127.0.0.1:1', headers: { 'X-Api-Key': secret('k3y-value') } }),
    ).not.toThrow();
    expect(() =>
      otlpExport({
        protocol: 'grpc',
        url: 'http://127.0.0.1:1',
        headers: { 'x-api-key': secret('k3y-value') },
      }),
    ).not.toThrow();
  });
});

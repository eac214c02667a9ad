// The built-in components with secret credentials, against local backends that sometimes fail
// and echo the credential back: the secrets reach the backends, and no response of the debug
// server, no log line of the run and nothing written to the console shows them.
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fanOut } from '../../src/core/fan.js';
import { secret } from '../../src/core/secret.js';
import type { ComponentDetailView, ComponentListView } from '../../src/debug/index.js';
import { lokiWrite } from '../../src/sinks/loki-write/index.js';
import { otlpExport } from '../../src/sinks/otlp-export/index.js';
import { remoteWrite } from '../../src/sinks/remote-write/index.js';
import { otlpReceiver } from '../../src/sources/otlp-receiver/index.js';
import { scrape } from '../../src/sources/scrape/index.js';
import { tailFiles } from '../../src/sources/tail-files/index.js';
import { relabel } from '../../src/transforms/relabel/index.js';
import { countingSink, eventually, get, sleep, startDebugRun, stopDebugRuns } from './helpers.js';

const RW_PASSWORD = 'rw-pass-8f3a1c';
const LOKI_TOKEN = 'loki-token-5d2e9b';
const OTLP_KEY = 'otlp-key-c71f04';
const SCRAPE_TOKEN = 'scrape-token-a94b3e';
const SECRETS = [RW_PASSWORD, LOKI_TOKEN, OTLP_KEY, SCRAPE_TOKEN];
const RW_BASIC = `Basic ${Buffer.from(`writer:${RW_PASSWORD}`).toString('base64')}`;

interface Backend {
  url: string;
  /** The credential header of each request, in order. */
  readonly seen: string[];
  /** How many requests were answered 2xx. */
  ok: number;
}

const servers: Server[] = [];
const dirs: string[] = [];
const consoleLines: string[] = [];

beforeEach(() => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      consoleLines.push(args.map(String).join(' '));
    });
  }
});

afterEach(async () => {
  await stopDebugRuns();
  vi.restoreAllMocks();
  consoleLines.length = 0;
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise((resolve) => {
          s.close(resolve);
          s.closeAllConnections();
        }),
    ),
  );
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A backend that records the `header` of every request and answers with `answer(n)` for the
 * n-th request (from 0): a status and a body.
 */
async function backend(
  header: string,
  answer: (n: number, request: IncomingMessage) => { status: number; body?: string; type?: string },
): Promise<Backend> {
  const result = { url: '', seen: [] as string[], ok: 0 };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const n = result.seen.length;
    result.seen.push(String(request.headers[header] ?? ''));
    request.resume();
    request.on('end', () => {
      const { status, body = '', type = 'text/plain' } = answer(n, request);
      if (status >= 200 && status < 300) result.ok++;
      response.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
      response.end(body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  result.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return result;
}

/**
 * The paths the debug server routes, read from its source (and its web UI's, when it has one) so
 * routes added later are fetched too.
 */
function declaredRoutes(): string[] {
  const source = readFileSync(new URL('../../src/debug/server.ts', import.meta.url), 'utf8');
  const uiRoutes = new URL('../../src/debug/ui/routes.ts', import.meta.url);
  const ui = existsSync(uiRoutes) ? readFileSync(uiRoutes, 'utf8') : '';
  const api = /const API = '([^']+)'/.exec(source)?.[1] ?? '/api/v0';
  const routes = new Set<string>();
  for (const [, path] of source.matchAll(/case\s+'(\/[^'$:]*)'/g)) routes.add(path as string);
  for (const [, path] of source.matchAll(/`\$\{API\}(\/[^`$:]*)`/g)) {
    if (!(path as string).endsWith('/')) routes.add(`${api}${path}`);
  }
  for (const [, path] of ui.matchAll(/'(\/(?:ui\/[^'\s]+)?)'/g)) routes.add(path as string);
  return [...routes];
}

/** The web UI's assets (under `/ui/`) a page or script refers to, by path or relative reference. */
function referencedAssets(text: string, from: string): string[] {
  const found = new Set<string>();
  for (const [, ref] of text.matchAll(/(?:src|href)\s*=\s*["']([^"']+)["']/g)) {
    const value = ref as string;
    if (/^[a-z]+:/i.test(value) || value.startsWith('//') || value.startsWith('#')) continue;
    found.add(new URL(value, `http://debug${from}`).pathname);
  }
  for (const [, ref] of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
    found.add(new URL(ref as string, `http://debug${from}`).pathname);
  }
  for (const [path] of text.matchAll(/\/ui\/[A-Za-z0-9_.\-/]+/g)) found.add(path);
  return [...found].filter((path) => path.startsWith('/ui/'));
}

describe('secrets given to built-in components', () => {
  it('reach the backends and appear in no debug response, log line or console output', async () => {
    // Remote write: basic auth; the first answers fail, one of them echoing the password.
    const rw = await backend('authorization', (n) =>
      n === 0
        ? { status: 500, body: `password ${RW_PASSWORD} has expired` }
        : n === 1
          ? { status: 503, body: 'busy' }
          : { status: 204 },
    );
    // Loki: a bearer token; the first answer echoes it.
    const loki = await backend('authorization', (n) =>
      n === 0 ? { status: 500, body: `token ${LOKI_TOKEN} is not accepted here` } : { status: 204 },
    );
    // OTLP: an API key header; the first answer echoes it.
    const otlp = await backend('x-api-key', (n) =>
      n === 0
        ? { status: 503, body: `key ${OTLP_KEY} is rate limited` }
        : { status: 200, body: '', type: 'application/x-protobuf' },
    );
    // The scrape target: a bearer token; every third scrape fails.
    const exporter = await backend('authorization', (n, request) =>
      request.headers.authorization !== `Bearer ${SCRAPE_TOKEN}`
        ? { status: 401, body: 'who are you' }
        : n % 3 === 2
          ? { status: 500, body: `scrape with ${SCRAPE_TOKEN} failed` }
          : {
              status: 200,
              type: 'text/plain; version=0.0.4',
              body: '# TYPE app_requests_total counter\napp_requests_total{path="/"} 7\n',
            },
    );

    const dir = mkdtempSync(join(tmpdir(), 'rivulet-secret-'));
    dirs.push(dir);
    const logFile = join(dir, 'app.log');
    writeFileSync(logFile, 'started\n');

    const metrics = scrape({
      id: 'scrape-secret',
      targets: [{ __address__: new URL(exporter.url).host, job: 'secret-test' }],
      interval: '100ms',
      timeout: '80ms',
      bearerToken: secret(SCRAPE_TOKEN),
    });
    const metricsPipeline = fanOut(
      metrics,
      (stream) =>
        stream.pipe(
          relabel([{ targetLabel: 'team', replacement: 'platform' }], { id: 'relabel-secret' }),
          remoteWrite({
            id: 'rw-secret',
            url: `${rw.url}/api/v1/write`,
            basicAuth: { username: 'writer', password: secret(RW_PASSWORD) },
            queue: { batchSendDeadline: '20ms', minBackoff: '10ms', maxBackoff: '50ms' },
          }),
        ),
      otlpExport({
        id: 'otlp-secret',
        url: otlp.url,
        headers: { 'X-Api-Key': secret(OTLP_KEY), 'X-Team': 'platform' },
        compression: 'none',
        queue: { batchTimeout: '20ms' },
        retry: { initialInterval: '10ms', maxInterval: '50ms' },
      }),
    );
    const logs = tailFiles({ id: 'tail-secret', include: join(dir, '*.log'), pollInterval: '20ms' }).pipe(
      lokiWrite({
        id: 'loki-secret',
        url: `${loki.url}/loki/api/v1/push`,
        bearerToken: secret(LOKI_TOKEN),
        batchWait: '20ms',
        minBackoff: '10ms',
        maxBackoff: '50ms',
      }),
    );

    const {
      base,
      running,
      logs: runLogs,
      serverLogs,
    } = await startDebugRun({ metrics: metricsPipeline, logs }, { sampleInterval: '50ms' });
    await running.ready;
    for (let i = 0; i < 3; i++) {
      appendFileSync(logFile, `request ${i} served\n`);
      await sleep(30);
    }

    // Every backend saw the right credential, failed at least once, then took data.
    await eventually(() => (rw.ok > 0 && loki.ok > 0 && otlp.ok > 0 && exporter.ok > 2) || undefined, 10_000);
    expect(new Set(rw.seen)).toEqual(new Set([RW_BASIC]));
    expect(new Set(loki.seen)).toEqual(new Set([`Bearer ${LOKI_TOKEN}`]));
    expect(new Set(otlp.seen)).toEqual(new Set([OTLP_KEY]));
    expect(new Set(exporter.seen)).toEqual(new Set([`Bearer ${SCRAPE_TOKEN}`]));
    const withErrors = ['rw-secret', 'loki-secret', 'otlp-secret', 'scrape-secret'];
    await eventually(
      () =>
        withErrors.every((id) => (running.registry.component(id)?.recentErrors?.() ?? []).length > 0) ||
        undefined,
    );
    await sleep(120);

    const bodies: { path: string; text: string }[] = [];
    const fetched = new Set<string>();
    const fetchText = async (path: string): Promise<{ status: number; text: string }> => {
      fetched.add(path);
      const { status, text } = await get(base, path);
      bodies.push({ path, text });
      return { status, text };
    };

    // The web UI, when the server has one, and every asset it refers to.
    const page = await fetchText('/');
    expect([200, 404]).toContain(page.status);
    const assets = page.status === 200 ? referencedAssets(page.text, '/') : [];
    while (assets.length > 0 && fetched.size < 100) {
      const asset = assets.shift() as string;
      if (fetched.has(asset)) continue;
      const { status, text } = await fetchText(asset);
      expect(status, asset).toBe(200);
      assets.push(...referencedAssets(text, asset));
    }

    const list = JSON.parse((await fetchText('/api/v0/components')).text) as ComponentListView;
    const ids = list.components.map((c) => c.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'scrape-secret',
        'relabel-secret',
        'rw-secret',
        'otlp-secret',
        'tail-secret',
        'loki-secret',
      ]),
    );
    const routes = new Set([
      '/-/ready',
      '/-/healthy',
      '/metrics',
      '/api/v0/graph',
      '/api/v0/taps',
      '/api/v0/peers',
      ...declaredRoutes(),
    ]);
    for (const path of routes) if (!fetched.has(path)) await fetchText(path);

    const details = new Map<string, ComponentDetailView>();
    for (const id of ids) {
      const { status, text } = await fetchText(`/api/v0/components/${encodeURIComponent(id)}`);
      expect(status).toBe(200);
      details.set(id, JSON.parse(text) as ComponentDetailView);
      const response = await fetch(
        `${base}/api/v0/components/${encodeURIComponent(id)}/tap?direction=both&rate=1000`,
      );
      expect(response.status).toBe(200);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let events = '';
      const until = Date.now() + 400;
      while (Date.now() < until && !events.includes('data:')) {
        const next = await Promise.race([reader.read(), sleep(until - Date.now()).then(() => undefined)]);
        if (next === undefined || next.done) break;
        events += new TextDecoder().decode(next.value);
      }
      await reader.cancel();
      bodies.push({ path: `${id}/tap`, text: events });
    }
    expect(bodies.some((b) => b.path.endsWith('/tap') && b.text.includes('data:'))).toBe(true);

    // The options are shown, their secrets masked.
    expect(details.get('rw-secret')?.options).toMatchObject({
      url: `${rw.url}/api/v1/write`,
      basicAuth: { username: 'writer', password: '<secret>' },
    });
    expect(details.get('loki-secret')?.options).toMatchObject({ bearerToken: '<secret>' });
    expect(details.get('otlp-secret')?.options).toMatchObject({
      headers: { 'X-Api-Key': '<secret>', 'X-Team': 'platform' },
    });
    expect(details.get('scrape-secret')?.options).toMatchObject({ bearerToken: '<secret>' });
    // Errors are kept one by one, echoed credentials scrubbed from their messages.
    for (const id of withErrors) {
      const errors = details.get(id)?.recentErrors ?? [];
      expect(errors.length, id).toBeGreaterThan(0);
      for (const error of errors) expect(error.count).toBe(1);
    }
    const messages = (id: string) => (details.get(id)?.recentErrors ?? []).map((e) => e.message).join('\n');
    expect(messages('rw-secret')).toContain('password <secret> has expired');
    expect(messages('loki-secret')).toContain('token <secret> is not accepted here');
    expect(messages('otlp-secret')).toContain('key <secret> is rate limited');
    expect(messages('scrape-secret')).toContain('500');

    await running.stop();
    const everything = [...bodies.map((b) => b.text), ...runLogs, ...serverLogs, ...consoleLines].join('\n');
    expect(bodies.length).toBeGreaterThan(ids.length * 2 + 6);
    for (const value of [...SECRETS, RW_BASIC.slice('Basic '.length)]) {
      expect(everything).not.toContain(value);
    }
  }, 30_000);

  it('otlpReceiver checks a secret bearer token and never shows it', async () => {
    const token = 'receiver-token-3e8d71';
    let port = 0;
    const receiver = otlpReceiver({
      id: 'otlp-in',
      listen: '127.0.0.1:0',
      bearerToken: secret(token),
      onListening: (address) => {
        port = address.port;
      },
    });
    const {
      base,
      running,
      logs: runLogs,
      serverLogs,
    } = await startDebugRun({
      metrics: receiver.metrics.pipe(countingSink('otlp-in-sink')),
    });
    await running.ready;
    await eventually(() => port || undefined);
    const post = (authorization: string) =>
      fetch(`http://127.0.0.1:${port}/v1/metrics`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: authorization },
        body: '{"resourceMetrics":[]}',
      });
    expect((await post(`Bearer ${token}`)).status).toBe(200);
    expect((await post('Bearer wrong')).status).toBe(401);

    const detail = JSON.parse(
      (await get(base, `/api/v0/components/${encodeURIComponent('otlp-in/metrics')}`)).text,
    ) as ComponentDetailView;
    expect(detail.options).toMatchObject({ bearerToken: '<secret>' });
    const texts = [
      JSON.stringify(detail),
      (await get(base, '/api/v0/components')).text,
      (await get(base, '/metrics')).text,
      (await get(base, '/-/healthy')).text,
    ];
    await running.stop();
    for (const text of [...texts, ...runLogs, ...serverLogs, ...consoleLines]) {
      expect(text).not.toContain(token);
    }
  });
});

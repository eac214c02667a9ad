import { connect, type Socket } from 'node:net';
import { map } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { defineSink, defineSource, defineTransform } from '../../src/core/define.js';
import { Labels } from '../../src/core/labels.js';
import type { LogEntry, Span } from '../../src/core/signals.js';
import type { ErrorView, TapEventView } from '../../src/debug/index.js';
import {
  countingSink,
  eventually,
  get,
  sleep,
  startDebugRun,
  stopDebugRuns,
  tapping,
  ticker,
} from './helpers.js';

const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await stopDebugRuns();
});

interface SseMessage {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
  readonly comments: readonly string[];
}

/** Reads server-sent events from a fetch response until `enough` says so or the stream ends. */
async function readEvents(
  response: Response,
  enough: (messages: readonly SseMessage[]) => boolean,
): Promise<SseMessage[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const messages: SseMessage[] = [];
  let buffer = '';
  while (!enough(messages)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      messages.push(parseMessage(buffer.slice(0, end)));
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
    }
  }
  await reader.cancel();
  return messages;
}

function parseMessage(block: string): SseMessage {
  const fields: Record<string, string> = {};
  const comments: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) comments.push(line.slice(1).trim());
    else {
      const colon = line.indexOf(':');
      fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
    }
  }
  return { ...fields, comments };
}

function events(messages: readonly SseMessage[]): TapEventView[] {
  return messages
    .filter((m) => m.data !== undefined && m.event === undefined)
    .map((m) => JSON.parse(m.data as string));
}

const logLabels = Labels.from({ app: 'api' });

/** A logs source emitting `perBatch` lines of `lineBytes` bytes every `everyMs`. */
function logSource(id: string, perBatch: number, lineBytes: number, everyMs: number) {
  const line = 'x'.repeat(lineBytes);
  return defineSource({ type: 'bulkLogs', id, kind: 'logs' }, async (ctx) => {
    for (let i = 0n; !ctx.signal.aborted; i++) {
      const items: LogEntry[] = [];
      for (let j = 0; j < perBatch; j++)
        items.push({ labels: logLabels, line, timestampNs: 1_700_000_000_000_000_000n + i });
      await ctx.emit(items);
      await sleep(everyMs, ctx.signal);
    }
  });
}

function logSink(id: string) {
  return defineSink(
    { type: 'logSink', id, input: 'logs' },
    (ctx) => (up) => up.pipe(map((batch) => ctx.settle(batch, { status: 'delivered' }))),
  );
}

describe('debugServer live tap', () => {
  it('streams sampled items as server-sent events, each a JSON line', async () => {
    const { base } = await startDebugRun({ metrics: ticker('tap-source').pipe(countingSink('tap-sink')) });
    const response = await fetch(`${base}/api/v0/components/tap-source/tap?rate=1000`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const messages = await readEvents(response, (m) => events(m).length >= 3);
    expect(messages[0]?.comments).toEqual(['tapping tap-source direction=out rate=1000']);
    const received = events(messages);
    expect(received[0]).toMatchObject({
      component: 'tap-source',
      direction: 'out',
      kind: 'metrics',
      skipped: 0,
      dropped: 0,
      items: [{ kind: 'metrics', labels: { __name__: 'ticks_total', job: 'test' } }],
    });
    expect(typeof received[0]?.timestampMs).toBe('number');
    const values = received.map((e) => (e.items[0] as { value: number }).value);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    const ids = messages.filter((m) => m.id !== undefined).map((m) => Number(m.id));
    expect(ids.slice(0, 3)).toEqual([1, 2, 3]);
    for (const message of messages.filter((m) => m.data !== undefined))
      expect(message.data).not.toContain('\n');
  });

  it('watches the side asked for: a sink taps its input by default, a transform both ways', async () => {
    const double = defineTransform(
      { type: 'double', id: 'tap-double', input: 'metrics', output: 'metrics' },
      () => (up) => up.pipe(map((batch) => ({ ...batch, items: [...batch.items, ...batch.items] }))),
    );
    const { base } = await startDebugRun({
      metrics: ticker('dir-source').pipe(double, countingSink('dir-sink')),
    });
    const sink = events(
      await readEvents(await fetch(`${base}/api/v0/components/dir-sink/tap`), (m) => events(m).length >= 1),
    );
    expect(sink[0]).toMatchObject({ component: 'dir-sink', direction: 'in' });
    const both = events(
      await readEvents(
        await fetch(`${base}/api/v0/components/tap-double/tap?direction=both&rate=1000`),
        (m) => new Set(events(m).map((e) => e.direction)).size === 2,
      ),
    );
    const inEvent = both.find((e) => e.direction === 'in');
    const outEvent = both.find((e) => e.direction === 'out');
    expect(inEvent?.items).toHaveLength(1);
    expect(outEvent?.items).toHaveLength(2);
  });

  it('samples by rate, counting the items left out as skipped', async () => {
    const { base } = await startDebugRun({
      metrics: ticker('busy', { everyMs: 5, perBatch: 50 }).pipe(countingSink('busy-sink')),
    });
    const started = Date.now();
    const received = events(
      await readEvents(
        await fetch(`${base}/api/v0/components/busy/tap?rate=20`),
        () => Date.now() - started > 1000,
      ),
    );
    const items = received.reduce((n, e) => n + e.items.length, 0);
    const skipped = received.reduce((n, e) => n + e.skipped, 0);
    expect(items).toBeGreaterThan(0);
    expect(items).toBeLessThanOrEqual(20 + 25);
    expect(skipped).toBeGreaterThan(items);
  });

  it('writes logs with nanosecond strings and traces with hex ids', async () => {
    const span: Span = {
      resource: {
        attributes: [{ key: 'service.name', value: 'checkout' }],
        droppedAttributesCount: 0,
        schemaUrl: '',
      },
      scope: { name: 'test', version: '1', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
      traceId: Uint8Array.from({ length: 16 }, (_, i) => i),
      spanId: Uint8Array.from({ length: 8 }, (_, i) => 0xf0 + i),
      traceState: '',
      parentSpanId: new Uint8Array(0),
      flags: 0,
      name: 'GET /cart',
      kind: 2,
      startTimeUnixNano: 1_700_000_000_123_456_789n,
      endTimeUnixNano: 1_700_000_000_223_456_789n,
      attributes: [{ key: 'http.status_code', value: 200n }],
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      status: { code: 0, message: '' },
    };
    const spans = defineSource({ type: 'spans', id: 'span-source', kind: 'traces' }, async (ctx) => {
      while (!ctx.signal.aborted) {
        await ctx.emit([span]);
        await sleep(10, ctx.signal);
      }
    });
    const spanSink = defineSink(
      { type: 'spanSink', id: 'span-sink', input: 'traces' },
      (ctx) => (up) => up.pipe(map((batch) => ctx.settle(batch, { status: 'delivered' }))),
    );
    const { base } = await startDebugRun({
      traces: spans.pipe(spanSink),
      logs: logSource('log-source', 1, 10, 10).pipe(logSink('log-sink')),
    });
    const [traceEvent] = events(
      await readEvents(
        await fetch(`${base}/api/v0/components/span-source/tap`),
        (m) => events(m).length >= 1,
      ),
    );
    // The file sink's span shape: `kind` is the span kind.
    expect(traceEvent?.items[0]).toMatchObject({
      kind: 2,
      traceId: '000102030405060708090a0b0c0d0e0f',
      spanId: 'f0f1f2f3f4f5f6f7',
      parentSpanId: '',
      startTimeUnixNano: '1700000000123456789',
      attributes: { 'http.status_code': '200' },
      resource: { 'service.name': 'checkout' },
    });
    const [logEvent] = events(
      await readEvents(await fetch(`${base}/api/v0/components/log-source/tap`), (m) => events(m).length >= 1),
    );
    expect(logEvent?.items[0]).toMatchObject({ kind: 'logs', labels: { app: 'api' }, line: 'xxxxxxxxxx' });
    expect((logEvent?.items[0] as { timestampNs?: string } | undefined)?.timestampNs).toMatch(
      /^1700000000000000\d{3}$/,
    );
  });

  it('rejects a bad direction or rate with 400, and taps past the limit with 429', async () => {
    const { base } = await startDebugRun(
      { metrics: ticker('limits').pipe(countingSink('limits-sink')) },
      { maxTaps: 1, maxTapRate: 500 },
    );
    const badDirection = await get(base, '/api/v0/components/limits/tap?direction=sideways');
    expect(badDirection.status).toBe(400);
    expect(JSON.parse(badDirection.text)).toEqual({
      error: 'bad_request',
      message: "direction must be in, out or both, got 'sideways'",
    });
    for (const rate of ['0', '-1', '1.5', 'lots', '501']) {
      const answer = await get(base, `/api/v0/components/limits/tap?rate=${rate}`);
      expect(answer.status, rate).toBe(400);
    }
    const controller = new AbortController();
    const first = await fetch(`${base}/api/v0/components/limits/tap`, { signal: controller.signal });
    expect(first.status).toBe(200);
    const second = await fetch(`${base}/api/v0/components/limits/tap`);
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('5');
    expect(((await second.json()) as ErrorView).error).toBe('too_many_taps');
    controller.abort();
  });

  it('unsubscribes the tap when the client disconnects', async () => {
    const { base, running, handle } = await startDebugRun({
      metrics: ticker('leaving').pipe(countingSink('leaving-sink')),
    });
    const component = running.registry.component('leaving');
    if (component === undefined) throw new Error('no component');
    expect(tapping(component)).toBe(false);

    // A fetch client that stops reading and cancels the body.
    const response = await fetch(`${base}/api/v0/components/leaving/tap`);
    await readEvents(response, (m) => {
      if (events(m).length === 0) return false;
      expect(tapping(component)).toBe(true);
      expect(handle.taps()).toHaveLength(1);
      return true;
    });
    await eventually(() => (tapping(component) ? undefined : true));
    expect(handle.taps()).toHaveLength(0);

    // A raw socket that goes away.
    const { port } = new URL(base);
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    sockets.push(socket);
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    socket.write('GET /api/v0/components/leaving/tap HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await eventually(() => (text.includes('data: {') ? true : undefined));
    expect(tapping(component)).toBe(true);
    socket.destroy();
    await eventually(() => (tapping(component) ? undefined : true));
    expect(handle.taps()).toHaveLength(0);
  });

  it('ends the stream with an end event and unsubscribes when the server closes', async () => {
    const { base, running } = await startDebugRun({
      metrics: ticker('closing').pipe(countingSink('closing-sink')),
    });
    const component = running.registry.component('closing');
    if (component === undefined) throw new Error('no component');
    const response = await fetch(`${base}/api/v0/components/closing/tap`);
    const reading = readEvents(response, () => false);
    await eventually(() => (tapping(component) ? true : undefined));
    await running.stop();
    const messages = await reading;
    expect(messages.at(-1)).toMatchObject({ event: 'end', data: '{"reason":"server closing"}' });
    expect(tapping(component)).toBe(false);
  });

  it('never buffers past its bound for a client that does not read, and counts what it drops', async () => {
    const bound = 64 * 1024;
    const { base, running, handle } = await startDebugRun(
      { logs: logSource('bulk', 10, 4096, 1).pipe(logSink('bulk-sink')) },
      { maxTapBufferSize: bound },
    );
    const component = running.registry.component('bulk');
    if (component === undefined) throw new Error('no component');
    const { port } = new URL(base);
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    sockets.push(socket);
    socket.pause();
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /api/v0/components/bulk/tap?rate=10000 HTTP/1.1\r\nHost: localhost\r\n\r\n');

    // The kernel's socket buffers fill first; then the server's bound takes over.
    const dropping = await eventually(() => {
      const [stats] = handle.taps();
      return stats !== undefined && stats.droppedEvents > 20 ? stats : undefined;
    }, 20_000);
    expect(dropping.maxBufferedBytes).toBe(bound);
    expect(dropping.peakBufferedBytes).toBeLessThanOrEqual(bound);
    expect(dropping.peakBufferedBytes).toBeGreaterThan(bound / 2);
    await sleep(500);
    const later = handle.taps()[0];
    expect(later?.droppedEvents).toBeGreaterThan(dropping.droppedEvents);
    expect(later?.peakBufferedBytes).toBeLessThanOrEqual(bound);
    expect(later?.bufferedBytes).toBeLessThanOrEqual(bound);
    expect(later?.sentEvents).toBe(dropping.sentEvents);
    expect(tapping(component)).toBe(true);

    // Once the client reads again, events flow and tell it how many were dropped.
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    socket.resume();
    await eventually(() => (/"dropped":[1-9]/.test(text) ? true : undefined), 20_000);
    expect(text).toMatch(/: dropped [1-9]\d* events\n/);

    socket.destroy();
    await eventually(() => (tapping(component) ? undefined : true));
    expect(handle.taps()).toHaveLength(0);
  });
});

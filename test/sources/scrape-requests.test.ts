import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, take, tap, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { scrape } from '../../src/sources/scrape/index.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('scrape request durations', () => {
  it('times every scrape request: success for a 200, error for a failed one', async () => {
    const statuses = [200, 500, 200];
    const server = createServer((_req, res) => {
      const status = statuses.shift() ?? 200;
      res.writeHead(status, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(status === 200 ? 'up_metric 1\n' : 'broken');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const source = scrape({
      targets: [{ __address__: `127.0.0.1:${port}` }],
      interval: '50ms',
      timeout: '50ms',
    });
    await firstValueFrom(
      source.pipe(
        tap((b) => b.ack.delivered()),
        take(3),
        toArray(),
      ),
    );
    const durations = source.component.requestDurations?.();
    expect(durations?.get('success')?.count).toBe(2);
    expect(durations?.get('error')?.count).toBe(1);
    expect(durations?.get('success')?.sum).toBeLessThan(1);
    expect(source.component.queue?.()).toBeUndefined();
  });
});

// A tailFiles pipeline, run as its own process by the rotation torture test:
//   node --import tsx tail-child.ts <log dir> <positions file> <endpoint url>
// It follows <log dir>/app.log with a positions file written after every acknowledgement
// (`positionsSyncPeriod: 0`) and delivers each batch as one HTTP POST of its lines, one request
// at a time. A batch is acknowledged once the endpoint answered 2xx, and only then does its
// offset reach the positions file. It writes `ready` to stdout once running. SIGTERM drains and
// exits 0; the test kills it with SIGKILL.
import { Agent, request } from 'node:http';
import { concatMap } from 'rxjs';
import type { Batch } from '../../src/core/batch.js';
import { type Delivery, defineSink } from '../../src/core/define.js';
import { run } from '../../src/core/runner.js';
import { tailFiles } from '../../src/sources/tail-files/index.js';

/** As in tail-rotation.test.ts: the most lines one batch (one request) carries. */
const MAX_BATCH_LINES = 200;

const [dir, positions, url] = process.argv.slice(2);
if (dir === undefined || positions === undefined || url === undefined) {
  process.stderr.write('usage: tail-child.ts <log dir> <positions file> <endpoint url>\n');
  process.exit(2);
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function post(body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url as string, { method: 'POST', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const deliver = defineSink<'logs'>(
  { type: 'httpLines', id: 'deliver', input: 'logs' },
  (context) => (upstream) =>
    upstream.pipe(
      concatMap(async (batch: Batch<'logs'>): Promise<Delivery> => {
        const body = batch.items.map((entry) => entry.line).join('\n');
        try {
          const status = await post(body);
          if (status >= 200 && status < 300) return context.settle(batch, { status: 'delivered' });
          return context.settle(batch, { status: 'failed', error: new Error(`endpoint answered ${status}`) });
        } catch (error) {
          return context.settle(batch, { status: 'failed', error: error as Error });
        }
      }),
    ),
);

const source = tailFiles({
  id: 'tail',
  include: `${dir}/app.log`,
  positions,
  readFrom: 'start',
  positionsSyncPeriod: 0,
  pollInterval: '50ms',
  syncPeriod: '500ms',
  rotateWait: '500ms',
  maxBatchLines: MAX_BATCH_LINES,
  maxInFlight: 4,
});

const running = run(source.pipe(deliver), { handleSignals: true, exitProcess: true, metricsRegistry: false });
const problems = setInterval(() => {
  const health = source.component.health();
  if (health.state === 'unhealthy') process.stderr.write(`unhealthy: ${health.message}\n`);
}, 1000);
problems.unref();
await running.ready;
process.stdout.write('ready\n');
await running.done;

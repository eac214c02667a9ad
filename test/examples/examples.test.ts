import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function start(script: string, env: Record<string, string> = {}) {
  const child = spawn(tsx, [join(root, script)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (pattern: RegExp, ms: number) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${pattern} within ${ms}ms; stdout: ${stdout}; stderr: ${stderr}`)),
        ms,
      );
      const check = () => {
        const match = stdout.match(pattern);
        if (match) {
          clearTimeout(timer);
          resolve(match);
        }
      };
      child.stdout?.on('data', check);
      check();
    });
  return { child, exited, waitFor, output: () => ({ stdout, stderr }) };
}

describe('examples', () => {
  it('quickstart serves host and process metrics within 10 s, writes JSON lines, and drains on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-quickstart-'));
    const proc = start('examples/quickstart.ts', { LISTEN: '127.0.0.1:0', DATA_DIR: dataDir });
    const [, url] = await proc.waitFor(/serving metrics at (http:\/\/\S+)/, 10_000);
    let body = '';
    for (let attempt = 0; attempt < 50 && !body.includes('nodejs_heap_size_used_bytes'); attempt++) {
      body = await (await fetch(url as string)).text();
      if (!body.includes('nodejs_heap_size_used_bytes')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toMatch(/^node_cpu_seconds_total\{cpu="0",mode="idle"\} \d/m);
    expect(body).toMatch(/^node_memory_MemAvailable_bytes \d/m);
    expect(body).toMatch(/^process_cpu_user_seconds_total\{job="rivulet"\} \d/m);
    expect(body).toContain('# TYPE nodejs_heap_size_used_bytes gauge');
    await proc.waitFor(/writing JSON lines/, 5_000);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    const lines = readFileSync(join(dataDir, 'metrics.jsonl'), 'utf8').trimEnd().split('\n');
    const names = new Set(
      lines.map((l) => (JSON.parse(l) as { labels: { __name__: string } }).labels.__name__),
    );
    expect(names.has('node_load1')).toBe(true);
    expect(names.has('process_resident_memory_bytes')).toBe(true);
  });

  it('custom-component prints only the error line and counts the rest as intentional drops', async () => {
    const proc = start('examples/custom-component.ts');
    expect(await proc.exited).toBe(0);
    const { stdout } = proc.output();
    expect(stdout).toContain('{app="checkout", level="error"} payment service timed out');
    expect(stdout).not.toContain('order 17 placed');
    expect(stdout).toContain('ok=true received=3 sent=1 dropped=2');
  });
});

describe('examples/prometheus-loop.ts', () => {
  it('scrapes its own exporter, relabels, remote-writes to its own receiver and prints what arrives', async () => {
    const { freePort } = await import('../interop/prometheus-server.js');
    const proc = start('examples/prometheus-loop.ts', {
      EXPORTER_PORT: String(await freePort()),
      RECEIVER_PORT: String(await freePort()),
    });
    const [line] = await proc.waitFor(/^node_memory_MemTotal_bytes\{.*team="platform".*\} \d+.*$/m, 20_000);
    expect(line).toContain('job="node"');
    expect(proc.output().stdout).not.toMatch(/^node_cpu_seconds_total/m);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  }, 30_000);
  it('otel-service ships its SDK spans over OTLP, serves its metrics and prints its logs', async () => {
    const { freePort } = await import('../interop/prometheus-server.js');
    const metricsPort = await freePort();
    const proc = start('examples/otel-service.ts', {
      SERVICE_PORT: String(await freePort()),
      METRICS_PORT: String(metricsPort),
      OTLP_PORT: String(await freePort()),
    });
    await proc.waitFor(/^backend: span "GET \/cart" \(3 so far\)$/m, 20_000);
    expect(proc.output().stdout).toMatch(
      /\{service_instance_id="local-1", service_name="checkout"\} order placed on \/cart/,
    );
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(
      /^orders_total\{instance="local-1",job="checkout",otel_scope_name="checkout-http",route="\/cart"\} [1-9]/m,
    );
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  }, 30_000);
});

describe('examples/wal-outage.ts', () => {
  it('acknowledges from the WAL while the receiver is down, then delivers everything held', async () => {
    const { freePort } = await import('../interop/prometheus-server.js');
    const proc = start('examples/wal-outage.ts', {
      RECEIVER_PORT: String(await freePort()),
      OUTAGE_SECONDS: '3',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'rivulet-wal-example-')),
    });
    const [, heldBytes, held] = await proc.waitFor(
      /wal: (\d+) bytes in \d+ segment\(s\), (\d+) samples appended, oldest unsent [1-9][\d.]*s; receiver has 0/,
      10_000,
    );
    expect(Number(heldBytes)).toBeGreaterThan(16);
    expect(Number(held)).toBeGreaterThan(0);
    await proc.waitFor(/^receiver: listening/m, 10_000);
    const [, appended, received] = await proc.waitFor(
      /(\d+) samples appended, oldest unsent 0\.0s; receiver has ([1-9]\d*)/,
      15_000,
    );
    expect(Number(received)).toBeGreaterThanOrEqual(Number(held));
    expect(Number(received)).toBe(Number(appended));
    proc.child.kill('SIGKILL');
  }, 40_000);
});

describe('examples/debug-pipeline.ts', () => {
  it('serves its debug endpoint on a free port, lists its components, and drains on SIGTERM', async () => {
    const proc = start('examples/debug-pipeline.ts', {
      LISTEN: '127.0.0.1:0',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'rivulet-debug-example-')),
    });
    const [, base] = await proc.waitFor(/debug endpoint at (http:\/\/\S+?)\/? /, 15_000);
    let ready = 0;
    for (let attempt = 0; attempt < 50 && ready !== 200; attempt++) {
      ready = (await fetch(`${base}/-/ready`)).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready).toBe(200);
    const graph = (await (await fetch(`${base}/api/v0/graph`)).json()) as {
      nodes: { id: string; type: string }[];
      edges: { from: string; to: string }[];
    };
    expect(graph.nodes.map((n) => [n.id, n.type])).toEqual([
      ['host', 'hostMetrics'],
      ['relabel.host', 'relabel'],
      ['file', 'fileSink'],
    ]);
    expect(graph.edges.map((e) => `${e.from}->${e.to}`)).toEqual([
      'host->relabel.host',
      'relabel.host->file',
    ]);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  }, 30_000);
});

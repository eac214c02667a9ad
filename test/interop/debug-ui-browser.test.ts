/**
 * The debug UI in a real browser (Debian's Chromium, driven by playwright-core) against a real
 * running pipeline: two sources, fanned in, relabelled, fanned out to a file sink and a sink that
 * fails now and then. Checks the graph shows every component and edge with live rates, that a
 * click on a node opens its page, that the live tap shows items, pauses, filters, clears and
 * re-opens at a new rate, and that the page logs no error and breaks no Content-Security-Policy.
 * Without a cluster the Cluster link stays hidden and the cluster is never asked for; with two
 * `cluster()` nodes on loopback the Cluster page lists both alive. Screenshots go to
 * test-artifacts/debug-ui/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { map } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterNode, cluster } from '../../src/cluster/swim/cluster.js';
import { defineSink, defineSource } from '../../src/core/define.js';
import { declareOptions } from '../../src/core/extension-points.js';
import { fanIn, fanOut } from '../../src/core/fan.js';
import { Labels } from '../../src/core/labels.js';
import { secret } from '../../src/core/secret.js';
import type { MetricSample } from '../../src/core/signals.js';
import type { ComponentDetailView, DebugServerOptions, GraphView } from '../../src/debug/index.js';
import { fileSink } from '../../src/sinks/file-sink.js';
import { relabel } from '../../src/transforms/relabel/index.js';
import { type DebugRun, eventually, sleep, startDebugRun, stopDebugRuns } from '../debug/helpers.js';
import { peerAvailable } from './peers.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = peerAvailable(CHROMIUM, 'apt-get install chromium');
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/debug-ui/', import.meta.url));
const PASSWORD = 'hunter2-do-not-show';
/** A label value that would become elements if the UI ever parsed item contents as HTML. */
const MARKUP = '<img src="/x" data-injected="1"><b data-injected="1">bold</b>';

/** A CPU-seconds-like source: one sample per mode every `everyMs`, with declared options. */
function cpuTicker(
  id: string,
  cpu: string,
  everyMs: number,
  extraLabels: Readonly<Record<string, string>> = {},
) {
  const source = defineSource({ type: 'cpuTicker', id, kind: 'metrics' }, async (ctx) => {
    for (let i = 0; !ctx.signal.aborted; i++) {
      const items: MetricSample[] = ['user', 'system', 'guest'].map((mode) => ({
        labels: Labels.from({ __name__: 'cpu_seconds_total', cpu, mode, ...extraLabels }),
        value: i / 10,
        timestampMs: Date.now(),
      }));
      await ctx.emit(items);
      await sleep(everyMs, ctx.signal);
    }
  });
  return declareOptions(source, {
    interval: `${everyMs}ms`,
    cpu,
    url: `https://collector:${PASSWORD}@metrics.example.com/push`,
    password: secret(PASSWORD),
  });
}

/** A sink that keeps nothing and fails every seventh batch. */
function flakyMemorySink(id: string) {
  let batches = 0;
  return defineSink(
    { type: 'flakyMemory', id, input: 'metrics' },
    (ctx) => (upstream) =>
      upstream.pipe(
        map((batch) =>
          ++batches % 7 === 0
            ? ctx.settle(batch, {
                status: 'failed',
                error: new Error(`backend answered 503 (batch ${batches})`),
              })
            : ctx.settle(batch, { status: 'delivered' }),
        ),
      ),
  );
}

describe.runIf(hasChromium)('debug UI in Chromium', () => {
  let browser: Browser;
  let dataDir: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'rivulet-debug-ui-'));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const nodes: ClusterNode[] = [];
  afterEach(async () => {
    await stopDebugRuns();
    await Promise.all(nodes.splice(0).map((node) => node.stop({ leave: false })));
  });

  async function startPipeline(options: DebugServerOptions = {}): Promise<DebugRun> {
    const cpus = fanIn(
      cpuTicker('cpu.fast', '0', 120),
      cpuTicker('cpu.slow', '1', 400, { note: MARKUP }),
    ).pipe(
      relabel(
        [
          { action: 'drop', sourceLabels: ['mode'], regex: 'guest' },
          { action: 'replace', targetLabel: 'job', replacement: 'debug-ui' },
        ],
        { id: 'relabel.cpu' },
      ),
    );
    const pipeline = fanOut(
      cpus,
      fileSink({ id: 'file.jsonl', path: join(dataDir, 'cpu.jsonl') }),
      flakyMemorySink('memory'),
    );
    return startDebugRun({ cpu: pipeline }, { sampleInterval: '200ms', rateWindow: '2s', ...options });
  }

  /** The paths the page being watched asked for. */
  const requested: string[] = [];

  /** Records what would show a broken page: console errors and warnings, uncaught errors, CSP violations, failed requests. */
  async function watch(page: Page): Promise<string[]> {
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        problems.push(`console ${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
    });
    requested.length = 0;
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    await page.addInitScript({
      content: `document.addEventListener('securitypolicyviolation', (event) => {
        (window.cspViolations ??= []).push(event.violatedDirective + ' ' + event.blockedURI);
      });`,
    });
    return problems;
  }

  const rows = (page: Page) => page.locator('[data-testid="tap-row"]');
  const visibleRows = (page: Page) => page.locator('[data-testid="tap-row"]:visible');
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  it('shows the graph, a component page and the live tap, with no console error or CSP violation', async () => {
    const debugRun = await startPipeline();
    const { base, handle } = debugRun;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(5_000);
    const page = await context.newPage();
    const problems = await watch(page);
    try {
      // The component list.
      const answer = await page.goto(`${base}/`);
      expect(answer?.headers()['content-security-policy']).toContain("default-src 'self'");
      await page.waitForURL(/#\/components$/);
      await expect.poll(() => page.locator('[data-testid="component-row"]').count()).toBe(5);
      await expect
        .poll(() => page.locator('[data-component-id="memory"] .rate-in').textContent(), { timeout: 5_000 })
        .toMatch(/^[1-9][\d.,]*$/);
      await expect(
        page.locator('[data-component-id="cpu.fast"] [data-testid="health"]').textContent(),
      ).resolves.toBe('healthy');
      await expect(page.locator('#run-status').getAttribute('data-ready')).resolves.toBe('true');
      // No cluster: no Cluster link.
      await expect(page.locator('[data-testid="nav-peers"]').isHidden()).resolves.toBe(true);
      await shot(page, 'components');

      // The graph: a node per component, every edge with a live rate.
      await page.click('[data-testid="nav-graph"]');
      await page.waitForURL(/#\/graph$/);
      const graph = (await (await fetch(`${base}/api/v0/graph`)).json()) as GraphView;
      expect(graph.nodes).toHaveLength(5);
      expect(graph.edges).toHaveLength(4);
      await page.locator('[data-testid="graph"]').waitFor();
      for (const node of graph.nodes) {
        await expect(
          page.locator(`[data-testid="graph-node"][data-component-id="${node.id}"]`).count(),
        ).resolves.toBe(1);
      }
      expect(await page.locator('[data-testid="graph-node"]').count()).toBe(graph.nodes.length);
      expect(await page.locator('[data-testid="graph-edge"]').count()).toBe(graph.edges.length);
      for (const edge of graph.edges) {
        const label = page.locator(
          `[data-testid="graph-edge"][data-from="${edge.from}"][data-to="${edge.to}"] [data-testid="graph-edge-label"]`,
        );
        await expect.poll(() => label.textContent(), { timeout: 5_000 }).toMatch(/^[1-9][\d.,]*\/s$/);
      }
      // Sources on the left, sinks on the right.
      const x = async (id: string) =>
        (await page.locator(`[data-testid="graph-node"][data-component-id="${id}"]`).boundingBox())?.x ??
        Number.NaN;
      expect(await x('cpu.fast')).toBe(await x('cpu.slow'));
      expect(await x('cpu.fast')).toBeLessThan(await x('relabel.cpu'));
      expect(await x('relabel.cpu')).toBeLessThan(await x('memory'));
      expect(await x('memory')).toBe(await x('file.jsonl'));
      await shot(page, 'graph');

      // A click on a node opens its page, options masked.
      await page.click('[data-testid="graph-node"][data-component-id="cpu.fast"]');
      await page.waitForURL(/#\/component\/cpu\.fast$/);
      await expect(page.locator('[data-testid="component-id"]').textContent()).resolves.toBe('cpu.fast');
      const options = page.locator('[data-testid="component-options"]');
      await options.waitFor();
      expect(await options.textContent()).toContain('<secret>');
      expect(await page.content()).not.toContain(PASSWORD);
      await expect(page.locator('[data-testid="component-facts"]').textContent()).resolves.toContain(
        'relabel.cpu',
      );
      await shot(page, 'component');

      // The sink that fails shows its recent errors.
      await page.click('[data-testid="nav-graph"]');
      await page.click('[data-testid="graph-node"][data-component-id="memory"]');
      await page.waitForURL(/#\/component\/memory$/);
      await page.locator('[data-testid="recent-error"]').first().waitFor({ timeout: 5_000 });
      expect(await page.locator('[data-testid="recent-error"]').first().textContent()).toContain(
        'backend answered 503',
      );
      await shot(page, 'component-errors');

      // The live tap of the relabel transform.
      await page.goto(`${base}/#/component/relabel.cpu`);
      await page.click('[data-testid="component-tap-link"]');
      await page.waitForURL(/#\/tap\/relabel\.cpu/);
      await page.locator('[data-testid="tap-status"][data-state="live"]').waitFor({ timeout: 5_000 });
      await expect.poll(() => rows(page).count(), { timeout: 5_000 }).toBeGreaterThanOrEqual(6);
      const first = (await rows(page).first().textContent()) ?? '';
      expect(first).toContain('cpu_seconds_total{');
      expect(first).toContain('job="debug-ui"');
      expect(first).not.toContain('mode="guest"');
      await shot(page, 'tap');

      // Filter over the rendered rows.
      await page.fill('[data-testid="tap-filter"]', 'no such text anywhere');
      expect(await visibleRows(page).count()).toBe(0);
      await page.fill('[data-testid="tap-filter"]', 'CPU="1"');
      await expect.poll(() => visibleRows(page).count(), { timeout: 5_000 }).toBeGreaterThan(0);
      for (const text of await visibleRows(page).allTextContents()) expect(text).toContain('cpu="1"');
      // Item contents are text, never markup.
      expect(await visibleRows(page).first().textContent()).toContain(JSON.stringify(MARKUP));
      expect(await page.locator('[data-injected]').count()).toBe(0);
      // A click on a row shows the item's JSON (newer rows may have come above it since).
      await visibleRows(page).first().click();
      const json = JSON.parse(
        (await page.locator('[data-testid="tap-row"] pre').first().textContent()) ?? '{}',
      );
      expect(json).toMatchObject({ kind: 'metrics', labels: { cpu: '1', note: MARKUP, job: 'debug-ui' } });
      await page.fill('[data-testid="tap-filter"]', '');

      // Pause closes the stream: no new rows.
      await page.click('[data-testid="tap-pause"]');
      await page.locator('[data-testid="tap-status"][data-state="paused"]').waitFor();
      const paused = await rows(page).count();
      await eventually(() => (handle.taps().length === 0 ? true : undefined));
      await sleep(700);
      expect(await rows(page).count()).toBe(paused);
      await shot(page, 'tap-paused');

      // Clear empties the table.
      await page.click('[data-testid="tap-clear"]');
      expect(await rows(page).count()).toBe(0);

      // A new sample rate re-opens the stream with it.
      await page.fill('[data-testid="tap-rate"]', '3');
      await page.click('[data-testid="tap-apply"]');
      await page.locator('[data-testid="tap-status"][data-state="live"]').waitFor({ timeout: 5_000 });
      await eventually(() => {
        const taps = handle.taps();
        return taps.length === 1 && taps[0]?.rate === 3 && taps[0].component === 'relabel.cpu'
          ? true
          : undefined;
      });
      await expect.poll(() => rows(page).count(), { timeout: 5_000 }).toBeGreaterThan(0);
      expect(page.url()).toMatch(/#\/tap\/relabel\.cpu\?rate=3&direction=out$/);

      // Leaving the view closes the stream.
      await page.click('[data-testid="nav-components"]');
      await page.waitForURL(/#\/components$/);
      await eventually(() => (handle.taps().length === 0 ? true : undefined));

      const detail = (await (
        await fetch(`${base}/api/v0/components/cpu.fast`)
      ).json()) as ComponentDetailView;
      expect(detail.options?.password).toBe('<secret>');
      // Even at #/peers, a run without a cluster is never asked for its peers.
      await page.goto(`${base}/#/peers`);
      await expect
        .poll(() => page.locator('[data-testid="peers-summary"]').textContent())
        .toBe('No cluster is attached to this run.');
      expect(await page.locator('[data-testid="nav-peers"]').isHidden()).toBe(true);
      expect(requested).toContain('/api/v0/status');
      expect(requested).not.toContain('/api/v0/peers');

      expect(await page.evaluate('window.cspViolations ?? []')).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 30_000);

  it('shows the members of an attached cluster on the Cluster page', async () => {
    const fast = {
      bindAddr: '127.0.0.1',
      bindPort: 0,
      probeInterval: 100,
      probeTimeout: 50,
      gossipInterval: 20,
      pushPullInterval: 2000,
      tcpTimeout: 1000,
      log: () => {},
    };
    const first = cluster({ ...fast, name: 'collector-1' });
    nodes.push(first);
    const seed = await first.listening;
    const second = cluster({ ...fast, name: 'collector-2', join: [`127.0.0.1:${seed.port}`] });
    nodes.push(second);
    const { port: secondPort } = await second.listening;
    const { base } = await startPipeline({ cluster: first });

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(5_000);
    const page = await context.newPage();
    const problems = await watch(page);
    try {
      await page.goto(`${base}/`);
      await page.waitForURL(/#\/components$/);
      const link = page.locator('[data-testid="nav-peers"]');
      await link.waitFor({ state: 'visible' });
      await link.click();
      await page.waitForURL(/#\/peers$/);
      expect(await link.getAttribute('aria-current')).toBe('page');
      await expect(page.title()).resolves.toBe('Cluster · rivulet debug');

      const peerRows = page.locator('[data-testid="peer-row"]');
      const alive = page.locator('[data-testid="peer-row"][data-state="alive"]');
      await expect.poll(() => alive.count(), { timeout: 10_000 }).toBe(2);
      expect(await peerRows.count()).toBe(2);
      const self = page.locator('[data-testid="peer-row"][data-peer-name="collector-1"]');
      const other = page.locator('[data-testid="peer-row"][data-peer-name="collector-2"]');
      await expect(self.getAttribute('data-self')).resolves.toBe('true');
      await expect(self.locator('[data-testid="peer-self"]').textContent()).resolves.toBe('this node');
      await expect(self.textContent()).resolves.toContain(`127.0.0.1:${seed.port}`);
      await expect(other.getAttribute('data-self')).resolves.toBe('false');
      await expect(other.textContent()).resolves.toContain(`127.0.0.1:${secondPort}`);
      expect(await other.locator('[data-testid="peer-self"]').count()).toBe(0);
      for (const row of [self, other]) {
        await expect(row.locator('[data-testid="peer-state"]').textContent()).resolves.toBe('alive');
        await expect
          .poll(() => row.locator('[data-testid="peer-share"]').textContent())
          .toMatch(/^ ?\d{1,2}\.\d%$/);
      }
      await expect(page.locator('[data-testid="peers-summary"]').textContent()).resolves.toBe(
        '2 members (2 alive) · this node: collector-1 · health score 0 (healthy).',
      );
      await shot(page, 'cluster');

      expect(await page.evaluate('window.cspViolations ?? []')).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 30_000);
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ErrorView } from '../../src/debug/index.js';
import { LAYOUT_JS } from '../../src/debug/ui/layout-js.js';
import { UI_ASSETS, UI_CONTENT_SECURITY_POLICY } from '../../src/debug/ui/routes.js';
import { countingSink, get, startDebugRun, stopDebugRuns, ticker } from './helpers.js';

afterEach(stopDebugRuns);

const scratch = mkdtempSync(join(tmpdir(), 'rivulet-ui-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function startRun() {
  return startDebugRun({ metrics: ticker('ui-source').pipe(countingSink('ui-sink')) });
}

const scripts = [...UI_ASSETS].filter(([path]) => path.endsWith('.js'));

describe('debug UI routes', () => {
  it('serves the page and every asset with its content type, no-cache and the CSP', async () => {
    const { base } = await startRun();
    const expected: Record<string, string> = {
      '/': 'text/html; charset=utf-8',
      '/ui/app.js': 'text/javascript; charset=utf-8',
      '/ui/styles.css': 'text/css; charset=utf-8',
      '/ui/icon.svg': 'image/svg+xml',
    };
    for (const [path, asset] of UI_ASSETS) {
      const response = await get(base, path);
      expect(response.status, path).toBe(200);
      expect(response.type, path).toBe(asset.contentType);
      if (expected[path] !== undefined) expect(response.type, path).toBe(expected[path]);
      if (path.endsWith('.js')) expect(response.type, path).toBe('text/javascript; charset=utf-8');
      expect(response.text, path).toBe(asset.body);
      expect(response.headers.get('cache-control'), path).toBe('no-cache');
      expect(response.headers.get('content-security-policy'), path).toBe(UI_CONTENT_SECURITY_POLICY);
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('etag'), path).toMatch(/^"[\w-]+"$/);
    }
    expect([...UI_ASSETS.keys()]).toEqual(expect.arrayContaining(Object.keys(expected)));
  });

  it('has a strict Content-Security-Policy: same origin only, no inline script or style', () => {
    const directives = new Map(
      UI_CONTENT_SECURITY_POLICY.split(';').map((part) => {
        const [name = '', ...values] = part.trim().split(/\s+/);
        return [name, values] as const;
      }),
    );
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('style-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(UI_CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|data:|blob:|https?:|\*/);
  });

  it('answers 404 JSON for an unknown UI file, and leaves other paths to the API', async () => {
    const { base } = await startRun();
    for (const path of ['/ui/nope.js', '/ui/app.js.map', '/ui/', '/ui/%2e%2e/server.js']) {
      const response = await get(base, path);
      expect(response.status, path).toBe(404);
      expect(response.type, path).toBe('application/json; charset=utf-8');
      expect((JSON.parse(response.text) as ErrorView).error, path).toBe('not_found');
    }
    expect((await get(base, '/index.html')).status).toBe(404);
    expect((await get(base, '/api/v0/components')).status).toBe(200);
  });

  it('answers HEAD with headers only, 304 to a matching If-None-Match, 405 to other methods', async () => {
    const { base } = await startRun();
    const head = await get(base, '/ui/app.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(Number(head.headers.get('content-length'))).toBe(
      Buffer.byteLength(UI_ASSETS.get('/ui/app.js')?.body ?? ''),
    );
    const etag = head.headers.get('etag') ?? '';
    const again = await get(base, '/ui/app.js', { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    const post = await get(base, '/', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('references only its own same-origin files, with no inline script, style or handler', async () => {
    const { base } = await startRun();
    const page = (await get(base, '/')).text;
    const references = [...page.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1] ?? '');
    expect(references.length).toBeGreaterThan(0);
    for (const reference of references) {
      expect(reference, reference).toMatch(/^(\/(?!\/)|#)/);
      if (!reference.startsWith('/') || reference.startsWith('/api/')) continue;
      expect(UI_ASSETS.has(reference), reference).toBe(true);
    }
    expect(page).toMatch(/<script type="module" src="\/ui\/app\.js"><\/script>/);
    expect(page).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(page).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);

    for (const [path, asset] of scripts) {
      for (const [, specifier = ''] of asset.body.matchAll(/^import[^;]*?from '([^']+)';$/gms)) {
        expect(specifier, `${path} imports ${specifier}`).toMatch(/^\.\/[\w-]+\.js$/);
        expect(UI_ASSETS.has(`/ui/${specifier.slice(2)}`), `${path} imports ${specifier}`).toBe(true);
      }
    }
    for (const [path, asset] of UI_ASSETS) {
      const urls = [...asset.body.matchAll(/(?:https?:)?\/\/[\w-]+(?:\.[\w-]+)+[^\s'"`)]*/g)].map(
        (m) => m[0],
      );
      expect(
        urls.filter((url) => url !== 'http://www.w3.org/2000/svg'),
        path,
      ).toEqual([]);
    }
  });

  it('never parses data as markup in its scripts', () => {
    for (const [path, asset] of scripts) {
      expect(asset.body, path).not.toMatch(
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/,
      );
    }
  });

  it('ships scripts that parse as ES modules', () => {
    for (const [path, asset] of scripts) {
      const file = join(scratch, path.slice('/ui/'.length).replace(/\.js$/, '.mjs'));
      writeFileSync(file, asset.body);
      const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
      expect(check.stderr, path).toBe('');
      expect(check.status, path).toBe(0);
    }
  });
});

interface Placed {
  readonly width: number;
  readonly height: number;
  readonly nodes: ReadonlyMap<string, { x: number; y: number; column: number }>;
  readonly edges: readonly {
    from: string;
    to: string;
    points: readonly (readonly [number, number])[];
    label: readonly [number, number];
  }[];
}
type LayoutGraph = (
  nodes: readonly { id: string; role: string }[],
  edges: readonly { from: string; to: string }[],
  size: Record<string, number>,
) => Placed;

async function loadLayout(): Promise<LayoutGraph> {
  const file = join(scratch, 'layout-under-test.mjs');
  writeFileSync(file, LAYOUT_JS);
  const module = (await import(pathToFileURL(file).href)) as { layoutGraph: LayoutGraph };
  return module.layoutGraph;
}

const SIZE = { nodeWidth: 100, nodeHeight: 40, gapX: 60, gapY: 20, padding: 10 };

describe('debug UI graph layout', () => {
  it('puts each component one column right of its furthest upstream, and sinks last', async () => {
    const layoutGraph = await loadLayout();
    const nodes = [
      { id: 'a', role: 'source' },
      { id: 'b', role: 'source' },
      { id: 'r', role: 'transform' },
      { id: 'f', role: 'transform' },
      { id: 's1', role: 'sink' },
      { id: 's2', role: 'sink' },
    ];
    const edges = [
      { from: 'a', to: 'r' },
      { from: 'b', to: 'r' },
      { from: 'r', to: 'f' },
      { from: 'f', to: 's1' },
      { from: 'a', to: 's2' },
    ];
    const placed = layoutGraph(nodes, edges, SIZE);
    const columns = Object.fromEntries([...placed.nodes].map(([id, node]) => [id, node.column]));
    expect(columns).toEqual({ a: 0, b: 0, r: 1, f: 2, s1: 3, s2: 3 });
    expect(placed.width).toBe(10 * 2 + 4 * 100 + 3 * 60);
    expect(placed.edges.map((e) => `${e.from}->${e.to}`)).toEqual(['a->r', 'b->r', 'r->f', 'f->s1', 'a->s2']);

    // a -> s2 crosses columns 1 and 2: it enters and leaves each through a slot of its own.
    const long = placed.edges[4];
    expect(long?.points).toHaveLength(6);
    const boxes = [...placed.nodes.values()];
    for (const [x, y] of long?.points.slice(1, -1) ?? []) {
      for (const box of boxes) {
        const inside = x >= box.x && x <= box.x + 100 && y >= box.y && y <= box.y + 40;
        expect(inside).toBe(false);
      }
    }
    // Every label sits in the gap just left of its target.
    for (const edge of placed.edges) {
      const target = placed.nodes.get(edge.to);
      expect(edge.label[0]).toBeLessThan(target?.x ?? 0);
      expect(edge.label[0]).toBeGreaterThan((target?.x ?? 0) - 60);
    }
  });

  it('spreads the edges into one node over its height, and copes with unknown ends', async () => {
    const layoutGraph = await loadLayout();
    const placed = layoutGraph(
      [
        { id: 'a', role: 'source' },
        { id: 'b', role: 'source' },
        { id: 'c', role: 'source' },
        { id: 'sink', role: 'sink' },
      ],
      [
        { from: 'a', to: 'sink' },
        { from: 'b', to: 'sink' },
        { from: 'c', to: 'sink' },
        { from: 'ghost', to: 'sink' },
      ],
      SIZE,
    );
    expect(placed.edges).toHaveLength(3);
    const ends = placed.edges.map((e) => e.points[e.points.length - 1]?.[1] ?? 0);
    expect(new Set(ends).size).toBe(3);
    expect([...ends].sort((x, y) => x - y)).toEqual(ends);
    expect(layoutGraph([], [], SIZE).edges).toEqual([]);
  });
});

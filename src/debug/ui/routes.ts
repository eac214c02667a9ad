/**
 * Serving the debug UI: the page at `/` and its assets under `/ui/`, held in memory as this
 * folder's string constants (so the package needs no copy step). Every answer carries a strict
 * Content-Security-Policy (same-origin scripts, styles, images and connections; no inline script
 * or style, no frames, no plugins) and `Cache-Control: no-cache` with an `ETag`, so a browser
 * revalidates and picks up a new version at once.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { allowMethods, sendError } from '../http.js';
import { APP_JS } from './app-js.js';
import { COMPONENT_JS } from './component-js.js';
import { COMPONENTS_JS } from './components-js.js';
import { DOM_JS } from './dom-js.js';
import { GRAPH_JS } from './graph-js.js';
import { ICON_SVG } from './icon-svg.js';
import { LAYOUT_JS } from './layout-js.js';
import { PAGE_HTML } from './page-html.js';
import { PEERS_JS } from './peers-js.js';
import { STYLES_CSS } from './styles-css.js';
import { TAP_JS } from './tap-js.js';

/** The Content-Security-Policy of every UI answer. */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const JS = 'text/javascript; charset=utf-8';

/** The UI's files by path, with their content types. */
export const UI_ASSETS: ReadonlyMap<string, { readonly contentType: string; readonly body: string }> =
  new Map([
    ['/', { contentType: 'text/html; charset=utf-8', body: PAGE_HTML }],
    ['/ui/app.js', { contentType: JS, body: APP_JS }],
    ['/ui/dom.js', { contentType: JS, body: DOM_JS }],
    ['/ui/components.js', { contentType: JS, body: COMPONENTS_JS }],
    ['/ui/layout.js', { contentType: JS, body: LAYOUT_JS }],
    ['/ui/graph.js', { contentType: JS, body: GRAPH_JS }],
    ['/ui/component.js', { contentType: JS, body: COMPONENT_JS }],
    ['/ui/tap.js', { contentType: JS, body: TAP_JS }],
    ['/ui/peers.js', { contentType: JS, body: PEERS_JS }],
    ['/ui/styles.css', { contentType: 'text/css; charset=utf-8', body: STYLES_CSS }],
    ['/ui/icon.svg', { contentType: 'image/svg+xml', body: ICON_SVG }],
  ]);

interface Encoded {
  readonly contentType: string;
  readonly bytes: Buffer;
  readonly etag: string;
}

let encoded: ReadonlyMap<string, Encoded> | undefined;

/** The assets as bytes with their ETags, made on first use. */
function encodedAssets(): ReadonlyMap<string, Encoded> {
  encoded ??= new Map(
    [...UI_ASSETS].map(([path, asset]) => {
      const bytes = Buffer.from(asset.body, 'utf8');
      const etag = `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"`;
      return [path, { contentType: asset.contentType, bytes, etag }];
    }),
  );
  return encoded;
}

/**
 * Answers `GET`/`HEAD` of `/` and `/ui/*`; an unknown asset gets the server's JSON 404.
 * Returns `false`, answering nothing, for any other path.
 */
export function serveUi(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  secrets: ReadonlySet<string>,
): boolean {
  if (path !== '/' && !path.startsWith('/ui/')) return false;
  if (!allowMethods(request, response, ['GET', 'HEAD'], secrets)) return true;
  const asset = encodedAssets().get(path);
  if (asset === undefined) {
    sendError(request, response, 404, 'not_found', `no UI file at ${path}`, secrets);
    return true;
  }
  const headers = {
    'Content-Type': asset.contentType,
    'Cache-Control': 'no-cache',
    ETag: asset.etag,
    'Content-Security-Policy': UI_CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  };
  if (request.headers['if-none-match'] === asset.etag) {
    response.writeHead(304, headers);
    response.end();
    return true;
  }
  response.writeHead(200, { ...headers, 'Content-Length': String(asset.bytes.byteLength) });
  response.end(request.method === 'HEAD' ? undefined : asset.bytes);
  return true;
}

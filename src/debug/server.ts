/**
 * `debugServer`: the debug endpoint of a run, as Alloy's HTTP server gives it. Probes
 * (`/-/ready`, `/-/healthy`), the run's own metrics (`/metrics`), a JSON API over the component
 * registry (`/api/v0/...`) and a live tap per component as server-sent events. Plain `node:http`;
 * attach it with `run(pipelines, { debug: debugServer() })`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { ComponentInfo } from '../core/component.js';
import { ConfigError, toError } from '../core/errors.js';
import type {
  ClusterView,
  Membership,
  Peer,
  RunAttachment,
  RunAttachmentHandle,
} from '../core/extension-points.js';
import { declaredOptions } from '../core/extension-points.js';
import { type BoundAddress, parseListen } from '../core/listen-address.js';
import type { RunningPipelines } from '../core/runner.js';
import {
  type ByteSize,
  byteSizeOption,
  type Duration,
  durationOption,
  positiveIntegerOption,
} from '../core/units.js';
import { allowMethods, send, sendError, sendJson } from './http.js';
import { collectSecrets, scrub } from './mask.js';
import { renderMetrics, scrubExposition } from './metrics.js';
import { healthiness, readiness } from './probes.js';
import { CounterSampler } from './sampler.js';
import { type TapRequest, type TapStreamStats, TapStreams } from './tap.js';
import { serveUi } from './ui/routes.js';
import {
  componentDetailView,
  componentListView,
  graphView,
  type PeersView,
  peersView,
  type RingState,
  ringShares,
  type StatusView,
} from './views.js';

/** Options of {@link debugServer}. */
export interface DebugServerOptions {
  /**
   * Where to listen: `'host:port'`, `'[ipv6]:port'`, `':port'` (every interface) or a port
   * number (on 127.0.0.1). Port 0 picks a free port; `onListening` tells which.
   * @defaultValue `'127.0.0.1:12345'`
   */
  readonly listen?: string | number;
  /** Called with the bound address once the server listens. @defaultValue none */
  readonly onListening?: (address: BoundAddress) => void;
  /** Where the server writes its few lines (a failed bind, a failed request). @defaultValue `console.error` */
  readonly log?: (line: string) => void;
  /**
   * The registry `/metrics` serves.
   * @defaultValue the run's `metricsRegistry` (prom-client's global registry unless `run` was given another)
   */
  readonly metricsRegistry?: Registry;
  /**
   * Whether `/metrics` adds the process metrics (CPU, memory, event loop lag, GC, handles) that
   * the served registry does not have already.
   * @defaultValue `true`
   */
  readonly processMetrics?: boolean;
  /**
   * The cluster `/api/v0/peers` shows, and the UI's Cluster page: a gossip node such as
   * `cluster()` from `rivulet/cluster` (every member with its state, this node's health score,
   * each live member's share of the hash ring), or a plain {@link Membership} (its live peers and
   * their shares). Without one, `/api/v0/peers` answers 404.
   * @defaultValue none
   */
  readonly cluster?: ClusterView | Membership;
  /** How often the counters are sampled for the rates. @defaultValue `'1s'` */
  readonly sampleInterval?: Duration;
  /** The sliding window the items/s rates are computed over. @defaultValue `'10s'` */
  readonly rateWindow?: Duration;
  /** How many recent errors the server keeps per component. @defaultValue 10 */
  readonly recentErrors?: number;
  /**
   * The most bytes one tap stream may hold for a client that reads slowly; events that do not
   * fit are dropped and counted.
   * @defaultValue `'1MiB'`
   */
  readonly maxTapBufferSize?: ByteSize;
  /** The most tap streams open at once; more are answered 429. @defaultValue 8 */
  readonly maxTaps?: number;
  /** The sampling rate of a tap request without `rate`, in items per second. @defaultValue 100 */
  readonly defaultTapRate?: number;
  /** The highest `rate` a tap request may ask for, in items per second. @defaultValue 10000 */
  readonly maxTapRate?: number;
  /** How often an idle tap stream sends a keep-alive comment. @defaultValue `'15s'` */
  readonly tapKeepAlive?: Duration;
}

/** A debug server, to pass as `run`'s `debug` option, or to attach to a run by hand. */
export interface DebugServer extends RunAttachment {
  /** Starts serving `running`. */
  attach(running: RunningPipelines): DebugServerHandle;
}

/** A debug server serving one run. */
export interface DebugServerHandle extends RunAttachmentHandle {
  /** Resolves with the bound address once listening; rejects if the server cannot listen. */
  readonly listening: Promise<BoundAddress>;
  /** The bound address, once listening. */
  address(): BoundAddress | undefined;
  /** The live tap streams open now. */
  taps(): readonly TapStreamStats[];
  /** Ends the tap streams and closes the server and its connections. */
  close(): Promise<void>;
}

const API = '/api/v0';
const READ = ['GET', 'HEAD'] as const;

/**
 * Makes the debug endpoint of a run. It serves:
 *
 * - `GET /-/ready`: 200 once every component runs, 503 while starting and while draining;
 * - `GET /-/healthy`: 200, or 500 listing the unhealthy components with their messages;
 * - `GET /metrics`: the run's metrics and the process metrics, Prometheus text format;
 * - `GET /api/v0/components`, `/api/v0/components/:id`, `/api/v0/graph`: JSON;
 * - `GET /api/v0/peers`: the cluster's members with their states and ring shares, when a cluster
 *   is attached (404 otherwise); `GET /api/v0/status` tells whether one is;
 * - `GET /api/v0/components/:id/tap?direction=in|out|both&rate=N`: the live tap, as server-sent
 *   events, each a JSON line of sampled items.
 * - `GET /api/v0/taps`: the tap streams open now, with what each sent, dropped and buffers.
 * - `GET /`: a web UI over the above (component list, graph, component pages, live tap, and
 *   the cluster's members when a cluster is attached), its files under `/ui/`.
 *
 * Secrets (`secret()` values, and credential-looking options) never appear in what it serves.
 * Component ids in paths may be percent-encoded.
 *
 * @example
 * ```ts
 * import { debugServer } from 'rivulet/debug';
 *
 * run({ metrics }, {
 *   debug: debugServer({
 *     listen: '127.0.0.1:12345',
 *     onListening: ({ host, port }) => console.log(`debug endpoint at http://${host}:${port}/`),
 *   }),
 * });
 * ```
 */
export function debugServer(options: DebugServerOptions = {}): DebugServer {
  const type = 'debugServer';
  const listen = parseListen(type, options.listen ?? '127.0.0.1:12345');
  const sampleMs = durationOption(type, 'sampleInterval', options.sampleInterval ?? '1s', 10);
  const windowMs = durationOption(type, 'rateWindow', options.rateWindow ?? '10s', 1);
  if (windowMs < sampleMs) {
    throw new ConfigError(
      type,
      'rateWindow',
      `(${windowMs}ms) must be at least sampleInterval (${sampleMs}ms)`,
    );
  }
  const recentErrors = wholeNumberOption(type, 'recentErrors', options.recentErrors ?? 10);
  const maxBufferedBytes = byteSizeOption(type, 'maxTapBufferSize', options.maxTapBufferSize ?? '1MiB', 1024);
  const maxTaps = wholeNumberOption(type, 'maxTaps', options.maxTaps ?? 8);
  const maxTapRate = positiveIntegerOption(type, 'maxTapRate', options.maxTapRate ?? 10_000);
  const defaultTapRate = positiveIntegerOption(type, 'defaultTapRate', options.defaultTapRate ?? 100);
  if (defaultTapRate > maxTapRate) {
    throw new ConfigError(
      type,
      'defaultTapRate',
      `(${defaultTapRate}) must not be above maxTapRate (${maxTapRate})`,
    );
  }
  const keepAliveMs = durationOption(type, 'tapKeepAlive', options.tapKeepAlive ?? '15s', 100);
  const log = options.log ?? ((line: string) => console.error(line));
  const { view: clusterView, membership } = clusterOption(type, options.cluster);

  return {
    attach(running: RunningPipelines): DebugServerHandle {
      const sampler = new CounterSampler(running.registry, { intervalMs: sampleMs, windowMs, recentErrors });
      const taps = new TapStreams({ maxBufferedBytes, keepAliveMs });
      const registry = options.metricsRegistry ?? running.metricsRegistry;
      let peers: readonly Peer[] | undefined;
      let ring: RingState | undefined;
      let peersSubscription: Subscription | undefined;
      let closing = false;
      let closed: Promise<void> | undefined;

      /** The revealed values of the secrets in every declared option, to scrub from messages. */
      const secrets = (): ReadonlySet<string> => {
        const found = new Set<string>();
        for (const component of running.registry.components())
          collectSecrets(declaredOptions(component), found);
        return found;
      };

      /** The body of `/api/v0/peers`; the ring shares are sampled again only when the peers change. */
      const clusterPeers = (): PeersView => {
        if (peers === undefined || membership === undefined) return peersView(clusterView, undefined);
        if (ring === undefined || ring.peers !== peers || ring.shares === undefined) {
          ring = { peers, shares: ringShares(membership) };
        }
        return peersView(clusterView, ring);
      };

      const context: RouteContext = {
        running,
        sampler,
        taps,
        registry,
        processMetrics: options.processMetrics ?? true,
        cluster: options.cluster === undefined ? undefined : clusterPeers,
        secrets,
        closing: () => closing,
        tapLimits: { maxTaps, maxTapRate, defaultTapRate },
      };

      const server = createServer((request, response) => {
        route(context, request, response).catch((thrown: unknown) => {
          const message = scrub(toError(thrown).message, secrets());
          log(`rivulet: debug server failed to answer ${request.method} ${request.url}: ${message}`);
          if (!response.headersSent) sendError(request, response, 500, 'internal', message, secrets());
          else response.destroy();
        });
      });
      server.keepAliveTimeout = 5_000;

      const listening = new Promise<BoundAddress>((resolve, reject) => {
        server.once('error', (error) => {
          log(`rivulet: debug server cannot listen on ${listen.text}: ${error.message}`);
          reject(error);
        });
        server.listen({ host: listen.host, port: listen.port }, () => {
          const { address, port } = server.address() as AddressInfo;
          const bound: BoundAddress = { host: address, port };
          resolve(bound);
          options.onListening?.(bound);
        });
      });
      listening.catch(() => undefined);

      sampler.start();
      if (membership !== undefined) {
        peersSubscription = membership.peers.subscribe({
          next: (next) => {
            peers = next;
          },
          error: (error: unknown) =>
            log(`rivulet: debug server lost the cluster's peers: ${toError(error).message}`),
        });
      }

      return {
        listening,
        address() {
          const address = server.address();
          return address === null || typeof address === 'string'
            ? undefined
            : { host: address.address, port: address.port };
        },
        taps: () => taps.stats(),
        close() {
          if (closed === undefined) {
            closing = true;
            sampler.stop();
            peersSubscription?.unsubscribe();
            taps.closeAll('server closing');
            closed = listening.then(
              () => closeServer(server),
              () => undefined,
            );
          }
          return closed;
        },
      };
    },
  };
}

interface RouteContext {
  readonly running: RunningPipelines;
  readonly sampler: CounterSampler;
  readonly taps: TapStreams;
  readonly registry: Registry | undefined;
  readonly processMetrics: boolean;
  /** The body of `/api/v0/peers`, when a cluster is attached. */
  readonly cluster: (() => PeersView) | undefined;
  readonly secrets: () => ReadonlySet<string>;
  readonly closing: () => boolean;
  readonly tapLimits: {
    readonly maxTaps: number;
    readonly maxTapRate: number;
    readonly defaultTapRate: number;
  };
}

async function route(
  context: RouteContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const path =
    url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  const secrets = context.secrets();
  const { running, sampler } = context;
  switch (path) {
    case '/-/ready': {
      if (!allowMethods(request, response, READ, secrets)) return;
      const answer = readiness(running, context.closing());
      return send(request, response, answer.status, 'text/plain; charset=utf-8', scrub(answer.body, secrets));
    }
    case '/-/healthy': {
      if (!allowMethods(request, response, READ, secrets)) return;
      const answer = healthiness(running);
      return send(request, response, answer.status, 'text/plain; charset=utf-8', scrub(answer.body, secrets));
    }
    case '/metrics': {
      if (!allowMethods(request, response, READ, secrets)) return;
      const page = await renderMetrics(context.registry, context.processMetrics);
      const body = scrubExposition(page.body, secrets);
      return send(request, response, 200, page.contentType, body);
    }
    case `${API}/components`:
      if (!allowMethods(request, response, READ, secrets)) return;
      return sendJson(request, response, 200, componentListView(running, sampler), secrets);
    case `${API}/graph`:
      if (!allowMethods(request, response, READ, secrets)) return;
      return sendJson(request, response, 200, graphView(running, sampler), secrets);
    case `${API}/taps`:
      if (!allowMethods(request, response, READ, secrets)) return;
      return sendJson(request, response, 200, { taps: context.taps.stats() }, secrets);
    case `${API}/peers`: {
      if (!allowMethods(request, response, READ, secrets)) return;
      if (context.cluster === undefined) {
        return sendError(request, response, 404, 'not_found', 'no cluster is attached to this run', secrets);
      }
      return sendJson(request, response, 200, context.cluster(), secrets);
    }
    case `${API}/status`: {
      if (!allowMethods(request, response, READ, secrets)) return;
      const body: StatusView = { cluster: context.cluster !== undefined };
      return sendJson(request, response, 200, body, secrets);
    }
  }
  if (path.startsWith(`${API}/components/`)) {
    const rest = path.slice(`${API}/components/`.length);
    if (rest.endsWith('/tap')) {
      const component = componentAt(running, rest.slice(0, -'/tap'.length));
      if (component !== undefined) return openTap(context, component, url, request, response, secrets);
    }
    const component = componentAt(running, rest);
    if (component !== undefined) {
      if (!allowMethods(request, response, READ, secrets)) return;
      return sendJson(request, response, 200, componentDetailView(running, component, sampler), secrets);
    }
    const id = safeDecode(rest) ?? rest;
    return sendError(request, response, 404, 'not_found', `no component '${id}' in this run`, secrets);
  }
  if (serveUi(request, response, path, secrets)) return;
  return sendError(request, response, 404, 'not_found', `nothing is served at ${path}`, secrets);
}

function openTap(
  context: RouteContext,
  component: ComponentInfo,
  url: URL,
  request: IncomingMessage,
  response: ServerResponse,
  secrets: ReadonlySet<string>,
): void {
  if (!allowMethods(request, response, ['GET'], secrets)) return;
  const directionParam = url.searchParams.get('direction');
  const direction = directionParam ?? (component.role === 'sink' ? 'in' : 'out');
  if (direction !== 'in' && direction !== 'out' && direction !== 'both') {
    sendError(
      request,
      response,
      400,
      'bad_request',
      `direction must be in, out or both, got '${direction}'`,
      secrets,
    );
    return;
  }
  const { maxTaps, maxTapRate, defaultTapRate } = context.tapLimits;
  const rateParam = url.searchParams.get('rate');
  const rate = rateParam === null ? defaultTapRate : Number(rateParam);
  if (!Number.isInteger(rate) || rate < 1 || rate > maxTapRate) {
    sendError(
      request,
      response,
      400,
      'bad_request',
      `rate must be a whole number of items per second from 1 to ${maxTapRate}, got '${rateParam}'`,
      secrets,
    );
    return;
  }
  if (context.closing()) {
    sendError(request, response, 503, 'unavailable', 'the debug server is shutting down', secrets);
    return;
  }
  if (context.taps.size >= maxTaps) {
    sendError(
      request,
      response,
      429,
      'too_many_taps',
      `${maxTaps} tap streams are open already; close one and retry`,
      secrets,
      { 'Retry-After': '5' },
    );
    return;
  }
  const tap: TapRequest = { direction, rate };
  context.taps.open(component, tap, response);
}

/** The component whose id is `raw` (percent-decoded), if any. */
function componentAt(running: RunningPipelines, raw: string): ComponentInfo | undefined {
  const id = safeDecode(raw);
  return id === undefined || id === '' ? undefined : running.registry.component(id);
}

function safeDecode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    // Connections close as soon as their response is done; after a moment, every one is cut.
    server.closeIdleConnections();
    const idle = setInterval(() => server.closeIdleConnections(), 20);
    const cut = setTimeout(() => server.closeAllConnections(), 1_000);
    idle.unref();
    cut.unref();
    server.once('close', () => {
      clearInterval(idle);
      clearTimeout(cut);
    });
  });
}

/**
 * The `cluster` option split into the node that lists the members (when it is a
 * {@link ClusterView}) and the membership that places keys (when there is one). Throws when it
 * is neither a node nor a membership.
 */
function clusterOption(
  component: string,
  cluster: ClusterView | Membership | undefined,
): { readonly view: ClusterView | undefined; readonly membership: Membership | undefined } {
  if (cluster === undefined) return { view: undefined, membership: undefined };
  if (typeof (cluster as Partial<ClusterView>).members === 'function') {
    const view = cluster as ClusterView;
    return { view, membership: view.membership };
  }
  const membership = cluster as Partial<Membership>;
  if (typeof membership.owner === 'function' && typeof membership.peers?.subscribe === 'function')
    return { view: undefined, membership: cluster as Membership };
  throw new ConfigError(
    component,
    'cluster',
    'must be a cluster node (with members()) or a Membership (with peers and owner())',
  );
}

function wholeNumberOption(component: string, option: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(component, option, `must be a whole number (0 or more), got ${value}`);
  }
  return value;
}

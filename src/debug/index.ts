/**
 * `rivulet/debug`: the debug endpoint of a run, as Alloy's HTTP server gives it. Attach
 * {@link debugServer} with `run(pipelines, { debug: debugServer() })` for the probes
 * (`/-/ready`, `/-/healthy`), the run's own metrics (`/metrics`), a JSON API over its components
 * and graph (`/api/v0/...`) and a live tap of the items passing any component.
 *
 * @module
 */
export {
  type DebugServer,
  type DebugServerHandle,
  type DebugServerOptions,
  debugServer,
} from './server.js';
export { type ComponentSnapshot, type RegistrySnapshot, snapshotRegistry } from './snapshot.js';
export type { TapStreamStats } from './tap.js';
export type { TapEventView } from './tap-json.js';
export type {
  ComponentDetailView,
  ComponentListView,
  ComponentView,
  CountersView,
  ErrorView,
  GraphEdgeView,
  GraphNodeView,
  GraphView,
  HealthView,
  KindsView,
  PeersView,
  PeerView,
  RatesView,
  RecentErrorView,
  StatusView,
} from './views.js';

/**
 * `rivulet/debug`: what the debug endpoint serves. For now, a JSON-ready snapshot of a running
 * pipeline's components, their counters and health, and the edges between them.
 *
 * @module
 */
export { type ComponentSnapshot, type RegistrySnapshot, snapshotRegistry } from './snapshot.js';

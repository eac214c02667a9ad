/**
 * `rivulet/wal`: a durable write-ahead log that sinks write through. This entry point holds the
 * interface sinks depend on; the file-backed implementation lands here.
 *
 * @module
 */
export type { DurableLog } from '../core/extension-points.js';

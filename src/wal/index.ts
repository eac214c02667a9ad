/**
 * `rivulet/wal`: a durable write-ahead log that sinks write through, so data is acknowledged
 * once it is on disk and survives outages and restarts. Pass {@link fileWal} to a sink's `wal`
 * option; the on-disk format is described in docs/wal.md.
 *
 * @module
 */
export type {
  DurableLog,
  WalChannel,
  WalCodec,
  WalDecoder,
  WalEncoder,
  WalEntry,
  WalLoss,
  WalRecordOut,
} from '../core/extension-points.js';
export { type FileWal, type FileWalSnapshot, fileWal } from './file-wal.js';
export type { FileWalOptions, FsyncPolicy } from './options.js';

/**
 * The persisted read cursor of one consumer: 32 bytes overwritten in place with one positional
 * write each time the cursor moves. The write is synchronous and goes to the operating system at
 * once, so a killed process never leaves a cursor behind what was delivered, and a restart sends
 * again only what was in flight. A checksum guards against a write torn by a power cut; a
 * cursor that fails it means records are sent again, never that any are skipped.
 *
 * ```
 * u32 magic "RVCU" | u32 version | f64 segment | f64 offset | u32 crc32c(bytes 0..23) | 4 zero bytes
 * ```
 */
import { crc32c } from './crc32c.js';
import type { WalFiles, WalSmallFile } from './files.js';
import type { Position } from './segments.js';

const CURSOR_SIZE = 32;
/** "RVCU" read as a little-endian u32. */
const CURSOR_MAGIC = 0x55435652;
const CURSOR_VERSION = 1;

/** The file name a consumer's cursor is kept in. */
export function cursorFileName(consumer: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < consumer.length; i++) hash = Math.imul(hash ^ consumer.charCodeAt(i), 0x01000193);
  const readable = consumer.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 48);
  return `cursor-${readable}-${(hash >>> 0).toString(16).padStart(8, '0')}`;
}

/** The bytes of a cursor file holding `position`. */
export function encodeCursor(position: Position): Uint8Array {
  const bytes = new Uint8Array(CURSOR_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, CURSOR_MAGIC, true);
  view.setUint32(4, CURSOR_VERSION, true);
  view.setFloat64(8, position.segment, true);
  view.setFloat64(16, position.offset, true);
  view.setUint32(24, crc32c(bytes, 0, 24), true);
  return bytes;
}

/** The position in a cursor file, or `undefined` when it is damaged. */
export function decodeCursor(bytes: Uint8Array): Position | undefined {
  if (bytes.length < CURSOR_SIZE) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, CURSOR_SIZE);
  if (view.getUint32(0, true) !== CURSOR_MAGIC || view.getUint32(4, true) !== CURSOR_VERSION)
    return undefined;
  if (view.getUint32(24, true) !== crc32c(bytes, 0, 24)) return undefined;
  const segment = view.getFloat64(8, true);
  const offset = view.getFloat64(16, true);
  if (!Number.isSafeInteger(segment) || !Number.isSafeInteger(offset) || segment < 0 || offset < 0)
    return undefined;
  return { segment, offset };
}

/** Reads and writes one consumer's cursor. */
export class CursorStore {
  private file: WalSmallFile | undefined;
  private written: Position | undefined;
  private failed = false;

  constructor(
    private readonly files: WalFiles,
    private readonly path: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The stored position; `undefined` when there is none, `'unreadable'` when the file is damaged. */
  async load(): Promise<Position | undefined | 'unreadable'> {
    const bytes = await this.files.readBytes(this.path);
    // An empty file was created by a start that stopped before its first write: no cursor yet.
    if (bytes === undefined || bytes.length === 0) return undefined;
    const position = decodeCursor(bytes);
    if (position === undefined) return 'unreadable';
    this.written = position;
    return position;
  }

  /** Opens the file for writing; call once, after {@link CursorStore.load}. */
  async open(): Promise<void> {
    this.file = await this.files.openSmall(this.path);
  }

  /** Stores `position` now. */
  save(position: Position): void {
    const written = this.written;
    if (written !== undefined && written.segment === position.segment && written.offset === position.offset)
      return;
    if (this.file === undefined) return;
    try {
      this.file.overwrite(encodeCursor(position));
      this.written = position;
      this.failed = false;
    } catch (error) {
      // Reported once per run of failures; the next move tries again.
      if (!this.failed) this.onError(error);
      this.failed = true;
    }
  }

  /** Makes the last position durable and closes the file. */
  async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    if (file === undefined) return;
    await file.sync().catch((error: unknown) => this.onError(error));
    await file.close();
  }
}

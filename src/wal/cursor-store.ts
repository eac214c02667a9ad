/**
 * The persisted read cursor of one consumer: a small JSON file replaced atomically. Writes are
 * coalesced (one at a time, always the newest position), so a busy sink does not queue them.
 * A cursor lost to a power cut only means records are sent again, never that any are skipped.
 */
import type { WalFiles } from './files.js';
import type { Position } from './segments.js';

/** The file name a consumer's cursor is kept in. */
export function cursorFileName(consumer: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < consumer.length; i++) hash = Math.imul(hash ^ consumer.charCodeAt(i), 0x01000193);
  const readable = consumer.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 48);
  return `cursor-${readable}-${(hash >>> 0).toString(16).padStart(8, '0')}.json`;
}

/** Reads and writes one consumer's cursor. */
export class CursorStore {
  private writing: Promise<void> | undefined;
  private wanted: Position | undefined;
  private written: Position | undefined;

  constructor(
    private readonly files: WalFiles,
    private readonly path: string,
    private readonly consumer: string,
    private readonly sync: boolean,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The stored position; `undefined` when there is none, `'unreadable'` when the file is damaged. */
  async load(): Promise<Position | undefined | 'unreadable'> {
    const text = await this.files.readText(this.path);
    if (text === undefined) return undefined;
    try {
      const parsed = JSON.parse(text) as { segment?: unknown; offset?: unknown };
      const { segment, offset } = parsed;
      if (
        Number.isSafeInteger(segment) &&
        Number.isSafeInteger(offset) &&
        (segment as number) >= 0 &&
        (offset as number) >= 0
      ) {
        this.written = { segment: segment as number, offset: offset as number };
        return this.written;
      }
    } catch {
      // Falls through to 'unreadable'.
    }
    return 'unreadable';
  }

  /** Stores `position` soon; resolves once it, or a newer one, is written. */
  save(position: Position): Promise<void> {
    this.wanted = position;
    return this.kick();
  }

  /** Starts the write loop unless it runs; restarts it for a position saved as it finished. */
  private kick(): Promise<void> {
    this.writing ??= this.writeLoop().finally(() => {
      this.writing = undefined;
      if (this.wanted !== undefined) void this.kick();
    });
    return this.writing;
  }

  /** Resolves once every saved position is written. */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  private async writeLoop(): Promise<void> {
    while (this.wanted !== undefined) {
      const position = this.wanted;
      this.wanted = undefined;
      if (
        this.written !== undefined &&
        this.written.segment === position.segment &&
        this.written.offset === position.offset
      )
        continue;
      try {
        await this.files.writeTextAtomic(
          this.path,
          `${JSON.stringify({ consumer: this.consumer, segment: position.segment, offset: position.offset })}\n`,
          this.sync,
        );
        this.written = position;
      } catch (error) {
        this.onError(error);
      }
    }
  }
}

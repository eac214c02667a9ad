/**
 * An append-only file that rotates by size: `app.jsonl` becomes `app.jsonl.1`, `.1` becomes
 * `.2`, and so on up to `maxFiles` kept files, the oldest dropping off the end.
 */

import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Appends to `path`, rotating before a write would take it past `maxBytes`. */
export class RotatingFile {
  private handle: FileHandle | undefined;
  private size = 0;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly maxFiles: number,
    private readonly fsync: boolean,
  ) {}

  /** Appends `data`. A chunk larger than `maxBytes` goes whole into a fresh file. */
  async write(data: Buffer): Promise<void> {
    if (this.handle === undefined) await this.open();
    if (this.size > 0 && this.size + data.length > this.maxBytes) await this.rotate();
    const handle = this.handle as FileHandle;
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
    this.size += data.length;
    if (this.fsync) await handle.sync();
  }

  /** Closes the file; a later write opens it again. */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private async open(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    this.handle = await open(this.path, 'a');
    this.size = (await stat(this.path)).size;
  }

  private async rotate(): Promise<void> {
    await this.close();
    if (this.maxFiles === 0) {
      await rm(this.path, { force: true });
    } else {
      for (let i = this.maxFiles - 1; i >= 1; i--)
        await renameIfExists(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      await renameIfExists(this.path, `${this.path}.1`);
    }
    await this.open();
  }
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * The file operations the WAL needs, behind an interface so the same log runs on a model file
 * system in tests (one that can lose whatever was not synced, as a power cut does).
 */
import { closeSync, constants, fdatasync, openSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';

/** A file opened for appending. */
export interface WalWritableFile {
  /** Appends `data` at the end of the file. */
  write(data: Uint8Array): Promise<void>;
  /** Makes what was written durable (fdatasync). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** A file opened for reading. */
export interface WalReadableFile {
  /** Reads up to `length` bytes at `position` into `into` from `offset`; returns how many were read. */
  read(into: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/** A small file overwritten in place, synchronously: a read cursor. */
export interface WalSmallFile {
  /**
   * Overwrites the start of the file with `data`, in one positional write that returns once the
   * operating system has it, so a killed process loses none of it.
   */
  overwrite(data: Uint8Array): void;
  /** Makes what was written durable (fdatasync). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Size and last modification of a file. */
export interface WalFileStat {
  readonly size: number;
  readonly mtimeMs: number;
}

/** What the WAL does to its directory. Paths are joined with `/`. */
export interface WalFiles {
  mkdir(dir: string): Promise<void>;
  /** The names of the entries of `dir`. */
  list(dir: string): Promise<string[]>;
  /** `undefined` when the file does not exist. */
  stat(path: string): Promise<WalFileStat | undefined>;
  /** Creates `path` (failing if it exists) and opens it for appending. */
  create(path: string): Promise<WalWritableFile>;
  openRead(path: string): Promise<WalReadableFile>;
  truncate(path: string, size: number): Promise<void>;
  remove(path: string): Promise<void>;
  /** `undefined` when the file does not exist. */
  readText(path: string): Promise<string | undefined>;
  /** `undefined` when the file does not exist. */
  readBytes(path: string): Promise<Uint8Array | undefined>;
  /** Opens `path` for {@link WalSmallFile.overwrite}, creating it if needed. */
  openSmall(path: string): Promise<WalSmallFile>;
  /** Replaces `path` with `text` so a reader sees the old or the new content, never a mix. */
  writeTextAtomic(path: string, text: string, sync: boolean): Promise<void>;
  /** Makes the directory's entries (new, renamed and removed files) durable. */
  syncDir(dir: string): Promise<void>;
}

class NodeWritableFile implements WalWritableFile {
  constructor(private readonly handle: FileHandle) {}

  async write(data: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await this.handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
  }

  sync(): Promise<void> {
    return this.handle.datasync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

class NodeReadableFile implements WalReadableFile {
  constructor(private readonly handle: FileHandle) {}

  async read(into: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    const { bytesRead } = await this.handle.read(into, offset, length, position);
    return bytesRead;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

class NodeSmallFile implements WalSmallFile {
  constructor(private fd: number | undefined) {}

  overwrite(data: Uint8Array): void {
    if (this.fd === undefined) throw new Error('the file is closed');
    let offset = 0;
    while (offset < data.length) offset += writeSync(this.fd, data, offset, data.length - offset, offset);
  }

  sync(): Promise<void> {
    const fd = this.fd;
    if (fd === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));
  }

  async close(): Promise<void> {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** The real file system, through `node:fs`. */
export const nodeFiles: WalFiles = {
  async mkdir(dir) {
    await mkdir(dir, { recursive: true });
  },
  list(dir) {
    return readdir(dir);
  },
  async stat(path) {
    try {
      const s = await stat(path);
      return { size: s.size, mtimeMs: s.mtimeMs };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  },
  async create(path) {
    return new NodeWritableFile(
      await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_APPEND),
    );
  },
  async openRead(path) {
    return new NodeReadableFile(await open(path, 'r'));
  },
  truncate(path, size) {
    return truncate(path, size);
  },
  remove(path) {
    return rm(path, { force: true });
  },
  async readText(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  },
  async readBytes(path) {
    try {
      return await readFile(path);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  },
  async openSmall(path) {
    return new NodeSmallFile(openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644));
  },
  async writeTextAtomic(path, text, sync) {
    const temporary = `${path}.tmp`;
    if (sync) {
      const handle = await open(temporary, 'w');
      try {
        await handle.writeFile(text);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    } else {
      await writeFile(temporary, text);
    }
    await rename(temporary, path);
  },
  async syncDir(dir) {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

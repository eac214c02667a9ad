/**
 * An in-memory file system for WAL tests that models what a crash leaves behind.
 *
 * Every file (an inode) holds the bytes written to it and, separately, the bytes made durable by
 * its last `sync()`. Every directory holds its current entries and, separately, the entries made
 * durable by its last `syncDir()`: creating, removing and renaming a file changes only the
 * current entries until then. Open handles refer to inodes, so, as on POSIX, a file removed while
 * open can still be read (and written) through its handle.
 *
 * The WAL runs on a process view, {@link MemoryFileSystem.files}. {@link MemoryFileSystem.crash}
 * kills every view handed out so far: their pending and later operations never settle, as in a
 * killed process, and the state left behind is
 * - after `'process'`: everything written, since the page cache outlives the process;
 * - after `'power'`: the durable directory entries, and for each file its synced bytes plus,
 *   when the unsynced bytes extend them, a random prefix of those (a torn write).
 *
 * Simplifications: directories are durable once made; `writeTextAtomic(path, text, true)` makes
 * both the new content and the rename durable at once (the node implementation syncs the data
 * but not the directory); with `sync` false the new file's data is never synced, so a power cut
 * leaves the old file when the rename was not made durable by a later `syncDir`, and a prefix of
 * the new text (possibly empty) when it was. A truncation is undone by a power cut unless the
 * file is synced afterwards, and so is an in-place overwrite (`openSmall`): a power cut leaves
 * the content of the last sync, never a mix.
 */
import type {
  WalFileStat,
  WalFiles,
  WalReadableFile,
  WalSmallFile,
  WalWritableFile,
} from '../../src/wal/files.js';

export type CrashKind = 'process' | 'power';

/** A number in `[0, 1)`; pass a seeded one so torn writes are reproducible. */
export type Random = () => number;

class Inode {
  private bytes: Uint8Array;
  size: number;
  synced: Uint8Array;

  constructor(
    content: Uint8Array,
    synced: Uint8Array,
    public mtimeMs: number,
  ) {
    this.bytes = content.slice();
    this.size = content.length;
    this.synced = synced.slice();
  }

  content(): Uint8Array {
    return this.bytes.subarray(0, this.size);
  }

  append(data: Uint8Array): void {
    this.resize(this.size + data.length);
    this.bytes.set(data, this.size - data.length);
  }

  /** Writes `data` at offset 0, growing the file if needed, as pwrite(2) does. */
  overwrite(data: Uint8Array): void {
    if (this.size < data.length) this.resize(data.length);
    this.bytes.set(data, 0);
  }

  /** Shrinks, or grows with zero bytes, as truncate(2) does. */
  resize(size: number): void {
    if (size > this.bytes.length) {
      const grown = new Uint8Array(Math.max(size, this.bytes.length * 2, 256));
      grown.set(this.content());
      this.bytes = grown;
    } else if (size > this.size) {
      this.bytes.fill(0, this.size, size);
    }
    this.size = size;
  }

  sync(): void {
    this.synced = this.content().slice();
  }

  /** What a power cut leaves of this file. */
  surviving(random: Random): Uint8Array {
    const written = this.content();
    const synced = this.synced;
    if (written.length <= synced.length || !startsWith(written, synced)) return synced.slice();
    const extra = written.length - synced.length;
    const r = random();
    // Often nothing or everything survives; otherwise a prefix of any length.
    const keep = r < 0.25 ? 0 : r < 0.5 ? extra : Math.floor(random() * (extra + 1));
    return written.slice(0, synced.length + keep);
  }
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

interface Directory {
  /** What the file system shows now. */
  readonly entries: Map<string, Inode>;
  /** What a power cut leaves. */
  durable: Map<string, Inode>;
}

function fsError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const messages: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EEXIST: 'file already exists',
    EBADF: 'bad file descriptor',
    EISDIR: 'illegal operation on a directory',
  };
  const error: NodeJS.ErrnoException = new Error(
    `${code}: ${messages[code] ?? 'error'}, ${syscall} '${path}'`,
  );
  error.code = code;
  error.syscall = syscall;
  error.path = path;
  return error;
}

function splitPath(path: string): { dir: string; name: string } {
  const at = path.lastIndexOf('/');
  if (at < 0) return { dir: '.', name: path };
  return { dir: at === 0 ? '/' : path.slice(0, at), name: path.slice(at + 1) };
}

/** What an operation of a killed process returns: it never settles. */
function never(): Promise<never> {
  return new Promise(() => undefined);
}

/** One turn of the microtask queue, as a real operation takes a while. */
function turn(): Promise<void> {
  return Promise.resolve();
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Options of {@link MemoryFileSystem}. */
export interface MemoryFileSystemOptions {
  /** The clock for file modification times. @defaultValue `Date.now` */
  readonly now?: () => number;
}

/** A file system in memory that can crash; see the module comment. */
export class MemoryFileSystem {
  private dirs = new Map<string, Directory>();
  private readonly handles = new Set<OpenHandle>();
  /** Bumped by every crash; views and handles of an older epoch are dead. */
  epoch = 0;
  /** The clock for modification times; may be replaced. */
  now: () => number;

  constructor(options: MemoryFileSystemOptions = {}) {
    this.now = options.now ?? (() => Date.now());
  }

  /** A view for one process; it dies with the next crash. */
  files(): WalFiles {
    return new ProcessFiles(this, this.epoch);
  }

  /** Kills every process view and keeps what a crash of `kind` keeps. */
  crash(kind: CrashKind, random: Random = Math.random): void {
    this.dirs = this.stateAfter(kind, random);
    this.epoch++;
    this.handles.clear();
  }

  /** A separate file system holding what a crash of `kind` now would keep; this one goes on unchanged. */
  fork(kind: CrashKind, random: Random = Math.random): MemoryFileSystem {
    const copy = new MemoryFileSystem({ now: this.now });
    copy.dirs = this.stateAfter(kind, random);
    return copy;
  }

  /** The paths of the handles open now (not closed and not killed by a crash), sorted. */
  openFiles(): string[] {
    return [...this.handles].map((handle) => `${handle.path} (${handle.mode})`).sort();
  }

  /** The names in `dir` now, sorted; empty when it does not exist. */
  names(dir: string): string[] {
    return [...(this.dirs.get(dir)?.entries.keys() ?? [])].sort();
  }

  /** The bytes of `path` now, or `undefined`. */
  content(path: string): Uint8Array | undefined {
    const { dir, name } = splitPath(path);
    return this.dirs.get(dir)?.entries.get(name)?.content().slice();
  }

  /** @internal */
  directory(dir: string, syscall: string, path: string): Directory {
    const found = this.dirs.get(dir);
    if (found === undefined) throw fsError('ENOENT', syscall, path);
    return found;
  }

  /** @internal */
  lookup(path: string, syscall: string): { directory: Directory; name: string; inode: Inode | undefined } {
    const { dir, name } = splitPath(path);
    if (this.dirs.has(path)) throw fsError('EISDIR', syscall, path);
    const directory = this.directory(dir, syscall, path);
    return { directory, name, inode: directory.entries.get(name) };
  }

  /** @internal */
  makeDir(dir: string): void {
    let path = dir;
    for (;;) {
      if (!this.dirs.has(path)) this.dirs.set(path, { entries: new Map(), durable: new Map() });
      const parent = splitPath(path).dir;
      if (parent === path || path === '/' || path === '.') return;
      path = parent;
    }
  }

  /** @internal */
  childDirs(dir: string): string[] {
    const names: string[] = [];
    for (const path of this.dirs.keys()) {
      if (path === dir) continue;
      const { dir: parent, name } = splitPath(path);
      if (parent === dir) names.push(name);
    }
    return names;
  }

  /** @internal */
  newInode(content: Uint8Array, synced: boolean): Inode {
    return new Inode(content, synced ? content : new Uint8Array(0), this.now());
  }

  /** @internal */
  track(handle: OpenHandle): void {
    this.handles.add(handle);
  }

  /** @internal */
  untrack(handle: OpenHandle): void {
    this.handles.delete(handle);
  }

  private stateAfter(kind: CrashKind, random: Random): Map<string, Directory> {
    const copies = new Map<Inode, Inode>();
    const copy = (inode: Inode): Inode => {
      let out = copies.get(inode);
      if (out === undefined) {
        if (kind === 'process') {
          out = new Inode(inode.content(), inode.synced, inode.mtimeMs);
        } else {
          const left = inode.surviving(random);
          out = new Inode(left, left, inode.mtimeMs);
        }
        copies.set(inode, out);
      }
      return out;
    };
    const mapEntries = (entries: Map<string, Inode>): Map<string, Inode> =>
      new Map([...entries].map(([name, inode]) => [name, copy(inode)]));
    const state = new Map<string, Directory>();
    for (const [path, directory] of this.dirs) {
      if (kind === 'process') {
        state.set(path, { entries: mapEntries(directory.entries), durable: mapEntries(directory.durable) });
      } else {
        const entries = mapEntries(directory.durable);
        state.set(path, { entries, durable: new Map(entries) });
      }
    }
    return state;
  }
}

/** An open file of some process. */
abstract class OpenHandle {
  protected closed = false;
  abstract readonly mode: 'read' | 'append' | 'overwrite';

  constructor(
    protected readonly fs: MemoryFileSystem,
    protected readonly inode: Inode,
    private readonly epoch: number,
    readonly path: string,
  ) {
    fs.track(this);
  }

  /** Whether the process that opened this handle was killed. */
  protected get dead(): boolean {
    return this.fs.epoch !== this.epoch;
  }

  /** Call right after a turn, in the same synchronous run as the effect it guards. */
  protected check(syscall: string): void {
    if (this.closed) throw fsError('EBADF', syscall, this.path);
  }

  async close(): Promise<void> {
    await turn();
    if (this.dead) return never();
    this.check('close');
    this.closed = true;
    this.fs.untrack(this);
  }
}

class MemoryWritableFile extends OpenHandle implements WalWritableFile {
  readonly mode = 'append';

  async write(data: Uint8Array): Promise<void> {
    await turn();
    if (this.dead) return never();
    this.check('write');
    this.inode.append(data);
    this.inode.mtimeMs = this.fs.now();
  }

  async sync(): Promise<void> {
    await turn();
    if (this.dead) return never();
    this.check('fdatasync');
    this.inode.sync();
  }
}

class MemoryReadableFile extends OpenHandle implements WalReadableFile {
  readonly mode = 'read';

  async read(into: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    await turn();
    if (this.dead) return never();
    this.check('read');
    const content = this.inode.content();
    if (position >= content.length) return 0;
    const n = Math.min(length, content.length - position, into.length - offset);
    into.set(content.subarray(position, position + n), offset);
    return n;
  }
}

class MemorySmallFile extends OpenHandle implements WalSmallFile {
  readonly mode = 'overwrite';

  overwrite(data: Uint8Array): void {
    // Synchronous, so it cannot wait; a dead process's writes simply never happen.
    if (this.dead) return;
    this.check('write');
    this.inode.overwrite(data);
    this.inode.mtimeMs = this.fs.now();
  }

  async sync(): Promise<void> {
    await turn();
    if (this.dead) return never();
    this.check('fdatasync');
    this.inode.sync();
  }
}

/** The file operations of one process. */
class ProcessFiles implements WalFiles {
  constructor(
    private readonly fs: MemoryFileSystem,
    private readonly epoch: number,
  ) {}

  /** Whether this process was killed; checked after every turn, right before the effect. */
  private get dead(): boolean {
    return this.fs.epoch !== this.epoch;
  }

  async mkdir(dir: string): Promise<void> {
    await turn();
    if (this.dead) return never();
    this.fs.makeDir(dir);
  }

  async list(dir: string): Promise<string[]> {
    await turn();
    if (this.dead) return never();
    const directory = this.fs.directory(dir, 'scandir', dir);
    // Directory order is not sorted on a real file system either.
    return [...directory.entries.keys(), ...this.fs.childDirs(dir)].reverse();
  }

  async stat(path: string): Promise<WalFileStat | undefined> {
    await turn();
    if (this.dead) return never();
    const { dir, name } = splitPath(path);
    const inode = this.fs.directory(dir, 'stat', path).entries.get(name);
    if (inode === undefined) return undefined;
    return { size: inode.size, mtimeMs: inode.mtimeMs };
  }

  async create(path: string): Promise<WalWritableFile> {
    await turn();
    if (this.dead) return never();
    const { directory, name, inode } = this.fs.lookup(path, 'open');
    if (inode !== undefined) throw fsError('EEXIST', 'open', path);
    const created = this.fs.newInode(new Uint8Array(0), true);
    directory.entries.set(name, created);
    return new MemoryWritableFile(this.fs, created, this.epoch, path);
  }

  async openRead(path: string): Promise<WalReadableFile> {
    await turn();
    if (this.dead) return never();
    const { inode } = this.fs.lookup(path, 'open');
    if (inode === undefined) throw fsError('ENOENT', 'open', path);
    return new MemoryReadableFile(this.fs, inode, this.epoch, path);
  }

  async truncate(path: string, size: number): Promise<void> {
    await turn();
    if (this.dead) return never();
    const { inode } = this.fs.lookup(path, 'open');
    if (inode === undefined) throw fsError('ENOENT', 'open', path);
    inode.resize(size);
    inode.mtimeMs = this.fs.now();
  }

  async remove(path: string): Promise<void> {
    await turn();
    if (this.dead) return never();
    const { dir, name } = splitPath(path);
    this.fs.directory(dir, 'rm', path).entries.delete(name);
  }

  async readText(path: string): Promise<string | undefined> {
    await turn();
    if (this.dead) return never();
    const { dir, name } = splitPath(path);
    const directory = this.fs.directory(dir, 'open', path);
    const inode = directory.entries.get(name);
    return inode === undefined ? undefined : fromUtf8.decode(inode.content());
  }

  async readBytes(path: string): Promise<Uint8Array | undefined> {
    await turn();
    if (this.dead) return never();
    const { dir, name } = splitPath(path);
    const inode = this.fs.directory(dir, 'open', path).entries.get(name);
    return inode === undefined ? undefined : inode.content().slice();
  }

  async openSmall(path: string): Promise<WalSmallFile> {
    await turn();
    if (this.dead) return never();
    const { directory, name, inode } = this.fs.lookup(path, 'open');
    let target = inode;
    if (target === undefined) {
      target = this.fs.newInode(new Uint8Array(0), true);
      directory.entries.set(name, target);
    }
    return new MemorySmallFile(this.fs, target, this.epoch, path);
  }

  async writeTextAtomic(path: string, text: string, sync: boolean): Promise<void> {
    // As the node implementation: write `${path}.tmp` (reusing it if it exists), then rename it.
    await turn();
    if (this.dead) return never();
    const temporaryPath = `${path}.tmp`;
    const temporary = this.fs.lookup(temporaryPath, 'open');
    const data = utf8.encode(text);
    let inode = temporary.inode;
    if (inode === undefined) {
      inode = this.fs.newInode(new Uint8Array(0), false);
      temporary.directory.entries.set(temporary.name, inode);
    }
    inode.resize(0);
    inode.append(data);
    inode.mtimeMs = this.fs.now();
    if (sync) inode.sync();
    await turn();
    if (this.dead) return never();
    const source = this.fs.lookup(temporaryPath, 'rename');
    if (source.inode === undefined) throw fsError('ENOENT', 'rename', temporaryPath);
    const { name } = splitPath(path);
    source.directory.entries.delete(source.name);
    source.directory.entries.set(name, source.inode);
    if (sync) {
      source.directory.durable.delete(source.name);
      source.directory.durable.set(name, source.inode);
    }
  }

  async syncDir(dir: string): Promise<void> {
    await turn();
    if (this.dead) return never();
    const directory = this.fs.directory(dir, 'fsync', dir);
    directory.durable = new Map(directory.entries);
  }
}

/**
 * File discovery for `tailFiles`, as Alloy's `local.file_match` does it: glob the include
 * patterns, leave out what the exclude patterns match, and sort what is left into regular files
 * to read and paths that cannot be read (directories, FIFOs, sockets, devices, permission
 * denied), each with the reason.
 */
import type { BigIntStats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import fg from 'fast-glob';

/** A regular file a glob matched, with the stat it had then. */
export interface FoundFile {
  readonly path: string;
  readonly key: string;
  readonly stats: BigIntStats;
}

/** The result of one discovery round. */
export interface Discovery {
  readonly files: readonly FoundFile[];
  /** Paths that match but cannot be read, by path: the reason. */
  readonly problems: ReadonlyMap<string, string>;
  /** Why globbing itself went wrong (an unreadable directory, say), when it did. */
  readonly globError?: string;
}

/** The identity of a file, `"<dev>:<ino>"`. */
export function identityOf(stats: BigIntStats): string {
  return `${stats.dev}:${stats.ino}`;
}

/** Why a path cannot be read as a log file, or `undefined` when it can. */
export function unreadableReason(stats: BigIntStats): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) return 'is a directory';
  if (stats.isFIFO()) return 'is a FIFO, not a regular file';
  if (stats.isSocket()) return 'is a socket, not a regular file';
  return 'is not a regular file';
}

/** Globs `include` less `exclude` (absolute patterns) and stats every match. */
export async function discover(include: readonly string[], exclude: readonly string[]): Promise<Discovery> {
  const options = {
    ignore: [...exclude],
    absolute: true,
    onlyFiles: false,
    dot: true,
    unique: true,
    followSymbolicLinks: true,
  };
  let paths: string[];
  let globError: string | undefined;
  try {
    paths = await fg([...include], { ...options, suppressErrors: false });
  } catch (error) {
    globError = (error as Error).message;
    paths = await fg([...include], { ...options, suppressErrors: true });
  }
  paths.sort();
  const files: FoundFile[] = [];
  const problems = new Map<string, string>();
  await Promise.all(
    paths.map(async (path) => {
      try {
        const stats = await stat(path, { bigint: true });
        const reason = unreadableReason(stats);
        if (reason === undefined) files.push({ path, key: identityOf(stats), stats });
        else problems.set(path, reason);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // Gone between the glob and the stat, or a dangling symlink: nothing to read.
        if (code === 'ENOENT') return;
        problems.set(path, `cannot be read: ${(error as Error).message}`);
      }
    }),
  );
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return globError === undefined ? { files, problems } : { files, problems, globError };
}

/**
 * Finds the regular files of `dir` whose identities are among `keys`: where rotated files went
 * when they were renamed while nothing was reading them. Returns their paths by identity.
 */
export async function findInDirectory(dir: string, keys: ReadonlySet<string>): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return found;
  }
  for (const name of names) {
    const path = join(dir, name);
    try {
      const stats = await stat(path, { bigint: true });
      if (!stats.isFile()) continue;
      const key = identityOf(stats);
      if (keys.has(key) && !found.has(key)) found.set(key, path);
    } catch {
      // Gone or unreadable: not the file we look for.
    }
    if (found.size === keys.size) break;
  }
  return found;
}

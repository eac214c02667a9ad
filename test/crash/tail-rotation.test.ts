// The rotation torture test, with real processes. A writer (tail-writer.ts) appends numbered
// lines fast and rotates its log by rename, by copytruncate and by delete-and-recreate, at
// random. A tailFiles pipeline (tail-child.ts) follows it with a positions file and POSTs each
// batch's lines to the endpoint below, one request at a time, acknowledging a batch once the
// endpoint answered 2xx. The pipeline is killed with SIGKILL at random moments (while starting,
// while reading, while sending, while writing its positions file) and started again on the same
// positions file, many times; once the writer is done, a last pipeline catches up and is
// stopped with SIGTERM.
//
// "Delivered" means the endpoint received the line in a request body (it records it before
// answering). What must hold:
// - every line the writer wrote is delivered at least once, and nothing else is;
// - a pipeline that was not restarted after a crash delivers no line twice;
// - duplicates come only from restarts after a SIGKILL, and per crash they are at most
//   MAX_BATCH_LINES: the positions file is written after every acknowledgement, before the next
//   request goes out, so at a kill at most one batch is delivered and not covered by it (the
//   request whose answer, or whose positions write, the kill cut off);
// - the positions file is whole after every kill (written by rename);
// - deleted and rotated files are released: the pipeline never holds more than a few deleted
//   files open;
// - the last pipeline drains on SIGTERM and exits 0.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./tail-child.ts', import.meta.url));
const WRITER = fileURLToPath(new URL('./tail-writer.ts', import.meta.url));

const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
/** How long the writer writes and rotates. */
const WRITE_MS = Number(process.env.TAIL_CRASH_WRITE_MS ?? 45_000);
/** As in tail-child.ts. */
const MAX_BATCH_LINES = 200;
/** A kill lands this long after the child's first delivery... */
const KILL_AFTER_FIRST_DELIVERY_MS: readonly [number, number] = [0, 1500];
/** ...or, with this chance, this long after its start, whether it delivered or not. */
const EARLY_KILL_CHANCE = 0.2;
const EARLY_KILL_MS: readonly [number, number] = [100, 900];
const CATCH_UP_TIMEOUT_MS = 30_000;
/** Deleted files a child may hold at a kill: those still within their rotateWait. */
const MAX_DELETED_OPEN = 4;
const LINE = /^(\d{9}) (x*)$/;

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the endpoint received. */
class Deliveries {
  counts = new Uint8Array(1 << 18);
  /** Lines received again, by the child generation that sent them again. */
  readonly duplicates = new Map<number, number>();
  /** Lines one generation sent twice itself. */
  readonly repeatedWithin = new Map<number, number>();
  readonly firstBy = new Map<number, number>();
  readonly problems: string[] = [];
  private readonly sentBy = new Map<number, Set<number>>();
  requests = 0;
  lines = 0;

  record(generation: number, body: string): void {
    this.requests++;
    const mine = this.sentBy.get(generation) ?? new Set<number>();
    this.sentBy.set(generation, mine);
    for (const line of body.split('\n')) {
      const match = LINE.exec(line);
      const n = Number(match?.[1]);
      if (match === null || (match[2] ?? '').length !== n % 61) {
        if (this.problems.length < 20)
          this.problems.push(`generation ${generation} sent ${JSON.stringify(line)}`);
        continue;
      }
      this.lines++;
      this.grow(n);
      if (mine.has(n)) this.repeatedWithin.set(generation, (this.repeatedWithin.get(generation) ?? 0) + 1);
      mine.add(n);
      if ((this.counts[n] as number) > 0)
        this.duplicates.set(generation, (this.duplicates.get(generation) ?? 0) + 1);
      else this.firstBy.set(generation, (this.firstBy.get(generation) ?? 0) + 1);
      this.counts[n] = Math.min(255, (this.counts[n] as number) + 1);
    }
    if (this.sentBy.size > 3) this.sentBy.delete(Math.min(...this.sentBy.keys()));
  }

  delivered(n: number): boolean {
    return n < this.counts.length && (this.counts[n] as number) > 0;
  }

  missing(total: number): number[] {
    const out: number[] = [];
    for (let n = 0; n < total; n++) if (!this.delivered(n)) out.push(n);
    return out;
  }

  private grow(n: number): void {
    if (n < this.counts.length) return;
    let size = this.counts.length;
    while (size <= n) size *= 2;
    const counts = new Uint8Array(size);
    counts.set(this.counts);
    this.counts = counts;
  }
}

async function startEndpoint(
  deliveries: Deliveries,
): Promise<{ url(generation: number): string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const generation = Number(/^\/deliver\/(\d+)$/.exec(req.url ?? '')?.[1] ?? -1);
      if (generation < 0) return void res.writeHead(404).end();
      deliveries.record(generation, Buffer.concat(chunks).toString());
      res.writeHead(204).end();
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (generation) => `http://127.0.0.1:${port}/deliver/${generation}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function spawnTsx(script: string, args: readonly string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
}

/** Deleted files and all files the process `pid` holds open. */
function openFilesOf(pid: number): { deleted: number; logs: number; names: string[] } {
  let deleted = 0;
  let logs = 0;
  const names: string[] = [];
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (!target.includes('app.log')) continue;
        logs++;
        names.push(target.replace(/^.*\//, ''));
        if (target.endsWith(' (deleted)')) deleted++;
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // the process is gone
  }
  return { deleted, logs, names };
}

function ranges(values: readonly number[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === (values[j] as number) + 1) j++;
    out.push(i === j ? `${values[i]}` : `${values[i]}-${values[j]}`);
    i = j + 1;
  }
  return out;
}

describe('tailFiles under rotation, killed with SIGKILL again and again', () => {
  it('delivers every line at least once, with duplicates only from crashes and at most a batch each', async () => {
    const started = performance.now();
    const rand = random(SEED);
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-tail-crash-'));
    const logs = join(dir, 'logs');
    const positions = join(dir, 'state', 'positions.json');
    mkdirSync(logs);
    const deliveries = new Deliveries();
    const endpoint = await startEndpoint(deliveries);

    const badPositions: string[] = [];
    let generation = 0;
    let kills = 0;
    let earlyKills = 0;
    let maxDeleted = 0;
    let maxLogFds = 0;
    let heldAtMost: string[] = [];
    const killedBefore = new Set<number>();
    const startup: number[] = [];

    const childErr: string[] = [];
    const live = new Set<ChildProcess>();
    const ready = new Set<ChildProcess>();
    const runChild = (g: number): ChildProcess => {
      const child = spawnTsx(CHILD, [logs, positions, endpoint.url(g)]);
      live.add(child);
      child.on('close', () => live.delete(child));
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) ready.add(child);
      });
      child.stderr?.on('data', (chunk: Buffer) => childErr.push(`gen ${g}: ${chunk.toString().trimEnd()}`));
      return child;
    };

    let writer: ChildProcess | undefined;
    try {
      // The first pipeline starts on an empty app.log before the writer does, so that every file
      // the writer writes to is one a pipeline has seen (see tail-writer.ts on rename).
      writeFileSync(join(logs, 'app.log'), '');
      generation++;
      let first: ChildProcess | undefined = runChild(generation);
      const firstSpawnedAt = performance.now();
      while (!existsSync(positions)) {
        if (first.exitCode !== null || performance.now() - firstSpawnedAt > 30_000)
          throw new Error(`the first pipeline did not start\n${childErr.join('\n')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      writer = spawnTsx(WRITER, [logs, positions, String(WRITE_MS), String(SEED)]);
      let writerOut = '';
      let writerErr = '';
      writer.stdout?.on('data', (chunk: Buffer) => {
        writerOut += chunk.toString();
      });
      writer.stderr?.on('data', (chunk: Buffer) => {
        writerErr += chunk.toString();
      });
      const writerDone = exited(writer);
      let writing = true;
      void writerDone.then(() => {
        writing = false;
      });

      // Kill and restart while the writer writes.
      while (writing) {
        const g = first === undefined ? ++generation : generation;
        const child = first ?? runChild(g);
        const spawnedAt = first === undefined ? performance.now() : firstSpawnedAt;
        first = undefined;
        const early = rand() < EARLY_KILL_CHANCE;
        const [low, high] = early ? EARLY_KILL_MS : KILL_AFTER_FIRST_DELIVERY_MS;
        const delay = low + rand() * (high - low);
        if (!early) {
          while (deliveries.firstBy.get(g) === undefined && (deliveries.duplicates.get(g) ?? 0) === 0) {
            if (child.exitCode !== null || performance.now() - spawnedAt > 30_000) break;
            await new Promise((r) => setTimeout(r, 5));
          }
          startup.push(performance.now() - spawnedAt);
        }
        await new Promise((r) => setTimeout(r, delay));
        const held = child.pid === undefined ? { deleted: 0, logs: 0, names: [] } : openFilesOf(child.pid);
        maxDeleted = Math.max(maxDeleted, held.deleted);
        if (held.logs > maxLogFds) heldAtMost = held.names;
        maxLogFds = Math.max(maxLogFds, held.logs);
        child.kill('SIGKILL');
        const end = await exited(child);
        if (end.signal !== 'SIGKILL')
          throw new Error(`child ${g} ended on its own: ${JSON.stringify(end)}\n${childErr.join('\n')}`);
        kills++;
        if (early) earlyKills++;
        killedBefore.add(g + 1);
        try {
          JSON.parse(readFileSync(positions, 'utf8'));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
            badPositions.push(`after kill ${g}: ${String(error)}`);
        }
      }
      const writerEnd = await writerDone;
      expect(writerEnd.code, writerErr).toBe(0);
      const total = Number(/^done (\d+)$/m.exec(writerOut)?.[1]);
      expect(total).toBeGreaterThan(0);

      // The last pipeline catches up, then drains on SIGTERM.
      generation++;
      const last = runChild(generation);
      const deadline = performance.now() + CATCH_UP_TIMEOUT_MS;
      let next = 0;
      while (performance.now() < deadline) {
        while (next < total && deliveries.delivered(next)) next++;
        if (next === total && ready.has(last)) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      last.kill('SIGTERM');
      const lastEnd = await exited(last);
      const seconds = (performance.now() - started) / 1000;

      const missing = deliveries.missing(total);
      const rotations = writerOut.match(/^rotate \w+ \d+ \d+$/gm) ?? [];
      const byMode = (mode: string) => rotations.filter((r) => r.includes(` ${mode} `)).length;
      const perCrash = [...killedBefore].map((g) => deliveries.duplicates.get(g) ?? 0);
      const totalDuplicates = [...deliveries.duplicates.values()].reduce((a, b) => a + b, 0);
      startup.sort((a, b) => a - b);
      console.log(
        [
          `seed ${SEED}, ${seconds.toFixed(1)}s, writer ${WRITE_MS}ms`,
          `lines written ${total}, delivered ${deliveries.lines} in ${deliveries.requests} requests, missing ${missing.length}`,
          `rotations ${rotations.length}: rename ${byMode('rename')}, copytruncate ${byMode('copytruncate')}, delete ${byMode('delete')}`,
          `kills ${kills} (${earlyKills} early), child start to first delivery: median ${startup[startup.length >> 1]?.toFixed(0)}ms`,
          `duplicates ${totalDuplicates}, per crash: ${perCrash.join(' ')} (bound ${MAX_BATCH_LINES})`,
          `app.log files a child held at a kill: at most ${maxLogFds} (${heldAtMost.join(', ')}), deleted at most ${maxDeleted}`,
          `child stderr: ${childErr.length === 0 ? 'none' : `\n  ${childErr.slice(0, 20).join('\n  ')}`}`,
          `writer stderr: ${writerErr.trim() === '' ? 'none' : writerErr.trim()}`,
          `missing ranges: ${ranges(missing).slice(0, 10).join(' ')}`,
          ...(missing.length > 0 ? [`rotations: ${rotations.join(', ')}`] : []),
        ].join('\n'),
      );

      expect(kills).toBeGreaterThanOrEqual(Math.floor(WRITE_MS / 3000));
      expect(byMode('rename')).toBeGreaterThan(0);
      expect(byMode('copytruncate')).toBeGreaterThan(0);
      expect(byMode('delete')).toBeGreaterThan(0);
      expect(writerErr).toBe('');
      expect(deliveries.problems).toEqual([]);
      expect(badPositions).toEqual([]);
      expect(missing.slice(0, 20)).toEqual([]);
      expect(lastEnd).toEqual({ code: 0, signal: null });
      // Duplicates only in pipelines started after a SIGKILL, at most one batch per crash.
      expect([...deliveries.duplicates.keys()].filter((g) => !killedBefore.has(g))).toEqual([]);
      expect(perCrash.filter((n) => n > MAX_BATCH_LINES)).toEqual([]);
      expect([...deliveries.repeatedWithin.entries()]).toEqual([]);
      expect(maxDeleted).toBeLessThanOrEqual(MAX_DELETED_OPEN);
      expect(childErr.filter((line) => !line.includes('SIGTERM received; draining'))).toEqual([]);
    } finally {
      if (writer !== undefined && writer.exitCode === null) writer.kill('SIGKILL');
      for (const child of live) child.kill('SIGKILL');
      await endpoint.close();
      if (process.env.TAIL_CRASH_KEEP === undefined) rmSync(dir, { recursive: true, force: true });
      else console.log(`kept ${dir}`);
    }
  });
});

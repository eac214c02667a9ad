/**
 * A small timing harness: runs a case several times after a warm-up and reports the median.
 */

/** One measured row of a benchmark table. */
export interface BenchRow {
  readonly bench: string;
  readonly case: string;
  /** What one unit of work is, such as `item` or `sample`. */
  readonly unit: string;
  /** Median nanoseconds per unit. */
  readonly nsPerUnit: number;
  /** Units per second at the median. */
  readonly unitsPerSecond: number;
  readonly runs: number;
  /** Anything else the row should say, such as peak memory. */
  readonly note?: string;
}

/**
 * Times `run` (which does `units` units of work) `runs` times, after warming up for at least
 * half a second so the JIT has settled, and returns the median.
 */
export async function measure(
  bench: string,
  name: string,
  unit: string,
  units: number,
  run: () => Promise<void> | void,
  runs = 9,
): Promise<BenchRow> {
  const warmUntil = performance.now() + 500;
  do await run();
  while (performance.now() < warmUntil);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await run();
    times.push(Number(process.hrtime.bigint() - start));
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  return { bench, case: name, unit, nsPerUnit: median / units, unitsPerSecond: (units / median) * 1e9, runs };
}

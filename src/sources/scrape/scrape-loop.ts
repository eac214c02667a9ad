/**
 * The scrape loop of one target: scrape every interval at an offset spread by the target's
 * hash, turn the body into samples (through a cache keyed by each series' text, so a known
 * series costs no label parsing), add the report series, and write staleness markers for
 * series that disappear, for every series when a scrape fails, and when the target goes away.
 */

import type { RequestOutcome } from '../../core/component.js';
import { SourceError } from '../../core/errors.js';
import type { Labels } from '../../core/labels.js';
import type { Exemplar, MetricSample } from '../../core/signals.js';
import { sleep } from '../../core/sleep.js';
import { STALE_NAN } from '../../core/stale-marker.js';
import { parsePromText, parseSeriesLabels, promTextFormat } from '../../protocols/prom-text/index.js';
import { type FetchSettings, fetchMetrics } from './fetch-metrics.js';
import { ReportLabels, reportSamples } from './report-series.js';
import { sampleLabels } from './sample-labels.js';
import type { Relabel, ResolvedTarget } from './target-labels.js';

/** How every loop of one scrape component scrapes. */
export interface LoopSettings {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly honorLabels: boolean;
  readonly honorTimestamps: boolean;
  /** 0: no limit. */
  readonly sampleLimit: number;
  readonly labelLimit: number;
  readonly labelNameLengthLimit: number;
  readonly labelValueLengthLimit: number;
  readonly metricRelabel: Relabel | undefined;
  readonly fetch: FetchSettings;
}

/** What a loop reports to its component. */
export interface LoopHooks {
  /** Emits one scrape's samples; resolves when the in-flight window has taken them. */
  emit(samples: MetricSample[]): Promise<void>;
  /** A scrape failed (the target is down, the body is invalid, a limit was hit). */
  failed(target: ResolvedTarget, error: Error): void;
  /** A scrape succeeded. */
  succeeded(target: ResolvedTarget): void;
  /** A scrape request ended: how long it took, body included, and whether it succeeded. */
  readonly requested?: ((seconds: number, outcome: RequestOutcome) => void) | undefined;
}

interface CacheEntry {
  /** The final labels, or `undefined` when metric relabelling drops the series. */
  readonly labels: Labels | undefined;
  /** Why a series breaks a label limit, which fails the scrape. */
  readonly violation: string | undefined;
  seen: number;
}

/** Scrapes one target until stopped. */
export class ScrapeLoop {
  private readonly controller = new AbortController();
  private readonly cache = new Map<string, CacheEntry>();
  private readonly report: ReportLabels;
  private previous = new Map<string, Labels>();
  private iteration = 0;
  private running: Promise<void> | undefined;
  /** The most recent scrape's error, if it failed. */
  lastError: Error | undefined;

  constructor(
    readonly target: ResolvedTarget,
    private readonly settings: LoopSettings,
    private readonly hooks: LoopHooks,
  ) {
    this.report = new ReportLabels(target.labels);
  }

  /** Starts scraping, at the target's offset within the interval. */
  start(): void {
    this.running ??= this.run();
  }

  /**
   * Stops scraping. With `markStale`, the target's series (and its report series) get
   * staleness markers, as when a target disappears from discovery.
   */
  async stop(markStale: boolean): Promise<void> {
    this.controller.abort();
    await this.running;
    if (markStale) {
      const now = Date.now();
      const stale = [...this.previous.values(), ...this.report.all()].map((labels) => ({
        labels,
        value: STALE_NAN,
        timestampMs: now,
      }));
      this.previous.clear();
      await this.hooks.emit(stale);
    }
  }

  /** Scrapes once now and returns the samples (for tests and the loop). */
  async scrapeOnce(startMs: number): Promise<MetricSample[]> {
    const started = performance.now();
    const iteration = ++this.iteration;
    let samples: MetricSample[] = [];
    let current = new Map<string, Labels>();
    let scraped = 0;
    try {
      const { body, contentType } = await fetchMetrics(
        this.target.url,
        this.settings.fetch,
        this.controller.signal,
        this.hooks.requested,
      );
      ({ samples, current, scraped } = this.parse(body, contentType, startMs, iteration));
      this.lastError = undefined;
      this.hooks.succeeded(this.target);
    } catch (error) {
      this.lastError = error instanceof Error ? error : new SourceError(String(error));
      samples = [];
      current = new Map();
      scraped = 0;
      this.hooks.failed(this.target, this.lastError);
    }
    let added = 0;
    for (const key of current.keys()) if (!this.previous.has(key)) added++;
    for (const [key, labels] of this.previous) {
      if (!current.has(key)) samples.push({ labels, value: STALE_NAN, timestampMs: startMs });
    }
    this.previous = current;
    const up = this.lastError === undefined;
    const reportFigures = {
      up,
      durationSeconds: (performance.now() - started) / 1000,
      scraped,
      postRelabel: up ? current.size : 0,
      seriesAdded: up ? added : 0,
    };
    for (const sample of reportSamples(this.report, reportFigures, startMs)) samples.push(sample);
    this.evict(iteration);
    return samples;
  }

  private async run(): Promise<void> {
    const { intervalMs } = this.settings;
    const offset = Number(this.target.discovered.hash() % BigInt(intervalMs));
    const signal = this.controller.signal;
    await sleep((offset - (Date.now() % intervalMs) + intervalMs) % intervalMs, signal);
    while (!signal.aborted) {
      const startMs = Date.now();
      const samples = await this.scrapeOnce(startMs);
      if (signal.aborted) break;
      await this.hooks.emit(samples);
      const elapsed = Date.now() - startMs;
      await sleep(intervalMs - (elapsed % intervalMs), signal);
    }
  }

  private parse(body: string, contentType: string | undefined, startMs: number, iteration: number) {
    const settings = this.settings;
    const samples: MetricSample[] = [];
    const current = new Map<string, Labels>();
    let scraped = 0;
    parsePromText(body, promTextFormat(contentType), {
      sample: (series, value, timestampMs, exemplar, metadata) => {
        scraped++;
        let entry = this.cache.get(series);
        if (entry === undefined) {
          entry = this.makeEntry(series, iteration);
          this.cache.set(series, entry);
        }
        entry.seen = iteration;
        if (entry.labels === undefined) return;
        if (entry.violation !== undefined) throw new SourceError(entry.violation);
        const key = entry.labels.key();
        if (current.has(key)) return;
        current.set(key, entry.labels);
        const sample: MetricSample = {
          labels: entry.labels,
          value,
          timestampMs: settings.honorTimestamps && timestampMs !== undefined ? timestampMs : startMs,
          ...(metadata === undefined ? {} : { metadata }),
          ...(exemplar === undefined || !exemplarFits(exemplar) ? {} : { exemplars: [exemplar] }),
        };
        samples.push(sample);
      },
    });
    if (settings.sampleLimit > 0 && samples.length > settings.sampleLimit) {
      throw new SourceError(
        `sample limit exceeded: ${samples.length} samples, limit ${settings.sampleLimit}`,
      );
    }
    return { samples, current, scraped };
  }

  private makeEntry(series: string, iteration: number): CacheEntry {
    const labels = sampleLabels(
      parseSeriesLabels(series),
      this.target.labels,
      this.settings.honorLabels,
      this.settings.metricRelabel,
    );
    return {
      labels,
      violation: labels === undefined ? undefined : this.limitViolation(labels),
      seen: iteration,
    };
  }

  private limitViolation(labels: Labels): string | undefined {
    const { labelLimit, labelNameLengthLimit, labelValueLengthLimit } = this.settings;
    if (labelLimit > 0 && labels.size > labelLimit) {
      return `label limit exceeded: ${labels.metricName} has ${labels.size} labels, limit ${labelLimit}`;
    }
    for (const [name, value] of labels) {
      if (labelNameLengthLimit > 0 && name.length > labelNameLengthLimit) {
        return `label name length limit exceeded: '${name}' is longer than ${labelNameLengthLimit}`;
      }
      if (labelValueLengthLimit > 0 && value.length > labelValueLengthLimit) {
        return `label value length limit exceeded: the value of '${name}' is longer than ${labelValueLengthLimit}`;
      }
    }
    return undefined;
  }

  /** Forgets cached series not seen in the last two scrapes, so the cache stays bounded. */
  private evict(iteration: number): void {
    for (const [series, entry] of this.cache) if (entry.seen < iteration - 1) this.cache.delete(series);
  }
}

/** OpenMetrics caps an exemplar's label text at 128 characters; Prometheus drops longer ones. */
function exemplarFits(exemplar: Exemplar): boolean {
  let length = 0;
  exemplar.labels.forEach((name, value) => {
    length += name.length + value.length;
  });
  return length <= 128;
}

/**
 * From a discovered target to what is scraped and how its samples are labelled, as Prometheus's
 * `PopulateLabels` does it: defaults for `job`, `__scheme__`, `__metrics_path__`,
 * `__scrape_interval__`, `__scrape_timeout__` and `__param_*`; target relabelling; a default
 * port for the scheme; `instance` from `__address__`; every `__`-prefixed label removed.
 */
import { Labels } from '../../core/labels.js';

/** A discovered target: a label set with at least `__address__`. */
export type Target = Readonly<Record<string, string>>;

/** The scrape settings a target starts from. */
export interface TargetDefaults {
  readonly job: string;
  readonly scheme: 'http' | 'https';
  readonly metricsPath: string;
  readonly params: Readonly<Record<string, readonly string[]>>;
  readonly intervalText: string;
  readonly timeoutText: string;
}

/** A target ready to scrape. */
export interface ResolvedTarget {
  /** The labels every sample of the target gets (no `__` labels left). */
  readonly labels: Labels;
  /** The labels after relabelling, `__` labels included: what identifies the target. */
  readonly discovered: Labels;
  readonly url: URL;
}

/** Why a target is not scraped. */
export interface RejectedTarget {
  readonly reason: string;
}

/** Relabels a label set, or drops it (`undefined`). */
export type Relabel = (labels: Labels) => Labels | undefined;

/** Resolves one target, or says why it is dropped. */
export function resolveTarget(
  target: Target,
  defaults: TargetDefaults,
  relabel: Relabel | undefined,
): ResolvedTarget | RejectedTarget | undefined {
  const builder = Labels.from(target).builder();
  const setDefault = (name: string, value: string): void => {
    if (builder.get(name) === undefined) builder.set(name, value);
  };
  setDefault('job', defaults.job);
  setDefault('__scheme__', defaults.scheme);
  setDefault('__metrics_path__', defaults.metricsPath);
  setDefault('__scrape_interval__', defaults.intervalText);
  setDefault('__scrape_timeout__', defaults.timeoutText);
  for (const [name, values] of Object.entries(defaults.params)) {
    if (values[0] !== undefined) setDefault(`__param_${name}`, values[0]);
  }
  let labels: Labels | undefined = builder.build();
  if (relabel !== undefined) labels = relabel(labels);
  if (labels === undefined) return undefined;

  const scheme = labels.get('__scheme__') ?? defaults.scheme;
  let address = labels.get('__address__');
  if (address === undefined) return { reason: 'no __address__ label' };
  if (address.includes('/')) return { reason: `invalid __address__ '${address}': it must be host:port` };
  if (scheme !== 'http' && scheme !== 'https') return { reason: `invalid __scheme__ '${scheme}'` };
  if (!/:\d+$/.test(address)) {
    address = `${address}:${scheme === 'https' ? 443 : 80}`;
    labels = labels.with('__address__', address);
  }

  // As Prometheus: a __param_<name> label replaces the first value of that parameter.
  const params = new Map<string, string[]>(
    Object.entries(defaults.params).map(([name, values]) => [name, [...values]]),
  );
  const out = labels.builder();
  labels.forEach((name, value) => {
    if (name.startsWith('__param_')) {
      const values = params.get(name.slice('__param_'.length));
      if (values !== undefined && values.length > 0) values[0] = value;
      else params.set(name.slice('__param_'.length), [value]);
    }
    if (name.startsWith('__')) out.delete(name);
  });
  const query = new URLSearchParams();
  for (const [name, values] of params) for (const value of values) query.append(name, value);
  if (labels.get('instance') === undefined) out.set('instance', address);
  let url: URL;
  try {
    const path = labels.get('__metrics_path__') ?? defaults.metricsPath;
    url = new URL(`${scheme}://${address}${path.startsWith('/') ? path : `/${path}`}`);
  } catch {
    return { reason: `cannot make a URL of ${scheme}://${address}` };
  }
  const search = query.toString();
  if (search !== '') url.search = search;
  return { labels: out.build(), discovered: labels, url };
}

/** Whether `resolveTarget` returned a target to scrape. */
export function isResolved(result: ResolvedTarget | RejectedTarget | undefined): result is ResolvedTarget {
  return result !== undefined && 'url' in result;
}

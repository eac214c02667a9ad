/**
 * Metric families: what the `# TYPE`, `# HELP` and `# UNIT` lines of a body say, and which family
 * a sample belongs to, so that each sample can be handed the metadata in force for it.
 */
import type { MetricMetadata, MetricType } from '../../core/signals.js';

/** What the descriptor lines have said about one family so far. */
interface FamilyState {
  readonly name: string;
  type: MetricType;
  help: string | undefined;
  unit: string | undefined;
  /** The metadata handed to samples; rebuilt after a descriptor line changes the family. */
  metadata: MetricMetadata | undefined;
}

/** Suffixes a sample name may carry beyond its family's name, in either format. */
const SUFFIXES = ['_total', '_created', '_bucket', '_count', '_sum', '_gcount', '_gsum', '_info'];

/**
 * Tracks descriptor lines and maps sample names to their family's metadata. Families are usually
 * described right before their samples; a family described earlier in the body is still found.
 *
 * Which sample names a family holds:
 * - counter `foo`: `foo` and `foo_total`, and in OpenMetrics `foo_created` (a family
 *   `foo_total` holds the same);
 * - histogram `foo`: `foo_bucket`, `foo_sum`, `foo_count`, and in OpenMetrics `foo_created`;
 * - gauge histogram `foo`: `foo_bucket`, `foo_gsum`, `foo_gcount`;
 * - summary `foo`: `foo`, `foo_sum`, `foo_count`, and in OpenMetrics `foo_created`;
 * - info `foo`: `foo_info` (a `foo_info` family likewise);
 * - gauge, stateset, unknown (untyped) `foo`: `foo` alone.
 */
export class FamilyTracker {
  private readonly openMetrics: boolean;
  private current: FamilyState | undefined;
  private readonly earlier = new Map<string, FamilyState>();

  constructor(openMetrics: boolean) {
    this.openMetrics = openMetrics;
  }

  /** Records a `# TYPE` line. */
  setType(name: string, type: MetricType): void {
    const family = this.select(name);
    family.type = type;
    family.metadata = undefined;
  }

  /** Records a `# HELP` line; an empty help counts as none. */
  setHelp(name: string, help: string): void {
    const family = this.select(name);
    family.help = help === '' ? undefined : help;
    family.metadata = undefined;
  }

  /** Records a `# UNIT` line; an empty unit counts as none. */
  setUnit(name: string, unit: string): void {
    const family = this.select(name);
    family.unit = unit === '' ? undefined : unit;
    family.metadata = undefined;
  }

  /** The metadata of the family that sample name `name` belongs to, if any line described it. */
  resolve(name: string): MetricMetadata | undefined {
    const current = this.current;
    if (current !== undefined && this.holds(current, name)) return metadataOf(current);
    if (this.earlier.size === 0) return undefined;
    const same = this.earlier.get(name);
    if (same !== undefined && this.holds(same, name)) return metadataOf(same);
    for (const suffix of SUFFIXES) {
      if (!name.endsWith(suffix)) continue;
      const family = this.earlier.get(name.slice(0, name.length - suffix.length));
      if (family !== undefined && this.holds(family, name)) return metadataOf(family);
    }
    return undefined;
  }

  private select(name: string): FamilyState {
    const current = this.current;
    if (current !== undefined && current.name === name) return current;
    if (current !== undefined) this.earlier.set(current.name, current);
    const family = this.earlier.get(name) ?? {
      name,
      type: 'unknown',
      help: undefined,
      unit: undefined,
      metadata: undefined,
    };
    this.current = family;
    return family;
  }

  private holds(family: FamilyState, name: string): boolean {
    const base = family.name;
    switch (family.type) {
      case 'counter': {
        if (name === base || isNamePlus(name, base, '_total')) return true;
        if (this.openMetrics && isNamePlus(name, base, '_created')) return true;
        // A family named with its `_total`, as the text format names counters, holds the same.
        const root = withoutSuffix(base, '_total');
        return root !== base && (name === root || (this.openMetrics && isNamePlus(name, root, '_created')));
      }
      case 'histogram':
        return (
          isNamePlus(name, base, '_bucket') ||
          isNamePlus(name, base, '_sum') ||
          isNamePlus(name, base, '_count') ||
          (this.openMetrics && isNamePlus(name, base, '_created'))
        );
      case 'gaugehistogram':
        return (
          isNamePlus(name, base, '_bucket') ||
          isNamePlus(name, base, '_gsum') ||
          isNamePlus(name, base, '_gcount')
        );
      case 'summary':
        return (
          name === base ||
          isNamePlus(name, base, '_sum') ||
          isNamePlus(name, base, '_count') ||
          (this.openMetrics && isNamePlus(name, base, '_created'))
        );
      case 'info':
        return isNamePlus(name, withoutSuffix(base, '_info'), '_info');
      default:
        return name === base;
    }
  }
}

/** The metadata of a family, built once per change of the family. */
function metadataOf(family: FamilyState): MetricMetadata {
  if (family.metadata !== undefined) return family.metadata;
  const metadata: { family: string; type: MetricType; help?: string; unit?: string } = {
    family: family.name,
    type: family.type,
  };
  if (family.help !== undefined) metadata.help = family.help;
  if (family.unit !== undefined) metadata.unit = family.unit;
  family.metadata = metadata;
  return metadata;
}

/** Whether `name` is `base` followed by `suffix`. */
function isNamePlus(name: string, base: string, suffix: string): boolean {
  return name.length === base.length + suffix.length && name.startsWith(base) && name.endsWith(suffix);
}

function withoutSuffix(name: string, suffix: string): string {
  return name.endsWith(suffix) ? name.slice(0, name.length - suffix.length) : name;
}

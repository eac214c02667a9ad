/**
 * Groups flat OTLP items (spans, log records, metrics) back into the resource → scope nesting an
 * OTLP request carries, for the JSON and protobuf encoders alike. Items whose resource (or scope)
 * is the same object go together, and so do items whose resources are different objects with the
 * same content (attributes in the same order with values of the same types, dropped count and
 * schema URL), so data that was copied or decoded twice is not split into needless groups. Groups
 * come in the order their first item came; items keep their order within a group.
 */
import type { AnyValue, Attributes, InstrumentationScope, Resource } from '../../core/signals.js';

/** The items of one scope within one resource. */
export interface OtlpScopeGroup<T> {
  /** The scope of the group's first item. */
  readonly scope: InstrumentationScope;
  readonly items: T[];
}

/** The items of one resource, by scope. */
export interface OtlpResourceGroup<T> {
  /** The resource of the group's first item. */
  readonly resource: Resource;
  readonly scopes: OtlpScopeGroup<T>[];
}

/**
 * Groups items by resource, then by scope, as an OTLP request nests them.
 *
 * @example
 * ```ts
 * const groups = groupByResourceAndScope(spans);
 * for (const { resource, scopes } of groups)
 *   for (const { scope, items } of scopes) write(resource, scope, items);
 * ```
 */
export function groupByResourceAndScope<
  T extends { readonly resource: Resource; readonly scope: InstrumentationScope },
>(items: readonly T[]): OtlpResourceGroup<T>[] {
  const groups: ResourceEntry<T>[] = [];
  const byResource = new Map<Resource, ResourceEntry<T>>();
  const byResourceKey = new Map<string, ResourceEntry<T>>();
  let lastResource: Resource | undefined;
  let lastScope: InstrumentationScope | undefined;
  let lastItems: T[] = [];
  for (const item of items) {
    const { resource, scope } = item;
    // Runs of items from one resource and scope are the common case: skip the lookups.
    if (resource === lastResource && scope === lastScope) {
      lastItems.push(item);
      continue;
    }
    let entry = byResource.get(resource);
    if (entry === undefined) {
      const key = resourceKey(resource);
      entry = byResourceKey.get(key);
      if (entry === undefined) {
        entry = { resource, scopes: [], byScope: new Map(), byScopeKey: new Map() };
        byResourceKey.set(key, entry);
        groups.push(entry);
      }
      byResource.set(resource, entry);
    }
    let scopeGroup = entry.byScope.get(scope);
    if (scopeGroup === undefined) {
      const key = scopeKey(scope);
      scopeGroup = entry.byScopeKey.get(key);
      if (scopeGroup === undefined) {
        scopeGroup = { scope, items: [] };
        entry.byScopeKey.set(key, scopeGroup);
        entry.scopes.push(scopeGroup);
      }
      entry.byScope.set(scope, scopeGroup);
    }
    scopeGroup.items.push(item);
    lastResource = resource;
    lastScope = scope;
    lastItems = scopeGroup.items;
  }
  return groups.map(({ resource, scopes }) => ({ resource, scopes }));
}

/**
 * A string equal for two attribute lists exactly when they hold the same keys in the same order
 * with values of the same types and contents (an int 1 and a double 1 differ; so do 0 and -0).
 */
function attributesKey(attributes: Attributes): string {
  let out = '';
  for (const { key, value } of attributes) out += `${JSON.stringify(key)}=${valueKey(value)};`;
  return out;
}

interface ResourceEntry<T> extends OtlpResourceGroup<T> {
  readonly byScope: Map<InstrumentationScope, OtlpScopeGroup<T>>;
  readonly byScopeKey: Map<string, OtlpScopeGroup<T>>;
}

/**
 * Structural keys of the resources and scopes seen, kept while the object lives: a pipeline sends
 * the same few objects over and over. Both are read-only, so a key never goes stale.
 */
const resourceKeys = new WeakMap<Resource, string>();
const scopeKeys = new WeakMap<InstrumentationScope, string>();

function resourceKey(resource: Resource): string {
  let key = resourceKeys.get(resource);
  if (key === undefined) {
    key = `${resource.droppedAttributesCount}|${JSON.stringify(resource.schemaUrl)}|${attributesKey(resource.attributes)}`;
    resourceKeys.set(resource, key);
  }
  return key;
}

function scopeKey(scope: InstrumentationScope): string {
  let key = scopeKeys.get(scope);
  if (key === undefined) {
    key = `${JSON.stringify(scope.name)}|${JSON.stringify(scope.version)}|${scope.droppedAttributesCount}|${JSON.stringify(scope.schemaUrl)}|${attributesKey(scope.attributes)}`;
    scopeKeys.set(scope, key);
  }
  return key;
}

function valueKey(value: AnyValue): string {
  switch (typeof value) {
    case 'string':
      return `s${JSON.stringify(value)}`;
    case 'boolean':
      return value ? 'T' : 'F';
    case 'number':
      return Object.is(value, -0) ? 'd-0' : `d${value}`;
    case 'bigint':
      return `i${value}`;
    default:
      break;
  }
  if (value === null) return 'n';
  if (value instanceof Uint8Array)
    return `x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  if (Array.isArray(value)) {
    let out = '[';
    for (const element of value as readonly AnyValue[]) out += `${valueKey(element)},`;
    return `${out}]`;
  }
  return `{${attributesKey((value as { readonly kvlist: Attributes }).kvlist)}}`;
}

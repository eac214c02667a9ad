/**
 * Loki-shaped log entries as OTLP log records: the reverse of `otlpLogsToEntries`. An entry that
 * came from OTLP gives back its record; any other becomes a record whose resource holds the
 * stream labels and whose attributes hold the structured metadata. Takes `LogEntry`s, gives
 * `OtlpLogRecord`s.
 */
import type { Labels } from '../../../core/labels.js';
import type {
  InstrumentationScope,
  KeyValue,
  LogEntry,
  OtlpLogRecord,
  Resource,
} from '../../../core/signals.js';
import { fromHex } from './attributes.js';
import { bodyLine, LOKI_DEFAULT_INDEX_LABELS } from './logs-to-entries.js';

/** Stream label names of Loki's default index labels, back to their attribute names. */
const ATTRIBUTE_NAMES: ReadonlyMap<string, string> = new Map(
  LOKI_DEFAULT_INDEX_LABELS.map((name) => [name.replace(/[^a-zA-Z0-9_]/g, '_'), name]),
);

/** Severity numbers of the OpenTelemetry log data model, by common level name. */
const SEVERITY_NUMBERS: ReadonlyMap<string, number> = new Map(
  Object.entries({
    trace: 1,
    debug: 5,
    dbug: 5,
    info: 9,
    information: 9,
    informational: 9,
    notice: 10,
    warn: 13,
    warning: 13,
    error: 17,
    err: 17,
    eror: 17,
    critical: 18,
    crit: 18,
    alert: 19,
    fatal: 21,
    emerg: 21,
    emergency: 21,
    panic: 21,
  }),
);

/** The fields Loki writes as structured metadata, read back into the record. */
const RECORD_FIELDS = new Set([
  'observed_timestamp',
  'severity_number',
  'severity_text',
  'dropped_attributes_count',
  'flags',
  'trace_id',
  'span_id',
  'scope_name',
  'scope_version',
  'scope_dropped_attributes_count',
]);

const EMPTY_ID = new Uint8Array(0);

/** Converts entries to OTLP log records; see the TSDoc on the folder's `index.ts`. */
export function entriesToOtlpLogs(entries: readonly LogEntry[]): OtlpLogRecord[] {
  const resources = new Map<string, Resource>();
  const scopes = new Map<string, InstrumentationScope>();
  const out: OtlpLogRecord[] = [];
  for (const entry of entries) {
    const original = entry.otlp;
    if (original !== undefined) {
      out.push(fromOriginal(entry, original));
      continue;
    }
    const key = entry.labels.key();
    let resource = resources.get(key);
    if (resource === undefined) {
      resource = resourceOf(entry.labels);
      resources.set(key, resource);
    }
    const metadata = entry.structuredMetadata;
    const scopeName = metadata?.get('scope_name') ?? '';
    const scopeVersion = metadata?.get('scope_version') ?? '';
    const scopeDropped = count(metadata?.get('scope_dropped_attributes_count'));
    const scopeKey = JSON.stringify([scopeName, scopeVersion, scopeDropped]);
    let scope = scopes.get(scopeKey);
    if (scope === undefined) {
      scope = {
        name: scopeName,
        version: scopeVersion,
        attributes: [],
        droppedAttributesCount: scopeDropped,
        schemaUrl: '',
      };
      scopes.set(scopeKey, scope);
    }
    out.push(fromEntry(entry, resource, scope));
  }
  return out;
}

/** The entry's record, with the entry's time and (when the line was changed) its line as body. */
function fromOriginal(entry: LogEntry, original: OtlpLogRecord): OtlpLogRecord {
  const sameBody = bodyLine(original.body) === entry.line;
  if (sameBody && original.timeUnixNano === entry.timestampNs) return original;
  return {
    ...original,
    timeUnixNano: entry.timestampNs,
    body: sameBody ? original.body : entry.line,
  };
}

function fromEntry(entry: LogEntry, resource: Resource, scope: InstrumentationScope): OtlpLogRecord {
  const metadata = entry.structuredMetadata;
  const attributes: KeyValue[] = [];
  let traceId: Uint8Array = EMPTY_ID;
  let spanId: Uint8Array = EMPTY_ID;
  metadata?.forEach((name, value) => {
    const id = name === 'trace_id' ? fromHex(value, 16) : name === 'span_id' ? fromHex(value, 8) : undefined;
    if (id !== undefined) {
      if (name === 'trace_id') traceId = id;
      else spanId = id;
    } else if (name === 'trace_id' || name === 'span_id' || !RECORD_FIELDS.has(name)) {
      // An id that is not hex of the right length stays, as an attribute.
      attributes.push({ key: name, value });
    }
  });
  const observed = metadata?.get('observed_timestamp');
  const severityText =
    metadata?.get('severity_text') ??
    entry.labels.get('level') ??
    entry.labels.get('severity') ??
    metadata?.get('level') ??
    metadata?.get('severity') ??
    metadata?.get('detected_level') ??
    '';
  const severityNumber = count(metadata?.get('severity_number'));
  return {
    resource,
    scope,
    timeUnixNano: entry.timestampNs,
    observedTimeUnixNano:
      observed !== undefined && /^\d+$/.test(observed) ? BigInt(observed) : entry.timestampNs,
    severityNumber:
      severityNumber > 0 && severityNumber <= 24 ? severityNumber : severityNumberOf(severityText),
    severityText,
    body: entry.line,
    attributes,
    droppedAttributesCount: count(metadata?.get('dropped_attributes_count')),
    flags: count(metadata?.get('flags')),
    traceId,
    spanId,
    eventName: '',
  };
}

/** A resource whose attributes are the stream labels, Loki's default label names turned back. */
function resourceOf(labels: Labels): Resource {
  const attributes: KeyValue[] = [];
  labels.forEach((name, value) => {
    attributes.push({ key: ATTRIBUTE_NAMES.get(name) ?? name, value });
  });
  return { attributes, droppedAttributesCount: 0, schemaUrl: '' };
}

/**
 * The severity number of a level name (`warn`, `ERROR`, `info2`), as the OpenTelemetry log data
 * model maps them; 0 (unspecified) for a name it does not know.
 */
export function severityNumberOf(text: string): number {
  const lower = text.trim().toLowerCase();
  const numbered = /^(trace|debug|info|warn|error|fatal)([1-4])$/.exec(lower);
  if (numbered !== null) {
    return (SEVERITY_NUMBERS.get(numbered[1] as string) as number) + Number(numbered[2]) - 1;
  }
  return SEVERITY_NUMBERS.get(lower) ?? 0;
}

/** A non-negative decimal integer, or 0. */
function count(text: string | undefined): number {
  if (text === undefined || !/^\d{1,10}$/.test(text)) return 0;
  const value = Number(text);
  return value <= 0xffffffff ? value : 0;
}

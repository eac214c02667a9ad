/**
 * From a parsed syslog message to a log entry: the line, the time, and the labels Alloy's
 * `loki.source.syslog` gives (`__syslog_message_*` from the message, `__syslog_connection_*` from
 * the peer), with label sets cached since most messages of a sender share them.
 */
import { Labels } from '../../core/labels.js';
import type { LogEntry } from '../../core/signals.js';
import {
  SYSLOG_FACILITY_NAMES,
  SYSLOG_SEVERITY_NAMES,
  type SyslogMessage,
} from '../../protocols/syslog/index.js';

/** The most label sets kept; the cache starts over when it is full. */
const MAX_CACHED_LABEL_SETS = 10_000;

/** The labels of one peer: the configured ones plus its address and name. */
export interface PeerLabels {
  /** Distinguishes peers in the label cache. */
  readonly key: string;
  readonly entries: readonly (readonly [string, string])[];
}

/** The labels of a peer. */
export function peerLabels(
  configured: readonly (readonly [string, string])[],
  ip: string,
  hostname: string,
): PeerLabels {
  return {
    key: `${ip}\u0000${hostname}`,
    entries: [
      ...configured,
      ['__syslog_connection_ip_address', ip],
      ['__syslog_connection_hostname', hostname],
    ],
  };
}

/** What decides an entry beyond the message itself. */
export interface EntryOptions {
  readonly useIncomingTimestamp: boolean;
  readonly useRfc5424Message: boolean;
  readonly labelStructuredData: boolean;
}

/** Makes log entries, caching label sets across messages. */
export class EntryMaker {
  private readonly options: EntryOptions;
  private readonly cache = new Map<string, Labels>();

  constructor(options: EntryOptions) {
    this.options = options;
  }

  /** The entry for a message received at `receivedNs`; `text` is the message as received. */
  make(message: SyslogMessage, text: string, peer: PeerLabels, receivedNs: bigint): LogEntry {
    const { options } = this;
    const timestampNs =
      options.useIncomingTimestamp && message.timestampNs !== undefined ? message.timestampNs : receivedNs;
    const line = options.useRfc5424Message && message.format === 'rfc5424' ? text : message.message;
    return { labels: this.labels(message, peer), line, timestampNs };
  }

  private labels(message: SyslogMessage, peer: PeerLabels): Labels {
    const withSd = this.options.labelStructuredData && message.structuredData.length > 0;
    const key = withSd
      ? undefined
      : `${peer.key}\u0000${message.priority}\u0000${message.hostname}\u0000${message.appName}\u0000${message.procId}\u0000${message.msgId}`;
    if (key !== undefined) {
      const cached = this.cache.get(key);
      if (cached !== undefined) return cached;
    }
    const entries: (readonly [string, string])[] = [...peer.entries];
    entries.push(
      ['__syslog_message_severity', SYSLOG_SEVERITY_NAMES[message.severity] as string],
      ['__syslog_message_facility', SYSLOG_FACILITY_NAMES[message.facility] as string],
    );
    if (message.hostname !== undefined) entries.push(['__syslog_message_hostname', message.hostname]);
    if (message.appName !== undefined) entries.push(['__syslog_message_app_name', message.appName]);
    if (message.procId !== undefined) entries.push(['__syslog_message_proc_id', message.procId]);
    if (message.msgId !== undefined) entries.push(['__syslog_message_msg_id', message.msgId]);
    if (withSd) {
      for (const element of message.structuredData) {
        const prefix = `__syslog_message_sd_${labelNamePart(element.id)}_`;
        for (const param of element.params) entries.push([prefix + labelNamePart(param.name), param.value]);
      }
    }
    const labels = Labels.fromEntries(entries);
    if (key !== undefined) {
      if (this.cache.size >= MAX_CACHED_LABEL_SETS) this.cache.clear();
      this.cache.set(key, labels);
    }
    return labels;
  }
}

/**
 * An SD-ID or parameter name as part of a label name: `@` becomes `_` as in Alloy, and so does
 * every other character a label name cannot hold (`.`, `-`, ...), so relabel rules can name it.
 */
export function labelNamePart(name: string): string {
  return /^[A-Za-z0-9_]*$/.test(name) ? name : name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** Now, in nanoseconds since the epoch (to the millisecond, from the wall clock). */
export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

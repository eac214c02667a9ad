/**
 * `syslogReceiver`: a logs source that listens for syslog over TCP or UDP, what Alloy's
 * `loki.source.syslog` does. Takes RFC 5424 and RFC 3164 (BSD) messages, framed by octet counting
 * or one per line on TCP (told apart per connection), and emits batches of log entries: the
 * message is the line, the syslog fields are `__syslog_*` labels. Takes no input.
 */
import type { SourceStream } from '../../core/define.js';
import { defineSource } from '../../core/define.js';
import { ConfigError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import type { LabelRecord } from '../../core/labels.js';
import { type BoundAddress, parseListen } from '../../core/listen-address.js';
import {
  type ByteSize,
  byteSizeOption,
  type Duration,
  durationOption,
  positiveIntegerOption,
} from '../../core/units.js';
import { wallClockZone } from '../../protocols/syslog/index.js';
import { EntryBatcher, type FlowControl } from './batcher.js';
import { EntryMaker } from './entries.js';
import { HostnameCache } from './hostnames.js';
import { Intake } from './intake.js';
import { TcpListener } from './tcp.js';
import { UdpListener } from './udp.js';

const TYPE = 'syslogReceiver';
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The address a {@link syslogReceiver} is bound to. */
export type SyslogReceiverAddress = BoundAddress;

/** Options of {@link syslogReceiver}. */
export interface SyslogReceiverOptions {
  /** A unique component id. @defaultValue `syslogReceiver.N` */
  readonly id?: string | undefined;
  /**
   * Where to listen (Alloy's `address`): `'host:port'`, `'[::1]:port'`, `':port'` (every
   * interface) or a port number (on 127.0.0.1). Port 0 takes a free port; `onListening` tells
   * which. Ports below 1024, such as syslog's 514, need privileges.
   */
  readonly listen: string | number;
  /** The transport. @defaultValue `'tcp'` */
  readonly protocol?: 'tcp' | 'udp' | undefined;
  /**
   * The message format (Alloy's `syslog_format`). `'auto'` tells RFC 5424 from RFC 3164 per
   * message, by the version number RFC 5424 puts after the priority.
   * @defaultValue `'auto'`
   */
  readonly format?: 'rfc5424' | 'rfc3164' | 'auto' | undefined;
  /** Labels added to every entry. @defaultValue none */
  readonly labels?: LabelRecord | undefined;
  /**
   * Take each entry's time from the message rather than from its arrival (Alloy's
   * `use_incoming_timestamp`). Messages without a time get their arrival time either way.
   * @defaultValue false
   */
  readonly useIncomingTimestamp?: boolean | undefined;
  /**
   * Make the line the whole RFC 5424 message, header included, rather than its MSG part
   * (Alloy's `use_rfc5424_message`). RFC 3164 messages keep their MSG part.
   * @defaultValue false
   */
  readonly useRfc5424Message?: boolean | undefined;
  /**
   * Add structured data as `__syslog_message_sd_<SD-ID>_<PARAM-NAME>` labels (Alloy's
   * `label_structured_data`), `@` and other characters a label name cannot hold turned into `_`.
   * @defaultValue false
   */
  readonly labelStructuredData?: boolean | undefined;
  /**
   * The longest message taken, in bytes. Longer ones are skipped and counted (`too_long`); the
   * connection goes on.
   * @defaultValue 8192 (Alloy's)
   */
  readonly maxMessageLength?: ByteSize | undefined;
  /** TCP only: how long a silent connection stays open. @defaultValue `'120s'` (Alloy's) */
  readonly idleTimeout?: Duration | undefined;
  /**
   * The time zone of RFC 3164 timestamps, which carry none: an IANA name such as
   * `'Europe/Berlin'`, `'UTC'`, or `'Local'` for this process's zone. Only matters with
   * `useIncomingTimestamp`.
   * @defaultValue `'UTC'` (as Alloy and the OpenTelemetry Collector read them)
   */
  readonly location?: string | undefined;
  /**
   * Look up each peer's name for `__syslog_connection_hostname`, through the system resolver,
   * cached for five minutes per address. Turn it off where reverse DNS is slow or unwanted.
   * @defaultValue true
   */
  readonly lookupHostname?: boolean | undefined;
  /** TCP only: the most connections open at once; more are refused and counted as errors. @defaultValue 1000 */
  readonly maxConnections?: number | undefined;
  /** The most entries in one batch. @defaultValue 1000 */
  readonly maxBatchSize?: number | undefined;
  /** The most batches emitted and not yet acknowledged. @defaultValue 16 */
  readonly maxInFlight?: number | undefined;
  /**
   * Called on each subscription once the receiver listens, with the address it is bound to. An
   * error it throws is counted and otherwise ignored.
   * @defaultValue none
   */
  readonly onListening?: ((address: SyslogReceiverAddress) => void) | undefined;
}

/**
 * Receives syslog on `listen` over `protocol` and emits log entries. Each message becomes one
 * entry whose line is its MSG and whose labels are, as in Alloy's `loki.source.syslog`:
 * - `__syslog_connection_ip_address` and `__syslog_connection_hostname` (the peer's address and,
 *   unless `lookupHostname` is off, its name);
 * - `__syslog_message_severity` (`emergency` ... `informational`, `debug`),
 *   `__syslog_message_facility` (`kern`, `user`, ... `local7`), `__syslog_message_hostname`,
 *   `__syslog_message_app_name`, `__syslog_message_proc_id`, `__syslog_message_msg_id` when the
 *   message has them (RFC 3164's tag gives the app name and its `[pid]` the proc id);
 * - with `labelStructuredData`, `__syslog_message_sd_<id>_<name>` for each structured data
 *   parameter;
 * - the `labels` option.
 *
 * Labels starting with `__` are, by Prometheus's convention, meant to be relabelled: Alloy drops
 * them after its `relabel_rules`. Here they stay on the entries so that a following
 * `relabel(rules, { kind: 'logs' })` can read them (relabelling keeps every label it does not
 * change, `__` ones included); sinks send labels as they get them, so end those rules with
 * `{ action: 'labeldrop', regex: '__.*' }` unless a sink should see them. An entry's time is its
 * arrival, or the message's own with `useIncomingTimestamp`.
 *
 * TCP connections pick their framing from their first byte: `<` for one message per line (LF,
 * or NUL; as rsyslog and `logger` send by default), a digit for octet counting (RFC 6587
 * `LEN SP MSG`). UDP takes one message per datagram (or several, framed the same way).
 *
 * Bad input never stops the receiver. A message that does not parse is skipped and counted as
 * dropped (`malformed`) and as a receiving error naming the peer; one over `maxMessageLength` as
 * `too_long`; one without MSG as `empty_message` (as Alloy does). A connection whose framing is
 * lost (a first byte that is neither, a broken octet count) is counted as an error and closed;
 * the others carry on.
 *
 * Memory is bounded by the in-flight window: when `maxInFlight` batches are unacknowledged,
 * a TCP receiver stops reading every connection until one settles (senders wait, as TCP makes
 * them), while a UDP receiver keeps one batch of `maxBatchSize` and drops what arrives past it,
 * counted as `window_full`, since a datagram cannot be refused. Syslog has no acknowledgements,
 * so entries in memory at a crash are lost. When stopped, the receiver closes its connections,
 * emits what it holds and ends. Failing to listen errors the stream.
 *
 * @example
 * ```ts
 * syslogReceiver({ listen: '0.0.0.0:1514', protocol: 'tcp', labels: { job: 'syslog' } }).pipe(
 *   relabel(
 *     [
 *       { sourceLabels: ['__syslog_message_hostname'], targetLabel: 'host' },
 *       { sourceLabels: ['__syslog_message_app_name'], targetLabel: 'app' },
 *       { sourceLabels: ['__syslog_message_severity'], targetLabel: 'level' },
 *       { action: 'labeldrop', regex: '__.*' },
 *     ],
 *     { kind: 'logs' },
 *   ),
 *   fileSink({ path: './data/syslog.jsonl' }),
 * );
 * ```
 */
export function syslogReceiver(options: SyslogReceiverOptions): SourceStream<'logs'> {
  const name = options?.id ?? TYPE;
  if (options === undefined || options === null || options.listen === undefined)
    throw new ConfigError(name, 'listen', "is required: give an address such as '0.0.0.0:1514' or a port");
  const listen = parseListen(name, options.listen);
  const protocol = options.protocol ?? 'tcp';
  if (protocol !== 'tcp' && protocol !== 'udp')
    throw new ConfigError(name, 'protocol', `must be 'tcp' or 'udp', got '${String(protocol)}'`);
  const format = options.format ?? 'auto';
  if (format !== 'rfc5424' && format !== 'rfc3164' && format !== 'auto')
    throw new ConfigError(name, 'format', `must be 'rfc5424', 'rfc3164' or 'auto', got '${String(format)}'`);
  const configuredLabels = labelsOption(name, options.labels);
  const maxMessageLength = byteSizeOption(name, 'maxMessageLength', options.maxMessageLength ?? 8192, 1);
  const idleTimeoutMs = durationOption(name, 'idleTimeout', options.idleTimeout ?? '120s', 1);
  const location = options.location ?? 'UTC';
  try {
    wallClockZone(location);
  } catch (error) {
    throw new ConfigError(name, 'location', (error as Error).message, { cause: error });
  }
  const maxConnections = positiveIntegerOption(name, 'maxConnections', options.maxConnections ?? 1000);
  const maxBatchSize = positiveIntegerOption(name, 'maxBatchSize', options.maxBatchSize ?? 1000);
  const maxInFlight = positiveIntegerOption(name, 'maxInFlight', options.maxInFlight ?? 16);
  const onListening = options.onListening;
  if (onListening !== undefined && typeof onListening !== 'function')
    throw new ConfigError(name, 'onListening', 'must be a function');
  const entryOptions = {
    useIncomingTimestamp: options.useIncomingTimestamp === true,
    useRfc5424Message: options.useRfc5424Message === true,
    labelStructuredData: options.labelStructuredData === true,
  };
  const lookupHostname = options.lookupHostname !== false;

  const source = defineSource({ type: TYPE, id: options.id, kind: 'logs', maxInFlight }, async (context) => {
    const hostnames = lookupHostname ? new HostnameCache() : undefined;
    const common = {
      host: listen.host,
      port: listen.port,
      shown: listen.text,
      maxMessageLength,
      configuredLabels,
      hostnames,
    };
    const listener =
      protocol === 'tcp'
        ? new TcpListener(context, { ...common, idleTimeoutMs, maxConnections })
        : new UdpListener(context, { ...common, maxWaiting: maxBatchSize });
    const flow: FlowControl = listener instanceof TcpListener ? listener : { pause() {}, resume() {} };
    const batcher = new EntryBatcher(context, maxBatchSize, protocol === 'tcp' ? 'pause' : 'drop', flow);
    const intake = new Intake(context, batcher, new EntryMaker(entryOptions), { format, location });

    context.setHealth('starting', `listening on ${protocol} ${listen.text}`);
    const bound = await listener.start(intake);
    context.setHealth('healthy');
    if (onListening !== undefined) {
      try {
        onListening({ host: bound.address, port: bound.port });
      } catch (error) {
        context.error('processing', error);
      }
    }

    await aborted(context.signal);
    await listener.stop();
    await batcher.close();
  });
  return declareOptions(source, { ...options });
}

function labelsOption(name: string, labels: LabelRecord | undefined): (readonly [string, string])[] {
  if (labels === undefined) return [];
  if (typeof labels !== 'object' || labels === null)
    throw new ConfigError(name, 'labels', 'must be an object of label names to values');
  const out: (readonly [string, string])[] = [];
  for (const [label, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(label))
      throw new ConfigError(name, `labels.${label}`, 'is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)');
    if (typeof value !== 'string') throw new ConfigError(name, `labels.${label}`, 'must be a string');
    out.push([label, value]);
  }
  return out;
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

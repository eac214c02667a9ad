/**
 * The options of `cluster()`, checked when it is called: every mistake throws a `ConfigError`
 * naming the option and what would be valid. Defaults are memberlist's LAN profile.
 */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { ConfigError } from '../../core/errors.js';
import { isSecret, type Secret } from '../../core/secret.js';
import { type Duration, durationOption } from '../../core/units.js';
import { labelOverhead } from '../wire/label.js';
import { META_MAX_SIZE } from '../wire/messages.js';
import { COMPOUND_HEADER_OVERHEAD } from '../wire/packet.js';
import { encryptionVersionFor, encryptOverhead } from '../wire/security.js';
import { ipToBytes } from './ip.js';
import type { NetTransportOptions } from './net-transport.js';
import { type JoinAddress, parseJoinAddress } from './resolve.js';
import { encodeSerfTags } from './serf.js';
import { LAN_DEFAULTS, type SwimSettings } from './settings.js';
import type { DropTraffic } from './transport.js';

const COMPONENT = 'cluster';

/** Options of `cluster()`. */
export interface ClusterOptions {
  /** This node's name, unique in the cluster. @defaultValue the host name */
  readonly name?: string;
  /** The address to listen on for UDP and TCP. @defaultValue `'0.0.0.0'` */
  readonly bindAddr?: string;
  /** The port to listen on for UDP and TCP; 0 picks a free one. @defaultValue 7946 */
  readonly bindPort?: number;
  /**
   * The IP address other members reach this node at.
   * @defaultValue `bindAddr`, or when that is `0.0.0.0` or `::`, this host's first private IPv4 address
   */
  readonly advertiseAddr?: string;
  /** The port other members reach this node at. @defaultValue the bound port */
  readonly advertisePort?: number;
  /**
   * Members to join through: `'host:port'`, `'host'` (port `bindPort`), `'[ipv6]:port'`,
   * `'dns+name:port'` (every A/AAAA record) or `'dnssrv+_service._tcp.name'` (SRV records).
   * Joining is retried, with backoff, until one answers. @defaultValue `[]` (start a new cluster)
   */
  readonly join?: readonly string[];
  /**
   * Join through the `join` addresses again this often, so a cluster split by a long partition
   * merges back (Loki's `rejoin_interval`); 0 never. @defaultValue 0
   */
  readonly rejoinInterval?: Duration;
  /**
   * DNS servers that resolve the `dns+` and `dnssrv+` join addresses, as `'ip'`, `'ip:port'` or
   * `'[ipv6]:port'`, asked in order. Names are then looked up as A and AAAA records on these
   * servers only, without `/etc/hosts`. @defaultValue the system's resolver
   */
  readonly dnsServers?: readonly string[];
  /**
   * This node's metadata: bytes (at most 512), or tags, encoded as serf encodes them so serf
   * agents and Consul show them. @defaultValue no tags (serf's encoding of an empty map)
   */
  readonly meta?: Uint8Array | Readonly<Record<string, string>>;
  /**
   * The cluster label (memberlist's `Label`, Loki's `cluster_label`): sent with every packet and
   * stream, and traffic with another label is refused, so two clusters sharing a network
   * never merge by accident. Needs memberlist 0.3.2 or newer on the other members.
   * @defaultValue `''` (no label)
   */
  readonly label?: string;
  /**
   * Encryption keys in memberlist's keyring format: AES keys of 16, 24 or 32 bytes, as bytes or
   * base64 (what `serf keygen` prints), preferably wrapped in `secret()`. The first encrypts;
   * all are tried to decrypt, so keys can be rotated. @defaultValue none (plaintext)
   */
  readonly encryptionKeys?: readonly (Secret | string | Uint8Array)[];
  /** Refuse plaintext traffic when keys are set (memberlist's `GossipVerifyIncoming`). @defaultValue true */
  readonly verifyIncoming?: boolean;
  /** Encrypt outgoing traffic when keys are set (memberlist's `GossipVerifyOutgoing`). @defaultValue true */
  readonly verifyOutgoing?: boolean;
  /** LZW-compress packets and streams, as memberlist's `EnableCompression`. @defaultValue true */
  readonly compression?: boolean;
  /** `ready` waits until this many members (this node included) are alive. @defaultValue 1 */
  readonly minSize?: number;
  /** How long `ready` waits for `minSize` members before it rejects. @defaultValue `'1m'` */
  readonly readyTimeout?: Duration;
  /** How long a graceful leave waits for its message to be gossiped. @defaultValue `'5s'` */
  readonly leaveTimeout?: Duration;
  /** How often a member probes another. @defaultValue `'1s'` */
  readonly probeInterval?: Duration;
  /** How long a probe waits for an ack before asking others. @defaultValue `'500ms'` */
  readonly probeTimeout?: Duration;
  /** Members asked to probe a node that does not answer. @defaultValue 3 */
  readonly indirectChecks?: number;
  /** Scales the suspicion timeout, `suspicionMult * max(1, log10(n)) * probeInterval`. @defaultValue 4 */
  readonly suspicionMult?: number;
  /** The longest suspicion as a multiple of the shortest. @defaultValue 6 */
  readonly suspicionMaxTimeoutMult?: number;
  /** How often queued gossip goes out. @defaultValue `'200ms'` */
  readonly gossipInterval?: Duration;
  /** To how many members each gossip round goes. @defaultValue 3 */
  readonly gossipNodes?: number;
  /** How long dead members still get gossip and are remembered. @defaultValue `'30s'` */
  readonly gossipToTheDeadTime?: Duration;
  /** How often a full state exchange runs with a random member; 0 never. @defaultValue `'30s'` */
  readonly pushPullInterval?: Duration;
  /** Gossip is sent `retransmitMult * ceil(log10(n + 1))` times. @defaultValue 4 */
  readonly retransmitMult?: number;
  /** The ceiling of the local health multiplier of the probe interval. @defaultValue 8 */
  readonly awarenessMaxMultiplier?: number;
  /** The timeout of TCP exchanges. @defaultValue `'10s'` */
  readonly tcpTimeout?: Duration;
  /** The largest UDP packet sent, in bytes. @defaultValue 1400 */
  readonly udpBufferSize?: number;
  /** Skip the TCP ping when UDP probes fail. @defaultValue false */
  readonly disableTcpPings?: boolean;
  /** The memberlist protocol version spoken, 1 to 5. @defaultValue 2 (memberlist's default) */
  readonly protocolVersion?: number;
  /**
   * The application protocol versions gossiped, `[min, max, current]`, or `'auto'` to take the
   * cluster's on joining (a serf cluster refuses members outside its range).
   * @defaultValue `'auto'`
   */
  readonly delegateVersion?: 'auto' | readonly [number, number, number];
  /**
   * Send serf's leave intent before a graceful leave, so serf agents show this node `left`
   * rather than `failed`; `'auto'` does when serf agents are seen (serf messages, or members
   * with serf tags speaking serf's protocol).
   * @defaultValue `'auto'`
   */
  readonly serf?: boolean | 'auto';
  /**
   * For tests: drops traffic to or from the peers it returns `true` for, to simulate partitions.
   * @defaultValue nothing dropped
   */
  readonly dropTraffic?: DropTraffic;
  /** Where membership changes and network problems are reported. @defaultValue `console.error` */
  readonly log?: (line: string) => void;
}

/** Everything `cluster()` derives from its options. */
export interface ClusterSettings {
  readonly swim: SwimSettings;
  readonly transport: NetTransportOptions;
  readonly advertiseAddr: string | undefined;
  readonly advertisePort: number | undefined;
  readonly join: readonly JoinAddress[];
  readonly rejoinIntervalMs: number;
  /** The DNS servers to resolve join addresses with; `undefined` for the system's resolver. */
  readonly dnsServers: readonly string[] | undefined;
  readonly minSize: number;
  readonly readyTimeoutMs: number;
  readonly log: (line: string) => void;
}

/** Checks `options` and applies the defaults. */
export function clusterSettings(options: ClusterOptions): ClusterSettings {
  const name = options.name ?? hostname();
  if (typeof name !== 'string' || name.trim() === '') {
    throw new ConfigError(
      COMPONENT,
      'name',
      'must be a non-empty string naming this node uniquely in the cluster',
    );
  }
  const bindAddr = options.bindAddr ?? '0.0.0.0';
  if (ipToBytes(bindAddr) === undefined) {
    throw new ConfigError(
      COMPONENT,
      'bindAddr',
      `must be an IP address such as '0.0.0.0' or '::', got '${bindAddr}'`,
    );
  }
  const bindPort = portOption('bindPort', options.bindPort ?? 7946, true);
  if (options.advertiseAddr !== undefined && ipToBytes(options.advertiseAddr) === undefined) {
    throw new ConfigError(
      COMPONENT,
      'advertiseAddr',
      `must be an IP address other members can reach, got '${options.advertiseAddr}'`,
    );
  }
  const advertisePort =
    options.advertisePort === undefined
      ? undefined
      : portOption('advertisePort', options.advertisePort, false);
  const join = (options.join ?? []).map((text, i) => {
    if (typeof text !== 'string') throw new ConfigError(COMPONENT, `join[${i}]`, 'must be a string');
    const parsed = parseJoinAddress(text, bindPort === 0 ? 7946 : bindPort);
    if (typeof parsed === 'string') {
      throw new ConfigError(
        COMPONENT,
        `join[${i}]`,
        `${parsed}; write 'host:port', '[ipv6]:port', 'dns+name:port' or 'dnssrv+_service._tcp.name'`,
      );
    }
    return parsed;
  });
  const meta = metaOption(options.meta);
  const label = options.label ?? '';
  if (typeof label !== 'string' || Buffer.byteLength(label) > 255) {
    throw new ConfigError(COMPONENT, 'label', 'must be a string of at most 255 bytes');
  }
  const keys = (options.encryptionKeys ?? []).map((key, i) => keyOption(key, i));
  const protocolVersion = options.protocolVersion ?? 2;
  if (!Number.isInteger(protocolVersion) || protocolVersion < 1 || protocolVersion > 5) {
    throw new ConfigError(
      COMPONENT,
      'protocolVersion',
      `must be 1 to 5 (memberlist's range), got ${protocolVersion}`,
    );
  }
  const delegateVersion = delegateVersionOption(options.delegateVersion ?? 'auto');
  const serf = options.serf ?? 'auto';
  if (serf !== 'auto' && typeof serf !== 'boolean') {
    throw new ConfigError(COMPONENT, 'serf', `must be true, false or 'auto', got ${String(serf)}`);
  }
  const minSize = countOption('minSize', options.minSize ?? 1, 1);
  const log = options.log ?? ((line: string) => console.error(line));
  const compress = options.compression ?? true;
  const encryptionVersion = encryptionVersionFor(protocolVersion);
  const probeIntervalMs = durationOption(COMPONENT, 'probeInterval', options.probeInterval ?? '1s', 1);
  const probeTimeoutMs = durationOption(COMPONENT, 'probeTimeout', options.probeTimeout ?? '500ms', 1);
  if (probeTimeoutMs > probeIntervalMs) {
    throw new ConfigError(
      COMPONENT,
      'probeTimeout',
      `must not be longer than probeInterval (${probeIntervalMs}ms), got ${probeTimeoutMs}ms`,
    );
  }
  const udpBufferSize = countOption(
    'udpBufferSize',
    options.udpBufferSize ?? LAN_DEFAULTS.udpBufferSize,
    256,
  );
  const tcpTimeoutMs = durationOption(COMPONENT, 'tcpTimeout', options.tcpTimeout ?? '10s', 1);
  const swim: SwimSettings = {
    name,
    meta,
    protocolVersion,
    delegateVersion,
    serf,
    probeIntervalMs,
    probeTimeoutMs,
    indirectChecks: countOption('indirectChecks', options.indirectChecks ?? LAN_DEFAULTS.indirectChecks, 0),
    suspicionMult: countOption('suspicionMult', options.suspicionMult ?? LAN_DEFAULTS.suspicionMult, 1),
    suspicionMaxTimeoutMult: countOption(
      'suspicionMaxTimeoutMult',
      options.suspicionMaxTimeoutMult ?? LAN_DEFAULTS.suspicionMaxTimeoutMult,
      1,
    ),
    gossipIntervalMs: durationOption(COMPONENT, 'gossipInterval', options.gossipInterval ?? '200ms', 1),
    gossipNodes: countOption('gossipNodes', options.gossipNodes ?? LAN_DEFAULTS.gossipNodes, 1),
    gossipToTheDeadMs: durationOption(COMPONENT, 'gossipToTheDeadTime', options.gossipToTheDeadTime ?? '30s'),
    pushPullIntervalMs: durationOption(COMPONENT, 'pushPullInterval', options.pushPullInterval ?? '30s'),
    retransmitMult: countOption('retransmitMult', options.retransmitMult ?? LAN_DEFAULTS.retransmitMult, 1),
    awarenessMaxMultiplier: countOption(
      'awarenessMaxMultiplier',
      options.awarenessMaxMultiplier ?? LAN_DEFAULTS.awarenessMaxMultiplier,
      1,
    ),
    tcpTimeoutMs,
    udpBufferSize,
    disableTcpPings: options.disableTcpPings ?? false,
    packetOverhead:
      labelOverhead(label) +
      (keys.length > 0 && (options.verifyOutgoing ?? true) ? encryptOverhead(encryptionVersion) : 0),
    leaveTimeoutMs: durationOption(COMPONENT, 'leaveTimeout', options.leaveTimeout ?? '5s'),
  };
  if (swim.udpBufferSize - COMPOUND_HEADER_OVERHEAD - swim.packetOverhead < 128) {
    throw new ConfigError(
      COMPONENT,
      'udpBufferSize',
      `leaves too little room for messages, got ${udpBufferSize}`,
    );
  }
  return {
    swim,
    transport: {
      bindAddr,
      bindPort,
      label,
      keys,
      verifyIncoming: options.verifyIncoming ?? true,
      verifyOutgoing: options.verifyOutgoing ?? true,
      compress,
      encryptionVersion,
      tcpTimeoutMs,
      ...(options.dropTraffic === undefined ? {} : { dropTraffic: options.dropTraffic }),
      log,
    },
    advertiseAddr: options.advertiseAddr,
    advertisePort,
    join,
    rejoinIntervalMs: durationOption(COMPONENT, 'rejoinInterval', options.rejoinInterval ?? 0),
    dnsServers: dnsServersOption(options.dnsServers),
    minSize,
    readyTimeoutMs: durationOption(COMPONENT, 'readyTimeout', options.readyTimeout ?? '1m'),
    log,
  };
}

function portOption(option: string, value: number, allowZero: boolean): number {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1) || value > 65535) {
    throw new ConfigError(
      COMPONENT,
      option,
      `must be a port from ${allowZero ? 0 : 1} to 65535, got ${value}`,
    );
  }
  return value;
}

function dnsServersOption(servers: ClusterOptions['dnsServers']): readonly string[] | undefined {
  if (servers === undefined) return undefined;
  if (!Array.isArray(servers) || servers.length === 0) {
    throw new ConfigError(COMPONENT, 'dnsServers', "must be a non-empty array such as ['10.0.0.2:53']");
  }
  return servers.map((server: unknown, i) => {
    const text = typeof server === 'string' ? server.trim() : '';
    const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:]+)(?::(\d{1,5}))?$/.exec(text);
    const ip = match?.[1] ?? text;
    const port = match?.[2] === undefined ? 53 : Number(match[2]);
    if (isIP(ip) === 0 || port < 1 || port > 65535) {
      throw new ConfigError(
        COMPONENT,
        `dnsServers[${i}]`,
        `must be 'ip', 'ip:port' or '[ipv6]:port' with a port from 1 to 65535, got ${JSON.stringify(server)}`,
      );
    }
    return text;
  });
}

function countOption(option: string, value: number, minimum: number): number {
  if (!Number.isInteger(value) || value < minimum) {
    throw new ConfigError(COMPONENT, option, `must be a whole number of at least ${minimum}, got ${value}`);
  }
  return value;
}

function metaOption(meta: ClusterOptions['meta']): Uint8Array {
  let bytes: Uint8Array;
  if (meta === undefined) {
    bytes = encodeSerfTags({});
  } else if (meta instanceof Uint8Array) {
    bytes = meta;
  } else if (typeof meta === 'object' && meta !== null) {
    for (const [key, value] of Object.entries(meta)) {
      if (typeof value !== 'string') {
        throw new ConfigError(
          COMPONENT,
          `meta.${key}`,
          `must be a string (tags are strings), got ${typeof value}`,
        );
      }
    }
    bytes = encodeSerfTags(meta);
  } else {
    throw new ConfigError(COMPONENT, 'meta', 'must be a Uint8Array or an object of string tags');
  }
  if (bytes.length > META_MAX_SIZE) {
    throw new ConfigError(
      COMPONENT,
      'meta',
      `is ${bytes.length} bytes encoded; memberlist allows at most ${META_MAX_SIZE}`,
    );
  }
  return bytes;
}

function keyOption(key: Secret | string | Uint8Array, i: number): Uint8Array {
  const option = `encryptionKeys[${i}]`;
  let bytes: Uint8Array;
  if (key instanceof Uint8Array) {
    bytes = key;
  } else if (typeof key === 'string' || isSecret(key)) {
    const text = (typeof key === 'string' ? key : key.reveal()).trim();
    const decoded = Buffer.from(text, 'base64');
    if (
      !/^[A-Za-z0-9+/]+={0,2}$/.test(text) ||
      decoded.toString('base64').replace(/=+$/, '') !== text.replace(/=+$/, '')
    ) {
      throw new ConfigError(COMPONENT, option, "must be base64 (as 'serf keygen' prints) or a Uint8Array");
    }
    bytes = new Uint8Array(decoded);
  } else {
    throw new ConfigError(COMPONENT, option, 'must be a Uint8Array, a base64 string or a secret()');
  }
  if (bytes.length !== 16 && bytes.length !== 24 && bytes.length !== 32) {
    throw new ConfigError(
      COMPONENT,
      option,
      `must be 16, 24 or 32 bytes (AES-128, -192, -256), got ${bytes.length}`,
    );
  }
  return bytes;
}

function delegateVersionOption(value: ClusterOptions['delegateVersion']): SwimSettings['delegateVersion'] {
  if (value === 'auto') return value;
  if (
    Array.isArray(value) &&
    value.length === 3 &&
    value.every((v) => Number.isInteger(v) && v >= 0 && v <= 255) &&
    (value[0] as number) <= (value[2] as number) &&
    (value[2] as number) <= (value[1] as number)
  ) {
    return [value[0], value[1], value[2]] as [number, number, number];
  }
  throw new ConfigError(
    COMPONENT,
    'delegateVersion',
    `must be 'auto' or [min, max, current] with 0 <= min <= current <= max <= 255, got ${JSON.stringify(value)}`,
  );
}

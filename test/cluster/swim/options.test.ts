/**
 * `cluster()`'s options: defaults from memberlist's LAN profile, and a ConfigError naming the
 * option and the fix for each mistake. Also the helpers the options rely on: IP bytes, join
 * address parsing and DNS resolution, serf tags and leave intents.
 */
import { describe, expect, it } from 'vitest';
import { cluster } from '../../../src/cluster/swim/cluster.js';
import { ipFromBytes, ipToBytes, joinHostPort } from '../../../src/cluster/swim/ip.js';
import { type ClusterOptions, clusterSettings } from '../../../src/cluster/swim/options.js';
import { parseJoinAddress, type Resolver, resolveJoinAddress } from '../../../src/cluster/swim/resolve.js';
import { decodeSerfTags, encodeSerfTags, isSerfMeta, SerfClock } from '../../../src/cluster/swim/serf.js';
import { LAN_DEFAULTS } from '../../../src/cluster/swim/settings.js';
import { MsgpackReader } from '../../../src/cluster/wire/msgpack.js';
import { ConfigError } from '../../../src/core/errors.js';
import { secret } from '../../../src/core/secret.js';

function configError(options: ClusterOptions): ConfigError {
  try {
    clusterSettings(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('cluster options', () => {
  it("default to memberlist's LAN profile", () => {
    const settings = clusterSettings({ name: 'n1' });
    expect(settings.swim).toMatchObject({
      ...LAN_DEFAULTS,
      name: 'n1',
      protocolVersion: 2,
      delegateVersion: 'auto',
      serf: 'auto',
      packetOverhead: 0,
      leaveTimeoutMs: 5000,
    });
    expect(settings.transport).toMatchObject({
      bindAddr: '0.0.0.0',
      bindPort: 7946,
      label: '',
      keys: [],
      compress: true,
    });
    expect(settings.minSize).toBe(1);
    expect(settings.readyTimeoutMs).toBe(60_000);
    expect(settings.rejoinIntervalMs).toBe(0);
    expect(decodeSerfTags(settings.swim.meta)).toEqual({});
  });

  it('take durations as strings or milliseconds and override the profile', () => {
    const settings = clusterSettings({
      name: 'n',
      probeInterval: '200ms',
      probeTimeout: 100,
      gossipNodes: 4,
    });
    expect(settings.swim).toMatchObject({ probeIntervalMs: 200, probeTimeoutMs: 100, gossipNodes: 4 });
  });

  it('count the label and encryption in the packet budget', () => {
    const key = new Uint8Array(32);
    const settings = clusterSettings({ name: 'n', label: 'prod', encryptionKeys: [key] });
    expect(settings.swim.packetOverhead).toBe(2 + 4 + 29);
    expect(settings.transport.keys).toEqual([key]);
  });

  it.each<[ClusterOptions, string, RegExp]>([
    [{ name: '' }, 'name', /non-empty/],
    [{ bindAddr: 'localhost' }, 'bindAddr', /IP address/],
    [{ bindPort: 70000 }, 'bindPort', /0 to 65535/],
    [{ advertiseAddr: 'my-host' }, 'advertiseAddr', /IP address/],
    [{ join: ['host:notaport'] }, 'join[0]', /host:port/],
    [{ join: ['dnssrv+'] }, 'join[0]', /SRV/],
    [{ meta: new Uint8Array(600) }, 'meta', /at most 512/],
    [{ meta: { role: 5 as unknown as string } }, 'meta.role', /string/],
    [{ encryptionKeys: ['not base64!'] }, 'encryptionKeys[0]', /base64/],
    [{ encryptionKeys: [new Uint8Array(10)] }, 'encryptionKeys[0]', /16, 24 or 32/],
    [{ protocolVersion: 6 }, 'protocolVersion', /1 to 5/],
    [{ delegateVersion: [2, 1, 1] }, 'delegateVersion', /min <= current <= max/],
    [{ probeInterval: 'soon' }, 'probeInterval', /not a duration/],
    [{ probeInterval: 100, probeTimeout: 200 }, 'probeTimeout', /not be longer than probeInterval/],
    [{ minSize: 0 }, 'minSize', /at least 1/],
    [{ gossipNodes: 1.5 }, 'gossipNodes', /whole number/],
    [{ label: 'x'.repeat(300) }, 'label', /255 bytes/],
    [{ serf: 'yes' as unknown as boolean }, 'serf', /'auto'/],
    [{ udpBufferSize: 100 }, 'udpBufferSize', /at least 256/],
  ])('reject %o naming %s', (options, option, problem) => {
    const error = configError({ name: 'n', ...options });
    expect(error.option).toBe(option);
    expect(error.message).toMatch(problem);
    expect(error.message).toMatch(/^cluster: option/);
  });

  it('accept base64 keys as strings or secrets, as serf keygen prints them', () => {
    const base64 = Buffer.alloc(16, 7).toString('base64');
    const settings = clusterSettings({ name: 'n', encryptionKeys: [secret(base64), base64] });
    expect(settings.transport.keys.map((k) => k.length)).toEqual([16, 16]);
  });

  it('cluster() throws its ConfigError when called', () => {
    expect(() => cluster({ name: 'n', minSize: -1 })).toThrow(ConfigError);
  });
});

describe('ip addresses', () => {
  it('convert between text and the bytes memberlist carries', () => {
    expect(ipToBytes('10.1.2.3')).toEqual(Uint8Array.of(10, 1, 2, 3));
    expect(ipToBytes('nope')).toBeUndefined();
    expect(ipToBytes('::1')?.length).toBe(16);
    expect(ipFromBytes(ipToBytes('2001:db8::1') as Uint8Array)).toBe('2001:db8::1');
    expect(ipFromBytes(ipToBytes('fe80:0:0:1:0:0:0:1') as Uint8Array)).toBe('fe80:0:0:1::1');
    expect(ipFromBytes(ipToBytes('::ffff:192.168.0.1') as Uint8Array)).toBe('192.168.0.1');
    expect(ipFromBytes(Uint8Array.of(127, 0, 0, 1))).toBe('127.0.0.1');
    expect(joinHostPort('::1', 7946)).toBe('[::1]:7946');
  });
});

describe('join addresses', () => {
  const resolver: Resolver = {
    lookup: async (host) =>
      host === 'seed.example' ? ['10.0.0.1', '10.0.0.2'] : host === 'node-a.example' ? ['10.0.1.1'] : [],
    resolveSrv: async () => [
      { name: 'node-a.example', port: 8301 },
      { name: '10.0.1.2', port: 8302 },
    ],
  };

  it('parse host:port, bare hosts, IPv6 and DNS forms', () => {
    expect(parseJoinAddress('10.0.0.1:8000', 7946)).toMatchObject({
      kind: 'host',
      host: '10.0.0.1',
      port: 8000,
    });
    expect(parseJoinAddress('seed.example', 7946)).toMatchObject({
      kind: 'host',
      host: 'seed.example',
      port: 7946,
    });
    expect(parseJoinAddress('[::1]:9000', 7946)).toMatchObject({ host: '::1', port: 9000 });
    expect(parseJoinAddress('::1', 7946)).toMatchObject({ host: '::1', port: 7946 });
    expect(parseJoinAddress('dns+seed.example:7000', 7946)).toMatchObject({ kind: 'host', port: 7000 });
    expect(parseJoinAddress('dnssrv+_serf._tcp.example', 7946)).toMatchObject({
      kind: 'srv',
      host: '_serf._tcp.example',
    });
    expect(typeof parseJoinAddress('a b', 7946)).toBe('string');
  });

  it('resolve A records and SRV records to endpoints', async () => {
    const a = parseJoinAddress('dns+seed.example:7000', 7946);
    const srv = parseJoinAddress('dnssrv+_serf._tcp.example', 7946);
    if (typeof a === 'string' || typeof srv === 'string') throw new Error(String(a));
    expect(await resolveJoinAddress(a, resolver)).toEqual([
      { address: '10.0.0.1', port: 7000 },
      { address: '10.0.0.2', port: 7000 },
    ]);
    expect(await resolveJoinAddress(srv, resolver)).toEqual([
      { address: '10.0.1.1', port: 8301 },
      { address: '10.0.1.2', port: 8302 },
    ]);
  });
});

describe('serf compatibility', () => {
  it('encodes tags as serf does: 0xff then a msgpack map of strings', () => {
    const meta = encodeSerfTags({ role: 'web' });
    expect([...meta]).toEqual([0xff, 0x81, 0xa4, ...Buffer.from('role'), 0xa3, ...Buffer.from('web')]);
    expect(decodeSerfTags(meta)).toEqual({ role: 'web' });
    expect(isSerfMeta(meta)).toBe(true);
    expect(decodeSerfTags(Uint8Array.of(1, 2))).toBeUndefined();
    expect(decodeSerfTags(Uint8Array.of(0xff, 0x81))).toBeUndefined();
  });

  it('stamps leave intents past the highest serf Lamport time seen', () => {
    const clock = new SerfClock();
    const join = Buffer.concat([
      Buffer.of(1, 0x82, 0xa5),
      Buffer.from('LTime'),
      Buffer.of(0x2a, 0xa4),
      Buffer.from('Node'),
      Buffer.of(0xa1, 0x78),
    ]);
    clock.observeMessage(join);
    expect(clock.time).toBe(42);
    clock.observeState(Buffer.concat([Buffer.of(2, 0x81, 0xa5), Buffer.from('LTime'), Buffer.of(0xcc, 200)]));
    expect(clock.time).toBe(200);
    clock.observeMessage(Uint8Array.of(3, 0xc1));
    const intent = clock.leaveIntent('me');
    expect(intent[0]).toBe(0);
    const reader = new MsgpackReader(intent, 1);
    expect(reader.readMapHeader()).toBe(2);
    expect(reader.readString()).toBe('LTime');
    expect(reader.readInteger(0, 1e9)).toBe(201);
    expect(reader.readString()).toBe('Node');
    expect(reader.readString()).toBe('me');
  });
});

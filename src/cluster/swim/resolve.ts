/**
 * The `join` addresses: `host:port`, `host` (the default port), `[ipv6]:port`, or DNS names in
 * the forms Loki and Thanos use: `dns+name:port` (A and AAAA records) and `dnssrv+name` (SRV
 * records, each target looked up for its addresses, with the port the record gives).
 */
import { promises as dnsPromises } from 'node:dns';
import { isIP } from 'node:net';
import type { Endpoint } from './transport.js';

/** A join address once its syntax is checked. */
export interface JoinAddress {
  /** `'host'` for a name or IP with a port, `'srv'` for an SRV name. */
  readonly kind: 'host' | 'srv';
  readonly host: string;
  /** The port (for `'srv'`, unused). */
  readonly port: number;
  /** The address as written. */
  readonly text: string;
}

/** The DNS lookups joining uses (replaceable in tests). */
export interface Resolver {
  /** Every IP address of `host` (A and AAAA, as the system resolves them). */
  lookup(host: string): Promise<string[]>;
  /** The SRV records of `name`. */
  resolveSrv(name: string): Promise<{ name: string; port: number }[]>;
}

/** The system's resolver (`node:dns`). */
export const systemResolver: Resolver = {
  async lookup(host) {
    const found = await dnsPromises.lookup(host, { all: true });
    return found.map((entry) => entry.address);
  },
  resolveSrv: (name) => dnsPromises.resolveSrv(name),
};

/**
 * A resolver that asks the given DNS servers (`'ip'` or `'ip:port'`, as `dns.setServers` takes
 * them) directly, instead of the system's: names are looked up as A and AAAA records, without
 * `/etc/hosts`.
 */
export function dnsServerResolver(servers: readonly string[]): Resolver {
  const resolver = new dnsPromises.Resolver();
  resolver.setServers([...servers]);
  return {
    async lookup(host) {
      const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
      const found = [
        ...(v4.status === 'fulfilled' ? v4.value : []),
        ...(v6.status === 'fulfilled' ? v6.value : []),
      ];
      if (found.length === 0 && v4.status === 'rejected') throw v4.reason;
      return found;
    },
    resolveSrv: (name) => resolver.resolveSrv(name),
  };
}

/**
 * Parses one join address, or returns what is wrong with it.
 *
 * @param defaultPort - the port of an address written without one
 */
export function parseJoinAddress(text: string, defaultPort: number): JoinAddress | string {
  const value = text.trim();
  if (value.startsWith('dnssrv+')) {
    const name = value.slice('dnssrv+'.length);
    if (!/^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?\.?$/.test(name))
      return `'${text}' has no valid SRV name`;
    return { kind: 'srv', host: name, port: 0, text: value };
  }
  const rest = value.startsWith('dns+') ? value.slice('dns+'.length) : value;
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracketed !== null) {
    host = bracketed[1] as string;
    portText = bracketed[2];
  } else if (isIP(rest) === 6) {
    host = rest;
  } else {
    const colon = rest.lastIndexOf(':');
    host = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? undefined : rest.slice(colon + 1);
  }
  if (host === '' || (isIP(host) === 0 && !/^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?\.?$/.test(host))) {
    return `'${text}' is not a host, an IP address or a DNS name`;
  }
  const port = portText === undefined ? defaultPort : Number(portText);
  if (portText !== undefined && !/^\d{1,5}$/.test(portText)) return `'${text}' has a bad port`;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `'${text}' needs a port from 1 to 65535`;
  return { kind: 'host', host, port, text: value };
}

/** The endpoints a join address stands for now. */
export async function resolveJoinAddress(address: JoinAddress, resolver: Resolver): Promise<Endpoint[]> {
  if (address.kind === 'host') {
    if (isIP(address.host) !== 0) return [{ address: address.host, port: address.port }];
    const ips = await resolver.lookup(address.host);
    return ips.map((ip) => ({ address: ip, port: address.port }));
  }
  const records = await resolver.resolveSrv(address.host);
  const endpoints: Endpoint[] = [];
  for (const record of records) {
    const ips = isIP(record.name) !== 0 ? [record.name] : await resolver.lookup(record.name);
    for (const ip of ips) endpoints.push({ address: ip, port: record.port });
  }
  return endpoints;
}

/**
 * The `__syslog_connection_hostname` label: the peer's name by reverse lookup through the system
 * resolver (`/etc/hosts`, then DNS, as the C library's `getnameinfo` does), cached per address so
 * a busy sender costs one lookup, bounded in time, concurrency and memory.
 */
import { lookupService } from 'node:dns/promises';
import { isIP } from 'node:net';

/** How long a looked-up name (or the lack of one) is kept. */
const TTL_MS = 5 * 60_000;
/** The most addresses remembered. */
const MAX_ENTRIES = 4096;
/** Lookups run in libuv's small thread pool, which file I/O shares: few at a time. */
const MAX_CONCURRENT = 2;
/** A lookup that takes longer gives no name. */
const TIMEOUT_MS = 2000;

interface Entry {
  value: string | Promise<string>;
  readonly expires: number;
}

/** Names of peer addresses, looked up once per address and {@link TTL_MS}. */
export class HostnameCache {
  private readonly entries = new Map<string, Entry>();
  private running = 0;
  private readonly queue: (() => void)[] = [];

  /** The name of `ip` (empty when it has none), now if it is known, or once looked up. */
  get(ip: string): string | Promise<string> {
    const now = Date.now();
    const known = this.entries.get(ip);
    if (known !== undefined && known.expires > now) return known.value;
    if (known !== undefined) this.entries.delete(ip);
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    const entry: Entry = { value: '', expires: now + TTL_MS };
    if (isIP(ip) === 0) return '';
    const pending = this.lookup(ip).then((name) => {
      entry.value = name;
      return name;
    });
    entry.value = pending;
    this.entries.set(ip, entry);
    return pending;
  }

  private async lookup(ip: string): Promise<string> {
    if (this.running >= MAX_CONCURRENT) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.running++;
    const lookedUp = lookupService(ip, 0).then(
      ({ hostname }) => (hostname === ip ? '' : hostname),
      () => '',
    );
    // The slot frees when the lookup itself ends, not when it is given up on: it holds a thread.
    void lookedUp.then(() => {
      this.running--;
      this.queue.shift()?.();
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(''), TIMEOUT_MS);
      timer.unref();
    });
    try {
      return await Promise.race([lookedUp, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A peer address as Go prints it: IPv4 addresses mapped into IPv6 lose their `::ffff:` prefix. */
export function peerAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

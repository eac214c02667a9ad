/**
 * The `listen` option of rivulet's HTTP servers: `'host:port'`, `'[ipv6]:port'`, `':port'` (every
 * interface) or a bare port (on 127.0.0.1).
 */
import { ConfigError } from '../core/errors.js';

/** The address a server is bound to, as its `onListening` callback reports it. */
export interface BoundAddress {
  /** The bound IP address, such as `127.0.0.1` or `::`. */
  readonly host: string;
  readonly port: number;
}

/** A parsed listen address: host `undefined` means every interface. */
export interface ListenAddress {
  readonly host: string | undefined;
  readonly port: number;
  /** The address as shown in messages. */
  readonly text: string;
}

export function parseListen(component: string, value: string | number): ListenAddress {
  const bad = (): ConfigError =>
    new ConfigError(
      component,
      'listen',
      `must be 'host:port', '[ipv6]:port', ':port' or a port number, got '${String(value)}'`,
    );
  let host: string | undefined;
  let portText: string;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw bad();
    host = '127.0.0.1';
    portText = String(value);
  } else if (typeof value === 'string') {
    const text = value.trim();
    const match =
      /^(?:\[([0-9A-Fa-f:.]+(?:%[\w.-]+)?)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)?):(\d{1,5})$/.exec(
        text,
      );
    if (/^\d{1,5}$/.test(text)) {
      host = '127.0.0.1';
      portText = text;
    } else if (match !== null) {
      host = match[1] ?? match[2];
      portText = match[3] as string;
    } else {
      throw bad();
    }
  } else {
    throw bad();
  }
  const port = Number(portText);
  if (port < 0 || port > 65535)
    throw new ConfigError(component, 'listen', `has port ${portText}; ports are 0 to 65535`);
  const shown = host === undefined ? '' : host.includes(':') ? `[${host}]` : host;
  return { host, port, text: `${shown}:${port}` };
}

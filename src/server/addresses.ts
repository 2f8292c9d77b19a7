import { isIP } from 'node:net';

/** Whether a listen host only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return false;
}

/** Parses `HOST:PORT`, `[v6]:PORT` or `:PORT` / `PORT` (host defaults). */
export function parseHostPort(value: string, defaultHost: string, defaultPort?: number): { host: string; port: number } {
  const v = value.trim();
  let host = defaultHost;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(v);
  if (v6) {
    host = v6[1];
    portText = v6[2];
  } else if (/^\d+$/.test(v)) {
    portText = v;
  } else {
    const idx = v.lastIndexOf(':');
    if (idx >= 0 && !v.slice(0, idx).includes(':')) {
      host = v.slice(0, idx) || defaultHost;
      portText = v.slice(idx + 1);
    } else {
      host = v;
    }
  }
  const port = portText === undefined || portText === '' ? defaultPort : Number(portText);
  if (port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid address "${value}": expected HOST:PORT with a port from 0 to 65535`);
  }
  return { host, port };
}

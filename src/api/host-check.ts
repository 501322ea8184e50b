/**
 * DNS rebinding guard for the TCP listener (issue 10 item 5). A page on evil.example can
 * rebind its name to 127.0.0.1 and then talk to the web UI as same-origin: the browser
 * sends `Host: evil.example`. So every request must name this server: its listen
 * address, `localhost` when it listens on loopback, one of the host's own addresses when it
 * listens on every address (0.0.0.0, ::), or a name in WEB_HOSTNAMES (a reverse proxy, the
 * host's DNS name). Anything else is 421 SP_ERR_BAD_HOST, before login or routing.
 * A change that carries an Origin header must come from an allowed host too (the CSRF
 * token already stops forged changes; this refuses them one step earlier).
 */
import { parseAddress } from '../core/net/ip.js';

export interface HostPolicy {
  /** WEB_LISTEN's host (an address or a name). */
  listenHost: string;
  /** WEB_HOSTNAMES, lower case. */
  names: readonly string[];
  /** The host's own addresses, asked when listening on every address. */
  ownAddresses(): readonly string[];
}

/** The host part of a Host header or URL authority (`[::1]:8040` → ::1), lower case, no trailing dot. */
export function hostPart(authority: string): string | null {
  const a = authority.trim().toLowerCase();
  if (a === '') return null;
  if (a.startsWith('[')) {
    const end = a.indexOf(']');
    if (end < 0) return null;
    const rest = a.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null;
    return a.slice(1, end);
  }
  const colons = a.split(':').length - 1;
  if (colons > 1) return null; // an unbracketed IPv6 literal is not a valid Host
  const host = colons === 1 ? a.slice(0, a.indexOf(':')) : a;
  if (colons === 1 && !/^\d{1,5}$/.test(a.slice(a.indexOf(':') + 1))) return null;
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

const LOOPBACK = new Set(['127.0.0.1', '::1']);
const WILDCARD = new Set(['0.0.0.0', '::']);

function isLoopback(text: string): boolean {
  const a = parseAddress(text);
  return a !== null && (LOOPBACK.has(a.text) || (a.family === 4 && a.bytes[0] === 127));
}

/** Whether a request that says `Host: header` is for this server. */
export function hostAllowed(header: string | undefined, p: HostPolicy): boolean {
  const host = header ? hostPart(header) : null;
  if (!host) return false;
  if (p.names.includes(host)) return true;
  const listen = p.listenHost.toLowerCase();
  if (host === listen) return true;
  const addr = parseAddress(host);
  const listenAddr = parseAddress(listen);
  const wildcard = listenAddr !== null && WILDCARD.has(listenAddr.text);
  const loopbackListen = listenAddr !== null && isLoopback(listenAddr.text);
  if (host === 'localhost') return loopbackListen || wildcard;
  if (!addr) return false;
  if (listenAddr && addr.text === listenAddr.text) return true;
  if (wildcard) return isLoopback(addr.text) || p.ownAddresses().includes(addr.text);
  return false;
}

/** The Origin header's host when it is allowed, else false; true when there is no Origin. */
export function originAllowed(origin: string | undefined, p: HostPolicy): boolean {
  if (origin === undefined) return true;
  if (!URL.canParse(origin)) return false;
  return hostAllowed(new URL(origin).host, p);
}

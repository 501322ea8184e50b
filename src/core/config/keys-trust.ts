/**
 * Keys of issue 10 (trust): where the web UI may be reached from and how it is served,
 * and which peers forged packets must never get blocked.
 * - WEB_HOSTNAMES: the names a browser may use for the web UI besides the listen address
 *   (a reverse proxy's name, the host's DNS name). Any other Host header is refused: a page
 *   on evil.example that rebinds its name to 127.0.0.1 reaches nothing.
 * - WEB_TLS_CERT, WEB_TLS_KEY: PEM files; with both the web UI speaks HTTPS only.
 * - PROTECTED_PEERS: addresses and networks (trunks, registrars, monitoring) that a single
 *   spoofable packet never blocks: such evidence raises an alert instead (SECURITY.md).
 * The first three are hostOnly: they decide where the daemon listens and which files root
 * reads, so only the config file on the host sets them.
 */
import { checkNetwork } from '../net/ip.js';
import { type ConfigKey, isHost, joinPath, list } from './values.js';

function tlsFile(key: 'WEB_TLS_CERT' | 'WEB_TLS_KEY', which: 'tlsCert' | 'tlsKey', what: string): ConfigKey {
  return {
    key,
    aliases: [],
    hostOnly: true,
    default: '',
    allowed: 'a PEM file path (relative paths are beside the config file); empty = plain HTTP',
    description: `${what} of the web UI (PEM). With WEB_TLS_CERT and WEB_TLS_KEY set, the web UI speaks HTTPS.`,
    parse(value, cfg, ctx) {
      if (value === '') {
        cfg.web[which] = null;
        return null;
      }
      if (value.includes('\0')) return 'must be a file path';
      cfg.web[which] = joinPath(ctx.dir, value);
      return null;
    },
    format: (cfg) => cfg.web[which] ?? '',
  };
}

export const TRUST_KEYS: readonly ConfigKey[] = [
  {
    key: 'WEB_HOSTNAMES',
    aliases: [],
    hostOnly: true,
    default: '',
    allowed:
      'host names or addresses, comma-separated (e.g. pbx.example.com); empty = the listen address only',
    description:
      'Names a browser may use for the web UI besides its listen address (a reverse proxy, the host name). Requests for any other Host are refused (DNS rebinding).',
    parse(value, cfg) {
      const names = list(value.toLowerCase());
      for (const n of names) {
        if (!isHost(n) && !checkNetwork(n.replace(/^\[|\]$/g, '')).ok) {
          return `must be host names or addresses ('${n}' is neither)`;
        }
      }
      cfg.web.hostnames = [...new Set(names.map((n) => n.replace(/^\[|\]$/g, '')))];
      return null;
    },
    format: (cfg) => cfg.web.hostnames.join(','),
  },
  tlsFile('WEB_TLS_CERT', 'tlsCert', 'Certificate chain'),
  tlsFile('WEB_TLS_KEY', 'tlsKey', 'Private key'),
  {
    key: 'PROTECTED_PEERS',
    aliases: [],
    default: '',
    allowed: 'addresses or CIDR networks, comma-separated; empty = none',
    description:
      'Peers (SIP trunks, registrars, monitoring) never blocked on evidence a forged packet can carry (a scanner User-Agent, a tool template): an alert is raised instead. The deny list still applies.',
    parse(value, cfg) {
      const out: string[] = [];
      for (const item of list(value)) {
        const r = checkNetwork(item);
        if (!r.ok) return `must be addresses or networks: ${r.reason}`;
        out.push(r.network.text);
      }
      cfg.protectedPeers = [...new Set(out)];
      return null;
    },
    format: (cfg) => cfg.protectedPeers.join(','),
  },
];

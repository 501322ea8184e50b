/**
 * Which settings a cluster shares (issue 14). Fleet-wide: detection thresholds, scanners,
 * blocked countries, TFTP/DNS guards, mail and SMTP, geo-IP updates — a change on one host
 * (web UI, API) is published and applied on every host. Per host: where the host listens and
 * what it captures (INTERFACES, PROTOCOLS, SIP_PORTS, WEB_LISTEN, HEP_LISTEN), where it keeps
 * its files (STATE_DIR, list files), and the cluster keys themselves — every `hostOnly` key
 * of the table plus the two capture keys a PBX host sets to match its own SIP server.
 */
import { CONFIG_KEYS, findConfigKey } from './keys.js';

/** Per-host keys that the web UI may still change (the capture of this host's SIP server). */
const PER_HOST_EDITABLE = new Set(['PROTOCOLS', 'SIP_PORTS']);

/** True when a change of this key (canonical or legacy name) holds on every host of a cluster. */
export function isFleetWide(key: string): boolean {
  const k = findConfigKey(key);
  return k !== undefined && k.hostOnly !== true && !PER_HOST_EDITABLE.has(k.key);
}

/** The canonical names of the fleet-wide keys, in table order. */
export function fleetWideKeys(): string[] {
  return CONFIG_KEYS.filter((k) => isFleetWide(k.key)).map((k) => k.key);
}

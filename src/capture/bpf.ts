import type { Config } from '../core/types.js';

/**
 * The kernel-side filter for live capture: only the configured transports and SIP ports,
 * plus IP fragments (a non-first fragment carries no port, yet large UDP INVITEs arrive
 * that way and the decoder reassembles them).
 */
export function buildBpfFilter(config: Pick<Config, 'protocols' | 'sipPorts'>): string {
  const ports = config.sipPorts
    .map((r) => (r.from === r.to ? `port ${r.from}` : `portrange ${r.from}-${r.to}`))
    .join(' or ');
  const protos = config.protocols.join(' or ');
  const sip = `((${protos}) and (${ports}))`;
  const v4frag = '(ip and (ip[6:2] & 0x3fff != 0))';
  const v6frag = '(ip6 and ip6[6] == 44)';
  return `${sip} or ${v4frag} or ${v6frag}`;
}

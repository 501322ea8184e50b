/**
 * The cluster's per-host keys (issue 14) beside CLUSTER_REDIS_URL: CLUSTER_HOST_ID names this
 * host in the fleet (events, heartbeats, "which host saw it" on every block). Its default is
 * empty = the machine's host name, which the daemon resolves (the core reads no OS state).
 * Two hosts with one id would each skip the other's events as their own: give every host its
 * own (the default, the host name, is; containers and cloned VMs may need it set).
 */
import type { ConfigKey } from './values.js';

/** 1-63 letters, digits, '.', '_', '-'; starts with a letter or digit (a DNS label or FQDN fits). */
export const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const CLUSTER_KEYS: readonly ConfigKey[] = [
  {
    key: 'CLUSTER_HOST_ID',
    aliases: [],
    hostOnly: true,
    default: '',
    allowed: "1-63 letters, digits, '.', '_' or '-' (empty = the host name)",
    description: 'This host’s name in the cluster: shown on every block it decides.',
    parse(value, cfg) {
      if (value === '') {
        cfg.clusterHostId = null;
        return null;
      }
      if (!HOST_ID.test(value))
        return "must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit";
      cfg.clusterHostId = value;
      return null;
    },
    format: (cfg) => cfg.clusterHostId ?? '',
  },
];

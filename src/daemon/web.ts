/**
 * How the web UI listens (issue 10 item 5): which Host names it answers to (the rebinding
 * guard's policy from WEB_LISTEN and WEB_HOSTNAMES), HTTPS from WEB_TLS_CERT/WEB_TLS_KEY,
 * a loud warning when it listens beyond loopback in plain HTTP (the password and session
 * cookie would cross the network readable), and the first-start password written to a
 * root-only file in STATE_DIR instead of the log (logs are shipped, rotated, shown by
 * `journalctl` to the adm group).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { HostPolicy } from '../api/host-check.js';
import { SipprotError } from '../core/errors.js';
import { parseAddress } from '../core/net/ip.js';
import type { Config } from '../core/types.js';
import {
  GENERATED_KEY,
  generatePassword,
  PASSWORD_KEY,
  setAdminPassword,
} from '../platform/admin-password.js';
import { writeFileAtomic } from '../platform/atomic-write.js';
import { readHostFacts } from '../platform/host-facts.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';

/** The one-time password's file in STATE_DIR (0600, root). */
export const INITIAL_PASSWORD_FILE = 'initial-admin-password';
/** The host's addresses are read at most this often for a wildcard listener's Host check. */
const OWN_ADDRESSES_TTL_MS = 10_000;

export function hostPolicy(config: Config): HostPolicy {
  let cached: { at: number; list: string[] } | null = null;
  return {
    listenHost: config.webListen.host,
    names: config.web.hostnames,
    ownAddresses: () => {
      const now = Date.now();
      if (!cached || now - cached.at > OWN_ADDRESSES_TTL_MS) {
        cached = { at: now, list: readHostFacts().own.map((o) => o.ip) };
      }
      return cached.list;
    },
  };
}

/** The PEM files for HTTPS, or null for plain HTTP; unreadable files stop the start. */
export function tlsOptions(config: Config): { cert: Buffer; key: Buffer } | null {
  const { tlsCert, tlsKey } = config.web;
  if (!tlsCert || !tlsKey) return null;
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new SipprotError(
        'SP_ERR_CONFIG_NOT_FOUND',
        `cannot read the web UI's TLS ${what} ${path}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
  };
  return { cert: read(tlsCert, 'certificate (WEB_TLS_CERT)'), key: read(tlsKey, 'key (WEB_TLS_KEY)') };
}

function isLoopbackListen(host: string): boolean {
  if (host === 'localhost') return true;
  const a = parseAddress(host);
  return a !== null && (a.text === '::1' || (a.family === 4 && a.bytes[0] === 127));
}

/** Says loudly when the web UI is reachable from the network without TLS. */
export function warnIfExposed(config: Config, log: Logger): boolean {
  const { host, port } = config.webListen;
  if (port === 0 || isLoopbackListen(host) || config.web.tlsCert) return false;
  log.warn(
    { webListen: `${host}:${port}` },
    `SECURITY: the web UI listens on ${host}:${port}, beyond loopback, over plain HTTP: the admin ` +
      'password and session cookies cross the network readable. Set WEB_TLS_CERT and WEB_TLS_KEY, put it ' +
      'behind a TLS reverse proxy on loopback (README), or use an SSH tunnel to 127.0.0.1.',
  );
  return true;
}

/**
 * At start: when no admin password is set, generates one, stores its hash and writes the
 * password to STATE_DIR/initial-admin-password (0600); the log says where, never what.
 * A leftover file is removed once the admin chose their own password. Returns the
 * generated password, or null when one was already set.
 */
export async function ensureAdminPassword(
  store: Store,
  log: Logger,
  stateDir: string,
): Promise<string | null> {
  const file = join(stateDir, INITIAL_PASSWORD_FILE);
  if ((await store.getSetting(PASSWORD_KEY)) !== null) {
    if ((await store.getSetting(GENERATED_KEY)) !== '1') rmSync(file, { force: true });
    return null;
  }
  const password = generatePassword();
  await writeFileAtomic(
    file,
    `${password}\n# sipprot web UI: one-time admin password. Log in and change it, or set one with: sipprot passwd\n`,
    { mode: 0o600, code: 'SP_ERR_STORE' },
  );
  await setAdminPassword(store, password, true);
  log.warn(
    { file },
    `web UI: no admin password was set; a one-time password is in ${file} (root only). ` +
      'Log in and change it, or set one with: sipprot passwd',
  );
  return password;
}

/**
 * The geo-IP table across a cluster (issue 14): one host updates (the API's update button,
 * `sipprot geoip update` through the daemon, or the GEOIP_UPDATE_INTERVAL schedule, which
 * runs on one host of the fleet per interval), every other host loads the same bytes.
 *
 * Why through Redis rather than each host fetching GEOIP_UPDATE_URL itself: the URL may be a
 * file in the updating host's config directory, an upstream may change between two fetches
 * (hosts would disagree on countries), and PBX hosts often have no outbound web access. The
 * table (~1.2 MB gzipped) is stored in Redis under its SHA-256; the event carries the digest;
 * a host fetches the bytes, checks the digest, then decodes and validates the table like any
 * table file before it replaces STATE_DIR/geoip/current.bin.gz atomically.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SipprotError } from '../core/errors.js';
import { GeoDatabase } from '../geoip/database.js';
import { readTableFile } from '../geoip/files.js';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The bytes and digest of this host's updated table; null while it uses the shipped one. */
export async function stateTable(stateDir: string): Promise<{ sha256: string; bytes: Uint8Array } | null> {
  const bytes = await readFile(GeoDatabase.currentPath(stateDir)).catch(() => null);
  return bytes === null ? null : { sha256: sha256(bytes), bytes };
}

/** Checks the digest and the table, then makes it STATE_DIR's table (atomic rename). */
export async function installTable(stateDir: string, digest: string, bytes: Uint8Array): Promise<void> {
  if (sha256(bytes) !== digest)
    throw new SipprotError('SP_ERR_GEOIP', `the fleet's geo-IP table does not match its digest ${digest}`);
  const path = GeoDatabase.currentPath(stateDir);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.cluster-${process.pid}.tmp`;
  try {
    await writeFile(tmp, bytes, { mode: 0o600, flush: true });
    await readTableFile(tmp); // decodes and validates: a bad table never replaces a good one
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

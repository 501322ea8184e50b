/**
 * The Admin port without a daemon: the list files, the state store, the geo database and
 * the feeds' stored copies, read directly (the daemon applies the changes when it starts).
 * Its own module so a command answered by the running daemon's socket never loads SQLite,
 * the mmdb reader or the feeds (~80 modules, a third of the CLI's start).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { geoInfo } from '../admin/geo-info.js';
import { LocalAdmin } from '../admin/local-admin.js';
import type { Config } from '../core/types.js';
import { readFeedsFile } from '../feeds/feeds-file.js';
import { FeedStore } from '../feeds/store.js';
import { storedFeeds } from '../feeds/stored.js';
import { GeoDatabase } from '../geoip/database.js';
import { ListFiles } from '../lists/list-files.js';
import { mailStatus } from '../notify/mail-status.js';
import { protectedByHost, readHostFacts } from '../platform/host-facts.js';
import { readPid } from '../platform/pid-file.js';
import type { RuntimePaths } from '../platform/runtime-paths.js';
import type { Admin } from '../ports/admin.js';
import { DB_FILE, SqliteStore } from '../store/sqlite-store.js';
import type { Io } from './output.js';

/**
 * The state store for a command. A command that only looks (`readOnly`) does not create
 * STATE_DIR/sipprot.db: before the daemon's first start it reads an empty in-memory store
 * and says so, instead of leaving a root-owned database behind in /var/lib/sipprot.
 */
async function openStore(config: Config, readOnly: boolean, io: Io): Promise<SqliteStore> {
  const file = join(config.stateDir, DB_FILE);
  if (readOnly && !existsSync(file)) {
    io.err(`note: no state database yet (${file}): no blocks or history to show until sipprotd has run\n`);
    return SqliteStore.openInMemory();
  }
  return SqliteStore.open(config.stateDir);
}

export async function openLocalAdmin(
  config: Config,
  paths: RuntimePaths,
  opts: { readOnly: boolean; io: Io; clock: () => number },
): Promise<Admin> {
  const { io, clock } = opts;
  const store = await openStore(config, opts.readOnly, io);
  const geo = await GeoDatabase.load(config.stateDir, { mmdb: config.geoip.mmdb }).catch(() => null);
  // check names the feeds from their stored copies (the daemon downloads them).
  const specs = (await readFeedsFile(config.feedsFile)).specs;
  const feeds = await storedFeeds(specs, new FeedStore(config.stateDir), clock);
  return new LocalAdmin({
    config,
    lists: new ListFiles({ allow: config.allowlistFile, deny: config.denylistFile }),
    store,
    geo: geo ? geoInfo(geo, config) : null,
    mailStatus: () => mailStatus(config),
    clock,
    daemonPid: () => readPid(paths.pidFile),
    protect: () => protectedByHost(readHostFacts()),
    feeds: () => feeds,
  });
}

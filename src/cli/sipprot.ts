/**
 * `sipprot`, the admin CLI: the composition of its commands. With the daemon running
 * (PID file names a live process and its socket answers) admin commands go through the
 * socket, so they apply to the firewall at once; without it they change the list files
 * and the store directly, and the daemon applies them when it starts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { geoInfo } from '../admin/geo-info.js';
import { connectDaemon } from '../admin/http-admin.js';
import { LocalAdmin } from '../admin/local-admin.js';
import { loadConfig } from '../config/load.js';
import { applyOverrides } from '../core/config/overrides.js';
import { AccessLists } from '../core/lists/lists.js';
import type { Config } from '../core/types.js';
import { readFeedsFile } from '../feeds/feeds-file.js';
import { FeedStore } from '../feeds/store.js';
import { storedFeeds } from '../feeds/stored.js';
import { GeoDatabase } from '../geoip/database.js';
import { ListFiles } from '../lists/list-files.js';
import { mailStatus } from '../notify/mail-status.js';
import { protectedByHost, readHostFacts } from '../platform/host-facts.js';
import { readPid } from '../platform/pid-file.js';
import { runtimePaths } from '../platform/runtime-paths.js';
import type { Admin } from '../ports/admin.js';
import { DB_FILE, SqliteStore } from '../store/sqlite-store.js';
import { clusterCommands } from './cluster-command.js';
import { exportCommand } from './export-command.js';
import { feedsCommands } from './feeds-command.js';
import { geoipCommands } from './geoip-command.js';
import { notifyCommands } from './notify-commands.js';
import { type Io, warnConfig } from './output.js';
import { registerPasswdCommand } from './passwd-command.js';
import { runCli } from './program.js';
import { replayCommand } from './replay-command.js';

const STDIO: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };
const clock = () => Date.now() / 1000;

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

/** A yes/no question on the terminal (remove --all); anything but y/yes is no. */
async function askOnTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function main(argv: string[], io: Io = STDIO): Promise<number> {
  const onWarning = warnConfig(io);
  const configAt = (path: string | undefined): Config => loadConfig({ path, env: process.env, onWarning });

  /** The Admin port: the running daemon's socket when it answers, else files and store. */
  const openAdmin = async (opts: { config?: string; readOnly?: boolean }): Promise<Admin> => {
    const config = configAt(opts.config);
    const paths = runtimePaths(config);
    const daemon = await connectDaemon(paths, { waiting: (t) => io.err(t) });
    if (daemon) return daemon;
    const store = await openStore(config, opts.readOnly === true, io);
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
  };
  return run(argv, io, configAt, openAdmin);
}

function run(
  argv: string[],
  io: Io,
  configAt: (path: string | undefined) => Config,
  openAdmin: (opts: { config?: string; readOnly?: boolean }) => Promise<Admin>,
): Promise<number> {
  return runCli(argv, {
    io,
    admin: openAdmin,
    ...(process.stdin.isTTY ? { confirm: askOnTerminal } : {}),
    extensions: [
      replayCommand({
        // The file the daemon would use, then `--set KEY=VALUE` overrides, each blamed as typed.
        config: (path, overrides) => applyOverrides(configAt(path), overrides),
        lists: (c) => {
          const files = new ListFiles({ allow: c.allowlistFile, deny: c.denylistFile });
          return new AccessLists(files.read('allow'), files.read('deny'));
        },
        country: async (c) => {
          const db = await GeoDatabase.load(c.stateDir, { mmdb: c.geoip.mmdb });
          return (ip) => db.country(ip);
        },
      }),
      geoipCommands({ config: configAt }),
      feedsCommands({ config: configAt, clock }),
      clusterCommands({ config: configAt, clock }),
      exportCommand,
      notifyCommands({ loadConfig: configAt, openStore: (c) => SqliteStore.open(c.stateDir) }),
      (program, ctx) =>
        registerPasswdCommand(program, ctx, {
          openStore: async (cmd) => SqliteStore.open(configAt(cmd.optsWithGlobals().config).stateDir),
        }),
    ],
  });
}

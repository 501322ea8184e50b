/**
 * `sipprot`, the admin CLI: the composition of its commands. With the daemon running
 * (PID file names a live process and its socket answers) admin commands go through the
 * socket, so they apply to the firewall at once; without it they change the list files
 * and the store directly, and the daemon applies them when it starts.
 */
import { connectDaemon } from '../admin/http-admin.js';
import { loadConfig } from '../config/load.js';
import { applyOverrides } from '../core/config/overrides.js';
import { AccessLists } from '../core/lists/lists.js';
import type { Config } from '../core/types.js';
import { ListFiles } from '../lists/list-files.js';
import { runtimePaths } from '../platform/runtime-paths.js';
import type { Admin } from '../ports/admin.js';
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

/** SQLite (better-sqlite3 and the store, ~30 modules) loaded by the commands that open it. */
async function openStateStore(stateDir: string) {
  return (await import('../store/sqlite-store.js')).SqliteStore.open(stateDir);
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
    // Without a daemon: files and store read directly, loaded only now (local-admin-open.ts).
    const { openLocalAdmin } = await import('./local-admin-open.js');
    return openLocalAdmin(config, paths, { readOnly: opts.readOnly === true, io, clock });
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
          const { GeoDatabase } = await import('../geoip/database.js');
          const db = await GeoDatabase.load(c.stateDir, { mmdb: c.geoip.mmdb });
          return (ip) => db.country(ip);
        },
      }),
      geoipCommands({ config: configAt }),
      feedsCommands({ config: configAt, clock }),
      clusterCommands({ config: configAt, clock }),
      exportCommand,
      notifyCommands({ loadConfig: configAt, openStore: (c) => openStateStore(c.stateDir) }),
      (program, ctx) =>
        registerPasswdCommand(program, ctx, {
          openStore: (cmd) => openStateStore(configAt(cmd.optsWithGlobals().config).stateDir),
        }),
    ],
  });
}

/**
 * `sipprot`, the admin CLI: the composition of its commands. With the daemon running
 * (PID file names a live process and its socket answers) admin commands go through the
 * socket, so they apply to the firewall at once; without it they change the list files
 * and the store directly, and the daemon applies them when it starts.
 */
import { readFileSync } from 'node:fs';
import { geoInfo } from '../admin/geo-info.js';
import { daemonAnswers, HttpAdmin } from '../admin/http-admin.js';
import { LocalAdmin } from '../admin/local-admin.js';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { parseConfig } from '../core/config/parse.js';
import { AccessLists } from '../core/lists/lists.js';
import type { Config } from '../core/types.js';
import { GeoDatabase } from '../geoip/database.js';
import { ListFiles } from '../lists/list-files.js';
import { mailStatus } from '../notify/smtp.js';
import { readPid } from '../platform/pid-file.js';
import { runtimePaths } from '../platform/runtime-paths.js';
import type { Admin } from '../ports/admin.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { geoipCommands } from './geoip-command.js';
import { notifyCommands } from './notify-commands.js';
import type { Io } from './output.js';
import { registerPasswdCommand } from './passwd-command.js';
import { runCli } from './program.js';
import { replayCommand } from './replay-command.js';

const STDIO: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };
const clock = () => Date.now() / 1000;

const configAt = (path: string | undefined): Config => loadConfig({ path, env: process.env });

/** The Admin port: the running daemon's socket when it answers, else files and store. */
async function openAdmin(opts: { config?: string }): Promise<Admin> {
  const config = configAt(opts.config);
  const paths = runtimePaths(config);
  if (readPid(paths.pidFile) !== null && (await daemonAnswers(paths.socket)))
    return new HttpAdmin(paths.socket);
  const store = await SqliteStore.open(config.stateDir);
  const geo = await GeoDatabase.load(config.stateDir).catch(() => null);
  return new LocalAdmin({
    config,
    lists: new ListFiles({ allow: config.allowlistFile, deny: config.denylistFile }),
    store,
    geo: geo ? geoInfo(geo, config) : null,
    mailStatus: () => mailStatus(config),
    clock,
    daemonPid: () => readPid(paths.pidFile),
  });
}

/** The config for a replay: the file the daemon would use, then `KEY=VALUE` overrides. */
function replayConfig(path: string | undefined, overrides: string[]): Config {
  if (overrides.length === 0) return configAt(path);
  const file = resolveConfigPath({ path, env: process.env });
  const text = file ? readFileSync(file, 'utf8') : '';
  return parseConfig(`${text}\n${overrides.join('\n')}\n`, { source: file });
}

export function main(argv: string[], io: Io = STDIO): Promise<number> {
  return runCli(argv, {
    io,
    admin: openAdmin,
    extensions: [
      replayCommand({
        config: replayConfig,
        lists: (c) => {
          const files = new ListFiles({ allow: c.allowlistFile, deny: c.denylistFile });
          return new AccessLists(files.read('allow'), files.read('deny'));
        },
        country: async (c) => {
          const db = await GeoDatabase.load(c.stateDir);
          return (ip) => db.country(ip);
        },
      }),
      geoipCommands({ config: configAt }),
      notifyCommands({ loadConfig: configAt, openStore: (c) => SqliteStore.open(c.stateDir) }),
      (program, ctx) =>
        registerPasswdCommand(program, ctx, {
          openStore: async (cmd) => SqliteStore.open(configAt(cmd.optsWithGlobals().config).stateDir),
        }),
    ],
  });
}

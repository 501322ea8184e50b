/**
 * `sipprot geoip status|lookup|update`: the geo-IP database under STATE_DIR. An update is
 * validated before it replaces anything; a running daemon is then told to reload, which
 * refills the kernel's country sets in one atomic batch.
 */
import type { Command } from 'commander';
import { connectDaemon } from '../admin/http-admin.js';
import { configDir } from '../core/config/parse.js';
import type { Config } from '../core/types.js';
import type { GeoMeta } from '../geoip/database.js';
import { runtimePaths } from '../platform/runtime-paths.js';
import { json } from './output.js';
import { type CliContext, usage } from './program.js';

export interface GeoipCliDeps {
  config(path: string | undefined): Config;
}

/** Registers `sipprot geoip` and its three commands. */
export function geoipCommands(deps: GeoipCliDeps) {
  return (program: Command, ctx: CliContext) => {
    const geoip = program.command('geoip').description('the geo-IP country database');
    const cfg = (cmd: Command) => deps.config(cmd.optsWithGlobals().config);

    geoip
      .command('status')
      .description('which database is in use: source, date, ranges')
      .option('--json', 'machine-readable output')
      .action(async (o, cmd: Command) => {
        const c = cfg(cmd);
        const db = await (await geoDatabase()).load(c.stateDir, { mmdb: c.geoip.mmdb });
        if (o.json) return json(ctx.io, db.meta);
        ctx.io.out(describe(db.meta));
        for (const w of db.warnings) ctx.io.err(`warning: ${w}\n`);
      });

    geoip
      .command('lookup')
      .description('the country of an address')
      .argument('<ip>', 'IPv4 or IPv6 address')
      .action(async (ip: string, _o, cmd: Command) => {
        const c = cfg(cmd);
        const db = await (await geoDatabase()).load(c.stateDir, { mmdb: c.geoip.mmdb });
        ctx.io.out(`${ip}: ${db.country(ip) ?? 'unknown'}\n`);
      });

    geoip
      .command('update')
      .description('download or read a new database, validate it, and switch to it')
      .option('--from <url|file>', 'where to get it (default: GEOIP_UPDATE_URL)')
      .option('--json', 'machine-readable output')
      .action(async (o: { from?: string; json?: boolean }, cmd: Command) => {
        const config = cfg(cmd);
        if (config.geoip.mmdb && !o.from) {
          // The admin's file is the source: re-read it (checked), and let a daemon reload.
          const db = await (await geoDatabase()).load(config.stateDir, { mmdb: config.geoip.mmdb });
          for (const w of db.warnings) ctx.io.err(`warning: ${w}\n`);
          if (db.meta.origin !== 'mmdb')
            throw usage(`GEOIP_MMDB ${config.geoip.mmdb} is not usable (see the warning)`);
          await reloadDaemon(config, ctx);
          if (o.json) return json(ctx.io, { meta: db.meta, warnings: db.warnings });
          ctx.io.out(`read: ${describe(db.meta)}`);
          return;
        }
        const from = o.from ?? config.geoip.updateUrl;
        if (!from) {
          throw usage('no source: pass --from URL|FILE or set GEOIP_UPDATE_URL');
        }
        const db = await (await geoDatabase()).load(config.stateDir);
        // A file named on the command line is root's own choice; one taken from the config
        // (editable from the web UI) must be in the config directory.
        const confine = o.from ? {} : { confineTo: configDir(config.source) };
        const { meta, warnings } = await db.update({ from, ...confine });
        await reloadDaemon(config, ctx);
        if (o.json) return json(ctx.io, { meta, warnings });
        ctx.io.out(`updated: ${describe(meta)}`);
        for (const w of warnings) ctx.io.err(`warning: ${w}\n`);
      });
  };
}

/** A running daemon re-reads the database on reload and refills the country sets. */
async function reloadDaemon(config: Config, ctx: CliContext): Promise<void> {
  const paths = runtimePaths(config);
  const daemon = await connectDaemon(paths, { waiting: (t) => ctx.io.err(t) });
  if (daemon) {
    const r = await daemon.call<{ reloaded: boolean; message: string }>('POST', '/api/reload');
    if (!r.reloaded) ctx.io.err(`warning: the daemon did not reload: ${r.message}\n`);
  }
}

function describe(m: GeoMeta): string {
  return `${m.source}, data of ${m.date}, ${m.v4Ranges} IPv4 + ${m.v6Ranges} IPv6 ranges (${m.origin}: ${m.file})\n`;
}

/** The database module (mmdb reader, ~45 modules) loaded by the geoip commands only when they run. */
async function geoDatabase() {
  return (await import('../geoip/database.js')).GeoDatabase;
}

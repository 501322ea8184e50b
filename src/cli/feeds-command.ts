/**
 * `sipprot feeds [status] [--json]` and `sipprot feeds update [NAME]`: the shared
 * blocklists of FEEDS_FILE. Through the running daemon's socket when it answers (what the
 * kernel holds, downloads now); without a daemon, `status` shows the stored copies and
 * `update` says the daemon downloads (exit 3).
 */
import type { Command } from 'commander';
import { connectDaemon } from '../admin/http-admin.js';
import { formatDuration as feedDuration } from '../core/feeds/spec.js';
import type { Config } from '../core/types.js';
import { readFeedsFile } from '../feeds/feeds-file.js';
import { FeedStore } from '../feeds/store.js';
import { storedFeeds } from '../feeds/stored.js';
import { runtimePaths } from '../platform/runtime-paths.js';
import type { FeedStatus, FeedsView } from '../ports/feeds.js';
import { EXIT } from './exit-codes.js';
import { json } from './output.js';
import type { CliContext } from './program.js';
import { renderTable } from './table.js';

export interface FeedsCliDeps {
  config(path: string | undefined): Config;
  clock(): number;
}

/** The daemon's feeds over its socket, or the stored copies (read-only) when it is not running. */
async function openFeeds(config: Config, deps: FeedsCliDeps, io: CliContext['io']): Promise<FeedsView> {
  const paths = runtimePaths(config);
  const http = await connectDaemon(paths, { waiting: (t) => io.err(t) });
  if (http) {
    const statuses = (await http.call<{ feeds: FeedStatus[] }>('GET', '/api/feeds')).feeds;
    return {
      status: () => statuses,
      lookup: () => [],
      entries: () => [],
      update: async (name) =>
        (await http.call<{ feeds: FeedStatus[] }>('POST', '/api/feeds/update', name ? { name } : {})).feeds,
    };
  }
  const r = await readFeedsFile(config.feedsFile);
  for (const p of r.problems) io.err(`warning: ${p}\n`);
  return storedFeeds(r.specs, new FeedStore(config.stateDir), deps.clock);
}

/** "5 min ago", "in 3 h", "never". */
function ago(t: number | null, now: number): string {
  if (t === null) return 'never';
  const d = Math.round(now - t);
  return d >= 0 ? `${feedDuration(Math.max(1, d))} ago` : `in ${feedDuration(-d)}`;
}

function show(ctx: CliContext, feeds: FeedStatus[], file: string): void {
  if (feeds.length === 0) {
    ctx.io.out(`no feeds (${file} is missing or lists none)\n`);
    return;
  }
  const now = ctx.clock();
  const rows = feeds.map((f) => [
    f.name,
    f.type,
    f.enabled ? 'yes' : 'no',
    f.entries,
    ago(f.lastSuccess, now),
    f.nextRun === null ? '-' : ago(f.nextRun, now),
    `${feedDuration(f.interval)}/${feedDuration(f.ttl)}`,
  ]);
  ctx.io.out(renderTable(['FEED', 'TYPE', 'ENABLED', 'ENTRIES', 'UPDATED', 'NEXT', 'INTERVAL/TTL'], rows));
  for (const f of feeds) {
    if (f.lastError) ctx.io.out(`${f.name}: last run not taken: ${f.lastError}\n`);
    if (f.warning) ctx.io.out(`${f.name}: ${f.warning}\n`);
    if (f.refused > 0)
      ctx.io.out(`${f.name}: ${f.refused} entries refused (${f.refusedExamples.join('; ')})\n`);
    if (f.held > 0)
      ctx.io.out(`${f.name}: ${f.held} entries not loaded: they would drop a protected address\n`);
  }
}

export function feedsCommands(deps: FeedsCliDeps) {
  return (program: Command, ctx: CliContext) => {
    const feeds = program.command('feeds').description('shared blocklists (FEEDS_FILE): APIBAN, URL lists');
    const cfg = (cmd: Command) => deps.config(cmd.optsWithGlobals().config);

    feeds
      .command('status', { isDefault: true })
      .description('each feed: entries, last download, errors')
      .option('--json', 'machine-readable output')
      .action(async (o: { json?: boolean }, cmd: Command) => {
        const config = cfg(cmd);
        const list = (await openFeeds(config, deps, ctx.io)).status();
        if (o.json) return json(ctx.io, list);
        show(ctx, list, config.feedsFile);
      });

    feeds
      .command('update')
      .description('download now (one feed, or every enabled one); needs the running daemon')
      .argument('[name]', 'a feed of the feeds file')
      .option('--json', 'machine-readable output')
      .action(async (name: string | undefined, o: { json?: boolean }, cmd: Command) => {
        const config = cfg(cmd);
        const paths = runtimePaths(config);
        if ((await connectDaemon(paths, { waiting: (t) => ctx.io.err(t) })) === null) {
          ctx.io.err(
            'sipprotd is not running: feeds are downloaded by the daemon (start it with sipprotd start)\n',
          );
          ctx.setExit(EXIT.notRunning);
          return;
        }
        const list = await (await openFeeds(config, deps, ctx.io)).update(name);
        if (o.json) return json(ctx.io, list);
        show(ctx, list, config.feedsFile);
      });
  };
}

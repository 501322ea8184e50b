/**
 * `sipprot cluster status [--json]` (issue 14): this host's view of the cluster — every host
 * with its last heartbeat, stream lag and outbox, and the Redis state. With the daemon
 * running it asks the daemon (GET /api/cluster over the root-only socket); without it, it
 * asks Redis itself (heartbeats and stream), so an admin can look at the fleet from a host
 * whose daemon is down. Exit 0 when Redis is reachable (or single host), 1 when it is not.
 */
import type { Command } from 'commander';
import { connectDaemon } from '../admin/http-admin.js';
import type { Config } from '../core/types.js';
import { runtimePaths } from '../platform/runtime-paths.js';
import type { ClusterStatus, HostInfo } from '../ports/cluster.js';
import { EXIT } from './exit-codes.js';
import { json } from './output.js';
import type { CliContext } from './program.js';
import { renderTable } from './table.js';

export interface ClusterCliDeps {
  config(path: string | undefined): Config;
  clock(): number;
}

/** What the command prints: the daemon's status, or Redis's view when the daemon is down. */
type View = { mode: 'single' } | { mode: 'cluster'; daemon: boolean; status: ClusterStatus };

export function clusterCommands(deps: ClusterCliDeps) {
  return (program: Command, ctx: CliContext) => {
    const cluster = program.command('cluster').description('cluster mode: the hosts sharing one Redis');
    cluster
      .command('status')
      .description('hosts, last seen, stream lag, outbox, Redis state')
      .option('--json', 'machine-readable output')
      .action(async (o: { json?: boolean }, cmd: Command) => {
        const view = await viewOf(deps, deps.config(cmd.optsWithGlobals().config));
        if (o.json)
          json(
            ctx.io,
            view.mode === 'single' ? { cluster: null } : { daemon: view.daemon, cluster: view.status },
          );
        else ctx.io.out(text(view));
        if (view.mode === 'cluster' && view.status.redis !== 'up') ctx.setExit(EXIT.failure);
      });
  };
}

async function viewOf(deps: ClusterCliDeps, config: Config): Promise<View> {
  const paths = runtimePaths(config);
  const daemon = await connectDaemon(paths);
  if (daemon) {
    const r = await daemon.call<{ cluster: ClusterStatus | null }>('GET', '/api/cluster');
    return r.cluster ? { mode: 'cluster', daemon: true, status: r.cluster } : { mode: 'single' };
  }
  if (!config.clusterRedisUrl) return { mode: 'single' };
  // Loaded only here: ioredis costs every other `sipprot` command ~240 ms of CPU.
  const { RedisBus } = await import('../cluster/redis-bus.js');
  const bus = new RedisBus({ url: config.clusterRedisUrl, timeoutMs: 3000 });
  const status: ClusterStatus = {
    host: config.clusterHostId ?? '(host name)',
    redis: 'down',
    lastError: null,
    lastId: '0-0',
    streamLastId: null,
    lagMs: null,
    outbox: 0,
    rejected: 0,
    applied: 0,
    published: 0,
    hosts: [],
  };
  try {
    if (!(await bus.ready(3000)))
      return { mode: 'cluster', daemon: false, status: { ...status, lastError: 'Redis unreachable' } };
    const [info, hosts] = await Promise.all([bus.streamInfo(), bus.hosts()]);
    const now = deps.clock();
    return {
      mode: 'cluster',
      daemon: false,
      status: {
        ...status,
        redis: 'up',
        streamLastId: info.lastId,
        hosts: hosts.map((h) => ({ ...h, ageSeconds: Math.max(0, Math.round((now - h.at) * 10) / 10) })),
      },
    };
  } catch (e) {
    return { mode: 'cluster', daemon: false, status: { ...status, lastError: (e as Error).message } };
  } finally {
    await bus.close();
  }
}

const ms = (id: string | null) => (id === null ? null : Number(id.split('-')[0]));

function text(v: View): string {
  if (v.mode === 'single') return 'cluster: off (single host: CLUSTER_REDIS_URL is not set)\n';
  const s = v.status;
  const lines = [
    `this host: ${s.host}${v.daemon ? '' : ' (sipprotd not running)'}`,
    `redis: ${s.redis}${s.lastError ? ` (${s.lastError})` : ''}`,
  ];
  if (v.daemon) {
    lines.push(
      `stream: applied up to ${s.lastId}${s.lagMs === null ? '' : `, ${s.lagMs} ms behind`}; ` +
        `${s.outbox} events waiting for Redis; ${s.published} published, ${s.applied} applied, ${s.rejected} refused as malformed`,
    );
  }
  const rows = s.hosts.map((h: HostInfo & { ageSeconds: number }) => {
    const lag =
      ms(s.streamLastId) !== null && ms(h.lastId) !== null
        ? `${Math.max(0, ms(s.streamLastId)! - ms(h.lastId)!)} ms`
        : '-';
    return [h.host, `${h.ageSeconds} s ago`, lag, h.outbox, h.rejected, h.version];
  });
  lines.push(
    rows.length > 0
      ? renderTable(['host', 'last seen', 'stream lag', 'outbox', 'refused', 'version'], rows).trimEnd()
      : 'hosts: none seen',
  );
  return `${lines.join('\n')}\n`;
}

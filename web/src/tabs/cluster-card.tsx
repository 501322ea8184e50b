/**
 * Cluster mode on the dashboard (issue 14): this host, the Redis state, and every host of the
 * fleet with its last heartbeat, stream lag and outbox. Nothing on a single host.
 */
import type { ClusterAnswer } from '../../../src/api/types.js';
import { get } from '../api.js';
import { num, plural } from '../format.js';
import { TableHead, useLoad } from '../ui/common.js';

export function ClusterCard() {
  const c = useLoad(() => get<ClusterAnswer>('/api/cluster'));
  const s = c.data?.cluster;
  if (!s) return null;
  const up = s.redis === 'up';
  const streamMs = s.streamLastId ? Number(s.streamLastId.split('-')[0]) : null;
  return (
    <section class="card" data-testid="cluster">
      <div class="card-head">
        <h2>Cluster</h2>
        <span class={`badge ${up ? '' : 'badge-danger'}`}>Redis {s.redis}</span>
      </div>
      <p>
        This host is <strong class="mono">{s.host}</strong>
        {s.lagMs !== null && <> · {num(s.lagMs)} ms behind the stream</>}
        {s.outbox > 0 && <> · {plural(s.outbox, 'event')} waiting for Redis</>}
        {s.rejected > 0 && <> · {plural(s.rejected, 'malformed event')} refused</>}
        {s.lastError && <> · {s.lastError}</>}
      </p>
      {s.hosts.length > 0 && (
        <div class="table-wrap">
          <table class="table responsive">
            <TableHead columns={['Host', 'Last seen', 'Stream lag', 'Outbox', 'Refused']} />
            <tbody>
              {s.hosts.map((h) => (
                <tr key={h.host}>
                  <td data-label="Host" class="mono">
                    {h.host}
                  </td>
                  <td data-label="Last seen">{num(h.ageSeconds)} s ago</td>
                  <td data-label="Stream lag">
                    {streamMs === null
                      ? '—'
                      : `${num(Math.max(0, streamMs - Number(h.lastId.split('-')[0])))} ms`}
                  </td>
                  <td data-label="Outbox">{num(h.outbox)}</td>
                  <td data-label="Refused">{num(h.rejected)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

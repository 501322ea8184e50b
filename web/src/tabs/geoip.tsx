/** GEO-IP: the country database in use, and the button that updates it. */
import type { GeoStatus, StatusReport } from '../../../src/api/types.js';
import { get, messageOf, post } from '../api.js';
import { country, dateTime, num } from '../format.js';
import { useAction } from '../ui/action.js';
import { Loading, Notice, PageHead, useLoad } from '../ui/common.js';

export function GeoIp() {
  const geo = useLoad(() => get<GeoStatus>('/api/geoip'));
  const status = useLoad(() => get<StatusReport>('/api/status'));
  const action = useAction();
  const busy = action.busy !== null;

  const update = () => {
    action.setNotice({ kind: 'info', text: 'Updating the GEO-IP database… this can take a minute.' });
    return action.run(
      true,
      async () => {
        const g = await post<GeoStatus>('/api/geoip/update');
        geo.set(g);
        void status.reload();
        return {
          kind: g.warnings?.length ? 'warn' : 'ok',
          text: `GEO-IP database updated: data of ${g.date}, ${num(g.v4Ranges + g.v6Ranges)} ranges.`,
          ...(g.warnings?.length ? { lines: g.warnings } : {}),
        };
      },
      {
        onError: (err) => ({
          kind: 'error',
          text: `Update failed, the database in use is unchanged: ${messageOf(err)}`,
        }),
      },
    );
  };

  const g = geo.data;
  const blocked = status.data?.countries.blocked ?? [];
  return (
    <>
      <PageHead
        title="GEO-IP"
        intro="The address-to-country database behind Blocked Countries and the country column."
      >
        <button type="button" class="button button-primary" disabled={busy} onClick={update} aria-busy={busy}>
          {busy ? 'Updating…' : 'Update GEO-IP database'}
        </button>
      </PageHead>
      <Notice value={action.notice} onDismiss={busy ? undefined : () => action.setNotice(null)} />
      {geo.error && <Notice value={{ kind: 'error', text: geo.error }} />}
      {!g && !geo.error && <Loading what="the GEO-IP status" />}
      {g && (
        <section class="card">
          <h2>Database in use</h2>
          <dl class="facts">
            <dt>Data of</dt>
            <dd>{g.date}</dd>
            <dt>Source</dt>
            <dd class="break">{g.source}</dd>
            <dt>Ranges</dt>
            <dd>
              {num(g.v4Ranges)} IPv4, {num(g.v6Ranges)} IPv6
            </dd>
            <dt>Installed</dt>
            <dd>
              {g.origin === 'shipped'
                ? 'shipped with sipprot'
                : g.origin === 'mmdb'
                  ? `your GEOIP_MMDB file${g.updatedAt ? `, re-read ${dateTime(g.updatedAt)}` : ''}`
                  : `updated ${g.updatedAt ? dateTime(g.updatedAt) : ''}`}
            </dd>
            <dt>Updates from</dt>
            <dd class="break">
              {g.updateUrl ?? (
                <>
                  not configured: set GEOIP_UPDATE_URL under <a href="#/general">General</a> › Service
                </>
              )}
            </dd>
          </dl>
          <p class="muted small">
            {g.origin === 'mmdb'
              ? 'Geo-IP data: your own database file, under its own licence.'
              : 'Shipped geo-IP data: IPFire Location Database (location.ipfire.org), CC BY-SA 4.0, as Debian’s tor-geoipdb carries it.'}
          </p>
        </section>
      )}
      <section class="card">
        <h2>Blocked countries</h2>
        {blocked.length === 0 ? (
          <p class="muted">
            No country is blocked. Choose countries under <a href="#/general">General</a>.
          </p>
        ) : (
          <>
            <ul class="chips">
              {blocked.map((c) => (
                <li key={c} class="chip">
                  {country(c)}
                </li>
              ))}
            </ul>
            <p class="muted small">
              {num(status.data?.countries.ranges ?? 0)} address ranges blocked. Change the list under{' '}
              <a href="#/general">General</a>.
            </p>
          </>
        )}
      </section>
    </>
  );
}

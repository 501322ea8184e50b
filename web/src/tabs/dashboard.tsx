import { useEffect, useRef, useState } from 'preact/hooks';
import type { AttackRecord, DashboardData } from '../../../src/api/types.js';
import { get, messageOf } from '../api.js';
import { ago, country, countryName, num, plural, reason, todayLocal, toLocalInput, when } from '../format.js';
import { live } from '../live.js';
import { AttackChart } from '../ui/chart.js';
import { Loading, Notice, PageHead, TableHead, useLoad } from '../ui/common.js';
import { ClusterCard } from './cluster-card.js';

const RANGES = [
  { id: '24h', label: '24 hours' },
  { id: '7d', label: '7 days' },
  { id: '30d', label: '30 days' },
];

function Stat({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div class="stat">
      <p class="stat-label">{label}</p>
      <p class="stat-value">{value}</p>
      {hint && <p class="stat-hint">{hint}</p>}
    </div>
  );
}

function TopList({
  title,
  rows,
  empty,
}: {
  title: string;
  rows: Array<{ key: string; label: string; n: number }>;
  empty: string;
}) {
  const max = rows.reduce((m, r) => Math.max(m, r.n), 0);
  return (
    <section class="card">
      <h2>{title}</h2>
      {rows.length === 0 ? (
        <p class="muted">{empty}</p>
      ) : (
        <ol class="toplist">
          {rows.map((r) => (
            <li key={r.key}>
              <span class="toplist-label" title={r.label}>
                {r.label}
              </span>
              <span class="toplist-n">{num(r.n)}</span>
              <span class="toplist-bar" aria-hidden="true">
                <span style={{ width: `${max ? Math.max(2, (r.n / max) * 100) : 0}%` }} />
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** Recent attacks shown at first; one more is asked for, to know whether there are more. */
const RECENT = 15;
const ALL_RECENT = 1000;
/** On a phone the first five, until asked for all (a compact dashboard). */
const PHONE_RECENT = 5;

export function Dashboard() {
  const [range, setRange] = useState('24h');
  const [allAttacks, setAllAttacks] = useState(false);
  const dash = useLoad(() => get<DashboardData>(`/api/dashboard?range=${range}`), [range]);
  const attacks = useLoad(
    () => get<AttackRecord[]>(`/api/attacks?limit=${allAttacks ? ALL_RECENT : RECENT + 1}&hours=24`),
    [allAttacks],
  );

  // Refresh every 30 s, and soon after a block arrives live.
  useEffect(() => {
    let pending: ReturnType<typeof setTimeout> | null = null;
    const refresh = () => {
      void dash.reload();
      void attacks.reload();
    };
    const timer = setInterval(refresh, 30_000);
    const unsub = live.subscribe(() => {
      if (pending) return;
      pending = setTimeout(() => {
        pending = null;
        refresh();
      }, 2000);
    });
    return () => {
      clearInterval(timer);
      if (pending) clearTimeout(pending);
      unsub();
    };
  }, [dash.reload, attacks.reload]);

  const d = dash.data;
  return (
    <>
      <PageHead title="Dashboard" intro="What sipprot is blocking now and what attacked today." />
      <ClusterCard />
      {dash.error && <Notice value={{ kind: 'error', text: dash.error }} />}
      {!d ? (
        !dash.error && <Loading what="the dashboard" />
      ) : (
        <>
          <div class="stats">
            <Stat
              label="Blocked now"
              value={num(d.blocks.temporary + d.blocks.permanent)}
              hint={`${num(d.blocks.temporary)} temporary, ${num(d.blocks.permanent)} permanent`}
            />
            <Stat
              label="Attacks today"
              value={num(d.today.attacks)}
              hint={plural(d.today.attempts, 'failed attempt')}
            />
            <Stat label="Attacking addresses today" value={num(d.today.distinctIps)} />
            <Stat
              label="Allow / deny list"
              value={`${num(d.lists.allow)} / ${num(d.lists.deny)}`}
              hint="entries"
            />
          </div>

          <section class="card">
            <div class="card-head">
              <h2>Attacks over time</h2>
              <fieldset class="segmented">
                <legend class="visually-hidden">Period</legend>
                {RANGES.map((r) => (
                  <label key={r.id} class={range === r.id ? 'active' : ''}>
                    <input
                      type="radio"
                      name="range"
                      value={r.id}
                      checked={range === r.id}
                      onChange={() => setRange(r.id)}
                    />
                    {r.label}
                  </label>
                ))}
              </fieldset>
            </div>
            <AttackChart series={d.series} bucketSeconds={d.range.bucketSeconds} label={d.range.label} />
          </section>

          <div class="grid-2">
            <TopList
              title={`Top countries (${d.range.label})`}
              empty="No attacks with a known country."
              rows={d.topCountries.map((c) => ({
                key: c.country,
                label:
                  c.name || countryName(c.country)
                    ? `${countryName(c.country) ?? c.name} (${c.country})`
                    : c.country,
                n: c.events,
              }))}
            />
            <TopList
              title={`Top user agents (${d.range.label})`}
              empty="No attacks with a user agent."
              rows={d.topUserAgents.map((u) => ({
                key: u.userAgent ?? '',
                label: u.userAgent ?? 'No user agent',
                n: u.events,
              }))}
            />
          </div>

          {d.misconfiguredPhones.length > 0 && (
            <section class="card card-warn">
              <h2>Misconfigured phones?</h2>
              <p>
                These addresses failed like a phone with a wrong or outdated password (one user, one call,
                steady retries), not like a cracker. Check the phone before unblocking it.
              </p>
              <ul class="plain">
                {d.misconfiguredPhones.map((p) => (
                  <li key={p.ip}>
                    <strong>{p.ip}</strong> · user {p.users.join(', ') || '?'} ·{' '}
                    {p.userAgent ?? 'no user agent'} · {plural(p.attempts, 'attempt')}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}

      <RecentAttacks
        attacks={attacks.data}
        error={attacks.error}
        all={allAttacks}
        onAll={() => setAllAttacks(true)}
      />

      <Report />
    </>
  );
}

function RecentAttacks(p: {
  attacks: AttackRecord[] | null;
  error: string | null;
  all: boolean;
  onAll(): void;
}) {
  const more = !p.all && (p.attacks?.length ?? 0) > RECENT;
  const shown = p.attacks ? (p.all ? p.attacks : p.attacks.slice(0, RECENT)) : null;
  const since = toLocalInput(Date.now() / 1000 - 86400);
  return (
    <section class={`card recent-attacks${p.all ? '' : ' collapsed'}`}>
      <div class="card-head">
        <h2>Recent attacks (24 hours)</h2>
        <a href={`#/events?since=${encodeURIComponent(since)}`}>Blocks and changes in Events →</a>
      </div>
      {p.error && <Notice value={{ kind: 'error', text: p.error }} />}
      {shown && shown.length === 0 && <p class="muted">No attacks in the last 24 hours.</p>}
      {shown && shown.length > 0 && (
        <div class="table-wrap">
          <table class="table responsive recent compact">
            <TableHead
              columns={['Time', 'Address', 'Country', 'Rule', 'User agent', 'Attempts', 'Users targeted']}
            />
            <tbody>
              {shown.map((a) => (
                <tr key={`${a.at}-${a.ip}-${a.rule}`}>
                  <td data-label="Time" class="nowrap wide quiet">
                    {when(a.at)} <span class="muted small">{ago(a.at)}</span>
                  </td>
                  <td data-label="Address" class="mono lead">
                    <a href={`#/events?where=${encodeURIComponent(a.ip)}`} title="Events of this address">
                      {a.ip}
                    </a>
                  </td>
                  <td data-label="Country" class="quiet">
                    {country(a.country)}
                  </td>
                  <td data-label="Rule">
                    <div>
                      {reason(a.rule)}
                      {a.misconfiguredPhone && <span class="badge badge-warn">misconfigured phone?</span>}
                    </div>
                  </td>
                  <td data-label="User agent" class="ua quiet">
                    {a.userAgent ?? <span class="muted">no user agent</span>}
                  </td>
                  <td data-label="Attempts" class="quiet">
                    {num(a.attempts)}
                  </td>
                  <td data-label="Users targeted" class="users quiet">
                    {a.users.join(', ') || '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {shown && (more || p.all || shown.length > PHONE_RECENT) && (
        <div class="pager">
          {more || !p.all ? (
            // On a laptop only when there are more than shown; on a phone past the first five.
            <button type="button" class={more ? 'button' : 'button mobile-only'} onClick={p.onAll}>
              Show every attack of the last 24 hours
            </button>
          ) : (
            <span class="muted">
              {plural(shown.length, 'attack')} in the last 24 hours
              {shown.length >= ALL_RECENT ? ' (the newest)' : ''}
            </span>
          )}
        </div>
      )}
    </section>
  );
}

function Report() {
  const [day, setDay] = useState(todayLocal());
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Two days asked quickly: only the last one asked may show, whichever answer comes last.
  const asked = useRef(0);
  const show = async (e: Event) => {
    e.preventDefault();
    const mine = ++asked.current;
    try {
      const r = await get<{ text: string }>(`/api/report?day=${encodeURIComponent(day)}`);
      if (mine !== asked.current) return;
      setText(r.text);
      setError(null);
    } catch (err) {
      if (mine === asked.current) setError(messageOf(err));
    }
  };
  return (
    <details class="card report-card">
      <summary>
        <h2>Daily attack report</h2>
      </summary>
      <form class="inline-form" onSubmit={show}>
        <div class="field">
          <label for="report-day">Day</label>
          <input
            id="report-day"
            type="date"
            value={day}
            max={todayLocal()}
            onInput={(e) => setDay(e.currentTarget.value)}
          />
        </div>
        <button type="submit" class="button">
          Show report
        </button>
        <a
          class="button button-ghost"
          href={`/api/report?day=${encodeURIComponent(day)}&format=html`}
          target="_blank"
          rel="noopener"
        >
          Open as HTML
        </a>
      </form>
      {error && <Notice value={{ kind: 'error', text: error }} />}
      {text !== null && <pre class="report">{text}</pre>}
    </details>
  );
}

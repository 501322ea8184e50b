import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { SessionAnswer, SessionInfo } from '../../src/api/types.js';
import { ApiError, get, post, setAuthLostHandler, setCsrfToken } from './api.js';
import { Banners } from './banners.js';
import { live } from './live.js';
import { Login } from './login.js';
import { PasswordDialog } from './password.js';
import { Dashboard } from './tabs/dashboard.js';
import { Dynamic } from './tabs/dynamic.js';
import { Events } from './tabs/events.js';
import { Feeds } from './tabs/feeds.js';
import { General } from './tabs/general.js';
import { GeoIp } from './tabs/geoip.js';
import { ListTab } from './tabs/list.js';
import { Recipients } from './tabs/recipients.js';
import './styles/base.css';
import './styles/components.css';
import './styles/content.css';
import './styles/screens.css';
import './styles/history.css';

const TABS = [
  { id: 'dashboard', label: 'Dashboard' },
  { id: 'general', label: 'General' },
  { id: 'recipients', label: 'Notification Recipients' },
  { id: 'allow', label: 'Allowlist' },
  { id: 'deny', label: 'Denylist' },
  { id: 'dynamic', label: 'Dynamic Denylist' },
  { id: 'events', label: 'Events' },
  { id: 'geoip', label: 'GEO-IP' },
  { id: 'feeds', label: 'Feeds' },
] as const;
type TabId = (typeof TABS)[number]['id'];

function tabFromHash(): TabId {
  // `#/events?where=...`: the part before `?` names the tab, the rest is the tab's own.
  const id = location.hash.replace(/^#\/?/, '').split('?')[0];
  return (TABS.find((t) => t.id === id)?.id ?? 'dashboard') as TabId;
}

function App() {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [tab, setTab] = useState<TabId>(tabFromHash());
  const [pwOpen, setPwOpen] = useState(false);
  const [menuOpen, setMenuOpen] = useState(false);

  const loggedIn = useCallback((s: SessionInfo) => {
    setCsrfToken(s.csrfToken);
    setSession(s);
  }, []);
  const loggedOut = useCallback(() => {
    live.stop();
    setCsrfToken('');
    setSession(null);
  }, []);

  useEffect(() => {
    setAuthLostHandler(loggedOut);
    get<SessionAnswer>('/api/session').then(
      (s) => (s.authenticated ? loggedIn(s) : setSession(null)),
      (e) => {
        if (!(e instanceof ApiError) || e.code !== 'SP_ERR_AUTH') console.error(e);
        setSession(null);
      },
    );
  }, [loggedIn, loggedOut]);

  useEffect(() => {
    if (!session) return;
    live.start(loggedOut);
    return () => live.stop();
  }, [session, loggedOut]);

  useEffect(() => {
    const onHash = () => {
      setTab(tabFromHash());
      setMenuOpen(false);
      // Move focus to the new page's heading so keyboard and screen reader users land there.
      requestAnimationFrame(() => document.querySelector<HTMLElement>('[data-page-title]')?.focus());
    };
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    const label = TABS.find((t) => t.id === tab)?.label;
    document.title = session ? `${label} · sipprot` : 'Log in · sipprot';
  }, [tab, session]);

  if (session === undefined) return <div class="boot" aria-busy="true" />;
  if (session === null) return <Login onLogin={loggedIn} />;

  const logout = async () => {
    try {
      await post('/api/logout');
    } finally {
      loggedOut();
    }
  };

  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <div class="brand">
          <img src="/favicon.svg" alt="" width="28" height="28" />
          <span>sipprot</span>
        </div>
        <div class="topbar-actions">
          <button type="button" class="link-button" onClick={() => setPwOpen(true)}>
            Change password
          </button>
          <button type="button" class="link-button" onClick={logout}>
            Log out
          </button>
        </div>
      </header>
      <nav class="tabs" aria-label="Sections">
        {/* On a phone the sections are one menu: every one reachable, none off-screen. */}
        <button
          type="button"
          class="nav-toggle"
          aria-expanded={menuOpen}
          aria-controls="sections"
          onClick={() => setMenuOpen((o) => !o)}
        >
          <span class="nav-toggle-icon" aria-hidden="true">
            {menuOpen ? '✕' : '☰'}
          </span>
          <span class="nav-toggle-label">{TABS.find((t) => t.id === tab)?.label}</span>
          <span class="nav-toggle-hint">{menuOpen ? 'Close' : `Menu · ${TABS.length} sections`}</span>
        </button>
        <ul id="sections" class={menuOpen ? 'open' : ''}>
          {TABS.map((t) => (
            <li key={t.id}>
              <a
                href={`#/${t.id}`}
                aria-current={tab === t.id ? 'page' : undefined}
                onClick={() => setMenuOpen(false)}
              >
                {t.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {session.mustChangePassword && (
        <div class="banner" role="status">
          <p>You are using the one-time password generated at first start. Choose your own now.</p>
          <button type="button" class="button button-primary" onClick={() => setPwOpen(true)}>
            Change password
          </button>
        </div>
      )}
      <Banners />
      <main id="main" class="content">
        {tab === 'dashboard' && <Dashboard />}
        {tab === 'general' && <General />}
        {tab === 'recipients' && <Recipients />}
        {tab === 'allow' && <ListTab key="allow" name="allow" />}
        {tab === 'deny' && <ListTab key="deny" name="deny" />}
        {tab === 'dynamic' && <Dynamic />}
        {tab === 'events' && <Events />}
        {tab === 'geoip' && <GeoIp />}
        {tab === 'feeds' && <Feeds />}
      </main>
      <PasswordDialog open={pwOpen} onClose={() => setPwOpen(false)} onChanged={loggedIn} />
    </div>
  );
}

render(<App />, document.getElementById('app')!);

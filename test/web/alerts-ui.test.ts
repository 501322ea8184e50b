/**
 * Alerts, protection loss and OBSERVE mode in the admin UI (Chromium against buildApi over
 * fakes): a banner above every tab until acknowledged, a new alert arriving over the live
 * view while the page is open, acknowledging one (CSRF, recorded with the web admin) and
 * all; a protection loss and OBSERVE=all said in banners of their own. Screenshots at
 * laptop and phone width; no console or CSP errors, no sideways scrolling.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Alert } from '../../src/core/detect/alerts.js';
import {
  type Browser,
  DESKTOP,
  ensureWebBuilt,
  launchBrowser,
  login,
  openTab,
  overflowsHorizontally,
  PHONE,
  screenshot,
  startUiServer,
  type UiServer,
  watchProblems,
} from './browser.testkit.js';

const now = () => Date.now() / 1000;
function alert(ip: string, over: Partial<Alert> = {}): Alert {
  return {
    at: now() - 120,
    kind: 'breach',
    ip,
    user: '1099',
    dialled: null,
    failures: 35,
    sources: [],
    userAgent: null,
    transport: 'udp',
    port: 5060,
    text: `possible cracked password: extension 1099, from ${ip}, after 35 failures`,
    ...over,
  };
}

describe('admin UI: alerts, protection loss and OBSERVE banners', () => {
  let browser: Browser;
  let server: UiServer;
  before(async () => {
    ensureWebBuilt();
    server = await startUiServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('alerts stay above every tab until acknowledged; a new one arrives live', async () => {
    const { admin } = server.world;
    await admin.board.raise(alert('198.51.100.7'), 'NL');
    await admin.board.raise(
      alert('203.0.113.9', {
        kind: 'distributed',
        user: '200',
        text: 'extension 200 attacked from 12 addresses within an hour (203.0.113.9, …), 48 failures',
      }),
      null,
    );
    const page = await browser.context.newPage();
    const problems = watchProblems(page);
    await login(page, server.url);
    const banner = page.getByTestId('alerts-banner');
    await banner.getByText('2 alerts not acknowledged').waitFor();
    await banner
      .getByText('possible cracked password: extension 1099, from 198.51.100.7, after 35 failures')
      .waitFor();
    await screenshot(page, 'alerts-banner-desktop');
    await openTab(page, 'Events');
    assert.equal(await banner.isVisible(), true, 'the banner stays on every tab');
    // A breach raised while the page is open arrives over the live view.
    await admin.board.raise(
      alert('192.0.2.77', {
        kind: 'watched-call',
        user: null,
        dialled: '00972599123456',
        text: 'call to watched destination 00972599123456 from 192.0.2.77 went through',
      }),
      null,
    );
    await banner.getByText('3 alerts not acknowledged').waitFor();
    await page.getByRole('button', { name: 'Acknowledge alert 1' }).click();
    await banner.getByText('2 alerts not acknowledged').waitFor();
    const acks = await server.world.store.history({ limit: 10, kinds: ['alert-ack'] });
    assert.deepEqual(
      acks.events.map((e) => [e.subject, e.actor]),
      [['198.51.100.7', 'web:admin@127.0.0.1']],
    );
    await banner.getByRole('button', { name: 'Acknowledge all' }).click();
    await banner.waitFor({ state: 'detached' });
    assert.deepEqual(await admin.alerts(), []);
    assert.deepEqual(problems, [], 'no console errors or CSP violations');
    await page.close();
  });

  test('protection lost and OBSERVE=all: banners of their own, at laptop and phone width', async () => {
    const { admin } = server.world;
    admin.observe = ['all'];
    admin.protection = {
      kernel: { inSync: true, losses: 0, lastLoss: null },
      store: { pending: 0, failures: 0, lastError: null, since: null },
      firewall: { inSync: true, failures: 0, lastError: null },
      capture: { running: false, lastError: 'capture on interface "eth1" stopped: The interface went down' },
    };
    await admin.board.raise(alert('198.51.100.8'), 'DE');
    for (const [size, viewport] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      await browser.context.clearCookies();
      const page = await browser.context.newPage();
      await page.setViewportSize(viewport);
      const problems = watchProblems(page);
      await login(page, server.url);
      await page
        .getByTestId('protection-banner')
        .getByText(/packet capture stopped .*eth1/)
        .waitFor();
      await page
        .getByTestId('observe-banner')
        .getByText(/OBSERVE MODE: sipprot detects attacks but blocks nothing/)
        .waitFor();
      await page.getByTestId('alerts-banner').getByText('1 alert not acknowledged').waitFor();
      await screenshot(page, `observe-protection-banners-${size}`);
      assert.equal(await overflowsHorizontally(page), false, `banners scroll sideways at ${size} width`);
      assert.deepEqual(problems, [], 'no console errors or CSP violations');
      await page.close();
    }
    // Protection back, OBSERVE off: after a settings change the banners go.
    admin.protection = null;
    admin.observe = [];
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await login(page, server.url);
    await page.getByTestId('alerts-banner').waitFor();
    assert.equal(await page.getByTestId('observe-banner').count(), 0);
    assert.equal(await page.getByTestId('protection-banner').count(), 0);
    await page.close();
  });
});

/**
 * Every tab at laptop and phone width: screenshots kept under test-artifacts/screenshots/,
 * and checks that hold at both widths (no sideways scrolling, no console or CSP errors).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
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
import { seed } from './seed.testkit.js';

const TABS: Array<{ id: string; label: string; ready: (p: Page) => Promise<unknown> }> = [
  { id: 'dashboard', label: 'Dashboard', ready: (p) => p.locator('.chart svg').waitFor() },
  { id: 'general', label: 'General', ready: (p) => p.getByLabel('SIP ports').waitFor() },
  {
    id: 'recipients',
    label: 'Notification Recipients',
    ready: (p) => p.getByText('pbx-admin@example.com', { exact: true }).waitFor(),
  },
  { id: 'allow', label: 'Allowlist', ready: (p) => p.getByText('192.0.2.10', { exact: true }).waitFor() },
  { id: 'deny', label: 'Denylist', ready: (p) => p.getByText('203.0.113.0/24', { exact: true }).waitFor() },
  {
    id: 'dynamic',
    label: 'Dynamic Denylist',
    ready: (p) => p.locator('tr[data-ip="198.18.7.21"]').waitFor(),
  },
  { id: 'events', label: 'Events', ready: (p) => p.locator('table.events tbody tr').first().waitFor() },
  { id: 'geoip', label: 'GEO-IP', ready: (p) => p.getByText('Database in use').waitFor() },
  { id: 'feeds', label: 'Feeds', ready: (p) => p.getByText('voipbl', { exact: true }).waitFor() },
];

describe('UI screenshots at laptop and phone width', () => {
  let browser: Browser;
  let server: UiServer;
  before(async () => {
    ensureWebBuilt();
    server = await startUiServer();
    await seed(server.world);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const [size, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    test(`every tab at ${size} width`, async () => {
      await browser.context.clearCookies();
      const page = await browser.context.newPage();
      await page.setViewportSize(viewport);
      const problems = watchProblems(page);
      await page.goto(`${server.url}/`);
      await page.getByLabel('Admin password').waitFor();
      await screenshot(page, `login-${size}`);
      await login(page, server.url);
      for (const tab of TABS) {
        await openTab(page, tab.label);
        await tab.ready(page);
        assert.equal(new URL(page.url()).hash, `#/${tab.id}`);
        await screenshot(page, `${tab.id}-${size}`);
        assert.equal(await overflowsHorizontally(page), false, `${tab.id} scrolls sideways at ${size} width`);
      }
      assert.deepEqual(problems, [], 'no console errors or CSP violations');
      await page.close();
    });
  }
});

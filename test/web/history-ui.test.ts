/**
 * The admin experience of issue 16 in Chromium, at laptop (1280) and phone (390) width, in
 * light and dark: the Events tab (filters, older pages, CSV export), the dashboard (no
 * user agent counted, every recent attack reachable, compact on a phone), the Dynamic
 * Denylist (when a block started, sorting, the misconfigured-phone filter, details with
 * the evidence, make permanent, bulk unblock), the phone menu, local times with the zone
 * and counts with separators. Screenshots go to test-artifacts/screenshots/.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { aHistoryEvent } from '../../src/core/history/history.testkit.js';
import { anAttack } from '../../src/core/records.testkit.js';
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

const SIZES = [
  ['desktop', DESKTOP],
  ['phone', PHONE],
] as const;

/** WCAG contrast ratio of two CSS colours (rgb/rgba). */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/[\d.]+/g) ?? [])
      .slice(0, 3)
      .map(Number)
      .map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p) as [number, number];
  return (x + 0.05) / (y + 0.05);
}

async function colours(page: Page, selector: string): Promise<{ fg: string; bg: string }> {
  return page
    .locator(selector)
    .first()
    .evaluate((el) => {
      let bg = 'rgba(0, 0, 0, 0)';
      for (let n: Element | null = el; n && /rgba\(0, 0, 0, 0\)|transparent/.test(bg); n = n.parentElement) {
        bg = getComputedStyle(n).backgroundColor;
      }
      return { fg: getComputedStyle(el).color, bg };
    });
}

describe('issue 16: history, why a phone is blocked, phone layout, dark mode', () => {
  let browser: Browser;
  let server: UiServer;
  let page: Page;
  let problems: string[];

  before(async () => {
    ensureWebBuilt();
    server = await startUiServer();
    await seed(server.world);
    // A zone that is not the machine's, so "local time with the zone" is really the browser's.
    browser = await launchBrowser({ timezoneId: 'Asia/Kolkata', locale: 'en-US' });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    await browser.context.clearCookies();
    page = await browser.context.newPage();
    problems = watchProblems(page);
  });
  afterEach(async () => {
    await page.close();
    assert.deepEqual(problems, [], 'no console errors or CSP violations');
  });

  for (const [size, viewport] of SIZES) {
    test(`Events at ${size} width: filters, older pages, export`, async () => {
      await page.setViewportSize(viewport);
      await server.world.store.recordHistory([
        aHistoryEvent('203.0.113.66', Date.now() / 1000 - 60, {
          userAgent: `=HYPERLINK("http://evil/${size}")`,
        }),
      ]);
      await login(page, server.url);
      await openTab(page, 'Events');
      const rows = page.locator('table.events tbody tr');
      await rows.first().waitFor();
      const pageSize = size === 'phone' ? 20 : 50;
      assert.equal(await rows.count(), pageSize);
      assert.match(
        (await rows.first().locator('time').textContent()) ?? '',
        /GMT\+5:30/,
        'local time, zone shown',
      );
      assert.match((await rows.first().textContent()) ?? '', /min ago|just now|s ago/);
      await screenshot(page, `events-${size}`);
      assert.equal(await overflowsHorizontally(page), false);

      // Older pages: keyset, no row twice.
      await page.getByRole('button', { name: 'Load older events' }).click();
      await page.waitForFunction(
        (n) => document.querySelectorAll('table.events tbody tr').length > n,
        pageSize,
      );
      const times = await rows.locator('time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')));
      assert.ok(times.length > pageSize);
      assert.deepEqual(times, [...times].sort().reverse(), 'newest first across pages');

      // Filters: the form is folded on a phone.
      if (size === 'phone') await page.getByText('Filters', { exact: true }).click();
      // Answers out of order (an unfiltered one is slower): the rows read below must be the
      // last query's, not the ones on screen nor a late answer to an earlier query.
      await page.route('**/api/history?*', async (route) => {
        const filtered = /[?&](ip|network|reason|user|ua)=/.test(route.request().url());
        await new Promise((r) => setTimeout(r, filtered ? 50 : 400));
        await route.continue();
      });
      const apply = async (label: string, value: string, select = false) => {
        const f = page.getByLabel(label, { exact: true });
        if (select) await f.selectOption(value);
        else await f.fill(value);
        // The table is busy only once the query is sent, a frame after the click: wait for
        // this query's answer, then for it to be drawn.
        const answered = page.waitForResponse((r) => r.url().includes('/api/history?'));
        await page.getByRole('button', { name: 'Show events' }).click();
        await answered;
        await page.waitForFunction(() => !document.querySelector('section[aria-busy="true"]'));
      };
      await apply('Address or network', '45.134.26.0/24');
      const subjects = await rows.locator('td.mono').allTextContents();
      assert.ok(
        subjects.length > 0 && subjects.every((t) => t.trim() === '45.134.26.17'),
        subjects.join(','),
      );
      assert.match(page.url(), /#\/events\?where=45\.134\.26\.0%2F24/, 'the filters are in the URL');
      // An admin who changes the filter again before the first answer came: the slower,
      // unfiltered answer arrives last and must not replace the newer query's rows.
      await page.getByLabel('Address or network', { exact: true }).fill('');
      await page.getByRole('button', { name: 'Show events' }).click();
      await page.getByLabel('Reason', { exact: true }).selectOption('enumeration');
      const stale = page.waitForResponse((r) => /\/api\/history\?(?!.*reason=)/.test(r.url()));
      await page.getByRole('button', { name: 'Show events' }).click();
      await stale;
      await page.waitForFunction(() => !document.querySelector('section[aria-busy="true"]'));
      assert.ok((await rows.count()) > 0);
      for (const t of await rows.locator('td[data-label="Reason"]').allTextContents())
        assert.equal(t, 'Extension scan');
      await apply('Reason', '', true);
      await apply('Extension', '204');
      assert.ok((await rows.count()) >= 1);
      for (const t of await rows.locator('td[data-label="Details"]').allTextContents())
        assert.match(t, /204/);
      await screenshot(page, `events-filtered-${size}`);
      await apply('Extension', '');
      await apply('User agent contains', `evil/${size}`);
      assert.equal(await rows.count(), 1);

      // Export: the same filters, formulas neutralised.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Export CSV' }).click(),
      ]);
      const csv = readFileSync((await download.path())!, 'utf8');
      const lines = csv.trim().split('\r\n');
      assert.match(lines[0]!, /^time,epoch,kind,address/);
      assert.equal(lines.length, 2);
      assert.match(lines[1]!, new RegExp(`"'=HYPERLINK\\(""http://evil/${size}""\\)"`));

      await page.emulateMedia({ colorScheme: 'dark' });
      await apply('User agent contains', '');
      await screenshot(page, `events-dark-${size}`);
    });

    test(`Dynamic Denylist at ${size} width: started, sorting, phones, details, permanent, bulk`, async () => {
      await page.setViewportSize(viewport);
      const now = Date.now() / 1000;
      for (const [i, ip] of ['192.0.2.201', '192.0.2.202'].entries()) {
        await server.world.block(ip, { attempts: 2000 + i, userAgent: 'bulk-test', blockedAt: now - 100 });
      }
      await login(page, server.url);
      await openTab(page, 'Dynamic Denylist');
      await page.locator('tr[data-ip="198.18.7.21"]').waitFor();
      const since = (await page.locator('tr[data-ip="198.18.7.21"] td.since').textContent()) ?? '';
      assert.match(since, /GMT\+5:30/, 'when the block started, zone shown');
      assert.match(since, /ago|just now/);
      assert.match(
        (await page.locator('tr[data-ip="192.0.2.202"]').textContent()) ?? '',
        /2,001/,
        'separators',
      );

      // Sort by attempts, both ways; the header says which way.
      const attempts = async () =>
        await page
          .locator('table.dynamic tbody tr')
          .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-ip')));
      // The server sorts and filters (the list may be 100k blocks): the rows follow its answer.
      const answered = () => page.locator('.table-wrap[aria-busy="false"]').waitFor();
      if (size === 'desktop') {
        const head = page.getByRole('button', { name: /Attempts, users/ });
        await head.click();
        assert.equal(await page.locator('th[aria-sort]').getAttribute('aria-sort'), 'ascending');
        await answered();
        const asc = await attempts();
        assert.equal(asc.at(-1), '192.0.2.202');
        await head.click();
        assert.equal(await page.locator('th[aria-sort]').getAttribute('aria-sort'), 'descending');
        await answered();
        assert.equal((await attempts())[0], '192.0.2.202');
      }
      await screenshot(page, `dynamic-${size}`);
      assert.equal(await overflowsHorizontally(page), false);

      // Only what looks like a misconfigured phone.
      await page.getByLabel(/Only misconfigured phones/).check();
      await page.locator('tr[data-ip="192.0.2.202"]').waitFor({ state: 'detached' });
      await answered();
      assert.deepEqual(await attempts(), ['198.18.7.21']);

      // Details: when, why, the answers the server gave, the history, what to do.
      await page.getByRole('button', { name: 'Details of 198.18.7.21' }).click();
      const dialog = page.getByRole('dialog', { name: 'Blocked: 198.18.7.21' });
      await dialog.getByText('REGISTER 204 → 403 Forbidden').waitFor();
      const text = (await dialog.textContent()) ?? '';
      assert.match(text, /Blocked since.*GMT\+5:30/);
      assert.match(text, /misconfigured phone .*extension 204/);
      assert.match(text, /History of this address.*blocked \(Password guessing\)/);
      await screenshot(page, `dynamic-detail-${size}`);
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, `dynamic-detail-dark-${size}`);
      await page.emulateMedia({ colorScheme: 'light' });
      await dialog.getByRole('link', { name: 'All events of 198.18.7.21' }).click();
      await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
      await page.locator('table.events tbody tr').first().waitFor();
      for (const t of await page.locator('table.events td.mono').allTextContents())
        assert.equal(t.trim(), '198.18.7.21');

      // Make permanent: a deny list entry with a note; then bulk unblock two addresses.
      await openTab(page, 'Dynamic Denylist');
      await page.getByRole('button', { name: 'Details of 192.0.2.201' }).click();
      await page.getByRole('button', { name: 'Make permanent' }).click();
      await page.getByText('192.0.2.201 is on the deny list').waitFor();
      assert.match(
        server.world.admin.lists.deny.get('192.0.2.201') ?? '',
        /made permanent from the dynamic list/,
      );
      server.world.admin.lists.deny.delete('192.0.2.201');
      await page.getByLabel('Select 192.0.2.201').check();
      await page.getByLabel('Select 192.0.2.202').check();
      await page.getByRole('button', { name: 'Unblock selected (2)' }).click();
      await page
        .getByRole('dialog', { name: 'Unblock 2 addresses?' })
        .getByRole('button', { name: /Yes/ })
        .click();
      await page.locator('tr[data-ip="192.0.2.202"]').waitFor({ state: 'detached' });
      assert.equal(await server.world.store.getBlock('192.0.2.201'), null);
      assert.equal(await server.world.store.getBlock('192.0.2.202'), null);
      const lifted = await server.world.store.history({ limit: 5, kinds: ['unblock'] });
      assert.ok(lifted.events.some((e) => e.subject === '192.0.2.202' && e.actor.startsWith('web:admin@')));
    });

    test(`dashboard at ${size} width: no user agent counted, every recent attack reachable`, async () => {
      await page.setViewportSize(viewport);
      await login(page, server.url);
      await page.locator('.chart svg').waitFor();
      const agents = page.locator('section', { has: page.getByRole('heading', { name: /Top user agents/ }) });
      assert.match((await agents.textContent()) ?? '', /No user agent\s*6/);
      assert.match((await page.locator('.recent').textContent()) ?? '', /12,345/, 'thousands separators');
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      if (size === 'phone')
        assert.ok(height < 3000, `a compact dashboard on a phone (${height} px; was 5,332)`);
      assert.equal(await overflowsHorizontally(page), false);
      await screenshot(page, `dashboard-${size}`);
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, `dashboard-dark-${size}`);
      await page.getByRole('link', { name: /Blocks and changes in Events/ }).click();
      await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
      assert.match(page.url(), /#\/events\?since=/);
    });
  }

  test('the recent attacks of a trial: the 16th (the scanner) is one click away, not gone', async () => {
    const trial = await startUiServer();
    try {
      const now = Date.now() / 1000;
      await trial.world.store.recordAttack(
        anAttack('45.134.26.99', now - 3000, { rule: 'scanner', userAgent: 'friendly-scanner' }),
      );
      for (let i = 0; i < 15; i++) {
        await trial.world.store.recordAttack(
          anAttack(`80.94.95.${100 + i}`, now - 2000 + i, { userAgent: null }),
        );
      }
      await page.goto(`${trial.url}/`);
      await login(page, trial.url);
      const rows = page.locator('table.recent tbody tr');
      await rows.first().waitFor();
      assert.equal(await rows.count(), 15);
      assert.doesNotMatch((await page.locator('table.recent').textContent()) ?? '', /45\.134\.26\.99/);
      await page.getByRole('button', { name: 'Show every attack of the last 24 hours' }).click();
      await page.locator('table.recent', { hasText: '45.134.26.99' }).waitFor();
      assert.equal(await rows.count(), 16);
    } finally {
      // The page's live view holds a connection the server would wait for.
      await page.goto('about:blank');
      await trial.close();
    }
  });

  test('a phone: one menu with every section, none off-screen; each tab fits the width', async () => {
    await page.setViewportSize(PHONE);
    await login(page, server.url);
    const nav = page.getByRole('navigation', { name: 'Sections' });
    const toggle = nav.locator('.nav-toggle');
    const links = nav.getByRole('link');
    assert.equal(await links.count(), 0, 'closed: no section link takes room');
    const hint = (await toggle.textContent()) ?? '';
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    const sections = await links.count();
    assert.ok(sections >= 8, 'every section is in the menu');
    assert.match(hint, new RegExp(`Dashboard.*Menu · ${sections} sections`));
    for (const box of await links.evaluateAll((as) => as.map((a) => a.getBoundingClientRect().toJSON()))) {
      assert.ok(
        box.left >= 0 && box.right <= PHONE.width,
        `a section link off-screen: ${JSON.stringify(box)}`,
      );
    }
    await screenshot(page, 'nav-open-phone');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'nav-open-dark-phone');
    await page.emulateMedia({ colorScheme: 'light' });
    for (const label of [
      'Allowlist',
      'Denylist',
      'Dynamic Denylist',
      'Events',
      'GEO-IP',
      'Feeds',
      'General',
    ]) {
      await openTab(page, label);
      assert.equal(await overflowsHorizontally(page), false, `${label} scrolls sideways`);
      assert.equal(await nav.getByRole('link').first().isVisible(), false, 'the menu closes after a choice');
    }
    await page.setViewportSize(DESKTOP);
    assert.equal(await page.locator('.nav-toggle').isVisible(), false, 'the tab strip on a laptop');
    assert.equal(await nav.getByRole('link', { name: 'Events' }).isVisible(), true);
  });

  test('dark mode follows the system setting, with readable contrast', async () => {
    await login(page, server.url);
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await colours(page, 'h1');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.locator('.chart svg').waitFor();
    const bodyBg = await page.evaluate(() => getComputedStyle(document.body.parentElement!).backgroundColor);
    assert.notEqual(bodyBg, 'rgb(244, 246, 249)', 'the page is not the light background');
    for (const [where, sel] of [
      ['heading', 'h1'],
      ['card text', '.stat-value'],
      ['muted text', '.stat-label'],
      ['a link', '.recent a'],
      ['a button', '.segmented label:not(.active)'],
    ] as const) {
      const c = await colours(page, sel);
      const ratio = contrast(c.fg, c.bg);
      assert.ok(ratio >= 4.5, `${where}: ${c.fg} on ${c.bg} is ${ratio.toFixed(2)}:1`);
    }
    assert.notDeepEqual(await colours(page, 'h1'), light);
    for (const tab of ['Allowlist', 'General', 'GEO-IP']) {
      await openTab(page, tab);
      const c = await colours(page, 'h1');
      assert.ok(contrast(c.fg, c.bg) >= 7, `${tab} heading contrast`);
      await screenshot(page, `${tab.toLowerCase().replace(/[^a-z]/g, '')}-dark-desktop`);
    }
  });
});

/**
 * The Dynamic Denylist with a flood's list (Chromium against buildApi over fakes, 50,000
 * blocks): the first 100 rows and the count of all 50,000 come at once (the whole list
 * never does: every page asked is ≤ 500 rows); a search finds a block far down the list;
 * "Show more" continues; a filtered set of 250 is selected across pages and lifted after a
 * confirmation that says 250; a live block lands as a row where it belongs, and one that
 * sorts outside the window only moves the count. The time to the first rows is printed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { aBlock } from '../../src/core/records.testkit.js';
import type { BlockRecord } from '../../src/core/types.js';
import {
  type Browser,
  ensureWebBuilt,
  launchBrowser,
  login,
  openTab,
  startUiServer,
  type UiServer,
  watchProblems,
} from './browser.testkit.js';

const BLOCKS = 50_000;
/** Blocks with the reason "enumeration": the filtered set the test lifts. */
const SCANS = 250;

function seedBlocks(now: number): BlockRecord[] {
  return Array.from({ length: BLOCKS }, (_, i) =>
    aBlock(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, {
      // Newest first puts i = 0 on top and the needle (the oldest) on the last page.
      blockedAt: now - 60 - i * 0.01,
      firstSeen: now - 120 - i * 0.01,
      lastSeen: now - 60 - i * 0.01,
      expiresAt: now + 3600,
      reason: i % 200 === 7 && i < SCANS * 200 ? 'enumeration' : 'auth-failures',
      userAgent: i === BLOCKS - 1 ? 'needle-pbx/9.9' : 'friendly-scanner',
      country: 'NL',
      users: [`${100 + (i % 50)}`],
    }),
  );
}

describe('a flood-sized Dynamic Denylist in the browser', () => {
  let browser: Browser;
  let server: UiServer;
  let now: number;

  before(async () => {
    ensureWebBuilt();
    server = await startUiServer();
    browser = await launchBrowser();
    now = Math.floor(Date.now() / 1000);
    await server.world.store.commit({ blocks: seedBlocks(now) });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('50,000 blocks: first rows and the count, search, more, bulk unblock of a filtered set, live', async (t) => {
    const page = await browser.context.newPage();
    const problems = watchProblems(page);
    const pages: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/dynamic/page')) pages.push(r.url());
    });
    await login(page, server.url);
    const opened = Date.now();
    await openTab(page, 'Dynamic Denylist');
    const rows = page.locator('table.dynamic tbody tr');
    const counts = page.locator('.dynamic-counts');
    await page.locator('tr[data-ip="10.0.0.0"]').waitFor();
    t.diagnostic(`first rows shown ${Date.now() - opened} ms after the tab was opened (50,000 blocks)`);
    await counts.filter({ hasText: '50,000 addresses blocked' }).waitFor();
    assert.equal(await rows.count(), 100);
    await page.getByText('Showing 100 of 50,000').waitFor();
    for (const url of pages) assert.ok(Number(new URL(url).searchParams.get('limit')) <= 500, url);

    // More: the next 100 after the window, no row twice.
    await page.getByRole('button', { name: 'Show 100 more' }).click();
    await page.getByText('Showing 200 of 50,000').waitFor();
    const ips = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-ip')));
    assert.equal(new Set(ips).size, 200);
    assert.equal(ips[100], '10.0.0.100');

    // A search over the whole list finds the oldest block (the list's last page).
    await page.getByLabel('Search').fill('NEEDLE-pbx');
    await page.locator(`tr[data-ip="10.0.195.79"]`).waitFor();
    assert.equal(await rows.count(), 1);
    await counts.filter({ hasText: '50,000 addresses blocked, 1 matching' }).waitFor();

    // A filtered set across pages: 250 extension scans, 100 shown; select all of them, lift them.
    await page.getByLabel('Search').fill('extension scan');
    await counts.filter({ hasText: `${SCANS} matching` }).waitFor();
    await page.getByText(`Showing 100 of ${SCANS}`).waitFor();
    await page.getByLabel('Select all shown addresses').check();
    await page.getByText('All 100 shown are selected.').waitFor();
    assert.match((await counts.textContent()) ?? '', /100 selected/, '"all shown" is the 100 shown');
    await page.getByRole('button', { name: `Select all ${SCANS} matching` }).click();
    await page.getByText(`All ${SCANS} matching addresses are selected.`).waitFor();
    await page.getByRole('button', { name: `Unblock selected (${SCANS})` }).click();
    const dialog = page.getByRole('dialog', { name: `Unblock ${SCANS} addresses?` });
    await dialog.getByText(`and ${SCANS - 5} more`).waitFor();
    await dialog.getByRole('button', { name: `Yes, unblock ${SCANS}` }).click();
    await page.getByText(`Unblocked ${SCANS} addresses.`).waitFor();
    const left = await server.world.store.listBlocks({ activeAt: now });
    assert.equal(left.length, BLOCKS - SCANS);
    assert.equal(left.filter((b) => b.reason === 'enumeration').length, 0, 'exactly the filtered set');
    await page.getByText('No blocked address matches.').waitFor();
    await counts
      .filter({ hasText: `${(BLOCKS - SCANS).toLocaleString('en-US')} addresses blocked` })
      .waitFor();

    // Live: a new block lands on top of the newest-first window, and the count moves.
    await page.getByLabel('Search').fill('');
    await page.locator('tr[data-ip="10.0.0.0"]').waitFor();
    await server.world.block('198.51.100.200', { reason: 'scanner', userAgent: 'sipvicious' });
    await page.locator('tr[data-ip="198.51.100.200"]').waitFor();
    assert.equal(await rows.first().getAttribute('data-ip'), '198.51.100.200');
    assert.equal(await rows.count(), 100, 'the window keeps its size');
    await counts.filter({ hasText: '49,751 addresses blocked' }).waitFor();

    // Sorted by address, a block far down the order is no row, only a count.
    await page.getByRole('button', { name: /IP address/ }).click();
    await page.locator('th[aria-sort="ascending"]').waitFor();
    await page.locator('.table-wrap[aria-busy="false"]').waitFor();
    assert.equal(await rows.first().getAttribute('data-ip'), '10.0.0.0');
    await server.world.block('203.0.113.250');
    await counts.filter({ hasText: '49,752 addresses blocked' }).waitFor();
    assert.equal(await page.locator('tr[data-ip="203.0.113.250"]').count(), 0);
    assert.deepEqual(problems, [], 'no console errors or CSP violations');
    await page.close();
  });
});

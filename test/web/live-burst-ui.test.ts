/**
 * A flood seen from an open Dynamic Denylist (Chromium against buildApi over fakes): 600
 * blocks decided in one event-loop turn reach the page as at most two live events (the
 * feed gathers them, api/live-feed.ts); the newest-first window stays one page (100 rows,
 * the newest of them) while the count says 601, and "Show 100 more" continues after it
 * with no row twice; a renewal in a burst (its row built from the decision) keeps the
 * block's start and moves its end; an unblock in the same burst removes its row. No
 * console or CSP errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { blockRecordOf } from '../../src/core/policy/block-record.js';
import { aDecision } from '../../src/core/records.testkit.js';
import type { Decision } from '../../src/core/types.js';
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

const BURST = 600;

describe('the live view in a flood', () => {
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

  test('a burst of 600 blocks: at most two live events, a window of 100 rows, the count of all', async () => {
    const page = await browser.context.newPage();
    const problems = watchProblems(page);
    // Counts the live events the page's EventSource delivers, by name (a string: the test
    // runs through tsx, whose helpers a serialized function would name but not bring).
    await page.addInitScript(`{
      const counts = (window.liveEvents = {});
      const add = EventSource.prototype.addEventListener;
      EventSource.prototype.addEventListener = function (type, fn, ...rest) {
        return add.call(this, type, function (ev) {
          counts[type] = (counts[type] || 0) + 1;
          return fn.call(this, ev);
        }, ...rest);
      };
    }`);
    const now = Math.floor(Date.now() / 1000);
    await server.world.block('198.51.100.10', { blockedAt: now - 3600, expiresAt: now + 600 });
    await server.world.block('198.51.100.11');
    await login(page, server.url);
    await openTab(page, 'Dynamic Denylist');
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const renewed = page.locator('tr[data-ip="198.51.100.10"]');
    await renewed.waitFor();
    const since = await renewed.locator('.since').textContent();
    assert.match(since ?? '', /1 h|60 min|hour/);
    const before = await page.evaluate(() => (window as unknown as { liveEvents: object }).liveEvents);

    const ds: Decision[] = Array.from({ length: BURST }, (_, i) =>
      aDecision(`10.1.${i >> 8}.${i & 255}`, now, { reason: 'distributed', userAgent: `bot-${i}` }),
    );
    ds.push(aDecision('198.51.100.10', now, { action: 'extend', expiresAt: now + 1800 }));
    ds.push(aDecision('198.51.100.11', now, { action: 'unblock', reason: 'manual', expiresAt: null }));
    // As the daemon does: the store takes the batch, the feed hears the decisions.
    await server.world.store.commit({
      blocks: ds.slice(0, BURST + 1).map((d) => blockRecordOf(d)),
      deleteBlocks: ['198.51.100.11'],
    });
    await server.world.store.upsertBlock({
      ...(await server.world.store.getBlock('198.51.100.10'))!,
      blockedAt: now - 3600,
      firstSeen: now - 3600,
    });
    for (const d of ds) server.world.events.emit({ type: 'decision', decision: d });

    const counts = page.locator('.dynamic-counts');
    await counts.filter({ hasText: '601 addresses blocked' }).waitFor();
    await page.getByText(`Blocked ${BURST} addresses`).waitFor({ state: 'attached' });
    const ips = () =>
      page
        .locator('table.dynamic tbody tr')
        .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-ip')!));
    // Newest first, ties by address: the burst's first 100 addresses in text order.
    const newest = ds
      .slice(0, BURST)
      .map((d) => d.ip)
      .sort();
    assert.deepEqual(await ips(), newest.slice(0, 100), 'the window stays one page, the newest rows');
    assert.match((await page.locator('tr[data-ip="10.1.0.1"]').textContent()) ?? '', /bot-1Distributed/);
    await page.getByText('Showing 100 of 601').waitFor();
    await page.getByRole('button', { name: 'Show 100 more' }).click();
    await page.getByText('Showing 200 of 601').waitFor();
    assert.deepEqual(await ips(), newest.slice(0, 200), 'the next page after it, no row twice');
    // The count read again from the server a moment later says the same.
    await page.waitForTimeout(2000);
    assert.match((await counts.textContent()) ?? '', /601 addresses blocked/);

    // Oldest first: the renewed block started an hour ago and now runs 30 min.
    await page.getByRole('button', { name: /Blocked since/ }).click();
    await renewed.waitFor();
    assert.equal((await ips())[0], '198.51.100.10');
    assert.equal(await renewed.locator('.since').textContent(), since, 'the block still started an hour ago');
    assert.match((await renewed.locator('.timeleft').textContent()) ?? '', /^(29|30) min/);
    assert.equal(await page.locator('tr[data-ip="198.51.100.11"]').count(), 0, 'the lifted one is gone');

    const after = await page.evaluate(() => (window as unknown as { liveEvents: object }).liveEvents);
    const changes =
      (after as Record<string, number>).changes! - ((before as Record<string, number>).changes ?? 0);
    assert.ok(changes >= 1 && changes <= 2, `${changes} live events for the burst`);
    assert.deepEqual(problems, [], 'no console errors or CSP violations');
    await page.close();
  });
});

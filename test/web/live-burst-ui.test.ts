/**
 * A flood seen from an open Dynamic Denylist (Chromium against buildApi over fakes): 600
 * blocks decided in one event-loop turn reach the page as at most two live events (the
 * feed gathers them, api/live-feed.ts), and every one of them is a row; a renewal in a
 * burst (its row built from the decision) keeps the block's start and moves its end; an
 * unblock in the same burst removes its row. No console or CSP errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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

  test('a burst of 600 blocks: at most two live events, every block a row', async () => {
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
    for (const d of ds) server.world.events.emit({ type: 'decision', decision: d });

    await page.locator('tr[data-ip="10.1.2.87"]').waitFor();
    await page.waitForTimeout(600);
    const rows = await page
      .locator('table.dynamic tbody tr')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-ip')));
    assert.equal(rows.length, BURST + 1, 'the 600 blocks and the renewed one');
    const expected = new Set([...ds.slice(0, BURST).map((d) => d.ip), '198.51.100.10']);
    assert.deepEqual(new Set(rows), expected);
    assert.match((await page.locator('tr[data-ip="10.1.0.7"]').textContent()) ?? '', /bot-7/);
    assert.equal(await renewed.locator('.since').textContent(), since, 'the block still started an hour ago');
    assert.match((await renewed.locator('.timeleft').textContent()) ?? '', /^(29|30) min/);
    await page.getByText(`Blocked ${BURST} addresses`).waitFor({ state: 'attached' });

    const after = await page.evaluate(() => (window as unknown as { liveEvents: object }).liveEvents);
    const changes =
      (after as Record<string, number>).changes! - ((before as Record<string, number>).changes ?? 0);
    assert.ok(changes >= 1 && changes <= 2, `${changes} live events for the burst`);
    assert.deepEqual(problems, [], 'no console errors or CSP violations');
    await page.close();
  });
});

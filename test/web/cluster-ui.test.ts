/**
 * Cluster mode in the admin UI (issue 14), in Chromium against buildApi over fakes: the
 * dashboard shows the cluster (this host, Redis, every host with its last heartbeat, lag and
 * outbox), the dynamic denylist says which host saw each block, and a single host shows
 * neither. No console or CSP errors.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { buildApi } from '../../src/api/server.js';
import { fakeWorld } from '../../src/api/world.testkit.js';
import { aHistoryEvent } from '../../src/core/history/history.testkit.js';
import { setAdminPassword } from '../../src/platform/admin-password.js';
import type { ClusterStatus } from '../../src/ports/cluster.js';
import {
  type Browser,
  ensureWebBuilt,
  launchBrowser,
  login,
  openTab,
  PASSWORD,
  screenshot,
  WEB_DIST,
  watchProblems,
} from './browser.testkit.js';

const now = () => Date.now() / 1000;
const STATUS = (): ClusterStatus => ({
  host: 'pbx-b',
  redis: 'up',
  lastError: null,
  lastId: `${Date.now() - 40}-0`,
  streamLastId: `${Date.now()}-0`,
  lagMs: 40,
  outbox: 0,
  rejected: 1,
  applied: 12,
  published: 3,
  hosts: [
    {
      host: 'pbx-a',
      at: now() - 1,
      startedAt: now() - 600,
      version: '0.1.0',
      lastId: `${Date.now()}-0`,
      outbox: 0,
      rejected: 0,
      ageSeconds: 1,
    },
    {
      host: 'pbx-b',
      at: now() - 2,
      startedAt: now() - 500,
      version: '0.1.0',
      lastId: `${Date.now() - 40}-0`,
      outbox: 0,
      rejected: 1,
      ageSeconds: 2,
    },
  ],
});

async function server(cluster: boolean) {
  const world = fakeWorld({ realTime: true });
  await setAdminPassword(world.store, PASSWORD);
  const app = await buildApi(
    { ...world.deps, ...(cluster ? { cluster: async () => STATUS() } : {}) },
    { transport: 'tcp', webRoot: WEB_DIST, heartbeatMs: 2000 },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, world, close: () => app.close() };
}

describe('admin UI: cluster mode', () => {
  let browser: Browser;
  before(async () => {
    ensureWebBuilt();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  test('the dashboard shows the cluster; the dynamic denylist shows the host of each block', async () => {
    const s = await server(true);
    const page = await browser.context.newPage();
    const problems = watchProblems(page);
    try {
      await s.world.block('203.0.113.9', { host: 'pbx-a' });
      // pbx-c blocked it too (announced to this host), and this host (pbx-b) earlier.
      await s.world.store.recordHistory([
        aHistoryEvent('203.0.113.9', now() - 300, { actor: 'sipprotd@pbx-b' }),
        aHistoryEvent('203.0.113.9', now() - 60, { actor: 'host:pbx-c' }),
        aHistoryEvent('203.0.113.9', now() - 30, { actor: 'host:pbx-a' }),
        aHistoryEvent('198.51.100.1', now() - 20, { actor: 'host:pbx-z' }),
      ]);
      await login(page, s.url);
      const card = page.getByTestId('cluster');
      await card.getByText('Redis up').waitFor();
      await card.getByText('pbx-b', { exact: true }).first().waitFor();
      assert.equal(await card.getByRole('row').count(), 3, 'a header and two hosts');
      await card.getByRole('row').filter({ hasText: 'pbx-a' }).getByText('1 s ago').waitFor();
      await screenshot(page, 'cluster-dashboard');
      await openTab(page, 'Dynamic Denylist');
      const row = page.getByRole('row').filter({ hasText: '203.0.113.9' });
      await row.getByText('pbx-a').waitFor();
      await page.getByRole('columnheader', { name: 'Seen by' }).waitFor();
      // The detail view names every host that saw it, the record's host first.
      await page.getByRole('button', { name: 'Details of 203.0.113.9' }).click();
      const seen = page.getByTestId('seen-by');
      await seen.getByText('pbx-c').waitFor();
      assert.equal(
        (await seen.textContent())?.trim(),
        'pbx-a (its block in force), pbx-c, pbx-b',
        "the record host first, then the newest events' hosts; another address's host not shown",
      );
      await screenshot(page, 'block-detail-seen-by');
      assert.deepEqual(problems, [], 'no console errors or CSP violations');
    } finally {
      await page.close();
      await s.close();
    }
  });

  test('a single host shows no cluster card and no host column', async () => {
    const s = await server(false);
    const page = await browser.context.newPage();
    try {
      await s.world.block('203.0.113.10');
      await login(page, s.url);
      await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
      await page.waitForLoadState('networkidle');
      assert.equal(await page.getByTestId('cluster').count(), 0);
      await openTab(page, 'Dynamic Denylist');
      await page.getByRole('row').filter({ hasText: '203.0.113.10' }).waitFor();
      assert.equal(await page.getByRole('columnheader', { name: 'Seen by' }).count(), 0);
      await page.getByRole('button', { name: 'Details of 203.0.113.10' }).click();
      await page.getByText('Answers the server gave it').waitFor();
      assert.equal(await page.getByTestId('seen-by').count(), 0, 'no "Seen by" on a single host');
    } finally {
      await page.close();
      await s.close();
    }
  });
});

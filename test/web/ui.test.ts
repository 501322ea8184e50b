/**
 * The admin UI in Chromium against buildApi over fakes: login, lists (add, remove after
 * confirmation, CSV round trip and per-line errors), the live dynamic list, settings
 * validation, recipients, GEO-IP, keyboard use of dialogs. No console or CSP errors.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  type Browser,
  ensureWebBuilt,
  launchBrowser,
  login,
  openTab,
  PASSWORD,
  screenshot,
  startUiServer,
  tempFile,
  type UiServer,
  watchProblems,
} from './browser.testkit.js';

describe('admin UI in the browser', () => {
  let browser: Browser;
  let server: UiServer;
  let page: Page;
  let problems: string[];

  before(async () => {
    ensureWebBuilt();
    server = await startUiServer();
    browser = await launchBrowser();
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

  const row = (text: string) => page.getByRole('row').filter({ hasText: text });

  test('login: a wrong password is refused with a message, the right one opens the dashboard', async () => {
    await page.goto(`${server.url}/`);
    await page.getByLabel('Admin password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong password.' }).waitFor();
    // The browser logs the 401 of the failed login; that one is expected.
    problems.splice(0);
    await page.getByLabel('Admin password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    const cookies = await browser.context.cookies();
    const session = cookies.find((c) => c.name === 'sipprot_session');
    assert.ok(session?.httpOnly, 'session cookie is HttpOnly');
    assert.equal(session?.sameSite, 'Strict');
    // Log out: back to the login form, and the session is gone.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Admin password').waitFor();
    await page.goto(`${server.url}/#/allow`);
    await page.getByLabel('Admin password').waitFor();
  });

  test('allow list: add with a note; a bad address shows the reason inline', async () => {
    await login(page, server.url);
    await openTab(page, 'Allowlist');
    await page.getByRole('button', { name: 'Add' }).first().click();
    const network = page.getByLabel('Network or IP address');
    assert.equal(
      await network.evaluate((el) => el === document.activeElement),
      true,
      'focus moves to the field',
    );
    await network.fill('192.0.2.300');
    await page.getByLabel('Note (optional)').fill('typo');
    await page.getByRole('button', { name: 'Add', exact: true }).last().click();
    await page.getByRole('alert').filter({ hasText: "'300' is not a number 0-255" }).waitFor();
    problems.splice(0); // the 400 answer is logged by the browser
    await network.fill('192.0.2.30');
    await page.getByLabel('Note (optional)').fill('Reception phone');
    await page.getByRole('button', { name: 'Add', exact: true }).last().click();
    await row('192.0.2.30').filter({ hasText: 'Reception phone' }).waitFor();
    assert.equal(server.world.admin.lists.allow.get('192.0.2.30'), 'Reception phone');
  });

  test('deny list: denying loopback is refused with the reason', async () => {
    await login(page, server.url);
    await openTab(page, 'Denylist');
    await page.getByRole('button', { name: 'Add' }).first().click();
    await page.getByLabel('Network or IP address').fill('127.0.0.0/8');
    await page.getByRole('button', { name: 'Add', exact: true }).last().click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'denying 127.0.0.0/8 would cut off 127.0.0.1' })
      .waitFor();
    problems.splice(0);
    assert.equal(server.world.admin.lists.deny.has('127.0.0.0/8'), false);
  });

  test('remove many after a confirmation dialog: No and Escape keep them, Yes removes', async () => {
    for (const n of ['203.0.113.1', '203.0.113.2', '203.0.113.3'])
      server.world.admin.lists.deny.set(n, `bot ${n}`);
    await login(page, server.url);
    await openTab(page, 'Denylist');
    await page.getByLabel('Select 203.0.113.1').check();
    await page.getByLabel('Select 203.0.113.2').check();
    await page.getByRole('button', { name: 'Remove (2)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove from the deny list?' });
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'No', 'focus starts on No');
    await screenshot(page, 'deny-confirm-dialog-desktop');
    // Tab stays inside the dialog.
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => !!document.activeElement?.closest('dialog')), true, `tab ${i}`);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(server.world.admin.lists.deny.size, 3);
    assert.equal(
      await page.evaluate(() => document.activeElement?.textContent),
      'Remove (2)',
      'focus returns to the button that opened the dialog',
    );
    await page.getByRole('button', { name: 'Remove (2)' }).click();
    await dialog.getByRole('button', { name: 'No' }).click();
    assert.equal(server.world.admin.lists.deny.size, 3);
    await page.getByRole('button', { name: 'Remove (2)' }).click();
    await dialog.getByRole('button', { name: 'Yes, remove' }).click();
    await page.getByRole('status').filter({ hasText: 'Removed 2 entries from the deny list.' }).waitFor();
    assert.deepEqual([...server.world.admin.lists.deny.keys()], ['203.0.113.3']);
    await row('203.0.113.1').waitFor({ state: 'detached' });

    // Select all + remove → the whole list, through the same confirmation.
    await page.getByLabel('Select all entries').check();
    await page.getByRole('button', { name: 'Remove (1)' }).click();
    await dialog.getByRole('button', { name: 'Yes, remove' }).click();
    await page.getByText('The deny list is empty.').waitFor();
    assert.equal(server.world.admin.lists.deny.size, 0);
  });

  test('CSV: export, import back after removal, and per-line errors before a partial import', async (t) => {
    server.world.admin.lists.allow.clear();
    server.world.admin.lists.allow.set('198.51.100.0/24', 'Branch office, all phones');
    server.world.admin.lists.allow.set('2001:db8::/32', '=SUM(A1) looks like a formula');
    await login(page, server.url);
    await openTab(page, 'Allowlist');
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Export CSV' }).click();
    const file = tempFile(t, 'allow.csv');
    await (await download).saveAs(file);
    const csv = readFileSync(file, 'utf8');
    assert.match(csv, /^network,note\r\n/);
    assert.match(csv, /"198\.51\.100\.0\/24"|198\.51\.100\.0\/24,"Branch office, all phones"/);

    server.world.admin.lists.allow.clear();
    await page.reload();
    await page.getByText('The allow list is empty.').waitFor();
    await page.getByRole('button', { name: 'Import CSV' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import CSV into the allow list' });
    await dialog.getByLabel('CSV file').setInputFiles(file);
    await dialog.getByRole('button', { name: 'Upload' }).click();
    await page.getByRole('status').filter({ hasText: 'Imported allow.csv: 2 new entries' }).waitFor();
    await row('2001:db8::/32').filter({ hasText: '=SUM(A1) looks like a formula' }).waitFor();
    assert.equal(server.world.admin.lists.allow.get('198.51.100.0/24'), 'Branch office, all phones');

    const bad = tempFile(t, 'bad.csv');
    writeFileSync(bad, 'network,note\n192.0.2.77,good one\n10.1.2.3/8,host bits\nnope,not an address\n');
    await page.getByRole('button', { name: 'Import CSV' }).click();
    await dialog.getByLabel('CSV file').setInputFiles(bad);
    await dialog.getByRole('button', { name: 'Upload' }).click();
    const errors = dialog.getByRole('alert');
    await errors.getByText('Nothing was imported').waitFor();
    await errors.getByRole('row').filter({ hasText: 'host bits' }).filter({ hasText: '3' }).waitFor();
    await errors.getByRole('row').filter({ hasText: 'nope,not an address' }).waitFor();
    await screenshot(page, 'allow-import-errors-desktop');
    assert.equal(server.world.admin.lists.allow.has('192.0.2.77'), false, 'nothing applied');
    await dialog.getByRole('button', { name: 'Skip invalid lines and import the rest' }).click();
    await page.getByRole('status').filter({ hasText: '2 invalid lines skipped' }).waitFor();
    assert.equal(server.world.admin.lists.allow.get('192.0.2.77'), 'good one');

    const tpl = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download CSV template' }).click();
    const tplFile = tempFile(t, 'template.csv');
    await (await tpl).saveAs(tplFile);
    assert.match(readFileSync(tplFile, 'utf8'), /^network,note\r\n/);
  });

  test('dynamic list: a block arrives live without reload, counts down, and is unblocked', async () => {
    await login(page, server.url);
    await openTab(page, 'Dynamic Denylist');
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const before = await page.evaluate(() => performance.getEntriesByType('navigation').length);
    await server.world.block('198.51.100.99', {
      userAgent: 'friendly-scanner',
      reason: 'scanner',
      country: 'DE',
      users: ['1001', '1002'],
      attempts: 3,
      misconfiguredPhone: true,
    });
    const r = page.locator('tr[data-ip="198.51.100.99"]');
    await r.waitFor();
    assert.match((await r.textContent()) ?? '', /friendly-scanner/);
    assert.match((await r.textContent()) ?? '', /Germany \(DE\)/);
    assert.match((await r.textContent()) ?? '', /misconfigured phone\?/);
    assert.match((await r.textContent()) ?? '', /1001, 1002/);
    const t1 = (await r.locator('.timeleft').textContent()) ?? '';
    assert.match(t1, /^(9|10) min/);
    await screenshot(page, 'dynamic-live-row-desktop');
    await page.waitForTimeout(1300);
    assert.notEqual(await r.locator('.timeleft').textContent(), t1, 'the countdown moves');
    assert.equal(
      await page.evaluate(() => performance.getEntriesByType('navigation').length),
      before,
      'no reload',
    );

    await r.getByRole('button', { name: 'Unblock 198.51.100.99', exact: true }).click();
    await r.waitFor({ state: 'detached' });
    assert.equal(await server.world.store.getBlock('198.51.100.99'), null);

    // An unblock made elsewhere (CLI, expiry) disappears live too.
    await server.world.block('198.51.100.98');
    await page.locator('tr[data-ip="198.51.100.98"]').waitFor();
    await server.world.admin.unblock('198.51.100.98');
    await page.locator('tr[data-ip="198.51.100.98"]').waitFor({ state: 'detached' });

    // A misconfigured phone can be allow-listed and unblocked in one step, after a confirmation.
    await server.world.block('198.51.100.97', { misconfiguredPhone: true, users: ['204'] });
    await page.getByRole('button', { name: 'Allow and unblock 198.51.100.97' }).click();
    await page
      .getByRole('dialog', { name: 'Allow this address?' })
      .getByRole('button', { name: /Yes/ })
      .click();
    await page.locator('tr[data-ip="198.51.100.97"]').waitFor({ state: 'detached' });
    assert.match(server.world.admin.lists.allow.get('198.51.100.97') ?? '', /phone of 204/);
    assert.equal(await server.world.store.getBlock('198.51.100.97'), null);
  });

  test('settings: an invalid value is flagged inline; a valid change is saved and applied', async () => {
    await login(page, server.url);
    await openTab(page, 'General');
    const hits = page.getByLabel('SIP blocking rule: failed attempts');
    await hits.fill('0');
    await page.getByText('Must be an integer 1-10000').waitFor();
    assert.equal(await hits.getAttribute('aria-invalid'), 'true');
    await hits.fill('7');
    await page.getByText('Must be an integer 1-10000').waitFor({ state: 'detached' });
    await page.getByLabel('Send log for every attack').check();
    await page.getByLabel('Countries', { exact: true }).selectOption('CN');
    await page.getByText('2 unsaved changes').or(page.getByText('3 unsaved changes')).waitFor();
    await page.getByRole('button', { name: 'Save and apply' }).click();
    await page.getByRole('status').filter({ hasText: 'applied' }).waitFor();
    assert.deepEqual(server.world.settings.updates.at(-1)?.changes, {
      HIT_COUNT: '7',
      BLOCKED_COUNTRIES: 'CN',
      NOTIFY_EACH_ATTACK: 'yes',
    });
    assert.equal(server.world.settings.updates.at(-1)?.requester, '127.0.0.1');
    await page.getByText('No unsaved changes').waitFor();
  });

  test('recipients: add, test mail, remove after confirmation', async () => {
    await login(page, server.url);
    await openTab(page, 'Notification Recipients');
    await page.getByLabel('E-mail address').fill('voip-admin@example.org');
    await page.getByLabel('Name (optional)').fill('VoIP admin');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await row('voip-admin@example.org').waitFor();
    await row('voip-admin@example.org').getByRole('button', { name: 'Send test' }).click();
    await page.getByText('test mail queued for voip-admin@example.org').waitFor();
    assert.deepEqual(server.world.mails.at(-1), 'voip-admin@example.org');
    await page.getByRole('button', { name: 'Remove voip-admin@example.org' }).click();
    await page
      .getByRole('dialog', { name: 'Remove recipient?' })
      .getByRole('button', { name: 'Yes, remove' })
      .click();
    await row('voip-admin@example.org').waitFor({ state: 'detached' });
    assert.deepEqual(await server.world.store.listRecipients(), []);
  });

  test("webhooks: add (the URL's secret never shown again), test, remove after confirmation", async () => {
    await login(page, server.url);
    await openTab(page, 'Notification Recipients');
    await page.getByLabel('Format').selectOption('slack');
    await page.getByLabel('Webhook URL').fill('https://hooks.slack.com/services/T0/B0/SECRETPART');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await row('https://hooks.slack.com/…').waitFor();
    assert.equal(await page.getByText('SECRETPART').count(), 0, 'the secret part is not on the page');
    assert.equal(
      server.world.settings.values.WEBHOOK_URLS,
      'slack:https://hooks.slack.com/services/T0/B0/SECRETPART',
    );
    await row('https://hooks.slack.com/…').getByRole('button', { name: 'Send test' }).click();
    await page.getByText('Slack https://hooks.slack.com: delivered').waitFor();
    assert.deepEqual(server.world.webhookTests.at(-1), 0);
    await page.getByRole('button', { name: 'Remove the webhook to https://hooks.slack.com' }).click();
    await page
      .getByRole('dialog', { name: 'Remove webhook?' })
      .getByRole('button', { name: 'Yes, remove' })
      .click();
    await row('https://hooks.slack.com/…').waitFor({ state: 'detached' });
    assert.equal(server.world.settings.values.WEBHOOK_URLS, '');
  });

  test('GEO-IP: the update button shows the new database', async () => {
    await login(page, server.url);
    await openTab(page, 'GEO-IP');
    await page.getByText('shipped with sipprot').waitFor();
    await page.getByRole('button', { name: 'Update GEO-IP database' }).click();
    await page.getByText('GEO-IP database updated: data of 2026-07-01').waitFor();
    await page.getByText(/^updated /).waitFor();
  });

  test('Feeds: each feed with its entries and problems; "Update now" runs it and shows the result', async () => {
    const now = Date.now() / 1000;
    const feed = {
      type: 'list' as const,
      enabled: true,
      interval: 14400,
      ttl: 86400,
      max: 200000,
      lastAttempt: now - 600,
      nextRun: now + 13800,
      warning: null,
      refused: 0,
      refusedExamples: [],
      held: 0,
      running: false,
    };
    server.world.feeds = [
      {
        ...feed,
        name: 'voipbl',
        source: 'https://voipbl.org/update/',
        entries: 61234,
        lastSuccess: now - 600,
        lastError: null,
        refused: 2,
        refusedExamples: ['10.0.0.0/8 is inside 10.0.0.0/8 (private use)'],
      },
      {
        ...feed,
        name: 'apiban',
        type: 'apiban',
        source: 'https://apiban.org/api',
        entries: 0,
        lastSuccess: null,
        lastError: 'APIBAN refused the key (unauthorized): check key= in the feeds file',
      },
    ];
    await login(page, server.url);
    await openTab(page, 'Feeds');
    await row('voipbl').getByText('61,234').waitFor();
    await row('voipbl')
      .getByText(/2 entries refused \(10\.0\.0\.0\/8 is inside/)
      .waitFor();
    await row('apiban')
      .getByText(/last download not taken: APIBAN refused the key/)
      .waitFor();
    await row('apiban').getByText('never').waitFor();
    await row('apiban').getByRole('button', { name: 'Update now' }).click();
    await page.getByText('Downloaded; the entries in force stay where a download was not taken:').waitFor();
    await row('apiban').getByText('just now').waitFor();
    server.world.feeds = [];
  });

  test('keyboard: tabs are links reachable in order, and the page heading takes focus', async () => {
    await login(page, server.url);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.getByRole('link', { name: 'Denylist', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Denylist' }).waitFor();
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
  });
});

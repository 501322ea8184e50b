/**
 * The web UI against the real daemon (root): sipprotd guards a lab PBX, Chromium runs
 * inside the PBX namespace (the UI listens on loopback there), a real scanner attacks
 * from the attacker namespace, and the block appears in the Dynamic Denylist live and
 * is lifted from there — in the kernel too.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { setAdminPassword } from '../../src/platform/admin-password.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { Lab, labUnavailable } from '../lab/lab.testkit.js';
import type * as BrowserKit from '../web/browser.testkit.js';
import { Guard, waitFor } from './guard.testkit.js';

const PASSWORD = 'e2e web password';

describe('web UI on the live daemon (netns, root)', () => {
  let lab: Lab;
  let guard: Guard;
  let kit: typeof BrowserKit;
  let browser: Awaited<ReturnType<typeof BrowserKit.launchBrowser>>;
  let page: Page;
  let wrapperDir: string | undefined;

  before(async () => {
    const why = labUnavailable();
    assert.equal(why, null, `cannot run the SIP lab: ${why}`);
    lab = await Lab.up();
    guard = await Guard.create(lab, { HIT_COUNT: 5, BLOCKTIME: 300 });
    const store = await SqliteStore.open(guard.stateDir);
    await setAdminPassword(store, PASSWORD);
    await store.close();
    await guard.start();
    // Chromium must run where the UI listens: a wrapper enters the PBX namespace (exec,
    // so Playwright's pipes to the browser stay as they are).
    wrapperDir = mkdtempSync(join(tmpdir(), 'sipprot-chromium-ns-'));
    const wrapper = join(wrapperDir, 'chromium');
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${lab.ns.pbx} /usr/bin/chromium "$@"\n`);
    chmodSync(wrapper, 0o755);
    process.env.CHROMIUM_PATH = wrapper;
    kit = await import('../web/browser.testkit.js');
    kit.ensureWebBuilt();
    browser = await kit.launchBrowser();
    page = await browser.context.newPage();
  });

  after(async () => {
    await browser?.close();
    await guard?.dispose();
    await lab?.down();
    if (wrapperDir) rmSync(wrapperDir, { recursive: true, force: true });
  });

  it('a real scanner shows up live in the Dynamic Denylist and is unblocked from it', async () => {
    const base = `http://127.0.0.1:${guard.webPort}`;
    await kit.login(page, base, PASSWORD);
    await kit.openTab(page, 'Dynamic Denylist');
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();

    const ip = lab.addr.atk4;
    const r = await lab.script('sipvicious', ['svmap', '--src', ip, '--timeout', '20']);
    assert.equal(r.code, 0, `svmap failed: ${r.stderr}`);
    const row = page.locator(`tr[data-ip="${ip}"]`);
    await row.waitFor({ timeout: 15_000 });
    const text = (await row.textContent()) ?? '';
    assert.match(text, /friendly-scanner/);
    assert.match(text, /Scanner/i);
    await kit.screenshot(page, 'e2e-dynamic-live-attack');
    assert.ok((await guard.dynSet()).has(ip), 'the kernel holds the block');

    await row.getByRole('button', { name: `Unblock ${ip}`, exact: true }).click();
    await row.waitFor({ state: 'detached' });
    await waitFor('the kernel to lift the block', async () => !(await guard.dynSet()).has(ip));
    const check = await guard.cli('check', ip, '--json');
    assert.equal(JSON.parse(check.stdout).blocked, false);
  });
});

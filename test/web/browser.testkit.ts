/**
 * Browser test helpers (Playwright on Debian's Chromium), reusable by any UI test: the
 * fake-backed server here, or an end-to-end test against the real sipprotd (pass its URL
 * and password to login()).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { buildApi } from '../../src/api/server.js';
import { type FakeWorld, fakeWorld } from '../../src/api/world.testkit.js';
import { setAdminPassword } from '../../src/platform/admin-password.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const WEB_DIST = join(ROOT, 'web/dist');
export const SCREENSHOTS = join(ROOT, 'test-artifacts/screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const PASSWORD = 'ui-test password';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return newest;
}

function isStale(): boolean {
  const index = join(WEB_DIST, 'index.html');
  const sources = Math.max(
    newestMtime(join(ROOT, 'web/src')),
    statSync(join(ROOT, 'web/index.html')).mtimeMs,
  );
  return !existsSync(index) || statSync(index).mtimeMs < sources;
}

/**
 * Builds web/dist when it is missing or older than web/src (scripts/build-web.sh). Test
 * files run in parallel: a lock directory keeps two builds from emptying dist under each other.
 */
export function ensureWebBuilt(): void {
  if (!isStale()) return;
  const lock = join(ROOT, 'web/.build-lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${lock} held for 2 minutes: remove it if no build runs`);
      execFileSync('sleep', ['0.2']);
    }
  }
  try {
    if (isStale())
      execFileSync('bash', [join(ROOT, 'scripts/build-web.sh')], { cwd: ROOT, stdio: 'inherit' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile; fails with a clear message when it is missing.
 * `timezoneId` and `locale` set what the page sees as local (times, separators).
 */
export async function launchBrowser(opts: { timezoneId?: string; locale?: string } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: install it with "apt-get install -y chromium" (or set CHROMIUM_PATH)`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'sipprot-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: DESKTOP,
    acceptDownloads: true,
    ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}),
    ...(opts.locale ? { locale: opts.locale } : {}),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface UiServer {
  url: string;
  world: FakeWorld;
  /** Drops every open connection (the live stream too), as a proxy or a network hiccup does. */
  dropConnections(): void;
  close(): Promise<void>;
}

/** buildApi over fakes (real clock), serving web/dist on 127.0.0.1 and a random port. */
export async function startUiServer(): Promise<UiServer> {
  const world = fakeWorld({ realTime: true });
  await setAdminPassword(world.store, PASSWORD);
  const app = await buildApi(world.deps, { transport: 'tcp', webRoot: WEB_DIST, heartbeatMs: 2000 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    world,
    dropConnections: () => app.server.closeAllConnections(),
    close: () => app.close(),
  };
}

/** Console errors, uncaught exceptions and CSP violations a page produced. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return problems;
}

/** Logs in through the form and waits for the app shell. */
export async function login(page: Page, baseUrl: string, password = PASSWORD): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Admin password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Sections' }).waitFor();
}

/** Opens a tab by its nav link (through the menu on a phone) and waits for its heading. */
export async function openTab(page: Page, label: string, heading = label): Promise<void> {
  const nav = page.getByRole('navigation', { name: 'Sections' });
  const toggle = nav.locator('.nav-toggle');
  if ((await toggle.isVisible()) && (await toggle.getAttribute('aria-expanded')) !== 'true')
    await toggle.click();
  await nav.getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** True when the page scrolls sideways (something too wide for the viewport). */
export async function overflowsHorizontally(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
}

/** A path `name` in a new temp dir, removed when the test `t` ends (passed or not). */
export function tempFile(t: { after(fn: () => void): void }, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-ui-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(dirname(join(dir, name)), { recursive: true });
  return join(dir, name);
}

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { Alert } from '../core/detect/alerts.js';
import { aDecision } from '../core/records.testkit.js';
import type { Decision, WebhookTarget } from '../core/types.js';
import { silentLogger } from '../ports/logger.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { backoff, CURSOR_KEY, WebhookNotifier, type WebhookSettings } from './notifier.js';
import { Sink } from './sink.testkit.js';

const T0 = 1_796_000_000;
const alert: Alert = {
  at: T0,
  kind: 'breach',
  ip: '192.0.2.9',
  user: '1099',
  dialled: null,
  failures: 35,
  sources: [],
  userAgent: null,
  transport: 'udp',
  port: 5060,
  text: 'possible cracked password: extension 1099, from 192.0.2.9, after 35 failures',
};

describe('WebhookNotifier: bursts, alerts, durable retries (SQLite, a real receiver on loopback)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-webhooks-'));
  let n = 0;
  let store: SqliteStore;
  let sink: Sink;
  let now: number;
  let settings: WebhookSettings;
  const make = (over: { ownHost?: string } = {}) =>
    new WebhookNotifier({
      settings: () => settings,
      store,
      clock: () => now,
      host: 'pbx1',
      log: silentLogger,
      userAgent: 'sipprot/test',
      ...over,
    });
  const target = (format: WebhookTarget['format'] = 'json', path = '/hook'): WebhookTarget => ({
    format,
    url: sink.url(path),
  });
  const block = (ip: string, at = now, over: Partial<Decision> = {}) =>
    aDecision(ip, at, { expiresAt: at + 600, ...over });

  beforeEach(async () => {
    store = SqliteStore.open(join(dir, `s${++n}`));
    sink = await Sink.start();
    now = T0;
    settings = { targets: [target()], events: ['block', 'permanent', 'alert'], groupSeconds: 30 };
  });
  afterEach(async () => {
    await store.close();
    await sink.stop();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('one message per burst: the window opens at the first block and closes after WEBHOOK_GROUP_SECONDS', async () => {
    const w = make();
    await w.tick();
    w.decisions([block('203.0.113.1')]);
    now += 10;
    w.decisions([block('203.0.113.2'), block('203.0.113.3', now, { action: 'extend' })]);
    await w.tick();
    assert.equal(sink.received.length, 0, 'the window is still open');
    now += 20;
    w.decisions([block('203.0.113.4', now, { action: 'unblock', expiresAt: null })]);
    await w.tick();
    assert.equal(sink.received.length, 1);
    const doc = sink.json(0) as { kind: string; decisions: Array<{ ip: string }>; summary: string };
    assert.equal(doc.kind, 'decisions');
    assert.deepEqual(
      doc.decisions.map((d) => d.ip),
      ['203.0.113.1', '203.0.113.2'],
      'renewals and unblocks (not in WEBHOOK_EVENTS) are not sent',
    );
    assert.equal(doc.summary, 'sipprot on pbx1: blocked 2 addresses (auth-failures 2)');
    now += 60;
    await w.tick();
    assert.equal(sink.received.length, 1, 'nothing more');
  });

  it('an alert goes out at once, never held by the window', async () => {
    const w = make();
    w.decisions([block('203.0.113.1')]);
    await w.alert(alert, 'AU');
    assert.equal(sink.received.length, 1);
    const doc = sink.json(0) as { kind: string; alert: { kind: string; country: string } };
    assert.equal(doc.kind, 'alert');
    assert.deepEqual([doc.alert.kind, doc.alert.country], ['breach', 'AU']);
  });

  it('every target in its own format', async () => {
    settings = {
      ...settings,
      targets: [target('slack', '/s'), target('discord', '/d'), target('json', '/j')],
    };
    await make().alert(alert, null);
    assert.deepEqual(sink.received.map((r) => r.path).sort(), ['/d', '/j', '/s']);
    const slack = sink.received.find((r) => r.path === '/s')!;
    assert.match(JSON.parse(slack.body).text, /ALERT/);
  });

  it('a failing receiver: retried with backoff (Retry-After honoured), delivered once it answers', async () => {
    sink.script.push({ status: 503 }, { status: 429, headers: { 'retry-after': '120' } });
    const w = make();
    await w.alert(alert, null);
    assert.equal(sink.received.length, 1);
    assert.equal((await store.pendingCounts()).webhooks, 1);
    now += backoff(1) - 1;
    await w.tick();
    assert.equal(sink.received.length, 1, 'not before its retry time');
    now += 1;
    await w.tick();
    assert.equal(sink.received.length, 2, 'second try: 429, Retry-After 120');
    now += 119;
    await w.tick();
    assert.equal(sink.received.length, 2);
    now += 1;
    await w.tick();
    assert.equal(sink.received.length, 3);
    assert.equal((await store.pendingCounts()).webhooks, 0);
    assert.equal(w.status()[0]!.lastOk, now);
  });

  it('nextDue: the window’s end and the retries; nothing at all with nothing gathered or queued', async () => {
    const w = make();
    assert.equal(w.nextDue(), Number.NEGATIVE_INFINITY, 'the first run restores: due at once');
    await w.tick();
    assert.equal(w.nextDue(), Number.POSITIVE_INFINITY, 'nothing gathered, nothing queued');
    w.decisions([block('203.0.113.1')]);
    assert.equal(w.nextDue(), now + 30, 'the burst window’s end');
    now = w.nextDue();
    sink.script.push({ status: 503 });
    await w.tick();
    assert.equal(sink.received.length, 1);
    assert.equal(w.nextDue(), now + backoff(1), 'the retry');
    now = w.nextDue() - 1;
    await w.tick();
    assert.equal(sink.received.length, 1, 'not before it');
    now += 1;
    await w.tick();
    assert.equal(sink.received.length, 2);
    assert.equal(w.nextDue(), Number.POSITIVE_INFINITY);
    settings = { ...settings, targets: [] };
    const none = make();
    await none.tick();
    assert.equal(none.nextDue(), Number.POSITIVE_INFINITY, 'no webhooks: the timer sleeps');
  });

  it('a 404 (webhook deleted) is abandoned at once; a removed target drops its queue', async () => {
    sink.script.push({ status: 404, body: 'no_service' });
    const w = make();
    await w.alert(alert, null);
    assert.equal((await store.pendingCounts()).webhooks, 0);
    assert.match(w.status()[0]!.lastError!.message, /HTTP 404: no_service/);
    sink.script.push({ status: 500 });
    await w.alert(alert, null);
    assert.equal((await store.pendingCounts()).webhooks, 1);
    settings = { ...settings, targets: [target('json', '/other')] };
    now += 3600;
    await w.tick();
    assert.equal((await store.pendingCounts()).webhooks, 0);
    assert.ok(!sink.received.some((r) => r.path === '/other'), 'never sent to another target');
  });

  it('the queue survives a restart: a new notifier on the same store delivers what waited', async () => {
    sink.script.push({ status: 500 });
    await make().alert(alert, null);
    const file = store.file;
    await store.close();
    store = SqliteStore.open(join(file, '..'));
    now += 600;
    await make().tick();
    assert.equal(sink.received.length, 2);
    assert.equal((await store.pendingCounts()).webhooks, 0);
  });

  it('a burst gathered before a crash is sent after the restart (cursor + the store’s decisions)', async () => {
    const w = make();
    await w.tick(); // the cursor is set at T0
    now += 5;
    const d = block('198.51.100.7', now);
    await store.commit({ decisions: [d] });
    w.decisions([d]);
    // crash before the window closed: a new notifier
    now += 100;
    const w2 = make();
    await w2.tick();
    await w2.tick();
    assert.equal(sink.received.length, 1);
    assert.deepEqual(
      (sink.json(0).decisions as Array<{ ip: string }>).map((x) => x.ip),
      ['198.51.100.7'],
    );
    assert.ok(Number(await store.getSetting(CURSOR_KEY)) >= d.at);
    await make().tick();
    assert.equal(sink.received.length, 1, 'not sent twice after the next restart');
  });

  it('cluster mode: only what this host decided', async () => {
    settings = { ...settings, groupSeconds: 0 };
    const w = make({ ownHost: 'pbx1' });
    w.decisions([block('10.0.0.1', now, { host: 'pbx1' }), block('10.0.0.2', now, { host: 'pbx2' })]);
    await w.tick();
    assert.deepEqual(
      (sink.json(0).decisions as Array<{ ip: string }>).map((x) => x.ip),
      ['10.0.0.1'],
    );
  });

  it('the test button: each target answers for itself, outside the queue', async () => {
    settings = {
      ...settings,
      targets: [target('slack', '/ok'), { format: 'json', url: 'http://127.0.0.1:1/closed' }],
    };
    const r = await make().test();
    assert.deepEqual(
      r.map((x) => [x.index, x.format, x.ok]),
      [
        [0, 'slack', true],
        [1, 'json', false],
      ],
    );
    assert.match(r[1]!.message, /ECONNREFUSED http:\/\/127\.0\.0\.1:1$/);
    assert.equal((await store.pendingCounts()).webhooks, 0);
    assert.equal((await make().test(1)).length, 1);
  });
});

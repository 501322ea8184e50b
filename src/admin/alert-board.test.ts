import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Alert } from '../core/detect/alerts.js';
import { FakeStore } from '../store/store.fake.js';
import { ALERTS_KEY, AlertBoard, MAX_OPEN } from './alert-board.js';

function anAlert(ip: string, user = '100'): Alert {
  return {
    at: 1_800_000_000,
    kind: 'distributed',
    ip,
    user,
    dialled: null,
    failures: 12,
    sources: [ip],
    userAgent: null,
    transport: 'udp',
    port: 5060,
    text: `extension ${user} attacked`,
  };
}

/** A store whose settings writes are counted and take a while (like an fsync). */
function slowSettings() {
  const store = new FakeStore();
  const writes: string[] = [];
  const set = store.setSetting.bind(store);
  store.setSetting = async (key, value) => {
    await new Promise((r) => setTimeout(r, 5));
    if (value !== null) writes.push(value);
    return set(key, value);
  };
  return { store, writes };
}

describe('AlertBoard', () => {
  it('a burst of alerts is saved in a few writes, every one of them in the saved board', async () => {
    const { store, writes } = slowSettings();
    const board = new AlertBoard(store);
    const raised = await Promise.all(
      Array.from({ length: 40 }, (_, i) => board.raise(anAlert(`203.0.113.${i + 1}`, `${100 + i}`), null)),
    );
    assert.equal(raised.filter((r) => r !== null).length, 40);
    assert.ok(writes.length <= 3, `${writes.length} writes for 40 alerts`);
    const saved = JSON.parse((await store.getSetting(ALERTS_KEY))!) as { alerts: Array<{ ip: string }> };
    assert.equal(saved.alerts.length, 40);
    assert.deepEqual(
      saved.alerts.map((a) => a.ip),
      raised.map((r) => r!.ip),
    );
  });

  it('a raise resolves only once a save holding it is done; a later raise is saved too', async () => {
    const { store } = slowSettings();
    const board = new AlertBoard(store);
    await board.raise(anAlert('198.51.100.1'), 'NL');
    assert.match((await store.getSetting(ALERTS_KEY))!, /198\.51\.100\.1/);
    await board.raise(anAlert('198.51.100.2'), 'NL');
    assert.match((await store.getSetting(ALERTS_KEY))!, /198\.51\.100\.2/);
    // A fresh board on the same store (a restart) finds both.
    assert.deepEqual(
      (await new AlertBoard(store).list()).map((a) => a.ip),
      ['198.51.100.1', '198.51.100.2'],
    );
  });

  it('the same alert counts up, at most MAX_OPEN are kept, an acknowledgement is saved', async () => {
    const { store } = slowSettings();
    const changes: number[] = [];
    const board = new AlertBoard(store, undefined, () => changes.push(1));
    await Promise.all(
      Array.from({ length: MAX_OPEN + 5 }, (_, i) => board.raise(anAlert(`192.0.2.${i + 1}`), null)),
    );
    await board.raise(anAlert(`192.0.2.${MAX_OPEN + 5}`), null);
    const open = await board.list();
    assert.equal(open.length, MAX_OPEN);
    assert.equal(open.at(-1)!.count, 2);
    assert.equal(changes.length, MAX_OPEN + 6);
    await board.acknowledge('all', 'cli', 1_800_000_100);
    assert.deepEqual(await new AlertBoard(store).list(), []);
  });

  it('a failing store: the raise answers null and the next one is tried again', async () => {
    const store = new FakeStore();
    let fail = true;
    const set = store.setSetting.bind(store);
    store.setSetting = async (key, value) => {
      if (fail) throw new Error('disk full');
      return set(key, value);
    };
    const board = new AlertBoard(store);
    assert.equal(await board.raise(anAlert('198.51.100.9'), null), null);
    fail = false;
    assert.notEqual(await board.raise(anAlert('198.51.100.10'), null), null);
    assert.equal((await new AlertBoard(store).list()).length, 2);
  });
});

/**
 * The digest's paged read gives exactly what one read gives (oldest first, nothing twice,
 * nothing missed), whatever the instants: all apart, a few at one instant across a page's
 * end, more at one instant than a page holds; and it lets the event loop go between pages.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { aDecision } from '../core/records.testkit.js';
import type { Decision } from '../core/types.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { FakeStore } from '../store/store.fake.js';
import { decisionsInPages } from './paged-decisions.js';

const T = 1_764_900_000.125;

/** ~1,000 decisions: singles, pairs and triples on one instant, a run of 230 on one, more. */
function mixed(): Decision[] {
  const out: Decision[] = [];
  let at = T;
  let i = 0;
  const add = (n: number) => {
    for (let k = 0; k < n; k++) out.push(aDecision(`10.0.${i >> 8}.${i++ & 255}`, at));
    at += 0.001;
  };
  for (let g = 0; out.length < 700; g++) add((g % 3) + 1);
  add(230);
  while (out.length < 1000) add(1 + (out.length % 2));
  return out;
}

for (const kind of ['fake', 'sqlite'] as const) {
  test(`${kind} store: pages of 7, 50, 100 give what one read gives`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipprot-paged-'));
    const store = kind === 'fake' ? new FakeStore() : SqliteStore.open(dir);
    try {
      await store.commit({ decisions: mixed() });
      const from = T + 0.05;
      const to = T + 0.9;
      const one = (await store.decisions({ from, to })).reverse();
      assert.ok(one.length > 500);
      for (const page of [7, 50, 100]) {
        let pauses = 0;
        const got = await decisionsInPages(store, from, to, page, async () => {
          pauses++;
        });
        assert.deepEqual(
          got.map((d) => `${d.at}|${d.ip}`),
          one.map((d) => `${d.at}|${d.ip}`),
          `page ${page}`,
        );
        assert.ok(pauses >= Math.floor((one.length - 230) / page) - 1, `page ${page}: ${pauses} pauses`);
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('no page is bigger than asked, but for one instant read whole', async () => {
  const store = new FakeStore();
  const ds = mixed();
  await store.commit({ decisions: ds });
  const sizes: number[] = [];
  const read = store.decisions.bind(store);
  store.decisions = async (q) => {
    const rows = await read(q);
    sizes.push(rows.length);
    return rows;
  };
  const all = await decisionsInPages(store, 0, T + 10, 50, async () => {});
  assert.equal(all.length, ds.length);
  assert.deepEqual(
    sizes.filter((n) => n > 50),
    [230],
    'only the instant of 230 is read whole',
  );
});

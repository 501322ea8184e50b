/**
 * The plans behind the history's promise (a page costs the same at a million rows): every
 * shape of page query walks an index in order — no temporary sort, no full scan. The
 * timings are in bench/history.bench.ts; this test keeps the plans from regressing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type Database from 'better-sqlite3';
import { aHistoryEvent } from '../core/history/history.testkit.js';
import type { HistoryFilter } from '../core/history/query.js';
import { SqliteStore } from './sqlite-store.js';

test('every page query walks an index: in order (no sort) but for a narrow network or user agent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-history-'));
  const store = SqliteStore.open(dir);
  try {
    await store.recordHistory([aHistoryEvent('192.0.2.1', 100)]);
    const filters: HistoryFilter[] = [
      {},
      { subject: '192.0.2.1' },
      { network: '192.0.2.0/24' },
      { user: '100' },
      { country: 'NL' },
      { reason: 'scanner' },
      { userAgent: 'yealink' },
      { since: 1, until: 1000 },
      { kinds: ['block'], actor: 'cli', user: '100', country: 'NL' },
    ];
    for (const f of filters) await store.history({ limit: 5, scan: 1, ...f });
    const inner = store as unknown as {
      db: Database.Database;
      hist: { cache: Map<string, { page: Database.Statement; position: Database.Statement }> };
    };
    const shapes = [...inner.hist.cache.keys()].map((k) => k.split('|')[0]);
    for (const d of ['at', 'subject', 'network', 'userAgent', 'user', 'country', 'reason']) {
      assert.ok(shapes.includes(d), `a query driven by ${d}`);
    }
    for (const [shape, st] of inner.hist.cache) {
      for (const s of [st.page, st.position]) {
        const plan = inner.db
          .prepare(`EXPLAIN QUERY PLAN ${s.source}`)
          .all(Object.fromEntries(s.source.match(/@\w+/g)!.map((n) => [n.slice(1), null])))
          .map((r) => (r as { detail: string }).detail)
          .join(' | ');
        if (process.env.SHOW_PLANS) console.log(shape, plan);
        // A narrow walk sorts its at most NARROW_MAX rows; every other walk is in index order.
        if (/^(network|userAgent)\|/.test(shape))
          assert.match(plan, /USING (COVERING )?INDEX history_(subject|agent)/);
        else assert.doesNotMatch(plan, /TEMP B-TREE/, `${shape}: ${plan}`);
        assert.doesNotMatch(plan, /SCAN (history|h|u|history_users)( |$)/, `${shape}: ${plan}`);
        assert.match(plan, /SEARCH (history|u|h) USING/, `${shape}: ${plan}`);
      }
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

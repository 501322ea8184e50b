import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { aBlock, aDecision } from '../core/records.testkit.js';
import type { Decision } from '../core/types.js';
import { setAdminPassword } from '../platform/admin-password.js';
import { type Harness, login, PASSWORD } from './http.testkit.js';
import { buildApi, routesOf } from './server.js';
import { newAjv } from './validation.js';
import { StreamEvents } from './wire/events.js';
import { fakeWorld } from './world.testkit.js';

/** Every event's data is held to its schema in wire/events.ts (what the UI's types say). */
const ajv = newAjv({ coerceTypes: false, useDefaults: false, removeAdditional: false });
const eventSchemas: Record<string, ReturnType<typeof ajv.compile>> = Object.fromEntries(
  Object.entries(StreamEvents).map(([name, schema]) => [name, ajv.compile(schema)]),
);
function checked(event: string, data: unknown): unknown {
  const validate = eventSchemas[event];
  assert.ok(validate, `event "${event}" is not in the contract`);
  assert.ok(validate(data), `event "${event}": ${ajv.errorsText(validate.errors)}`);
  return data;
}

interface Sse {
  status: number;
  /** Every event received so far, by name, in order (what `next` takes stays here). */
  seen: string[];
  headers: Record<string, unknown>;
  next(event: string, timeoutMs?: number): Promise<unknown>;
  close(): void;
}

/** A minimal EventSource over node:http that queues parsed events by name. */
function openSse(port: number, cookie: string): Promise<Sse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/api/dynamic/events', headers: { cookie } },
      (res) => {
        const queue: Array<{ event: string; data: unknown }> = [];
        const seen: string[] = [];
        const waiters: Array<() => void> = [];
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
            const frame = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const event = /^event: (.*)$/m.exec(frame)?.[1];
            const data = /^data: (.*)$/m.exec(frame)?.[1];
            if (event && data) {
              seen.push(event);
              queue.push({ event, data: checked(event, JSON.parse(data)) });
            }
            for (const w of waiters.splice(0)) w();
          }
        });
        res.on('end', () => queue.push({ event: 'end', data: null }));
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          seen,
          async next(event, timeoutMs = 2000) {
            const deadline = Date.now() + timeoutMs;
            for (;;) {
              const i = queue.findIndex((q) => q.event === event || q.event === 'end');
              if (i >= 0) {
                const [hit] = queue.splice(i, 1);
                if (hit!.event !== event) throw new Error(`stream ended before "${event}"`);
                return hit!.data;
              }
              if (Date.now() > deadline) throw new Error(`no "${event}" event within ${timeoutMs} ms`);
              await new Promise<void>((r) => {
                waiters.push(r);
                setTimeout(r, 50);
              });
            }
          },
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

type Changes = {
  blocks: Array<{ ip: string; userAgent: string | null; timeLeft: number | null }>;
  added: string[];
  unblocks: Array<{ ip: string; reason: string }>;
};

describe('live dynamic list (Server-Sent Events)', () => {
  let h: Harness;
  let port: number;
  before(async () => {
    const world = fakeWorld();
    await setAdminPassword(world.store, PASSWORD);
    const app = await buildApi(world.deps, {
      transport: 'tcp',
      webRoot: '/nonexistent',
      heartbeatMs: 100,
      maxLiveViews: 3,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
    h = { world, app, routes: routesOf(app), close: () => app.close() };
  });
  after(() => h.close());

  test('ready first (no rows: the list is read a page at a time), then blocks and unblocks as they happen', async () => {
    await h.world.block('192.0.2.1');
    const c = await login(h.app);
    const sse = await openSse(port, c.cookie);
    assert.equal(sse.status, 200);
    assert.match(String(sse.headers['content-type']), /^text\/event-stream/);
    assert.equal(sse.headers['x-frame-options'], 'DENY');
    assert.deepEqual(await sse.next('ready'), { now: h.world.clock.now() });
    assert.deepEqual(sse.seen, ['ready']);
    // A renewal of a running block is a row but not a new block.
    h.world.events.emit({
      type: 'decision',
      decision: aDecision('192.0.2.1', h.world.clock.now(), { action: 'extend', reason: 'scanner' }),
    });
    const renewal = (await sse.next('changes')) as Changes;
    assert.deepEqual([renewal.blocks.map((b) => b.ip), renewal.added], [['192.0.2.1'], []]);
    await h.world.block('198.51.100.23', {
      userAgent: 'sipvicious',
      misconfiguredPhone: true,
      users: ['200'],
    });
    const blk = (await sse.next('changes')) as {
      blocks: Array<Record<string, unknown>>;
      added: string[];
      unblocks: [];
    };
    assert.equal(blk.blocks.length, 1);
    const row = blk.blocks[0]!;
    assert.equal(row.ip, '198.51.100.23');
    assert.equal(row.userAgent, 'sipvicious', 'a small batch reads the full row from the store');
    assert.equal(row.misconfiguredPhone, true);
    assert.equal(row.timeLeft, 600);
    assert.deepEqual(blk.unblocks, []);
    assert.deepEqual(blk.added, ['198.51.100.23'], 'a new block is named as one');
    const un = await c.req({ method: 'DELETE', url: '/api/dynamic/198.51.100.23' });
    assert.equal(un.json().wasBlocked, true);
    assert.deepEqual((await sse.next('changes', 3000)) as Changes, {
      blocks: [],
      added: [],
      unblocks: [{ ip: '198.51.100.23', reason: 'manual' }],
      now: h.world.clock.now(),
    });
    sse.close();
  });

  test('a block not yet in the store is built from the decision; deny-list drops are not rows', async () => {
    const c = await login(h.app);
    const sse = await openSse(port, c.cookie);
    await sse.next('ready');
    const now = h.world.clock.now();
    h.world.events.emit({
      type: 'decision',
      decision: aDecision('192.0.2.77', now, { reason: 'deny-list' }),
    });
    h.world.events.emit({
      type: 'decision',
      decision: aDecision('192.0.2.66', now, { reason: 'scanner', userAgent: 'sipcli' }),
    });
    h.world.events.emit({ type: 'lists', list: 'deny' });
    const blk = (await sse.next('changes')) as Changes;
    assert.deepEqual(
      blk.blocks.map((b) => [b.ip, b.userAgent]),
      [['192.0.2.66', 'sipcli']],
      'the deny-list decision is no row',
    );
    assert.deepEqual(await sse.next('lists'), { list: 'deny' });
    assert.deepEqual(sse.seen.slice(-2), ['changes', 'lists'], 'the changes before it go first');
    sse.close();
  });

  /** `n` blocks of 10.0.x.y decided at `now`, as the policy makes them (record fields copied). */
  const burst = (n: number, from = 0): Decision[] =>
    Array.from({ length: n }, (_, i) =>
      aDecision(`10.0.${(from + i) >> 8}.${(from + i) & 255}`, h.world.clock.now(), {
        reason: 'distributed',
        userAgent: `ua-${from + i}`,
      }),
    );
  const decide = (ds: Decision[]) => {
    for (const d of ds) h.world.events.emit({ type: 'decision', decision: d });
  };

  /** Counts the store's getBlock calls while `fn` runs. */
  async function readsDuring(fn: () => Promise<void>): Promise<number> {
    const store = h.world.store;
    const original = store.getBlock;
    let reads = 0;
    store.getBlock = (ip) => {
      reads++;
      return original.call(store, ip);
    };
    try {
      await fn();
    } finally {
      store.getBlock = original;
    }
    return reads;
  }

  test('a burst of 2,000 decisions in one turn: one event with every row, no store read', async () => {
    const c = await login(h.app);
    const sse = await openSse(port, c.cookie);
    await sse.next('ready');
    const ds = burst(2000);
    const reads = await readsDuring(async () => {
      decide(ds);
      const ch = (await sse.next('changes', 3000)) as Changes;
      assert.equal(ch.blocks.length, 2000);
      assert.deepEqual(
        ch.blocks.map((b) => [b.ip, b.userAgent, b.timeLeft]),
        ds.map((d) => [d.ip, d.userAgent, 600]),
        'each row as its decision says, in order',
      );
      await new Promise((r) => setTimeout(r, 400));
    });
    assert.equal(reads, 0, 'rows of a big batch come from the decisions');
    assert.deepEqual(sse.seen, ['ready', 'changes'], 'one event for the whole turn');
    sse.close();
  });

  test('decisions spread over a second: at most one event per 250 ms, every address in them', async () => {
    const c = await login(h.app);
    const sse = await openSse(port, c.cookie);
    await sse.next('ready');
    const got = new Map<string, string>();
    const added = new Set<string>();
    const lifted: string[] = [];
    const started = performance.now();
    for (let turn = 0; turn < 50; turn++) {
      const ds = burst(20, turn * 20);
      // Each address renewed in the same turn, and one of the turn's blocks lifted again:
      // an address's last decision is what its view gets.
      ds.push({ ...ds[0]!, action: 'extend', expiresAt: ds[0]!.at + 900 });
      ds.push({ ...ds[1]!, action: 'unblock', reason: 'manual', expiresAt: null });
      decide(ds);
      await new Promise((r) => setTimeout(r, 20));
    }
    const spread = performance.now() - started;
    await new Promise((r) => setTimeout(r, 400));
    const frames = sse.seen.filter((e) => e === 'changes').length;
    for (let i = 0; i < frames; i++) {
      const ch = (await sse.next('changes')) as Changes;
      for (const b of ch.blocks) got.set(b.ip, String(b.timeLeft));
      for (const ip of ch.added) added.add(ip);
      lifted.push(...ch.unblocks.map((u) => u.ip));
    }
    assert.ok(frames >= 2 && frames <= Math.ceil(spread / 250) + 1, `${frames} events in ${spread} ms`);
    assert.equal(got.size, 50 * 19, 'every block that stayed has its row');
    assert.deepEqual([...added].sort(), [...got.keys()].sort(), 'each one new (renewed or not), none lifted');
    assert.deepEqual(lifted.sort(), Array.from({ length: 50 }, (_, t) => burst(2, t * 20)[1]!.ip).sort());
    for (let t = 0; t < 50; t++) assert.equal(got.get(burst(1, t * 20)[0]!.ip), '900', 'the renewal');
    sse.close();
  });

  test('a view of a 5,000-block list starts with ready and no row: the list is never read whole', async () => {
    const note = 'n'.repeat(300);
    const blocks = Array.from({ length: 5000 }, (_, i) => aBlock(`10.9.${i >> 8}.${i & 255}`, { note }));
    for (const b of blocks) await h.world.store.upsertBlock({ ...b, expiresAt: h.world.clock.now() + 600 });
    const store = h.world.store;
    const listBlocks = store.listBlocks;
    let lists = 0;
    store.listBlocks = (q) => {
      lists++;
      return listBlocks.call(store, q);
    };
    const c = await login(h.app);
    const sse = await openSse(port, c.cookie);
    try {
      await sse.next('ready');
      decide(burst(1, 4000));
      const ch = (await sse.next('changes', 3000)) as Changes;
      assert.equal(ch.blocks.length, 1, 'the view hears the next change');
      assert.deepEqual(sse.seen, ['ready', 'changes']);
      assert.equal(lists, 0, 'the list was not read for the view');
    } finally {
      store.listBlocks = listBlocks;
      sse.close();
      for (const b of blocks) await h.world.store.deleteBlock(b.ip);
    }
  });

  test('no view open: decisions are neither gathered nor read', async () => {
    // The views of the tests before are closed; the server hears of it a moment later.
    for (let i = 0; i < 40 && h.world.events.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.world.events.size, 0, 'the feed left the events when the last view closed');
    const reads = await readsDuring(async () => {
      decide(burst(10));
      await new Promise((r) => setTimeout(r, 300));
    });
    assert.equal(reads, 0);
  });

  test('logging out ends the stream; closing it unsubscribes', async () => {
    const c = await login(h.app);
    const sse = await openSse(port, c.cookie);
    await sse.next('ready');
    const subs = h.world.events.size;
    assert.ok(subs >= 1);
    await c.req({ method: 'POST', url: '/api/logout' });
    await sse.next('logout', 3000);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(h.world.events.size, subs - 1);
  });

  test('an open live view does not keep an idle session alive', async () => {
    const c = await login(h.app);
    const sse = await openSse(port, c.cookie);
    await sse.next('ready');
    h.world.clock.advance(3600);
    await new Promise((r) => setTimeout(r, 300)); // heartbeats run, none may count as activity
    h.world.clock.advance(3601);
    await sse.next('logout', 3000);
  });

  test('more live views than allowed: 503 SP_ERR_BUSY with Retry-After, until one closes', async () => {
    const c = await login(h.app);
    const open: Sse[] = [];
    for (let i = 0; i < 3; i++) {
      const sse = await openSse(port, c.cookie);
      await sse.next('ready');
      open.push(sse);
    }
    const refused = await openSse(port, c.cookie);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '10');
    refused.close();
    open.pop()!.close();
    await new Promise((r) => setTimeout(r, 100));
    const again = await openSse(port, c.cookie);
    assert.equal(again.status, 200);
    for (const sse of [...open, again]) sse.close();
    await new Promise((r) => setTimeout(r, 100));
  });

  test('without a session: 401 and no stream', async () => {
    const sse = await openSse(port, 'sipprot_session=nope');
    assert.equal(sse.status, 401);
    sse.close();
  });
});

import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { aDecision } from '../core/records.testkit.js';
import { setAdminPassword } from '../platform/admin-password.js';
import { fakeWorld } from './admin.fake.js';
import { type Harness, login, PASSWORD } from './http.testkit.js';
import { buildApi, routesOf } from './server.js';
import { newAjv } from './validation.js';
import { StreamEvents } from './wire/events.js';

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
            if (event && data) queue.push({ event, data: checked(event, JSON.parse(data)) });
            for (const w of waiters.splice(0)) w();
          }
        });
        res.on('end', () => queue.push({ event: 'end', data: null }));
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
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

  test('snapshot first, then block and unblock as they happen', async () => {
    await h.world.block('192.0.2.1');
    const c = await login(h.app);
    const sse = await openSse(port, c.cookie);
    assert.equal(sse.status, 200);
    assert.match(String(sse.headers['content-type']), /^text\/event-stream/);
    assert.equal(sse.headers['x-frame-options'], 'DENY');
    const snap = (await sse.next('snapshot')) as { blocks: Array<{ ip: string }> };
    assert.deepEqual(
      snap.blocks.map((b) => b.ip),
      ['192.0.2.1'],
    );
    await h.world.block('198.51.100.23', {
      userAgent: 'sipvicious',
      misconfiguredPhone: true,
      users: ['200'],
    });
    const blk = (await sse.next('block')) as { block: Record<string, unknown> };
    assert.equal(blk.block.ip, '198.51.100.23');
    assert.equal(blk.block.userAgent, 'sipvicious', 'the full row comes from the store');
    assert.equal(blk.block.misconfiguredPhone, true);
    assert.equal(blk.block.timeLeft, 600);
    const un = await c.req({ method: 'DELETE', url: '/api/dynamic/198.51.100.23' });
    assert.equal(un.json().wasBlocked, true);
    assert.deepEqual(
      { ...((await sse.next('unblock')) as object), now: 0 },
      { ip: '198.51.100.23', reason: 'manual', now: 0 },
    );
    sse.close();
  });

  test('a block not yet in the store is built from the decision; deny-list drops are not rows', async () => {
    const c = await login(h.app);
    const sse = await openSse(port, c.cookie);
    await sse.next('snapshot');
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
    const blk = (await sse.next('block')) as { block: { ip: string; userAgent: string } };
    assert.equal(blk.block.ip, '192.0.2.66', 'the deny-list decision produced no row before it');
    assert.equal(blk.block.userAgent, 'sipcli');
    assert.deepEqual(await sse.next('lists'), { list: 'deny' });
    sse.close();
  });

  test('logging out ends the stream; closing it unsubscribes', async () => {
    const c = await login(h.app);
    const sse = await openSse(port, c.cookie);
    await sse.next('snapshot');
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
    await sse.next('snapshot');
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
      await sse.next('snapshot');
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

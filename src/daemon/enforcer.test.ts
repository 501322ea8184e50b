/**
 * The enforcer never enforces a "would block" (OBSERVE, issue 12 item 8): no kernel
 * element, no block record, no count toward BLOCK_THRESHOLD; it is recorded in the
 * decision history and published (log line) like any decision.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSipprotError } from '../core/errors.js';
import { aDecision } from '../core/records.testkit.js';
import type { Decision } from '../core/types.js';
import { FakeFirewall } from '../firewall/firewall.fake.js';
import { emptyFirewallState } from '../ports/firewall.js';
import type { StoreBatch } from '../ports/store.js';
import { FakeStore } from '../store/store.fake.js';
import { Enforcer } from './enforcer.js';
import { GATHER_MS, PUBLISH_AT, STAGE_AT } from './enforcer-commits.js';
import { encodeBatch } from './store-writer-codec.js';
import { decodeBatch } from './store-writer-decode.js';

async function setup() {
  const firewall = new FakeFirewall({ now: () => 1000 });
  await firewall.init(emptyFirewallState());
  const store = new FakeStore();
  const published: Decision[] = [];
  const enforcer = new Enforcer({
    firewall,
    store,
    recordOf: () => undefined,
    appendDeny: async () => {},
    published: (ds) => published.push(...ds),
    failed: (what, e) => assert.fail(`${what}: ${String(e)}`),
    clock: () => 1000,
  });
  return { firewall, store, published, enforcer };
}

const observed = aDecision('203.0.113.66', 1000, {
  action: 'observe',
  expiresAt: null,
  note: 'would block (OBSERVE): 10 failed authentication attempts',
});

for (const [how, run] of [
  ['observe()', (e: Enforcer) => e.observe(observed)],
  ['apply() (defence in depth)', (e: Enforcer) => e.apply([observed])],
] as const) {
  test(`a "would block" through ${how}: recorded and published, never enforced`, async () => {
    const { firewall, store, published, enforcer } = await setup();
    run(enforcer);
    await enforcer.flush();
    assert.equal(firewall.wouldDrop('203.0.113.66'), null, 'not in the kernel');
    assert.deepEqual(await store.listBlocks(), [], 'no block record');
    assert.deepEqual(
      (await store.decisions({ from: 0, to: 2000 })).map((d) => d.action),
      ['observe'],
      'in the decision history',
    );
    assert.deepEqual(published, [observed]);
    assert.equal(await store.timesBlocked('203.0.113.66'), 0, 'no step toward BLOCK_THRESHOLD');
  });
}

test('a real block next to it is enforced', async () => {
  const { firewall, enforcer } = await setup();
  enforcer.apply([aDecision('198.51.100.7', 1000)]);
  enforcer.observe(observed);
  await enforcer.flush();
  assert.equal(firewall.wouldDrop('198.51.100.7'), 'dynamic');
  assert.equal(firewall.wouldDrop('203.0.113.66'), null);
});

/** An enforcer over a store that stages (serializes) batches, with what it staged and committed. */
/** Commits stay in flight until the test calls `release()`: no timing, whatever the load. */
function stagingEnforcer() {
  let open = false;
  const waiting: Array<() => void> = [];
  const release = () => {
    open = true;
    for (const w of waiting.splice(0)) w();
  };
  const store = new FakeStore();
  const staged: string[] = [];
  const commits: string[][] = [];
  const published: string[][] = [];
  const firewall = new FakeFirewall({ now: () => 1000 });
  const enforcer = new Enforcer({
    firewall,
    store: {
      commit: (b) => store.commit(b),
      stage: (b) => {
        const ips = [...(b.blocks ?? []).map((r) => r.ip), ...(b.deleteBlocks ?? []).map((ip) => `-${ip}`)];
        staged.push(ips.join(','));
        return { ips: ips.join(','), b };
      },
      unstage: (t) => (t as { b: StoreBatch }).b,
      commitStaged: async (tokens) => {
        const ts = tokens as Array<{ ips: string; b: StoreBatch }>;
        commits.push(ts.map((t) => t.ips));
        if (!open) await new Promise<void>((r) => waiting.push(r));
        for (const t of ts) await store.commit(t.b);
      },
    },
    recordOf: () => undefined,
    appendDeny: async () => {},
    published: (ds) => published.push(ds.map((d) => `${d.action} ${d.ip}`)),
    failed: (what, e) => assert.fail(`${what}: ${String(e)}`),
    clock: () => 1000,
  });
  return { store, staged, commits, published, firewall, enforcer, release };
}

const turn = () => new Promise((r) => setImmediate(r));

test('decisions made while a commit is in flight are staged once, as one batch, when the next commit starts; in order', async () => {
  const { store, staged, commits, published, firewall, enforcer, release } = stagingEnforcer();
  await firewall.init(emptyFirewallState());
  enforcer.apply([aDecision('198.51.100.1', 1000)]);
  await turn();
  assert.deepEqual(staged, ['198.51.100.1'], 'a lone decision: staged and committed at once');
  enforcer.apply([aDecision('198.51.100.2', 1000)]);
  await turn();
  enforcer.apply([aDecision('198.51.100.1', 1000, { action: 'unblock', reason: 'manual', expiresAt: null })]);
  await turn();
  enforcer.apply([aDecision('198.51.100.3', 1000)]);
  await turn();
  assert.equal(staged.length, 1, 'three turns with a decision each: nothing serialized per turn');
  release();
  await enforcer.flush();
  assert.deepEqual(commits, [['198.51.100.1'], ['198.51.100.2,198.51.100.3,-198.51.100.1']]);
  assert.equal(staged.length, 2, 'the three turns: one batch, staged once');
  assert.deepEqual(published, [
    ['block 198.51.100.1'],
    ['block 198.51.100.2', 'unblock 198.51.100.1', 'block 198.51.100.3'],
  ]);
  assert.deepEqual((await store.listBlocks()).map((b) => b.ip).sort(), ['198.51.100.2', '198.51.100.3']);
});

test('a burst: each STAGE_AT decisions are staged at the end of the turn that reached them, not all at the commit', async () => {
  const { store, staged, commits, firewall, enforcer, release } = stagingEnforcer();
  await firewall.init(emptyFirewallState());
  enforcer.apply([aDecision('10.0.0.1', 1000)]);
  await turn(); // the first commit is in flight until release()
  const ip = (n: number) => `10.1.${n >> 8}.${n & 255}`;
  let n = 0;
  for (let t = 0; t < 6; t++) {
    const ds = [];
    for (let i = 0; i < STAGE_AT / 2; i++) ds.push(aDecision(ip(n++), 1000));
    enforcer.apply(ds);
    await turn();
    // Staged once STAGE_AT had gathered: after turns 2, 4 and 6 (of STAGE_AT / 2 each).
    assert.equal(staged.length, 1 + Math.floor((t + 1) / 2), `after turn ${t + 1}`);
  }
  assert.equal(staged.at(-1)!.split(',').length, STAGE_AT);
  release();
  await enforcer.flush();
  assert.equal(commits.length, 2);
  assert.equal(commits[1]!.length, 3, 'the three staged batches in one commit');
  assert.equal((await store.listBlocks()).length, 1 + 3 * STAGE_AT);
});

test('a big commit is published in parts of PUBLISH_AT, in order, with a turn of the loop between parts', async () => {
  const { published, firewall, enforcer, release } = stagingEnforcer();
  await firewall.init(emptyFirewallState());
  enforcer.apply([aDecision('10.0.0.1', 1000)]);
  await turn(); // the first commit is in flight until release()
  const ip = (n: number) => `10.2.${n >> 8}.${n & 255}`;
  const N = 2 * PUBLISH_AT + 128;
  for (let n = 0; n < N; n += 64) {
    enforcer.apply(Array.from({ length: 64 }, (_, i) => aDecision(ip(n + i), 1000)));
    await turn();
  }
  // What ran, in order: 'P' a part published, '.' a turn of the loop.
  const seen: string[] = [];
  let ticking = true;
  const tick = () => {
    seen.push('.');
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const wrapped = published.push.bind(published);
  published.push = (...parts) => {
    // The first commit's lone decision is told in the same microtasks as the next part.
    if (parts[0]!.length > 1) seen.push('P');
    return wrapped(...parts);
  };
  release();
  await enforcer.flush();
  ticking = false;
  // The first commit (one decision), then the second's N in parts.
  assert.deepEqual(
    published.map((p) => p.length),
    [1, PUBLISH_AT, PUBLISH_AT, 128],
  );
  assert.deepEqual(
    published.slice(1).flat(),
    Array.from({ length: N }, (_, n) => `block ${ip(n)}`),
  );
  assert.doesNotMatch(seen.join(''), /PP/, 'no two parts in one turn');
});

test('a lone decision is committed at once; those within GATHER_MS of a commit wait and go together', async () => {
  const firewall = new FakeFirewall({ now: () => 1000 });
  await firewall.init(emptyFirewallState());
  const store = new FakeStore();
  const commits: string[][] = [];
  // The commits' spacing runs on this clock, turned by hand: a loaded machine's late timers
  // can neither make "at once" late nor let the gathered ones go early.
  let mono = 50_000;
  const enforcer = new Enforcer({
    firewall,
    store: {
      commit: async (b) => {
        commits.push((b.blocks ?? []).map((r) => r.ip));
        await store.commit(b);
      },
    },
    recordOf: () => undefined,
    appendDeny: async () => {},
    published: () => {},
    failed: (what, e) => assert.fail(`${what}: ${String(e)}`),
    clock: () => 1000,
    monotonic: () => mono,
  });
  // "At once" is within a few turns of the loop, with no timer involved.
  const turns = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  const until = async (what: string, ok: () => boolean) => {
    for (const end = Date.now() + 10_000; !ok(); await new Promise((r) => setTimeout(r, 5)))
      if (Date.now() > end) assert.fail(`${what}: ${JSON.stringify(commits)}`);
  };
  enforcer.apply([aDecision('192.0.2.1', 1000)]);
  await turns();
  assert.deepEqual(commits, [['192.0.2.1']], 'at once');
  mono += 10;
  enforcer.apply([aDecision('192.0.2.2', 1000)]);
  await turns();
  mono += 10;
  enforcer.apply([aDecision('192.0.2.3', 1000)]);
  // However long the real wait (the gather timer fires and finds GATHER_MS not yet gone).
  await new Promise((r) => setTimeout(r, GATHER_MS + 20));
  assert.equal(commits.length, 1, 'the next ones wait');
  assert.equal(firewall.wouldDrop('192.0.2.3'), 'dynamic', 'the kernel has them meanwhile');
  mono += GATHER_MS;
  await until('together, GATHER_MS after the first', () => commits.length === 2);
  assert.deepEqual(
    commits,
    [['192.0.2.1'], ['192.0.2.2', '192.0.2.3']],
    'together, GATHER_MS after the first',
  );
  mono += GATHER_MS + 1;
  enforcer.apply([aDecision('192.0.2.4', 1000)]);
  await turns();
  assert.deepEqual(commits.at(-1), ['192.0.2.4'], 'after a quiet moment: at once again');
  enforcer.apply([aDecision('192.0.2.5', 1000)]);
  await enforcer.flush();
  assert.deepEqual(commits.at(-1), ['192.0.2.5'], 'flush does not wait');
});

test('a staged commit the store refuses: its turns are read back into the unsaved queue and written later', async () => {
  const firewall = new FakeFirewall({ now: () => 1000 });
  await firewall.init(emptyFirewallState());
  const store = new FakeStore();
  let refuse = true;
  const alarms: string[] = [];
  const enforcer = new Enforcer({
    firewall,
    store: {
      commit: (b) => store.commit(b),
      stage: (b) => JSON.stringify(b),
      unstage: (t) => JSON.parse(t as string) as StoreBatch,
      commitStaged: async (tokens) => {
        if (refuse) throw new Error('SQLITE_FULL');
        for (const t of tokens) await store.commit(JSON.parse(t as string) as StoreBatch);
      },
    },
    recordOf: () => undefined,
    appendDeny: async () => {},
    published: () => {},
    failed: () => {},
    storeAlarm: (state) => alarms.push(state),
    clock: () => 1000,
  });
  enforcer.apply([aDecision('192.0.2.50', 1000), aDecision('192.0.2.51', 1000)]);
  await enforcer.flush();
  assert.equal(enforcer.storeState().pending > 0, true);
  assert.deepEqual(await store.listBlocks(), []);
  refuse = false;
  await enforcer.close();
  assert.deepEqual((await store.listBlocks()).map((b) => b.ip).sort(), ['192.0.2.50', '192.0.2.51']);
  assert.deepEqual(alarms, ['failing', 'recovered']);
});

test("a staged turn that cannot be read back is reported, not thrown: the commit's other turns are written later", async () => {
  const BAD = '198.18.0.150';
  let open = false;
  const waiting: Array<() => void> = [];
  const store = new FakeStore();
  const firewall = new FakeFirewall({ now: () => 1000 });
  await firewall.init(emptyFirewallState());
  const failures: unknown[] = [];
  const enforcer = new Enforcer({
    firewall,
    store: {
      commit: (b) => store.commit(b),
      // The real codec; the turn holding BAD comes out one byte short (as a bug would).
      stage: (b) => {
        const bytes = encodeBatch(b);
        return b.blocks?.some((r) => r.ip === BAD) ? bytes.subarray(0, bytes.byteLength - 1) : bytes;
      },
      unstage: (t) => decodeBatch(t as Uint8Array),
      commitStaged: async (tokens) => {
        if (!open) await new Promise<void>((r) => waiting.push(r));
        const batches = tokens.map((t) => decodeBatch(t as Uint8Array));
        for (const b of batches) await store.commit(b);
      },
    },
    recordOf: () => undefined,
    appendDeny: async () => {},
    published: () => {},
    failed: (_what, e) => failures.push(e),
    clock: () => 1000,
  });
  enforcer.apply([aDecision('192.0.2.1', 1000)]);
  await turn(); // a commit in flight, held
  enforcer.apply(Array.from({ length: STAGE_AT }, (_, i) => aDecision(`198.18.0.${i}`, 1000)));
  await turn(); // STAGE_AT decisions: a turn staged (BAD among them)
  enforcer.apply([aDecision('192.0.2.2', 1000)]);
  await turn();
  open = true;
  for (const w of waiting.splice(0)) w();
  await enforcer.flush();
  await enforcer.close();
  assert.ok(failures.length > 0);
  for (const e of failures)
    assert.ok(isSipprotError(e) && e.code === 'SP_ERR_STORE' && /malformed/.test(e.message), String(e));
  assert.deepEqual((await store.listBlocks()).map((b) => b.ip).sort(), ['192.0.2.1', '192.0.2.2']);
  assert.equal(firewall.wouldDrop(BAD), 'dynamic', 'the kernel kept the block the store lost');
});

/**
 * The store writer's backlog stays within its byte budget when the writer is slower than
 * the producer (issue 13 target 1: memory bounded during a flood): the real enforcer over
 * the real StoreWriter (worker thread, SQLite) whose commits are held until the test lets
 * them go — a paused writer, whatever the machine's load. Asserted: the rows go in order of
 * value (history from half the budget, decisions and attacks from the budget, never a
 * block or a count), the backlog stops growing by more than the blocks once over budget,
 * every block is in SQLite once the writer catches up, the counts (status, log) equal the
 * rows missing from the store, and the log says it once at the start and once at the end.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ACTORS, eventOfDecision } from '../core/history/events.js';
import { aBlock, aDecision } from '../core/records.testkit.js';
import type { Verdict } from '../core/types.js';
import { FakeFirewall } from '../firewall/firewall.fake.js';
import { emptyFirewallState } from '../ports/firewall.js';
import type { Logger } from '../ports/logger.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { Enforcer } from './enforcer.js';
import { STAGE_AT } from './enforcer-commits.js';
import { StoreWriter } from './store-writer.js';
import { CALM_AT, HISTORY_AT, WriterBacklog } from './store-writer-backlog.js';
import { decodeBatch } from './store-writer-decode.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function recordingLog() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const at =
    (level: string) =>
    (obj: object, msg = '') =>
      lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const log: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => log,
  };
  return { log, lines };
}

const NOW = 1_800_000_000;
const ipOf = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
const verdictOf = (ip: string): Verdict => ({
  at: NOW,
  ip,
  rule: 'auth-failures',
  userAgent: 'friendly-scanner',
  attempts: 5,
  users: ['100', '101'],
  transport: 'udp',
  port: 5060,
  misconfiguredPhone: false,
});

const BUDGET = 256 * 1024;
const TURNS = 24;

test('a paused writer: the backlog sheds history, then decisions and attacks, keeps every block; all blocks committed after', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-backlog-'));
  dirs.push(dir);
  const store = SqliteStore.open(dir);
  const { log, lines } = recordingLog();
  const writer = new StoreWriter(dir, store, log, { budgetBytes: BUDGET });
  let open = false;
  const held: Array<() => void> = [];
  /** Each staged turn: the backlog before it, and what it kept. */
  const staged: Array<{
    before: number;
    bytes: number;
    history: number;
    decisions: number;
    attacks: number;
    blocks: number;
  }> = [];
  const firewall = new FakeFirewall({ now: () => NOW });
  await firewall.init(emptyFirewallState());
  const enforcer = new Enforcer({
    firewall,
    store: {
      commit: (b) => writer.commit(b),
      stage: (b) => {
        const before = writer.backlogState().bytes;
        const s = writer.stage(b)!;
        const k = decodeBatch(s);
        staged.push({
          before,
          bytes: s.byteLength,
          history: k.history?.length ?? 0,
          decisions: k.decisions?.length ?? 0,
          attacks: k.attacks?.length ?? 0,
          blocks: k.blocks?.length ?? 0,
        });
        return s;
      },
      unstage: (s) => writer.unstage(s as Uint8Array),
      commitStaged: async (s) => {
        if (!open) await new Promise<void>((r) => held.push(r));
        return writer.commitStaged(s as Uint8Array[]);
      },
    },
    recordOf: () => undefined,
    appendDeny: async () => {},
    published: () => {},
    historyOf: (d, actor) => eventOfDecision(d, actor ?? ACTORS.daemon('test')),
    failed: (what, e) => assert.fail(`${what}: ${String(e)}`),
    clock: () => NOW,
  });
  const turn = () => new Promise((r) => setImmediate(r));

  enforcer.apply([aDecision(ipOf(0), NOW)]);
  await turn(); // the first commit is in flight: the writer is paused from here
  let n = 1;
  for (let t = 0; t < TURNS; t++) {
    for (let i = 0; i < STAGE_AT; i++, n++) {
      enforcer.apply([aDecision(ipOf(n), NOW, { userAgent: 'friendly-scanner', users: ['100', '101'] })]);
      enforcer.attack(verdictOf(ipOf(n)), 'NL');
    }
    await turn();
  }
  const full = staged.slice(1).filter((s) => s.history === STAGE_AT);
  assert.ok(full.length > 0, 'turns staged in full before the budget mattered');
  const fullBytes = Math.max(...full.map((s) => s.bytes));
  assert.ok(TURNS * fullBytes > 3 * BUDGET, `unbounded, the backlog would be ${TURNS * fullBytes} bytes`);

  // The order: full turns below HISTORY_AT, then history left out, then decisions and attacks too.
  for (const s of staged) {
    assert.equal(s.blocks, s === staged[0] ? 1 : STAGE_AT, 'every block staged');
    if (s.before < BUDGET * HISTORY_AT) assert.equal(s.history, s === staged[0] ? 1 : STAGE_AT);
    else assert.equal(s.history, 0, `history shed at ${s.before} bytes`);
    if (s.before < BUDGET)
      assert.ok(s.decisions > 0 && (s === staged[0] || s.attacks > 0), `decisions kept at ${s.before} bytes`);
    else
      assert.deepEqual([s.decisions, s.attacks], [0, 0], `decisions and attacks shed at ${s.before} bytes`);
  }
  const blocksOnly = staged.filter((s) => s.before >= BUDGET);
  assert.ok(blocksOnly.length >= 3, 'the flood went on past the budget');
  const state = writer.backlogState();
  // Past the budget the backlog grows by the blocks alone: far less than a full turn each.
  assert.ok(state.peakBytes <= BUDGET + fullBytes + blocksOnly.reduce((a, s) => a + s.bytes, 0));
  assert.ok(Math.max(...blocksOnly.map((s) => s.bytes)) < fullBytes / 2, 'a blocks-only turn is small');
  assert.equal(state.shedding, true);
  assert.equal(state.turns, staged.length);
  const shedHistory = staged.reduce((a, s) => a + (s === staged[0] ? 1 : STAGE_AT) - s.history, 0);
  const shedDecisions = blocksOnly.length * STAGE_AT;
  assert.deepEqual(state.shed, { history: shedHistory, attacks: shedDecisions, decisions: shedDecisions });
  const warned = lines.filter((l) => l.level === 'warn');
  assert.equal(warned.length, 2, 'once when shedding started, once when it reached decisions and attacks');

  // The writer catches up: every block is in SQLite, the rows shed are exactly the ones missing.
  open = true;
  for (const r of held.splice(0)) r();
  await enforcer.flush();
  const total = 1 + TURNS * STAGE_AT;
  assert.equal((await store.listBlocks()).length, total, 'every block committed');
  assert.equal((await store.allTimesBlocked()).size, total, 'every block count committed');
  assert.equal((await store.decisions({ from: 0, to: NOW + 1 })).length, total - shedDecisions);
  assert.equal((await store.attacks({ from: 0, to: NOW + 1 })).length, TURNS * STAGE_AT - shedDecisions);
  assert.equal(await historyRows(store), total - shedHistory);
  const after = writer.backlogState();
  assert.deepEqual([after.bytes, after.turns, after.shedding], [0, 0, false], 'caught up');
  assert.deepEqual(after.shed, state.shed, 'counted since start');
  const end = lines.filter((l) => l.level === 'warn').at(-1)!;
  assert.match(end.msg, /caught up: shedding ended/);
  assert.deepEqual(
    [end.obj.history, end.obj.attacks, end.obj.decisions, end.obj.shedRows],
    [shedHistory, shedDecisions, shedDecisions, shedHistory + 2 * shedDecisions],
  );
  assert.equal(lines.filter((l) => l.level === 'warn').length, 3, 'one line at the end of the episode');
  await writer.close();
  await store.close();
});

async function historyRows(store: SqliteStore): Promise<number> {
  let rows = 0;
  let before: Parameters<SqliteStore['history']>[0]['before'];
  for (;;) {
    const page = await store.history({ limit: 1000, scan: 1_000_000, ...(before ? { before } : {}) });
    rows += page.events.length;
    if (page.next === null) return rows;
    before = page.next;
  }
}

test('the episode: ends only once the backlog has fallen to CALM_AT of the budget; a new one starts again', () => {
  const { log, lines } = recordingLog();
  const b = new WriterBacklog(1000, log);
  const turn = (bytes: number) => new Uint8Array(bytes);
  const batch = () => ({ blocks: [], history: [{} as never], decisions: [], attacks: [] });
  const a = turn(600);
  assert.deepEqual(b.admit(batch()).history?.length, 1, 'under HISTORY_AT: kept');
  b.held(a);
  assert.equal(b.admit(batch()).history, undefined, 'at 600 of 1000: history shed');
  const c = turn(300);
  b.held(c);
  b.released(a);
  assert.equal(b.state().bytes, 300);
  assert.equal(b.state().shedding, true, `300 > ${1000 * CALM_AT}: still catching up`);
  assert.equal(b.admit(batch()).history, undefined, 'still shedding inside the episode');
  b.released(c);
  b.released(c); // a turn read back after its refused commit was released: counted once
  assert.deepEqual([b.state().bytes, b.state().turns, b.state().shedding], [0, 0, false]);
  assert.deepEqual(b.admit(batch()).history?.length, 1, 'after the episode: kept again');
  assert.deepEqual(b.state().shed, { history: 2, attacks: 0, decisions: 0 });
  assert.equal(b.state().peakBytes, 900);
  assert.deepEqual(
    lines.map((l) => l.msg),
    [
      'store writer far behind: shedding history rows until it catches up (blocks are kept)',
      'store writer caught up: shedding ended',
    ],
  );
});

test('a commit of many staged turns goes in parts of commitBytes, in order; a refused part stops the rest, the parts before it read back empty', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-backlog-'));
  dirs.push(dir);
  const store = SqliteStore.open(dir);
  const { log } = recordingLog();
  const writer = new StoreWriter(dir, store, log, { commitBytes: 1 });
  // commitBytes 1: every turn is a part of its own. The third one the store refuses (NaN time).
  const turns = [1, 2, 3, 4].map(
    (n) =>
      writer.stage({
        blocks: [aBlock(ipOf(n))],
        decisions: [aDecision(ipOf(n), n === 3 ? Number.NaN : NOW)],
      })!,
  );
  assert.equal(writer.backlogState().turns, 4);
  await assert.rejects(writer.commitStaged(turns), /store commit failed/);
  assert.deepEqual(
    (await store.listBlocks()).map((b) => b.ip).sort(),
    [ipOf(1), ipOf(2)],
    'the parts before the refused one are durable, none after it was sent',
  );
  assert.equal(
    writer.backlogState().turns,
    1,
    'the three parts answered no longer wait; the last one was never sent',
  );
  const back = turns.map((t) => writer.unstage(t));
  assert.deepEqual([back[0], back[1]], [{}, {}], 'durable: nothing for the retry to write again');
  assert.deepEqual(
    back.slice(2).map((b) => b.blocks?.map((r) => r.ip)),
    [[ipOf(3)], [ipOf(4)]],
    'the refused part and the one after it, for the retry, in order',
  );
  assert.deepEqual([writer.backlogState().bytes, writer.backlogState().turns], [0, 0]);
  await writer.close();
  await store.close();
});

/**
 * A burst of blocks in one turn of the event loop (issue 13: the flood's distributed rule
 * blocks thousands at once) through the real daemon (SQLite store and its writer thread,
 * fake firewall): the kernel holds every one, the store has every block record, decision
 * and history row, and the log says it in a few summary lines that still name every
 * address (in the JSON record and in the text line an admin greps).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from '../core/config/parse.js';
import { logLine } from '../core/log/line.js';
import { FakeFirewall } from '../firewall/firewall.fake.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { Daemon } from './daemon.js';
import { answer, PBX, RAW_IP, register } from './frames.testkit.js';

const N = 300;
const ipOf = (i: number) => `203.0.${113 + Math.floor(i / 250)}.${(i % 250) + 1}`;

describe('a burst of blocks in one turn', () => {
  let dir: string;
  let daemon: Daemon;
  const firewall = new FakeFirewall();
  const records: Array<Record<string, unknown>> = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipprot-burst-'));
    const conf = join(dir, 'sipprot.conf');
    // Every source guesses extension 100: DISTRIBUTED_SOURCES=0 keeps them all to one rule.
    writeFileSync(
      conf,
      `STATE_DIR=${dir}/state\nHIT_COUNT=3\nBLOCKTIME=600\nDISTRIBUTED_SOURCES=0\nWEB_LISTEN=off\n`,
    );
    const config = parseConfig(readFileSync(conf, 'utf8'), { source: conf });
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line) records.push(JSON.parse(line));
        done();
      },
    });
    daemon = await Daemon.start(config, {
      firewall,
      capture: false,
      logger: pino({ level: 'info' }, sink),
      configPath: conf,
      hostFacts: () => ({ own: [{ ip: PBX, iface: 'eth0' }], resolvers: [], gateways: [], sshPeers: [] }),
    });
  });
  after(async () => {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kernel, store, history and log each have all N; the log in a few lines naming every address', async () => {
    const t = Date.now() / 1000;
    // Every frame in one synchronous stretch: one turn, as a full capture batch hands them over.
    for (let i = 0; i < N; i++) {
      const ip = ipOf(i);
      for (let k = 0; k < 3; k++) {
        const id = `b${i}-${k}`;
        daemon.packets.onFrame(RAW_IP, t + k * 0.01, register(ip, 5070, id, 1, true));
        daemon.packets.onFrame(RAW_IP, t + k * 0.01 + 0.001, answer(ip, 5070, id, 1, '401 Unauthorized'));
      }
    }
    await daemon.settle();
    const ips = Array.from({ length: N }, (_, i) => ipOf(i));
    assert.deepEqual(
      ips.filter((ip) => firewall.wouldDrop(ip) !== 'dynamic'),
      [],
      'the kernel holds every one',
    );

    const store = SqliteStore.open(join(dir, 'state'));
    try {
      assert.equal((await store.listBlocks()).length, N, 'a block record each');
      assert.equal((await store.decisions({ from: t - 1, to: t + 60 })).length, N, 'a decision row each');
      const history = await store.history({ kinds: ['block'], limit: 1000 });
      assert.deepEqual(history.events.map((e) => e.subject).sort(), [...ips].sort(), 'a history row each');
    } finally {
      await store.close();
    }

    const single = records.filter((r) => r.event === 'decision');
    assert.deepEqual(single, [], 'no line per block');
    const summaries = records.filter((r) => r.event === 'decisions');
    assert.ok(summaries.length >= 1 && summaries.length <= 5, `${summaries.length} summary lines for ${N}`);
    const named = summaries.flatMap((r) => r.ips as string[]);
    assert.deepEqual([...named].sort(), [...ips].sort(), 'every address named once');
    for (const r of summaries) {
      assert.equal(r.action, 'block');
      assert.equal(r.reason, 'auth-failures');
      assert.equal(r.count, (r.ips as string[]).length);
      const text = logLine(r, { style: 'journald', utcOffsetMinutes: 0 });
      assert.match(text, new RegExp(`^<6>blocked ${r.count} addresses auth-failures`));
      for (const ip of r.ips as string[]) assert.ok(text.includes(` ${ip}`), `${ip} in the text line`);
    }
  });

  it('one block alone still gets its own line', async () => {
    const t = Date.now() / 1000;
    for (let k = 0; k < 3; k++) {
      daemon.packets.onFrame(RAW_IP, t + k * 0.01, register('192.0.2.77', 5070, `s${k}`, 1, true));
      daemon.packets.onFrame(
        RAW_IP,
        t + k * 0.01 + 0.001,
        answer('192.0.2.77', 5070, `s${k}`, 1, '401 Unauthorized'),
      );
    }
    await daemon.settle();
    const line = records.find((r) => r.event === 'decision' && r.ip === '192.0.2.77');
    assert.ok(line, 'a decision line of its own');
    assert.equal(line.msg, 'blocked');
    assert.deepEqual(line.users, ['100']);
  });
});

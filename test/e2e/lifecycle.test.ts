/**
 * End to end (root): the admin's side of the live guard. The CLI while the daemon runs
 * (deny add cuts an address off at once, unblock lifts a block at once, status
 * --dynamic explains a block); kill -9 and start again restores every block in the
 * kernel with its remaining time; `sipprotd stop` removes sipprot's table and leaves
 * every other rule of the host exactly as it was.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LiveStats } from '../../src/ports/admin.js';
import { Lab, labUnavailable } from '../lab/lab.testkit.js';
import { Guard, nft, sleep, waitFor } from './guard.testkit.js';
import { ping } from './traffic.testkit.js';

const HIT_COUNT = 5;
const BLOCKTIME = 90;
const CRACKER_UA = 'PBX-Cracker/2.1';

/** Another firewall on the same host: a table sipprot must never touch. */
const OTHER_RULES = `
table inet e2e_other {
  set keep4 { type ipv4_addr; elements = { 192.0.2.7, 198.51.100.9 } }
  chain input {
    type filter hook input priority 0; policy accept;
    ct state established,related accept
    ip saddr @keep4 drop
    udp dport 9 drop
  }
}
table ip e2e_nat {
  chain pre { type nat hook prerouting priority -100; policy accept; }
}
`;

describe('live guard: CLI, crash recovery and stop (netns, root)', () => {
  let lab: Lab;
  let guard: Guard;
  let rulesBefore: string;

  before(async () => {
    const why = labUnavailable();
    assert.equal(why, null, `cannot run the SIP lab: ${why}`);
    lab = await Lab.up();
    const r = await nftApply(lab, OTHER_RULES);
    assert.equal(r.code, 0, `loading the unrelated table: ${r.stderr}`);
    rulesBefore = (await nft(lab, ['list', 'ruleset'])).stdout;
    assert.match(rulesBefore, /table inet e2e_other/);
    guard = await Guard.create(lab, { HIT_COUNT, BLOCKTIME, BLOCK_THRESHOLD: 5, MONIT_PERIOD: 60 });
    await guard.start();
  });

  after(async () => {
    await guard?.dispose();
    await lab?.down();
  });

  it('status --dynamic shows a live block with its user agent, reason and time left', async () => {
    const ip = lab.addr.atk4;
    const r = await lab.script('bruteforce', [
      '--count',
      '8',
      '--rate',
      '10',
      '--ua',
      CRACKER_UA,
      '--timeout',
      '15',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const block = await waitFor('the block', () => guard.dynamicOf(ip), 5000);
    assert.equal(block.reason, 'auth-failures');
    assert.equal(block.userAgent, CRACKER_UA);
    assert.ok(block.timeLeft !== null && block.timeLeft > BLOCKTIME - 30 && block.timeLeft <= BLOCKTIME);

    const text = await guard.cli('status', '--dynamic');
    assert.equal(text.code, 0, text.stderr);
    const row = text.stdout.split('\n').find((l) => l.includes(` ${ip} `));
    assert.ok(row, `no row for ${ip}:\n${text.stdout}`);
    assert.ok(row.includes(CRACKER_UA), `user agent missing: ${row}`);
    assert.ok(row.includes('auth-failures'), `reason missing: ${row}`);
    assert.match(row, /\b100\b/, `targeted user missing: ${row}`);
    assert.match(text.stdout, /Dynamic \(temporary\)\s*\|\s*1\b/);
  });

  it('status shows capture drops (kernel and ring) and how late the event loop runs', async () => {
    const r = await guard.cli('status', '--json');
    assert.equal(r.code, 0, r.stderr);
    const live = (JSON.parse(r.stdout) as { live?: LiveStats }).live;
    assert.ok(live?.capture, r.stdout);
    assert.ok(live.capture.received > 0 && live.sipMessages > 0, JSON.stringify(live.capture));
    assert.equal(live.capture.dropped, 0);
    assert.equal(live.capture.ringDrops, 0);
    const lag = live.loopLag;
    assert.ok(lag && lag.windowSeconds === 10, JSON.stringify(lag));
    assert.ok(lag.p50 >= 0 && lag.p99 >= lag.p50 && lag.max >= lag.p99);
    assert.ok(lag.p99SinceStart >= 0 && lag.maxSinceStart >= lag.p99SinceStart);
    // The window may hold the start's samples, "since start" counts from "sipprotd started".
    assert.ok(lag.startMax !== undefined && lag.startMax >= 0, JSON.stringify(lag));
    assert.ok(Math.max(lag.maxSinceStart, lag.startMax) >= lag.max, JSON.stringify(lag));
    const text = await guard.cli('status');
    assert.match(text.stdout, /capture: \d+ frames, \d+ SIP messages, 0 dropped by the kernel/);
    assert.match(
      text.stdout,
      /event loop: late by p50 [\d.]+ \/ p99 [\d.]+ \/ max [\d.]+ ms over 10 s \(since start p99 [\d.]+ \/ max [\d.]+ ms; while starting max [\d.]+ ms\)/,
    );
  });

  it('deny add cuts an address off at once; the deny set and check agree', async () => {
    const ip = lab.extraAttacker4(20);
    assert.equal(await ping(lab, ip), 3, 'not reachable before the deny entry');
    const add = await guard.cli('deny', 'add', ip, 'e2e:', 'caught', 'by', 'hand');
    assert.equal(add.code, 0, add.stderr);
    assert.equal(await ping(lab, ip), 0, 'still answered right after deny add');
    assert.ok((await guard.kernelSet('deny')).has(ip));
    const check = await guard.cli('check', ip);
    assert.equal(check.code, 4, check.stdout + check.stderr);
    assert.match(check.stdout, /deny/i);
    assert.match(check.stdout, /caught by hand/);
  });

  it('unblock lifts a dynamic block at once', async () => {
    const ip = lab.addr.atk4;
    assert.equal(await ping(lab, ip), 0, 'the blocked attacker is answered');
    const r = await guard.cli('unblock', ip);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await guard.dynSet()).has(ip), false, 'still in the kernel set after unblock');
    assert.equal(await ping(lab, ip), 3, 'not answered right after unblock');
    assert.equal(await guard.dynamicOf(ip), undefined);
    const again = await guard.cli('unblock', ip);
    assert.equal(again.code, 1, 'unblocking an address that is not blocked must fail');
  });

  it('kill -9, then start: every block is back in the kernel with its remaining time', async () => {
    // Two running blocks: the attacker again, and a second address.
    const other = lab.extraAttacker4(21);
    const [a, b] = await Promise.all([
      lab.script('bruteforce', [
        '--count',
        '8',
        '--rate',
        '10',
        '--ua',
        CRACKER_UA,
        '--timeout',
        '15',
        '--tag',
        'again',
      ]),
      lab.script('bruteforce', ['--src', other, '--count', '8', '--rate', '10', '--timeout', '15']),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const blocked = [lab.addr.atk4, other];
    const before = await waitFor('both blocks', async () => {
      const set = await guard.dynSet();
      return blocked.every((ip) => set.has(ip)) && set;
    });
    const records = new Map((await guard.dynamic()).map((r) => [r.ip, r]));

    await guard.kill9();
    assert.notEqual(guard.exitCode, 0);
    // The kernel keeps enforcing while the daemon is gone.
    assert.ok((await guard.dynSet()).has(lab.addr.atk4), 'the block vanished with the daemon');
    assert.equal(await ping(lab, lab.addr.atk4, { count: 1 }), 0);
    // A reboot loses the kernel's state; the store must bring it back.
    assert.equal((await nft(lab, ['delete', 'table', 'inet', 'sipprot'])).code, 0);
    await sleep(3000);

    await guard.start();
    const after = await guard.dynSet();
    for (const ip of blocked) {
      const el = after.get(ip);
      assert.ok(el, `${ip} not restored in the kernel set`);
      const was = before.get(ip)!;
      assert.ok(el.expires !== null && was.expires !== null, `${ip}: ${JSON.stringify(el)}`);
      // Restored with what was left, not a fresh BLOCKTIME: at least the 3 s waited are gone.
      assert.ok(
        el.expires <= was.expires - 2,
        `${ip}: expires ${el.expires} s, before the crash ${was.expires} s`,
      );
      assert.ok(el.expires >= was.expires - 30, `${ip}: expires ${el.expires} s, too little left`);
      const rec = await guard.dynamicOf(ip);
      assert.ok(rec, `${ip} missing from status --dynamic after restart`);
      assert.equal(rec.expiresAt, records.get(ip)!.expiresAt, `${ip}: expiry changed across the restart`);
      assert.equal(rec.reason, 'auth-failures');
    }
    assert.equal((await guard.dynamicOf(lab.addr.atk4))?.userAgent, CRACKER_UA);
    assert.ok((await guard.kernelSet('deny')).has(lab.extraAttacker4(20)), 'the deny entry was not restored');
    assert.equal(await ping(lab, other, { count: 1 }), 0, 'a restored block does not drop');
  });

  it('sipprotd stop removes the sipprot table and changes no other rule', async () => {
    const r = await guard.stop();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(guard.exitCode, 0, `the daemon exited with ${guard.exitCode}`);
    const tables = (await nft(lab, ['list', 'tables'])).stdout;
    assert.doesNotMatch(tables, /sipprot/);
    assert.equal((await nft(lab, ['list', 'ruleset'])).stdout, rulesBefore);
    // Nothing sipprot made drops any more: the formerly blocked addresses are answered.
    assert.equal(await ping(lab, lab.addr.atk4, { count: 1 }), 1);
    assert.equal(await ping(lab, lab.extraAttacker4(20), { count: 1 }), 1);
    const status = await guard.sipprotd('status');
    assert.equal(status.code, 3, 'sipprotd status after stop: exit 3 = not running');
  });
});

/** Loads an nft script in the PBX namespace (through a file: nothing goes through a shell). */
async function nftApply(lab: Lab, rules: string) {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-e2e-nft-'));
  try {
    const file = join(dir, 'rules.nft');
    writeFileSync(file, rules);
    return await nft(lab, ['-f', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The policy timer sleeps until the engine's next due time (periodic.ts, due-timer.ts): a
 * daemon left idle must still lift a block when it runs out and judge a challenge nobody
 * answered, with no packet arriving to move time on. The fake firewall expires its own
 * entries (as the kernel does), so the daemon's view is read over its socket: only the
 * policy tick lifts it there. Fails with the timer gone, and when a new block or challenge
 * does not re-arm a timer that sleeps (its bound is 60 s).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { HttpAdmin } from '../admin/http-admin.js';
import { parseConfig } from '../core/config/parse.js';
import { FakeFirewall } from '../firewall/firewall.fake.js';
import { runtimePaths } from '../platform/runtime-paths.js';
import { Daemon } from './daemon.js';
import { answer, PBX, RAW_IP, register } from './frames.testkit.js';

const BLOCKTIME = 3;

describe('an idle daemon lifts and judges on time (fake firewall, frames handed in)', () => {
  let dir: string;
  let daemon: Daemon;
  let admin: HttpAdmin;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipprot-periodic-'));
    const conf = join(dir, 'sipprot.conf');
    writeFileSync(
      conf,
      `STATE_DIR=${dir}/state\nHIT_COUNT=3\nBLOCKTIME=${BLOCKTIME}\nENUM_CHALLENGES=2\nMONIT_PERIOD=60\nWEB_LISTEN=off\nSIP_PORTS=5060\n`,
    );
    const config = parseConfig(readFileSync(conf, 'utf8'), { source: conf });
    daemon = await Daemon.start(config, {
      firewall: new FakeFirewall(),
      capture: false,
      logger: pino({ level: 'silent' }),
      configPath: conf,
      hostFacts: () => ({ own: [{ ip: PBX, iface: 'eth0' }], resolvers: [], gateways: [], sshPeers: [] }),
    });
    admin = new HttpAdmin(runtimePaths(config).socket);
    // Idle first: whatever the start left due has run, the timer sleeps with nothing due.
    await sleep(600);
  });
  after(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Polls the daemon's view until `ip`'s block is gone (or is there, `want`); returns when. */
  async function until(ip: string, want: boolean, ms: number): Promise<number> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (((await admin.check(ip)).dynamic !== null) === want) return Date.now() / 1000;
      await sleep(50);
    }
    throw new Error(`${ip} still ${want ? 'not blocked' : 'blocked'} after ${ms} ms of idle`);
  }

  it('a block runs out while nothing arrives: lifted at its expiry, not later', async () => {
    const ip = '203.0.113.21';
    const t = Date.now() / 1000;
    for (let i = 0; i < 3; i++) {
      daemon.packets.onFrame(RAW_IP, t + i * 0.01, register(ip, 5070, `x${i}`, 1, true));
      daemon.packets.onFrame(RAW_IP, t + i * 0.01 + 0.001, answer(ip, 5070, `x${i}`, 1, '401 Unauthorized'));
    }
    await daemon.settle();
    const rec = (await admin.check(ip)).dynamic;
    assert.ok(rec?.expiresAt, 'blocked at the third failure');
    const lifted = await until(ip, false, (BLOCKTIME + 5) * 1000);
    assert.ok(lifted >= rec.expiresAt - 0.05, `lifted ${(rec.expiresAt - lifted).toFixed(2)} s early`);
    assert.ok(
      lifted <= rec.expiresAt + 2,
      `lifted ${(lifted - rec.expiresAt).toFixed(2)} s after its expiry`,
    );
  });

  it('challenges nobody answers are judged once their grace ends, with no packet after them', async () => {
    const ip = '203.0.113.22';
    // Two challenges 9 s old: their 10 s grace (min(10, MONIT_PERIOD)) ends in a second.
    const t = Date.now() / 1000 - 9;
    for (let i = 0; i < 2; i++) {
      daemon.packets.onFrame(RAW_IP, t + i * 0.01, register(ip, 5070, `e${i}`, 1, false));
      daemon.packets.onFrame(RAW_IP, t + i * 0.01 + 0.001, answer(ip, 5070, `e${i}`, 1, '401 Unauthorized'));
    }
    await daemon.settle();
    assert.equal((await admin.check(ip)).dynamic, null, 'not judged before the grace ends');
    await until(ip, true, 6000);
    assert.equal((await admin.check(ip)).dynamic?.reason, 'enumeration');
  });
});

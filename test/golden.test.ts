/**
 * Golden captures recorded in the SIP lab with real tools (testdata/golden/README.md):
 * replaying each one must block every attacker exactly when expect.json says (or no
 * later than its `notAfter`), with the expected reason, never block a phone, and raise
 * the expected alerts; `mayBlock` and `prefix` (testdata/golden-next/README.md) say
 * which other blocks are acceptable.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../src/core/config/parse.js';
import type { Alert } from '../src/core/detect/alerts.js';
import { AccessLists } from '../src/core/lists/lists.js';
import type { Decision } from '../src/core/types.js';
import { replay } from '../src/replay/replay.js';
import { inPrefix } from './lab/next-cases.testkit.js';

interface Attacker {
  ip: string;
  reason: string;
  acceptReasons?: string[];
  at?: number;
  notAfter?: number;
  misconfigured?: boolean;
  /** Failures of the whole prefix count together: a block of any address in it (or of it) counts. */
  prefix?: string;
}
/** An alert the engine must raise (testdata/golden-next/README.md). */
interface ExpectedAlert {
  kind: Alert['kind'];
  ip?: string;
  user: string;
  at?: number;
  notAfter?: number;
}
interface Expect {
  config: Record<string, string | number>;
  attackers: Attacker[];
  neverBlocked: string[];
  /** Addresses or prefixes a correct engine may block or not. */
  mayBlock?: string[];
  alerts?: ExpectedAlert[];
}

const within = (ip: string, entry: string) => ip === entry || (entry.includes('/') && inPrefix(ip, entry));

const ROOT = join(import.meta.dirname, '..', 'testdata', 'golden');
const cases = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe('golden captures from the SIP lab', () => {
  it('has the recorded cases', () => {
    assert.ok(cases.length >= 9, `only ${cases.length} cases in ${ROOT}`);
  });

  for (const name of cases) {
    it(name, async () => {
      const dir = join(ROOT, name);
      const expect = JSON.parse(readFileSync(join(dir, 'expect.json'), 'utf8')) as Expect;
      const text = Object.entries(expect.config)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n');
      const config = parseConfig(text, { source: null });
      const decisions: Decision[] = [];
      const alerts: Alert[] = [];
      await replay(
        [join(dir, 'capture.pcap')],
        config,
        { lists: new AccessLists([], []), country: () => null },
        (d) => decisions.push(d),
        { onAlert: (a) => alerts.push(a) },
      );
      const blocks = decisions.filter((d) => d.action === 'block' || d.action === 'permanent');
      const known = (ip: string) =>
        expect.attackers.some((a) => a.ip === ip || (a.prefix !== undefined && within(ip, a.prefix))) ||
        (expect.mayBlock ?? []).some((m) => within(ip, m));

      for (const a of expect.attackers) {
        const first = blocks.find((d) => d.ip === a.ip || (a.prefix !== undefined && within(d.ip, a.prefix)));
        assert.ok(first, `${name}: ${a.ip} (${a.reason}) was never blocked`);
        const accept = a.acceptReasons ?? [a.reason];
        assert.ok(
          accept.includes(first.reason),
          `${name}: ${a.ip} blocked for ${first.reason}, expected ${accept}`,
        );
        // Enumeration picks its own threshold; distributed guessing (issue 12) may see a
        // source across addresses before its own HIT_COUNT-th failure: both are due by
        // `at` (or `notAfter`) at the latest. So is every rule whose case gives only
        // `notAfter` (the lab's issue-12 cases: toll fraud, slow attack, sweep, flood).
        if (first.reason === 'enumeration' || first.reason === 'distributed' || a.at === undefined) {
          const limit = a.at ?? a.notAfter;
          assert.ok(limit !== undefined, `${name}: ${first.reason} case needs at or notAfter`);
          assert.ok(first.at <= limit + 1e-6, `${name}: ${a.ip} blocked at ${first.at}, due by ${limit}`);
        } else {
          assert.ok(a.at !== undefined, `${name}: ${a.reason} case needs at`);
          assert.ok(
            Math.abs(first.at - a.at) < 1e-5,
            `${name}: ${a.ip} blocked at ${first.at}, expected exactly at ${a.at} (${a.reason})`,
          );
        }
        if (a.misconfigured)
          assert.equal(first.misconfiguredPhone, true, `${name}: ${a.ip} not labelled misconfigured`);
        else assert.equal(first.misconfiguredPhone, false, `${name}: ${a.ip} wrongly labelled misconfigured`);
      }
      for (const ip of expect.neverBlocked) {
        const wrong = blocks.find((d) => d.ip === ip);
        assert.equal(wrong, undefined, `${name}: ${ip} must never be blocked (got ${JSON.stringify(wrong)})`);
      }
      for (const d of blocks) assert.ok(known(d.ip), `${name}: unexpected block of ${d.ip} (${d.reason})`);
      for (const e of expect.alerts ?? []) {
        const got = alerts.find(
          (x) =>
            x.kind === e.kind &&
            (e.ip === undefined || x.ip === e.ip) &&
            (x.user === e.user || (x.kind === 'breach' && x.dialled !== null)),
        );
        assert.ok(got, `${name}: no ${e.kind} alert for ${e.user}${e.ip ? ` from ${e.ip}` : ''}`);
        const due = e.at ?? e.notAfter;
        if (due !== undefined)
          assert.ok(got.at <= due + 1e-6, `${name}: ${e.kind} alert at ${got.at}, due by ${due}`);
      }
    });
  }
});

describe('replay reports alerts and near misses (issue 12)', () => {
  it('sipp-distributed: one distributed-guessing alert for user 100, from the ten addresses', async () => {
    const dir = join(ROOT, 'sipp-distributed');
    const config = parseConfig('HIT_COUNT=9', { source: null });
    const alerts: Alert[] = [];
    const r = await replay(
      [join(dir, 'capture.pcap')],
      config,
      { lists: new AccessLists([], []), country: () => null },
      () => {},
      { onAlert: (a) => alerts.push(a), nearMisses: 3 },
    );
    assert.deepEqual(
      alerts.map((a) => [a.kind, a.user, a.sources.length]),
      [['distributed', '100', 10]],
    );
    assert.equal(r.engine.verdicts.distributed, 10);
    assert.ok(
      r.nearMisses.every((m) => m.rule !== 'distributed'),
      'the attack on user 100 was no near miss',
    );
  });

  it('misconfigured-phone with HIT_COUNT=10: the phone NAT is a near miss at 8 failures', async () => {
    const dir = join(ROOT, 'misconfigured-phone');
    const config = parseConfig('HIT_COUNT=10', { source: null });
    const decisions: Decision[] = [];
    const r = await replay(
      [join(dir, 'capture.pcap')],
      config,
      { lists: new AccessLists([], []), country: () => null },
      (d) => decisions.push(d),
      { nearMisses: 3 },
    );
    assert.deepEqual(decisions, []);
    assert.deepEqual(
      r.nearMisses.filter((m) => m.rule === 'auth-failures').map((m) => [m.subject, m.peak, m.threshold]),
      [['10.77.1.20', 8, 10]],
    );
  });
});

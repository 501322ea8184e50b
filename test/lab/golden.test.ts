/**
 * The golden captures (testdata/golden/) are what their expect.json says: each
 * expectation is re-derived from its capture without any of sipprot's code and must
 * equal the committed file: with tcpdump (scripts/lab/record.sh --expect-only) for the
 * cases record.sh records, with the lab's own reader (test/lab/next-expect.testkit.ts) for those
 * record-next.sh records (TCP segmentation, IP fragments: tcpdump reads segment by
 * segment); the files are small and self-consistent.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LAB_SCRIPTS } from './lab.testkit.js';
import { CASES } from './next-cases.testkit.js';
import { expectFor } from './next-expect.testkit.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'testdata', 'golden');
const exec = promisify(execFile);

interface Attacker {
  ip: string;
  reason: string;
  acceptReasons: string[];
  blockAtFailure?: number;
  at?: number;
  notAfter?: number;
  failedAnswers: number;
  firstRequestAt: number;
  lastRequestAt: number;
}
interface Expect {
  config: { HIT_COUNT: number; MONIT_PERIOD: number };
  attackers: Attacker[];
  neverBlocked: string[];
  notes: string;
}

const cases = readdirSync(GOLDEN).filter((d) => statSync(join(GOLDEN, d)).isDirectory());
/** Golden cases recorded by record-next.sh (their scenarios are in next-cases.testkit.ts). */
const nextCases = new Map(CASES.filter((c) => c.dir === 'golden').map((c) => [c.name, c]));

describe('golden captures', () => {
  it('has the cases the lab records', async () => {
    const { stdout } = await exec(join(LAB_SCRIPTS, 'record.sh'), ['--list']);
    const recorded = [...stdout.trim().split('\n'), ...nextCases.keys()];
    assert.deepEqual(cases.sort(), recorded.sort());
  });

  for (const name of cases) {
    it(`${name}: small, self-consistent, and re-derivable from its capture`, async () => {
      const dir = join(GOLDEN, name);
      const next = nextCases.get(name);
      // record.sh's cases: < 1 MiB on HIT_COUNT 5; record-next.sh's (offices, slow
      // attacks): < 2 MiB, on the product defaults unless the case says otherwise.
      assert.ok(statSync(join(dir, 'capture.pcap')).size < (next ? 2 : 1) * 1024 * 1024);
      const text = readFileSync(join(dir, 'expect.json'), 'utf8');
      const e = JSON.parse(text) as Expect;
      if (next === undefined) assert.equal(e.config.HIT_COUNT, 5);
      else assert.deepEqual(e.config, next.config);
      assert.ok(e.notes.length > 0);
      const ips = new Set(e.attackers.map((a) => a.ip));
      for (const ip of e.neverBlocked) assert.ok(!ips.has(ip), `${ip} both attacker and never blocked`);
      for (const a of e.attackers) {
        assert.ok(a.acceptReasons.includes(a.reason), `${a.ip}: reason not among acceptReasons`);
        if (a.reason === 'auth-failures') {
          assert.equal(a.blockAtFailure, e.config.HIT_COUNT);
          assert.ok(a.failedAnswers >= e.config.HIT_COUNT);
        }
        if (a.reason !== 'enumeration')
          assert.ok(a.at !== undefined || a.notAfter !== undefined, `${a.ip}: no 'at' nor 'notAfter'`);
        if (a.at !== undefined) {
          assert.ok(
            a.at >= a.firstRequestAt && a.at <= a.lastRequestAt + 1,
            `${a.ip}: 'at' outside its traffic`,
          );
        }
      }
      if (next !== undefined) {
        assert.equal(expectFor(next, join(dir, 'capture.pcap')), text);
        return;
      }
      const tmp = mkdtempSync(join(tmpdir(), 'golden-'));
      try {
        mkdirSync(join(tmp, name));
        copyFileSync(join(dir, 'capture.pcap'), join(tmp, name, 'capture.pcap'));
        await exec(join(LAB_SCRIPTS, 'record.sh'), ['--expect-only', name, tmp]);
        assert.equal(readFileSync(join(tmp, name, 'expect.json'), 'utf8'), text);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  }
});

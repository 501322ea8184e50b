/**
 * The demo's leak check (scripts/demo-attacker-view.awk, step 5 of scripts/demo.sh) on
 * the attacker's capture of a real run that failed under load (lines from its tcpdump):
 * sipprot blocked the cracker at 1796483375.525498 (its capture timestamp of the 5th
 * failure's 401 leaving the PBX), which the attacker saw at .525502; its next guess,
 * 0.2 s later, went unanswered. The block time rounded to milliseconds (…525.000) put the
 * mark before the last guess's challenge and request, and its 401 counted as a leak: the
 * demo failed on a run with no leak. Judged in microseconds, the same capture is OK; an
 * answer after the one that reached HIT_COUNT is still a LEAK; a block whose answer the
 * capture lacks is UNSEEN, not OK. No root, no lab: awk on text.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const AWK = join(import.meta.dirname, '..', 'scripts', 'demo-attacker-view.awk');
const ATK = '10.77.1.66';
const req = (t: string) => `${t} IP 10.77.1.66.5060 > 10.77.1.1.5060: SIP: REGISTER sip:10.77.1.1 SIP/2.0`;
const ans = (t: string) => `${t} IP 10.77.1.1.5060 > 10.77.1.66.5060: SIP: SIP/2.0 401 Unauthorized`;

/** The last two guesses before the block and three unanswered ones after it, as captured. */
const CAPTURE = [
  req('1796483375.321890'),
  ans('1796483375.322112'),
  req('1796483375.322405'),
  ans('1796483375.322585'),
  req('1796483375.524672'),
  ans('1796483375.525301'),
  req('1796483375.525362'),
  ans('1796483375.525502'),
  req('1796483375.726184'),
  req('1796483375.928144'),
  req('1796483376.130232'),
];
const BLOCKED_US = '1796483375525498';

function view(lines: string[], blk: string): Promise<{ out: string; verdict: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'awk',
      ['-v', `atk=${ATK}`, '-v', `blk=${blk}`, '-f', AWK],
      (err, stdout, stderr) => (err ? reject(err) : resolve({ out: stdout, verdict: stderr.trim() })),
    );
    child.stdin?.end(`${lines.join('\n')}\n`);
  });
}

describe('the demo’s view of the password cracker (scripts/demo-attacker-view.awk)', () => {
  it('marks the block right after the answer that reached HIT_COUNT: no leak', async () => {
    const r = await view(CAPTURE, BLOCKED_US);
    assert.equal(r.verdict, 'OK', r.out);
    assert.match(r.out, /before the block: 4 requests, 4 answers; after it: 3 requests, 0 answers/);
    const lines = r.out.split('\n');
    const mark = lines.findIndex((l) => l.includes('sipprot blocks 10.77.1.66'));
    assert.match(lines[mark - 1] ?? '', /PBX -> attacker {2}SIP\/2\.0 401 Unauthorized/);
    assert.match(lines[mark + 1] ?? '', /attacker -> PBX {2}REGISTER/);
  });

  it('an answer after the one that reached HIT_COUNT is a leak', async () => {
    const leaked = [...CAPTURE.slice(0, 9), ans('1796483375.726400'), ...CAPTURE.slice(9)];
    const r = await view(leaked, BLOCKED_US);
    assert.equal(r.verdict, 'LEAK', r.out);
    assert.match(r.out, /after it: 3 requests, 1 answers/);
  });

  it('the same microsecond on both sides still marks that answer', async () => {
    // A kernel that keeps the first timestamp of a packet across the veth pair.
    const r = await view(CAPTURE, '1796483375525502');
    assert.equal(r.verdict, 'OK', r.out);
  });

  it('a block whose answer is not in the capture cannot pass', async () => {
    const r = await view(CAPTURE.slice(0, 7), BLOCKED_US);
    assert.equal(r.verdict, 'UNSEEN', r.out);
  });
});

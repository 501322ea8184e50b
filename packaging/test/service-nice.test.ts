/**
 * The packaged unit lets the capture thread take its priority (root, a namespace).
 *
 * Why: the capture thread sets itself to nice -10 (native/src/capture.c) so that it empties
 * the kernel's ring the moment frames arrive, even while the PBX and the daemon's own
 * threads hold both cores; the live benches measured with it (bench/RESULTS.md). Lowering
 * a nice value needs CAP_SYS_NICE, which the unit's CapabilityBoundingSet leaves out on
 * purpose, or an RLIMIT_NICE that allows it: without one of them the setpriority call fails
 * silently and the packaged daemon captured at nice 0, unlike every bench. The unit now
 * sets LimitNICE (the rlimit, not the capability: it allows exactly this and nothing else).
 *
 * The test runs the capture the way systemd would start the daemon: root with the unit's
 * capability bounding set and no inheritable capabilities (setpriv), under the unit's
 * LimitNICE (prlimit), capturing on a fresh namespace's loopback; it reads the capture
 * thread's nice from /proc. The same process without the limit shows the call is refused,
 * so the test fails if the unit loses its LimitNICE.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { canUseNamespaces, Netns } from '../../test/netns.testkit.js';

const UNIT = fileURLToPath(new URL('../sipprotd.service', import.meta.url));
const NATIVE = fileURLToPath(new URL('../../native/index.cjs', import.meta.url));
const CAPTURE_C = fileURLToPath(new URL('../../native/src/capture.c', import.meta.url));
/** The nice value capture.c asks for (read from the source, so the two cannot drift apart). */
const CAPTURE_NICE = Number(/#define CAPTURE_NICE (-?\d+)/.exec(readFileSync(CAPTURE_C, 'utf8'))?.[1]);

/** Raising a hard rlimit needs CAP_SYS_RESOURCE, which systemd has and some sandboxes lack. */
function canRaiseLimits(): boolean {
  try {
    execFileSync('prlimit', ['--nice=1:1', '--', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The value of `key=` in the unit's [Service] section (the last one wins, as in systemd). */
function directive(unit: string, key: string): string | undefined {
  const lines = unit.split('\n').filter((l) => l.startsWith(`${key}=`));
  return lines
    .at(-1)
    ?.slice(key.length + 1)
    .trim();
}

/** Opens a capture on lo, waits for its thread to name itself, prints that thread's nice. */
const CHILD = `
const fs = require('node:fs');
const n = require(process.argv[1]);
const o = n.captureOpen('lo', 'udp', 65535, 1 << 20, 1 << 20);
n.captureStart(o.handle, () => {});
const started = Date.now();
const look = () => {
  for (const tid of fs.readdirSync('/proc/self/task')) {
    const dir = '/proc/self/task/' + tid;
    if (fs.readFileSync(dir + '/comm', 'utf8').trim() !== 'sipprot-capture') continue;
    const stat = fs.readFileSync(dir + '/stat', 'utf8');
    const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    if (nice !== 0 || Date.now() - started > 500) {
      console.log(JSON.stringify({ nice }));
      n.captureClose(o.handle);
      return;
    }
  }
  if (Date.now() - started > 5000) throw new Error('no sipprot-capture thread');
  setTimeout(look, 20);
};
look();
`;

describe('the packaged unit and the capture thread priority (root, netns)', () => {
  let ns: Netns;
  const unit = readFileSync(UNIT, 'utf8');

  before(async () => {
    assert.ok(canUseNamespaces(), 'needs root and ip netns');
    ns = await Netns.create('svcnice');
  });
  after(async () => ns?.destroy());

  /** The capture thread's nice in a process confined like the unit's, with `limits` (prlimit argv). */
  async function captureNice(limits: string[]): Promise<number> {
    const bounding = directive(unit, 'CapabilityBoundingSet');
    assert.ok(bounding, 'the unit names its CapabilityBoundingSet');
    assert.ok(!/CAP_SYS_NICE/.test(bounding), 'the unit keeps CAP_SYS_NICE out of its bounding set');
    const caps = bounding
      .split(/\s+/)
      .map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)
      .join(',');
    const r = await ns.exec([
      'prlimit',
      ...limits,
      '--',
      'setpriv',
      '--inh-caps=-all',
      `--bounding-set=-all,${caps}`,
      '--',
      process.execPath,
      '-e',
      CHILD,
      NATIVE,
    ]);
    return (JSON.parse(r.stdout.trim()) as { nice: number }).nice;
  }

  it('sets LimitNICE to exactly the capture thread nice, as a raw rlimit', () => {
    assert.ok(CAPTURE_NICE < 0, `capture.c's CAPTURE_NICE read: ${CAPTURE_NICE}`);
    const limit = directive(unit, 'LimitNICE');
    assert.ok(limit, 'the unit sets LimitNICE');
    assert.match(limit, /^\d+$/, 'LimitNICE as the raw rlimit (20 - nice): one meaning in every systemd');
    assert.equal(20 - Number(limit), CAPTURE_NICE, 'the rlimit allows the capture thread nice and no lower');
  });

  it("under the unit's LimitNICE the capture thread reaches its nice without CAP_SYS_NICE", {
    skip: canRaiseLimits() ? false : 'this machine cannot raise RLIMIT_NICE (no CAP_SYS_RESOURCE)',
  }, async () => {
    const limit = directive(unit, 'LimitNICE') ?? '0';
    assert.equal(await captureNice([`--nice=${limit}:${limit}`]), CAPTURE_NICE);
  });

  it('without the limit the same confinement leaves the capture thread at nice 0', async () => {
    assert.equal(await captureNice(['--nice=0:0']), 0);
  });
});

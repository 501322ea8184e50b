/**
 * The capture thread's priority as status reports it (root, a namespace, a real capture).
 *
 * capture.c asks for nice -10 and the kernel refuses without CAP_SYS_NICE or an RLIMIT_NICE
 * that allows it (a unit without LimitNICE, a container). The daemon's capture input
 * (daemon/inputs.ts over capture/live.ts and the addon) must carry what the thread really
 * got into its stats (status, /metrics) and say a refusal once in the log at start. Run in
 * a child process on a fresh namespace's loopback: as root (granted) and confined as
 * packaging/test/service-nice.test.ts confines it (no CAP_SYS_NICE in the bounding set, no
 * inheritable capabilities, RLIMIT_NICE 0: refused).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { canUseNamespaces, Netns } from './netns.testkit.js';

const INPUTS = fileURLToPath(new URL('../src/daemon/inputs.ts', import.meta.url));
const PARSE = fileURLToPath(new URL('../src/core/config/parse.ts', import.meta.url));

/** Starts PacketInputs on lo, prints its capture stats and its log lines as JSON. */
const CHILD = `
const { PacketInputs } = await import(process.argv[1]);
const { parseConfig } = await import(process.argv[2]);
const lines = [];
const log = { warn: (o, msg) => lines.push({ level: 'warn', ...o, msg }), info() {}, debug() {}, error: (o, msg) => lines.push({ level: 'error', ...o, msg }) };
log.child = () => log;
const inputs = new PacketInputs({ onFrame() {}, onHep() {} }, true, log);
await inputs.start(parseConfig('INTERFACES=lo\\nSTATE_DIR=/tmp/sipprot-prio-unused\\n', { source: 'test' }));
const stats = inputs.stats();
inputs.stop();
console.log(JSON.stringify({ capture: stats.capture, lines }));
`;

describe('the capture thread priority in the daemon stats and log (root, netns, real capture)', () => {
  let ns: Netns;
  before(async () => {
    assert.ok(canUseNamespaces(), 'needs root and ip netns');
    ns = await Netns.create('id-prio');
  });
  after(async () => ns?.destroy());

  async function run(confine: string[]) {
    const r = await ns.exec([
      ...confine,
      process.execPath,
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      CHILD,
      INPUTS,
      PARSE,
    ]);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      capture: { priority: { nice: number; wanted: number; error: string | null } | null };
      lines: Array<{ level: string; msg: string; nice?: number; err?: string }>;
    };
  }

  it('as root: the thread has the nice it asked for, and nothing is said', async () => {
    const r = await run([]);
    assert.deepEqual(r.capture.priority, { nice: -10, wanted: -10, error: null });
    assert.deepEqual(r.lines, []);
  });

  it('without CAP_SYS_NICE under RLIMIT_NICE 0: nice 0, the refusal in the stats and one warning', async () => {
    const r = await run([
      ...['prlimit', '--nice=0:0', '--'],
      ...['setpriv', '--inh-caps=-all', '--bounding-set=-sys_nice', '--'],
    ]);
    assert.deepEqual(r.capture.priority, { nice: 0, wanted: -10, error: 'Permission denied' });
    assert.equal(r.lines.length, 1, JSON.stringify(r.lines));
    assert.equal(r.lines[0]!.level, 'warn');
    assert.match(r.lines[0]!.msg, /^capture thread at nice 0 \(wanted -10: permission denied\)/);
  });
});

/**
 * The cluster demo (`bash scripts/demo.sh --cluster`, root): two PBX hosts guarded by
 * sipprotd share one Redis; an attacker reaches both; a real sipp password brute force
 * against the first is blocked there and, through Redis, on the second too — the attacker
 * is cut off on both, and the second host says which host saw the attack.
 *
 *   pbx-a (lab PBX, Kamailio) ── veth ── attacker ── veth ── pbx-b (a SIP echo on 5060)
 *        └──────────────── redis (own namespace, password) ───────────────┘
 *
 * Everything stays inside namespaces it creates; every generator is bounded; everything is
 * removed at the end (with --hold: after Ctrl-C). Exit 0 when the attacker was cut off on
 * both hosts.
 */

import { ClusterLab } from '../test/e2e/cluster.testkit.js';
import { run } from '../test/e2e/guard.testkit.js';

const hold = process.argv.includes('--hold') || process.env.DEMO_HOLD === '1';
const tty = process.stdout.isTTY;
const c = (code: string, s: string) => (tty ? `\u001b[${code}m${s}\u001b[0m` : s);
let stepNo = 0;
const step = (s: string) => console.log(`\n${c('1;36', `== ${++stepNo}. ${s} ==`)}`);
const ok = (s: string) => console.log(c('32', `✔ ${s}`));
const bad = (s: string) => console.log(c('31', `✘ ${s}`));
const show = (argv: string[]) => console.log(`  ${c('33', `$ ${argv.join(' ')}`)}`);

/** One SIP OPTIONS from the attacker to host:5060, answered or not within 1 s. */
const PROBE = `
const s = require('node:dgram').createSocket('udp4');
const [host, src] = process.argv.slice(1);
const m = 'OPTIONS sip:' + host + ' SIP/2.0\\r\\nVia: SIP/2.0/UDP 10.77.1.66:5099;branch=z9hG4bKdemo' + Date.now() +
  '\\r\\nFrom: <sip:probe@10.77.1.66>;tag=1\\r\\nTo: <sip:' + host + '>\\r\\nCall-ID: demo' + Date.now() +
  '\\r\\nCSeq: 1 OPTIONS\\r\\nMax-Forwards: 70\\r\\nContent-Length: 0\\r\\n\\r\\n';
s.on('message', () => { console.log('answered'); process.exit(0); });
s.bind(5099, src, () => s.send(m, 5060, host));
setTimeout(() => { console.log('silence'); process.exit(0); }, 1000);
`;
/** A SIP "server" on pbx-b: answers every datagram on 5060 (echo), for 10 minutes at most. */
const ECHO = `
const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.bind(5060);
setTimeout(() => process.exit(0), 600000);
`;

async function main(): Promise<number> {
  step('Two PBX hosts, one Redis, one attacker (network namespaces)');
  const cl = await ClusterLab.up({ extraHosts: 1, settings: { HIT_COUNT: 5, BLOCKTIME: 300 } });
  let failures = 0;
  try {
    const [a, b] = cl.guards as [(typeof cl.guards)[0], (typeof cl.guards)[0]];
    const atk = cl.lab.ns.atk;
    await linkToB(cl);
    const probe = async (host: string) =>
      (
        await run(['ip', 'netns', 'exec', atk, process.execPath, '-e', PROBE, host, cl.lab.addr.atk4])
      ).stdout.trim();
    console.log(`pbx-a: ${cl.lab.addr.pbx4} (Kamailio) · pbx-b: 10.204.0.1 · attacker: ${cl.lab.addr.atk4}`);
    console.log(
      `redis: ${cl.redis.url.replace(/:[^:@/]*@/, ':***@')} in its own namespace, password required`,
    );
    for (const [name, host] of [
      ['pbx-a', cl.lab.addr.pbx4],
      ['pbx-b', '10.204.0.1'],
    ] as const) {
      const r = await probe(host);
      console.log(`  the attacker's OPTIONS to ${name}: ${r}`);
    }

    step('A real password brute force (sipp) against pbx-a only');
    show(['scripts/lab/bruteforce.sh', '--count', '12', '--rate', '10']);
    await cl.lab.script('bruteforce', ['--count', '12', '--rate', '10', '--timeout', '20']);
    const ip = cl.lab.addr.atk4;
    await cl.waitEverywhere('the attacker blocked', 'dyn', ip, true, 20_000);
    ok(`${ip} is in the kernel of both hosts (nft set dyn4)`);

    step('The attacker is cut off on both hosts');
    for (const [name, host] of [
      ['pbx-a', cl.lab.addr.pbx4],
      ['pbx-b', '10.204.0.1'],
    ] as const) {
      const r = await probe(host);
      if (r === 'silence') ok(`${name}: no answer any more`);
      else {
        bad(`${name}: still answered`);
        failures++;
      }
    }

    failures += await whatBKnows(b, ip);

    await sharedDeny(cl, a, b);

    if (hold) {
      console.log(
        `\nHolding (Ctrl-C to clean up). Web UI of pbx-b: ip netns exec ${cl.hostNs[0]!.name} curl 127.0.0.1:${b.webPort}`,
      );
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } finally {
    process.stdout.write(`\n${c('1', 'Cleaning up')}: `);
    await cl.down();
    console.log('daemons stopped, Redis stopped, namespaces removed');
  }
  console.log(
    failures === 0
      ? c('1;32', '\nThe attacker was cut off on both hosts.')
      : c('1;31', `\n${failures} check(s) failed.`),
  );
  return failures === 0 ? 0 : 1;
}

type DemoGuard = ClusterLab['guards'][number];

/**
 * The attacker's second link: a veth to pbx-b (10.204.0.1), besides the lab's to pbx-a
 * (10.77.1.1), and pbx-b's SIP echo on 5060.
 */
async function linkToB(cl: ClusterLab): Promise<void> {
  const atk = cl.lab.ns.atk;
  const bNs = cl.hostNs[0]!;
  await run([
    'ip',
    'link',
    'add',
    'tob',
    'netns',
    atk,
    'type',
    'veth',
    'peer',
    'name',
    'tob',
    'netns',
    bNs.name,
  ]);
  await run(['ip', 'netns', 'exec', atk, 'ip', 'addr', 'add', '10.204.0.2/24', 'dev', 'tob']);
  await run(['ip', 'netns', 'exec', atk, 'ip', 'link', 'set', 'tob', 'up']);
  await bNs.exec(['ip', 'addr', 'add', '10.204.0.1/24', 'dev', 'tob']);
  await bNs.exec(['ip', 'link', 'set', 'tob', 'up']);
  // The attacker speaks to pbx-b from its own address too (the one pbx-a will block).
  await bNs.exec(['ip', 'route', 'add', '10.77.1.0/24', 'dev', 'tob']);
  bNs.spawnNode(ECHO);
}

/** pbx-b never saw the attack: its block names pbx-a. Returns the failed checks (0 or 1). */
async function whatBKnows(b: DemoGuard, ip: string): Promise<number> {
  let failed = 0;
  step('What pbx-b knows (it never saw the attack)');
  show(['sipprot', 'status', '--dynamic']);
  process.stdout.write((await b.cli('status', '--dynamic')).stdout);
  const rec = await b.dynamicOf(ip);
  if (rec?.host === 'pbx-a')
    ok(`the block on pbx-b says it was seen by ${rec.host}: ${rec.reason}, ${rec.attempts} attempts`);
  else {
    bad('the block on pbx-b does not name pbx-a');
    failed = 1;
  }
  show(['sipprot', 'cluster', 'status']);
  process.stdout.write((await b.cli('cluster', 'status')).stdout);
  return failed;
}

/** A deny entry added on pbx-b holds on pbx-a too. */
async function sharedDeny(cl: ClusterLab, a: DemoGuard, b: DemoGuard): Promise<void> {
  step('Lists are shared too: a deny entry added on pbx-b holds on pbx-a');
  show(['sipprot', 'deny', 'add', '198.51.100.23', 'seen in the abuse feed']);
  await b.cli('deny', 'add', '198.51.100.23', 'seen in the abuse feed');
  await cl.waitEverywhere('the deny entry', 'deny', '198.51.100.23');
  ok('198.51.100.23 is in the deny set of both kernels');
  show(['sipprot', 'check', '198.51.100.23']);
  process.stdout.write((await a.cli('check', '198.51.100.23')).stdout);
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

/**
 * Writes a lab case's expect.json from its scenario (test/lab/next-cases.testkit.ts: who
 * attacks, what should happen, who must never be blocked) and what its capture shows
 * (read with test/lab/exchanges.testkit.ts, which uses nothing of sipprot). Refuses to write one
 * when the capture contradicts the scenario (an attacker with too few failures, a
 * never-blocked address with a failed answer, an address nobody labelled).
 *
 *   node --import tsx test/lab/next-expect.testkit.ts CASE DIR     # writes DIR/CASE/expect.json
 *   node --import tsx test/lab/next-expect.testkit.ts --list [golden|golden-next]
 *
 * The format is testdata/golden's (testdata/golden/README.md) with optional fields added
 * (testdata/golden-next/README.md): `notAfter` for every rule that is not exact,
 * `prefix`, `mayBlock`, `alerts`, `proposedConfig`, `retimed`, `answerCodes`.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Exchange, type LabCapture, readExchanges } from './exchanges.testkit.js';
import {
  type AlertSpec,
  type AttackerSpec,
  CASES,
  type CaseSpec,
  inPrefix,
  PBX,
} from './next-cases.testkit.js';

const SCANNERS = 'friendly-scanner,sipvicious,sipcli,sip-scan,sipsak,VaxSIPUserAgent,iWar,sundayddr';

type Json = Record<string, unknown>;

function fail(name: string, msg: string): never {
  throw new Error(`${name}: the capture contradicts the scenario: ${msg}`);
}

const uniq = <T>(xs: T[]) => [...new Set(xs)];

/** The facts about one address's requests that every attacker entry carries. */
function stats(ex: Exchange[]): Json {
  const reqs = ex.map((e) => e.req);
  return {
    failedAnswers: ex.filter((e) => e.failed).length,
    requests: reqs.length,
    firstRequestAt: reqs[0]?.t,
    lastRequestAt: reqs.at(-1)?.t,
    transports: uniq(reqs.map((r) => r.proto)),
    methods: uniq(reqs.map((r) => r.method as string)),
    distinctUsers: uniq(reqs.map((r) => r.toUser ?? '-')).length,
    users: uniq(reqs.map((r) => r.toUser ?? '-')).slice(0, 12),
    userAgents: uniq(reqs.flatMap((r) => (r.userAgent === null ? [] : [r.userAgent]))),
  };
}

function answerTimes(ex: Exchange[], pick: (e: Exchange) => boolean): number[] {
  return ex
    .filter((e) => e.answer !== null && pick(e))
    .map((e) => (e.answer as NonNullable<Exchange['answer']>).t)
    .sort((a, b) => a - b);
}

function attacker(c: CaseSpec, a: AttackerSpec, cap: LabCapture): Json {
  const client = cap.exchanges.filter((e) => !e.fromPbx);
  const mine = a.prefix
    ? client.filter((e) => inPrefix(e.client, a.prefix as string))
    : client.filter((e) => e.client === a.ip);
  if (mine.length === 0) fail(c.name, `attacker ${a.ip ?? a.prefix} sent nothing`);
  const out: Json = { ip: a.ip, reason: a.reason, acceptReasons: a.accept ?? [a.reason] };
  if (a.prefix) out.prefix = a.prefix;
  const d = a.due;
  if (d.kind === 'failure') {
    const fails = answerTimes(mine, (e) => e.failed);
    if (fails.length < d.n)
      fail(c.name, `${a.ip ?? a.prefix} got ${fails.length} failed answers, not ${d.n}`);
    out.blockAtFailure = d.n;
    out.at = fails[d.n - 1];
    if (a.prefix) {
      const hit = mine.find((e) => e.failed && e.answer?.t === out.at);
      out.ip = hit?.client;
    }
  } else if (d.kind === 'scanner-ua') {
    const scan = SCANNERS.split(',');
    const first = mine.find((e) =>
      scan.some((s) => e.req.userAgent?.toLowerCase().includes(s.toLowerCase())),
    );
    if (first === undefined) fail(c.name, `scanner ${a.ip} sent no scanner User-Agent`);
    out.at = first.req.t;
    out.blockAt = 'first request with a scanner User-Agent';
  } else if (d.kind === 'request') {
    const r = mine[d.n - 1];
    if (r === undefined) fail(c.name, `${a.ip} sent ${mine.length} requests, not ${d.n}`);
    out.notAfter = r.req.t;
    out.blockAt = d.why;
  } else if (d.kind === 'answer') {
    const times = answerTimes(mine, d.pick);
    if (times.length < d.n) fail(c.name, `${a.ip}: ${times.length} matching answers, not ${d.n}`);
    out.notAfter = times[d.n - 1];
    out.blockAt = d.why;
  }
  if (a.misconfigured) out.misconfigured = true;
  return { ...out, ...stats(mine) };
}

function alert(c: CaseSpec, s: AlertSpec, cap: LabCapture): Json {
  const client = cap.exchanges.filter((e) => !e.fromPbx);
  if (s.kind === 'breach') {
    const mine = client.filter((e) => e.client === s.ip);
    const ok = mine.find(
      (e) =>
        e.req.credentials &&
        (e.req.authUser ?? e.req.toUser) === s.user &&
        e.answer !== null &&
        (e.answer.status === 200 || e.answer.status === 183),
    );
    if (ok === undefined || ok.answer === null) fail(c.name, `no success for ${s.user} from ${s.ip}`);
    const before = mine.filter((e) => e.failed && (e.answer?.t ?? 0) < (ok.answer?.t ?? 0)).length;
    if (before === 0) fail(c.name, `${s.ip} succeeded without failing first`);
    return {
      kind: 'breach',
      ip: s.ip,
      user: s.user,
      method: ok.req.method,
      at: ok.answer.t,
      answer: ok.answer.status,
      failuresBefore: before,
    };
  }
  const targeting = client.filter((e) => e.failed && (e.req.authUser ?? e.req.toUser) === s.user);
  const sources = uniq(targeting.map((e) => e.client));
  if (sources.length < s.minSources) fail(c.name, `only ${sources.length} sources failed on ${s.user}`);
  const perSource = Math.max(...sources.map((ip) => targeting.filter((e) => e.client === ip).length));
  return {
    kind: 'distributed',
    user: s.user,
    sources: sources.length,
    failures: targeting.length,
    maxFailuresPerSource: perSource,
    firstAt: targeting[0]?.answer?.t,
    notAfter: targeting.at(-1)?.answer?.t,
  };
}

/** The expect.json text of a case, from its capture. */
export function expectFor(c: CaseSpec, capture: string): string {
  const cap = readExchanges(capture, PBX);
  const attackers = c.attackers.map((a) => attacker(c, a, cap));
  const labelled = new Set<string>([...c.neverBlocked, ...PBX]);
  for (const a of attackers) labelled.add(a.ip as string);
  const mayBlock = c.mayBlock ?? [];
  for (const e of cap.exchanges) {
    if (e.fromPbx) continue;
    const ok =
      labelled.has(e.client) ||
      mayBlock.some((m) => m === e.client || (m.includes('/') && inPrefix(e.client, m))) ||
      c.attackers.some((a) => a.prefix && inPrefix(e.client, a.prefix));
    if (!ok) fail(c.name, `address ${e.client} is neither an attacker, never blocked nor may-block`);
  }
  for (const ip of c.neverBlocked) {
    const mine = cap.exchanges.filter((e) => !e.fromPbx && e.client === ip);
    if (mine.length === 0) fail(c.name, `never-blocked ${ip} sent nothing`);
    if (mine.some((e) => e.failed) && !c.failingNeverBlocked?.includes(ip))
      fail(c.name, `never-blocked ${ip} got failed answers`);
  }
  const codes: Record<string, number> = {};
  for (const e of cap.exchanges) {
    if (e.answer === null) continue;
    const k = `${e.answer.status} ${e.req.method}${e.req.credentials ? ' with credentials' : ''}${e.fromPbx ? ' (PBX request)' : ''}`;
    codes[k] = (codes[k] ?? 0) + 1;
  }
  const out: Json = {
    config: c.config,
    ...(c.proposedConfig ? { proposedConfig: c.proposedConfig } : {}),
    linkType: cap.linkType,
    ...(c.retimed ? { retimed: c.retimed } : {}),
    attackers,
    neverBlocked: [...c.neverBlocked, ...PBX.filter((p) => !c.neverBlocked.includes(p))],
    ...(c.mayBlock ? { mayBlock: c.mayBlock } : {}),
    ...(c.alerts ? { alerts: c.alerts.map((s) => alert(c, s, cap)) } : {}),
    packets: {
      requests: cap.exchanges.filter((e) => !e.fromPbx).length,
      pbxRequests: cap.exchanges.filter((e) => e.fromPbx).length,
      answers: cap.exchanges.filter((e) => e.answer !== null).length,
      frames: cap.frames,
    },
    answerCodes: Object.fromEntries(Object.entries(codes).sort()),
    notes: c.notes,
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

function main(argv: string[]): number {
  if (argv[0] === '--list') {
    const where = argv[1];
    for (const c of CASES) if (where === undefined || c.dir === where) process.stdout.write(`${c.name}\n`);
    return 0;
  }
  const [name, dir] = argv;
  const c = CASES.find((x) => x.name === name);
  if (c === undefined || dir === undefined) {
    process.stderr.write(`usage: next-expect.testkit.ts CASE DIR | --list [golden|golden-next]\n`);
    return 2;
  }
  const file = join(dir, c.name, 'expect.json');
  const text = expectFor(c, join(dir, c.name, 'capture.pcap'));
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
  const e = JSON.parse(readFileSync(file, 'utf8')) as { packets: Json };
  process.stdout.write(`${c.name}: ${JSON.stringify(e.packets)} -> ${file}\n`);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));

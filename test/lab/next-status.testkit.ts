/**
 * What today's rules decide on the lab cases of issue 12, next to what they should
 * decide: replays every case of testdata/golden-next (and the new ones in
 * testdata/golden) through sipprot's own replay, on the case's config, and prints one
 * markdown table row per case, then the peak request rates the captures show.
 *
 *   node --import tsx test/lab/next-status.testkit.ts [CASE...]
 *
 * The table is the top of testdata/golden-next/STATUS.md (the "why" column there is
 * written by hand). It changes when the rules change: re-run it, don't edit the rows.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/core/config/parse.js';
import type { Alert as EngineAlert } from '../../src/core/detect/alerts.js';
import { AccessLists } from '../../src/core/lists/lists.js';
import type { Decision } from '../../src/core/types.js';
import { replay } from '../../src/replay/replay.js';
import { readExchanges } from './exchanges.testkit.js';
import { CASES, inPrefix, PBX } from './next-cases.testkit.js';

/** LAB_TESTDATA: read the cases from another root (a fresh recording) instead of testdata/. */
const TESTDATA =
  process.env.LAB_TESTDATA ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'testdata');

interface Attacker {
  ip: string;
  prefix?: string;
  reason: string;
  acceptReasons: string[];
  at?: number;
  notAfter?: number;
  firstRequestAt: number;
}
interface Alert {
  kind: string;
  ip?: string;
  user: string;
  at?: number;
  notAfter?: number;
}
interface Expect {
  config: Record<string, string | number>;
  attackers: Attacker[];
  neverBlocked: string[];
  mayBlock?: string[];
  alerts?: Alert[];
}

export interface CaseStatus {
  name: string;
  dir: string;
  today: string;
  expected: string;
  holds: boolean;
  /** What differs, when it does not hold. */
  problems: string[];
}

/** Replays one case with today's rules and compares with its expect.json. */
export async function caseStatus(name: string, dir: string): Promise<CaseStatus> {
  const base = join(TESTDATA, dir, name);
  const e = JSON.parse(readFileSync(join(base, 'expect.json'), 'utf8')) as Expect;
  const text = Object.entries(e.config)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  const decisions: Decision[] = [];
  const alerts: EngineAlert[] = [];
  await replay(
    [join(base, 'capture.pcap')],
    parseConfig(text, { source: null }),
    { lists: new AccessLists([], []), country: () => null },
    (d) => decisions.push(d),
    { onAlert: (a) => alerts.push(a) },
  );
  const blocks = decisions.filter((d) => d.action === 'block' || d.action === 'permanent');
  const firstBlock = new Map<string, Decision>();
  for (const d of blocks) if (!firstBlock.has(d.ip)) firstBlock.set(d.ip, d);
  const problems: string[] = [];
  const todayParts: string[] = [];
  // One entry per address, or per reason when it blocked many (a distributed attack).
  const byReason = new Map<string, string[]>();
  for (const [ip, d] of firstBlock) {
    const r = `${d.reason}${d.misconfiguredPhone ? ' (misconfigured)' : ''}`;
    byReason.set(r, [...(byReason.get(r) ?? []), ip]);
  }
  for (const [r, ips] of byReason) {
    if (ips.length <= 3) for (const ip of ips) todayParts.push(`${ip} ${r}`);
    else todayParts.push(`${r}: ${ips.length} addresses (${ips[0]} ... ${ips.at(-1)})`);
  }
  for (const a of e.attackers) {
    const d = a.prefix
      ? blocks.find((b) => b.ip === a.prefix || inPrefix(b.ip, a.prefix as string))
      : firstBlock.get(a.ip);
    if (d === undefined) problems.push(`${a.prefix ?? a.ip} not blocked`);
    else if (!a.acceptReasons.includes(d.reason)) problems.push(`${a.ip} ${d.reason}, not ${a.reason}`);
    else if (a.notAfter !== undefined && d.at > a.notAfter + 1e-6) problems.push(`${a.ip} late`);
    else if (a.notAfter === undefined && a.at !== undefined && Math.abs(d.at - a.at) > 1e-5)
      problems.push(`${a.ip} at ${d.at}, not ${a.at}`);
  }
  const never = new Set([...e.neverBlocked, ...PBX]);
  for (const [ip, d] of firstBlock) {
    if (never.has(ip)) problems.push(`${ip} (never to block) blocked: ${d.reason}`);
    const known =
      e.attackers.some((a) => a.ip === ip || (a.prefix && inPrefix(ip, a.prefix))) ||
      (e.mayBlock ?? []).some((m) => m === ip || (m.includes('/') && inPrefix(ip, m)));
    if (!known && !never.has(ip)) problems.push(`${ip} blocked unexpectedly: ${d.reason}`);
  }
  for (const al of e.alerts ?? []) {
    const due = al.at ?? al.notAfter ?? Infinity;
    const got = alerts.find(
      (x) =>
        x.kind === al.kind &&
        (al.ip === undefined || x.ip === al.ip) &&
        (x.user === al.user || (x.kind === 'breach' && x.dialled !== null)),
    );
    if (got === undefined)
      problems.push(`no ${al.kind} alert (${al.ip ?? ''} ${al.user})`.replace('  ', ' '));
    else if (got.at > due + 1e-6) problems.push(`${al.kind} alert ${al.user} late`);
  }
  for (const x of alerts) todayParts.push(`${x.kind} alert ${x.ip} ${x.user ?? x.dialled ?? ''}`.trim());
  const expected = [
    ...e.attackers.map(
      (a) =>
        `${a.prefix ?? a.ip} ${a.reason}${a.notAfter !== undefined ? ` within ${(a.notAfter - a.firstRequestAt).toFixed(1)} s` : ''}`,
    ),
    ...(e.alerts ?? []).map((al) => `${al.kind} alert${al.ip ? ` ${al.ip}` : ''} ${al.user}`),
    `never: ${e.neverBlocked.join(', ')}`,
  ].join('; ');
  return {
    name,
    dir,
    today: todayParts.length === 0 ? 'nothing blocked' : todayParts.join('; '),
    expected,
    holds: problems.length === 0,
    problems,
  };
}

/** The highest number of requests one client sent within any 1-s window. */
export function peakRate(name: string, dir: string): { ip: string; perSecond: number } {
  const cap = readExchanges(join(TESTDATA, dir, name, 'capture.pcap'), PBX);
  let best = { ip: '-', perSecond: 0 };
  const by = new Map<string, number[]>();
  for (const x of cap.exchanges) {
    if (x.fromPbx) continue;
    const list = by.get(x.client) ?? [];
    list.push(x.req.t);
    by.set(x.client, list);
  }
  for (const [ip, ts] of by) {
    ts.sort((a, b) => a - b);
    let lo = 0;
    for (let hi = 0; hi < ts.length; hi++) {
      while ((ts[hi] as number) - (ts[lo] as number) >= 1) lo++;
      if (hi - lo + 1 > best.perSecond) best = { ip, perSecond: hi - lo + 1 };
    }
  }
  return best;
}

async function main(names: string[]): Promise<void> {
  const out: string[] = [
    '| case | in | today (sipprot replay) | expected | holds |',
    '|---|---|---|---|---|',
  ];
  const peaks: string[] = [];
  for (const c of CASES) {
    if (names.length > 0 && !names.includes(c.name)) continue;
    if (!existsSync(join(TESTDATA, c.dir, c.name, 'expect.json'))) continue;
    const s = await caseStatus(c.name, c.dir);
    out.push(
      `| ${s.name} | ${s.dir} | ${s.today} | ${s.expected} | ${s.holds ? 'yes' : `**no**: ${s.problems.join('; ')}`} |`,
    );
    const p = peakRate(c.name, c.dir);
    peaks.push(`| ${c.name} | ${p.ip} | ${p.perSecond} |`);
  }
  process.stdout.write(`${out.join('\n')}\n\nPeak requests from one address in any 1-s window:\n\n`);
  process.stdout.write(`| case | address | requests/s |\n|---|---|---|\n${peaks.join('\n')}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));

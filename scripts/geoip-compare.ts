/**
 * Compares country tables the way data/geoip/README.md reports it: a sample of well-known
 * allocations (holder and the RIR's country), and how often each source agrees with the
 * majority of the others on random addresses. Sources are CSV pairs (start,end,CC) or Tor's
 * geoip files; nothing is downloaded here (fetch them with npm pack / apt-get download).
 *
 *   node --import tsx scripts/geoip-compare.ts NAME=csv:V4.csv,V6.csv NAME=tor:geoip,geoip6 ...
 */
import { readFileSync } from 'node:fs';
import type { GeoCsvAnyResult } from '../src/core/geoip/csv.js';
import { parseGeoCsvAny } from '../src/core/geoip/csv.js';
import { GeoTable } from '../src/core/geoip/table.js';
import { parseTorGeoip } from '../src/core/geoip/tor.js';
import { checkGeoUpdate } from '../src/core/geoip/validate.js';

/** [address, RIR country of the holder, holder] — allocations that do not move. */
const SAMPLE: Array<[string, string, string]> = [
  ['193.0.0.1', 'NL', 'RIPE NCC'],
  ['8.8.8.8', 'US', 'Google'],
  ['17.1.2.3', 'US', 'Apple'],
  ['9.1.2.3', 'US', 'IBM'],
  ['133.11.1.1', 'JP', 'U Tokyo'],
  ['130.59.1.1', 'CH', 'SWITCH'],
  ['129.132.1.1', 'CH', 'ETH Zurich'],
  ['194.25.2.129', 'DE', 'Deutsche Telekom'],
  ['212.58.244.1', 'GB', 'BBC'],
  ['81.2.69.142', 'GB', 'Andrews & Arnold'],
  ['88.170.1.1', 'FR', 'Free'],
  ['61.135.1.1', 'CN', 'China Unicom'],
  ['220.181.1.1', 'CN', 'China Telecom'],
  ['202.12.29.1', 'AU', 'APNIC'],
  ['200.160.1.1', 'BR', 'NIC.br'],
  ['196.25.1.1', 'ZA', 'Telkom SA'],
  ['203.178.141.194', 'JP', 'WIDE'],
  ['128.32.1.1', 'US', 'UC Berkeley'],
  ['77.88.8.8', 'RU', 'Yandex'],
  ['87.250.250.242', 'RU', 'Yandex'],
  ['213.180.204.1', 'RU', 'Yandex'],
  ['168.126.63.1', 'KR', 'KT'],
  ['164.124.101.2', 'KR', 'LG U+'],
  ['139.130.4.5', 'AU', 'Telstra'],
  ['132.248.1.1', 'MX', 'UNAM'],
  ['143.107.1.1', 'BR', 'USP'],
  ['155.232.1.1', 'ZA', 'TENET'],
  ['137.158.1.1', 'ZA', 'U Cape Town'],
  ['14.139.1.1', 'IN', 'NKN/ERNET'],
  ['164.100.1.1', 'IN', 'NIC India'],
  ['202.54.1.1', 'IN', 'Tata (VSNL)'],
  ['147.102.1.1', 'GR', 'NTUA'],
  ['131.130.1.1', 'AT', 'U Vienna'],
  ['130.237.1.1', 'SE', 'KTH'],
  ['129.240.1.1', 'NO', 'U Oslo'],
  ['130.225.1.1', 'DK', 'DeiC'],
  ['128.214.1.1', 'FI', 'FUNET'],
  ['130.89.1.1', 'NL', 'U Twente'],
  ['147.83.1.1', 'ES', 'UPC'],
  ['137.204.1.1', 'IT', 'U Bologna'],
  ['138.246.1.1', 'DE', 'LRZ'],
  ['134.76.1.1', 'DE', 'GWDG'],
  ['163.1.1.1', 'GB', 'Oxford'],
  ['131.111.1.1', 'GB', 'Cambridge'],
  ['132.64.1.1', 'IL', 'Hebrew U'],
  ['133.1.1.1', 'JP', 'Osaka U'],
  ['140.112.1.1', 'TW', 'NTU'],
  ['143.89.1.1', 'HK', 'HKUST'],
  ['137.132.1.1', 'SG', 'NUS'],
  ['128.250.1.1', 'AU', 'U Melbourne'],
  ['130.216.1.1', 'NZ', 'U Auckland'],
  ['142.150.1.1', 'CA', 'U Toronto'],
  ['132.206.1.1', 'CA', 'McGill'],
  ['2001:200::1', 'JP', 'WIDE'],
  ['2001:610::1', 'NL', 'SURF'],
  ['2001:638::1', 'DE', 'DFN'],
  ['2001:620::1', 'CH', 'SWITCH'],
  ['2001:630::1', 'GB', 'Jisc'],
  ['2001:660::1', 'FR', 'RENATER'],
  ['2001:760::1', 'IT', 'GARR'],
  ['2001:700::1', 'NO', 'Sikt'],
  ['2001:6b0::1', 'SE', 'SUNET'],
  ['2001:708::1', 'FI', 'FUNET'],
  ['2001:878::1', 'DK', 'DeiC'],
  ['2001:628::1', 'AT', 'ACOnet'],
  ['2001:da8::1', 'CN', 'CERNET2'],
  ['2001:12ff::1', 'BR', 'NIC.br'],
  ['2001:388::1', 'AU', 'AARNet'],
  ['2001:4860::1', 'US', 'Google'],
  ['2620:0:860::1', 'US', 'Wikimedia'],
  ['2003::1', 'DE', 'Deutsche Telekom'],
  ['2003:e0::1', 'DE', 'Deutsche Telekom'],
  ['2a01:e00::1', 'FR', 'Free'],
  ['2a01:e0a::1', 'FR', 'Free'],
  ['2a02:6b8::1', 'RU', 'Yandex'],
  ['2001:ee0::1', 'VN', 'VNPT'],
  ['240e::1', 'CN', 'China Telecom'],
  ['2408:8000::1', 'CN', 'China Unicom'],
  ['2409:8000::1', 'CN', 'China Mobile'],
];

function load(spec: string): [string, GeoTable] {
  const m = /^([^=]+)=(csv|tor):([^,]+),(.+)$/.exec(spec);
  if (!m) throw new Error(`expected NAME=csv:V4,V6 or NAME=tor:geoip,geoip6, got ${spec}`);
  const [, name, kind, v4, v6] = m as unknown as [string, string, string, string, string];
  const parse = (path: string, family: 4 | 6): GeoCsvAnyResult =>
    kind === 'tor'
      ? parseTorGeoip(readFileSync(path, 'utf8'), family).parsed
      : parseGeoCsvAny(readFileSync(path, 'utf8'));
  const c = checkGeoUpdate(
    [
      { what: v4, parsed: parse(v4, 4) },
      { what: v6, parsed: parse(v6, 6) },
    ],
    { current: { v4Ranges: 0, v6Ranges: 0 } },
  );
  if (!c.ok || !c.v4 || !c.v6) throw new Error(`${name}: ${c.ok ? 'a family is missing' : c.reason}`);
  return [name, GeoTable.fromRanges(c.v4, c.v6)];
}

function majority(tables: Array<[string, GeoTable]>, pick: () => string, n: number, label: string): void {
  const agree = tables.map(() => [0, 0]);
  for (let i = 0; i < n; i++) {
    const ip = pick();
    const got = tables.map(([, t]) => t.country(ip));
    got.forEach((g, j) => {
      const others = got.filter((x, k) => k !== j && x !== null) as string[];
      const counts = new Map<string, number>();
      for (const o of others) counts.set(o, (counts.get(o) ?? 0) + 1);
      const best = [...counts].sort((a, b) => b[1] - a[1])[0];
      if (!best || best[1] < 2 || best[1] * 2 <= others.length) return;
      agree[j]![1]++;
      if (g === best[0]) agree[j]![0]++;
    });
  }
  const shown = tables.map(([name], j) => `${name} ${((100 * agree[j]![0]) / agree[j]![1]).toFixed(2)}%`);
  process.stdout.write(`${label}: agrees with the others' majority: ${shown.join(', ')}\n`);
}

const tables = process.argv.slice(2).map(load);
for (const [name, t] of tables) {
  const wrong = SAMPLE.filter(([ip, cc]) => t.country(ip) !== cc).map(
    ([ip, cc, who]) => `${ip} ${who}: ${t.country(ip)} (${cc})`,
  );
  process.stdout.write(
    `${name}: ${t.v4Ranges} IPv4 + ${t.v6Ranges} IPv6 ranges; sample ${SAMPLE.length - wrong.length}/${SAMPLE.length}${wrong.length ? `; wrong: ${wrong.join('; ')}` : ''}\n`,
  );
}
let seed = 12345;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x80000000;
};
const v4 = () => [0, 0, 0, 0].map(() => Math.floor(rnd() * 256)).join('.');
majority(tables, v4, 200_000, 'IPv4, uniform addresses');
const v6ranges = tables.map(([, t]) => t.toRanges(6));
const v6 = () => {
  const rs = v6ranges[Math.floor(rnd() * v6ranges.length)]!;
  const r = rs[Math.floor(rnd() * rs.length)]!;
  const hex = r.start.toString(16).padStart(32, '0');
  return hex.match(/.{4}/g)!.join(':');
};
majority(tables, v6, 200_000, 'IPv6, the start of a random range of a random source');

/**
 * The decisions of a replay, as one hash: proof that a speed change kept every decision.
 *
 *   node --import tsx bench/replay-digest.ts FILE.pcap [FILE.pcap...]
 *
 * Runs `replay()` as `sipprot replay` calls it (default config, empty lists, the shipped
 * geo-IP table) over each capture and prints, per file, the count of each decision action
 * and the SHA-256 over every decision's JSON, one line each (`JSON.stringify(d) + "\n"`),
 * in the order the engine decided them. bench/replay.bench.ts leaves its captures in
 * `--dir DIR` (`mixed.pcap`, `flood.pcap`); the values recorded in bench/RESULTS.md for
 * those two (seeded, so the same bytes everywhere) are
 * flood 57b99a3d3925da00b773bb1a35a233ab268d346b9b484ba90d71cc6eb0db82c8 and
 * mixed 08f59e46c156dc36522e0b79df286299decc23724dc6099fef1e83e66a07144a.
 * Not a timing bench: it hashes on the decision path (a few % of the replay's time).
 */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { defaultConfig } from '../src/core/config/parse.js';
import { AccessLists } from '../src/core/lists/lists.js';
import type { Decision } from '../src/core/types.js';
import { GeoDatabase } from '../src/geoip/database.js';
import { replay } from '../src/replay/replay.js';

async function digest(file: string): Promise<string> {
  const config = defaultConfig(null, tmpdir());
  const lists = new AccessLists([], []);
  const geo = await GeoDatabase.load(null);
  const country = (ip: string) => geo.country(ip);
  const hash = createHash('sha256');
  const counts: Record<string, number> = {};
  const onDecision = (d: Decision) => {
    counts[d.action] = (counts[d.action] ?? 0) + 1;
    hash.update(`${JSON.stringify(d)}\n`);
  };
  const res = await replay([file], config, { lists, country }, onDecision);
  return `${file}: ${res.decoder.sip} SIP messages; decisions ${JSON.stringify(counts)}; sha256 ${hash.digest('hex')}`;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node --import tsx bench/replay-digest.ts FILE.pcap [FILE.pcap...]');
  process.exit(2);
}
for (const f of files) console.log(await digest(f));

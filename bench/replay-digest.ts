/**
 * The decisions of a replay, as one hash: proof that a speed change kept every decision.
 *
 *   node --import tsx bench/replay-digest.ts FILE.pcap [FILE.pcap...]
 *
 * Runs `replay()` as `sipprot replay` calls it (default config, empty lists, the shipped
 * geo-IP table) over each capture and prints, per file, the count of each decision action
 * and the SHA-256 over every decision's JSON, one line each (`JSON.stringify(d) + "\n"`),
 * in the order the engine decided them; then one over the sorted lines of every decision but
 * the renewals (`extend`): the same blocks and lifts, whatever the cadence of written
 * renewals (which also moves the order of lifts that fall in one tick).
 * bench/replay.bench.ts leaves its captures in `--dir DIR` (`mixed.pcap`, `flood.pcap`);
 * the values recorded in bench/RESULTS.md for those two (seeded, so the same bytes
 * everywhere), since renewals are written at most every tenth of BLOCKTIME, are
 * flood 19fa1c905e45834998706015962de861b7a3f6c77deff353a5f5caf36bc143dc and
 * mixed a13cc6b7647e83591a1ebc37c24cc6f44e952118640f1cfd596c99dc51bef9dd
 * (before, with a renewal a second: flood 57b99a3d…, mixed 08f59e46…; the hashes without
 * renewals, sorted, are the same before and after: flood eb20981e…, mixed 01b3b4f7…).
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
  const blocksAndLifts: string[] = [];
  const counts: Record<string, number> = {};
  const onDecision = (d: Decision) => {
    counts[d.action] = (counts[d.action] ?? 0) + 1;
    const line = `${JSON.stringify(d)}\n`;
    hash.update(line);
    if (d.action !== 'extend') blocksAndLifts.push(line);
  };
  const res = await replay([file], config, { lists, country }, onDecision);
  const noRenewals = createHash('sha256');
  for (const line of blocksAndLifts.sort()) noRenewals.update(line);
  return `${file}: ${res.decoder.sip} SIP messages; decisions ${JSON.stringify(counts)}; sha256 ${hash.digest('hex')}; without renewals, sorted ${noRenewals.digest('hex')}`;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node --import tsx bench/replay-digest.ts FILE.pcap [FILE.pcap...]');
  process.exit(2);
}
for (const f of files) console.log(await digest(f));

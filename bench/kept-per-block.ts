/**
 * What the engine and the daemon's history keep per block (issue 13, target 4): every
 * byte of it outlived the scavenges since it was made, so each one was copied by a
 * scavenge and promoted (bench/RESULTS.md, helper gcsurv). Feeds the live flood bench's
 * capture (bench/gen-flood.ts, seed 20260113: every attacker a new source, blocked by the
 * distributed rule) through the decoder, the engine and DaemonHistory as the daemon does,
 * then prints the heap kept after a full collection, per block.
 *
 *   node --expose-gc --import tsx bench/kept-per-block.ts [--packets 150000] [--capture FILE] [--snapshot FILE]
 *
 * --capture FILE: that capture (made there with --packets if missing, and kept). --snapshot FILE: a heap snapshot at the end (what each byte is: open it in DevTools).
 * KEEP=1 also keeps every decision and history event (as a commit not yet taken would).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';
import { readCaptureChunks } from '../src/capture/pcap-file.js';
import { defaultConfig } from '../src/core/config/parse.js';
import { Engine } from '../src/core/engine.js';
import { AccessLists } from '../src/core/lists/lists.js';
import { Decoder } from '../src/core/packet/decoder.js';
import { START_REQUEST } from '../src/core/sip/parse.js';
import { DaemonHistory } from '../src/daemon/history.js';
import { FLOOD_SEED, generateFlood } from './gen-flood.js';

const { values } = parseArgs({
  options: {
    packets: { type: 'string', default: '150000' },
    snapshot: { type: 'string' },
    capture: { type: 'string' },
  },
});
const file = values.capture ?? join(mkdtempSync(join(tmpdir(), 'sipprot-kept-')), 'flood.pcap');
if (!existsSync(file)) generateFlood({ out: file, seed: FLOOD_SEED, packets: Number(values.packets) });
const config = defaultConfig(null, tmpdir());
const lists = new AccessLists([], []);
const decoder = new Decoder({ sipPorts: config.sipPorts, protocols: config.protocols });
const engine = new Engine(config, { lists, country: () => null });
const history = new DaemonHistory(config);
decoder.startOnly = (at, src, sport, dst, dport, s4, d4) =>
  engine.decidedByAddress(at, src, sport, dst, dport, START_REQUEST, s4, d4);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
gc();
const h0 = process.memoryUsage().heapUsed;
let blocks = 0;
const keep: unknown[] = [];
// Held from a global: locals not used after the feed would be collected before the measure.
(globalThis as Record<string, unknown>).kept = { engine, history, decoder, keep };
for await (const { buf, records: r } of readCaptureChunks(file, { reuse: true })) {
  for (let i = 0; i < r.count; i++) {
    const events = decoder.pushAt(r.linkType[i]!, r.at[i]!, buf, r.start[i]!, r.end[i]!);
    for (const ev of events) {
      history.observe(ev);
      for (const d of engine.onEvent(ev)) {
        if (d.action === 'block') blocks++;
        const e = history.eventOf(d);
        if (process.env.KEEP) keep.push(d, e);
      }
    }
  }
}
gc();
const h1 = process.memoryUsage().heapUsed;
console.log(
  `blocks ${blocks}, heap kept ${((h1 - h0) / 1e6).toFixed(1)} MB, ${((h1 - h0) / blocks).toFixed(0)} B a block`,
);
if (values.snapshot) console.log(writeHeapSnapshot(values.snapshot));
if (values.capture === undefined) rmSync(dirname(file), { recursive: true, force: true });

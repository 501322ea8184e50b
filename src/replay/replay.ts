/**
 * `sipprot replay`: capture files through the live daemon's decoder and engine, on packet
 * time, touching no firewall and no store, so a replay shows exactly what the daemon would
 * have decided (test/golden.test.ts holds it to recorded decisions).
 */
import { readCaptureChunks } from '../capture/pcap-file.js';
import type { Alert } from '../core/detect/alerts.js';
import type { NearMiss } from '../core/detect/near-miss.js';
import { Engine, type EngineStats } from '../core/engine.js';
import { Decoder, type DecoderStats } from '../core/packet/decoder.js';
import type { CountryLookup, ListLookup } from '../core/policy/policy.js';
import { LEAN_REQUEST, LEAN_RESPONSE, START_REQUEST, START_RESPONSE } from '../core/sip/parse.js';
import type { Config, Decision } from '../core/types.js';

/**
 * What replay lets the engine skip: a blocked source's requests and the answers to it are
 * judged by the address (their headers are not parsed: the daemon does the same for
 * requests, and reads answers whole for its evidence log); other answers without the fields
 * no answer's judging reads, requests without Contact (Engine.decidedByAddress).
 */
const ASKED = START_REQUEST | START_RESPONSE | LEAN_RESPONSE | LEAN_REQUEST;

interface ReplayDeps {
  lists: ListLookup;
  country: CountryLookup;
}

export interface ReplayOptions {
  /** Alerts (breach, distributed guessing, watched calls), as raised. */
  onAlert?: (a: Alert) => void;
  /** "Would block" decisions of rules in OBSERVE mode. */
  onObserve?: (d: Decision) => void;
  /** Report the top N near misses per rule (0 or absent: none, and no cost). */
  nearMisses?: number;
}

export interface ReplayResult {
  /** Top near misses per rule, when asked for. */
  nearMisses: NearMiss[];
  decisions: number;
  frames: number;
  /** Earliest and latest packet time over all files. */
  firstAt: number | null;
  lastAt: number | null;
  decoder: DecoderStats;
  engine: EngineStats;
}

/**
 * Runs captures through the same decoder and engine as the live daemon, on packet time,
 * touching no firewall. Files are read one after the other in the order given (as
 * tcpdump -C/-G writes them), with one engine, so an attack spanning files is seen whole.
 */
export async function replay(
  files: string[],
  config: Config,
  deps: ReplayDeps,
  onDecision: (d: Decision) => void,
  opts: ReplayOptions = {},
): Promise<ReplayResult> {
  const decoder = new Decoder({ sipPorts: config.sipPorts, protocols: config.protocols });
  const near = opts.nearMisses ?? 0;
  const engine = new Engine(config, {
    lists: deps.lists,
    country: deps.country,
    onAlert: opts.onAlert,
    onObserve: opts.onObserve,
    detector: { nearMisses: near > 0 },
  });
  decoder.startOnly = (at, src, sport, dst, dport, srcV4, dstV4) =>
    engine.decidedByAddress(at, src, sport, dst, dport, ASKED, srcV4, dstV4);
  let decisions = 0;
  let frames = 0;
  let firstAt: number | null = null;
  let lastAt: number | null = null;
  for (const file of files) {
    // One await per chunk of records; each record decoded in place (no view, no object).
    for await (const { buf, records: r } of readCaptureChunks(file, { reuse: true })) {
      for (let i = 0; i < r.count; i++) {
        const at = r.at[i]!;
        frames++;
        if (firstAt === null || at < firstAt) firstAt = at;
        if (lastAt === null || at > lastAt) lastAt = at;
        const events = decoder.pushAt(r.linkType[i]!, at, buf, r.start[i]!, r.end[i]!);
        for (let k = 0; k < events.length; k++) {
          const ds = engine.onEvent(events[k]!);
          for (let j = 0; j < ds.length; j++) {
            decisions++;
            onDecision(ds[j]!);
          }
        }
      }
    }
  }
  const nearMisses = near > 0 ? engine.nearMisses(near) : [];
  return { nearMisses, decisions, frames, firstAt, lastAt, decoder: decoder.stats, engine: engine.stats };
}

/**
 * Decoder.pushAt (a record decoded in place inside the chunk it was read into, as the
 * replay does) must give what push() gives for the record on its own: nothing past the
 * record's end may be read. Every testdata capture and 60k seeded mutations of its frames
 * (truncations above all, half of them in the link and IP headers: a short frame is where
 * a read past the end would find the next record's bytes) are decoded both ways, with SIP-looking bytes right after each record.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Decoder } from '../core/packet/decoder.js';
import { type Corpus, loadCorpus, type SeedFrame } from './fuzz-corpus.testkit.js';
import { mutateBytes, Rand } from './fuzz-mutate.testkit.js';

let corpus: Corpus;
before(async () => {
  corpus = await loadCorpus();
});

const decoder = () => new Decoder({ sipPorts: [{ from: 5060, to: 5061 }], protocols: ['udp', 'tcp'] });

/** `frame` at a random offset of a buffer whose other bytes come from `filler`. */
function embedded(r: Rand, frame: Uint8Array, filler: Uint8Array): [Uint8Array, number] {
  const pre = r.int(64);
  const buf = new Uint8Array(pre + frame.length + 2048);
  for (let i = 0; i < buf.length; i++) buf[i] = filler[i % Math.max(1, filler.length)] ?? 0x20;
  buf.set(frame, pre);
  return [buf, pre];
}

function compare(name: string, frames: SeedFrame[], r: Rand): number {
  const alone = decoder();
  const inPlace = decoder();
  let events = 0;
  frames.forEach((f, i) => {
    const at = 1_700_000_000 + i * 0.001;
    const [buf, off] = embedded(r, f.frame, frames[(i + 1) % frames.length]!.frame);
    const want = alone.push(f.linkType, at, f.frame);
    const got = inPlace.pushAt(f.linkType, at, buf, off, off + f.frame.length);
    assert.deepEqual(got, want, `${name} frame ${i}`);
    events += want.length;
  });
  assert.deepEqual(inPlace.stats, alone.stats, `${name}: stats`);
  return events;
}

describe('Decoder.pushAt reads a record in place exactly as push() reads it alone', () => {
  it('on every testdata capture', () => {
    const r = new Rand(0x13_0101);
    let events = 0;
    for (const s of corpus.sequences) events += compare(s.name, s.frames, r);
    assert.ok(events > 1000, `${events} events`);
  });

  it('on every cut of the first 100 bytes of each built frame (every link type, VLAN, IPv6)', () => {
    const r = new Rand(0x13_0103);
    for (const s of corpus.sequences.filter((x) => x.name.startsWith('built-'))) {
      const cuts: SeedFrame[] = [];
      for (const f of s.frames)
        for (let n = 0; n <= Math.min(100, f.frame.length); n++)
          cuts.push({ linkType: f.linkType, frame: f.frame.slice(0, n) });
      compare(`${s.name} cuts`, cuts, r);
    }
  });

  it('on 60k seeded mutations of their frames', () => {
    const r = new Rand(0x13_0102);
    const all = corpus.sequences.flatMap((s) => s.frames);
    const frames: SeedFrame[] = [];
    for (let i = 0; i < 60_000; i++) {
      const seed = all[r.int(all.length)]!;
      const frame = r.chance(0.4)
        ? seed.frame.slice(
            0,
            r.int(r.chance(0.5) ? Math.min(seed.frame.length + 1, 80) : seed.frame.length + 1),
          )
        : mutateBytes(r, seed.frame, all[r.int(all.length)]!.frame);
      frames.push({ linkType: seed.linkType, frame });
    }
    compare('mutations', frames, r);
  });
});

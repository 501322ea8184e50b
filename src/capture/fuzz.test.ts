/**
 * The short fuzz run kept in `npm test` (50k inputs, fixed seed: the same stream every
 * time), and proof that the fuzzer's oracles catch what they are for: a decoder that
 * keeps a view of a frame past the call (the bug of issue 10 item 11), one that throws,
 * and one that lets attacker text through uncut. The long run (≥ 10M inputs) is
 * bench/fuzz.ts; its record is in bench/RESULTS.md ("Fuzzing").
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Decoder, type DecoderLimits } from '../core/packet/decoder.js';
import type { SipEvent } from '../core/types.js';
import { type FuzzDecoder, inputAt, runFuzz } from './fuzz.testkit.js';
import { type Corpus, loadCorpus } from './fuzz-corpus.testkit.js';

const real = (limits: Partial<DecoderLimits>) =>
  new Decoder({ sipPorts: [{ from: 5060, to: 5061 }], protocols: ['udp', 'tcp'], limits });

/** Wraps a real decoder and breaks it in one way. */
class Broken implements FuzzDecoder {
  private held: Uint8Array | null = null;
  private n = 0;
  constructor(
    private readonly inner: Decoder,
    private readonly how: 'keeps-view' | 'throws' | 'long-ua',
  ) {}
  get stats() {
    return this.inner.stats;
  }
  pushHep(buf: Uint8Array, o?: { at?: number }): SipEvent[] {
    return this.inner.pushHep(buf, o);
  }
  push(lt: number, at: number, frame: Uint8Array): SipEvent[] {
    const out = this.inner.push(lt, at, frame);
    if (this.how === 'throws' && ++this.n === 777) throw new RangeError('offset out of bounds');
    if (this.how === 'long-ua' && out.length > 0) out[0]!.msg.userAgent = 'x'.repeat(300);
    if (this.how === 'keeps-view') {
      // The classic bug: decode the previous frame late, from a view of the caller's buffer.
      const late = this.held ? this.inner.push(lt, at, this.held) : [];
      this.held = frame.subarray(0);
      return [...out, ...late];
    }
    return out;
  }
}

describe('decoder fuzz (seeded, reused-buffer oracle)', () => {
  let corpus: Corpus;
  before(async () => {
    corpus = await loadCorpus();
  });

  it('the corpus holds every capture in testdata and their SIP messages', () => {
    assert.ok(corpus.sequences.length >= 30, `${corpus.sequences.length} sequences`);
    assert.ok(corpus.sequences.some((s) => s.name.startsWith('golden/ip-fragments')));
    assert.ok(corpus.sip.length > 500, `${corpus.sip.length} distinct SIP messages`);
  });

  it('50k inputs: no throw, no kept reference, every bound holds', () => {
    const r = runFuzz({ seed: 0x5eed10, count: 50_000, corpus, makeDecoder: real, slowMs: 2000 });
    assert.equal(r.failure, null, JSON.stringify(r.failure, null, 1));
    assert.equal(r.inputs, 50_000);
    // Mutated real traffic still decodes: the stream is not all garbage the first byte rejects.
    assert.ok(r.events > 10_000, `only ${r.events} SIP events from 50k inputs`);
    // Every kind of input is in the stream: frames, SIP texts, HEP packets, capture files.
    for (const [op, n] of Object.entries(r.byOp)) assert.ok(n > 200, `${n} ${op} inputs`);
  });

  it('the stream is a function of the seed: input N is regenerated exactly', () => {
    const a = inputAt(7, corpus, 1234);
    const b = inputAt(7, corpus, 1234);
    const c = inputAt(8, corpus, 1234);
    assert.ok(a && b && c && a.op !== 'reset' && b.op !== 'reset' && c.op !== 'reset');
    assert.deepEqual(a.bytes, b.bytes);
    assert.notDeepEqual(a.bytes, c.bytes);
  });

  for (const how of ['keeps-view', 'throws', 'long-ua'] as const) {
    it(`catches a decoder that ${how.replace('-', ' ')}, naming the seed's input`, () => {
      const r = runFuzz({ seed: 1, count: 20_000, corpus, makeDecoder: (l) => new Broken(real(l), how) });
      assert.ok(r.failure, `a ${how} decoder went unnoticed`);
      const expected = {
        'keeps-view': /reused buffer/,
        throws: /threw: RangeError/,
        'long-ua': /userAgent of 300/,
      };
      assert.match(r.failure.message, expected[how]);
      assert.match(r.failure.hex, /^([0-9a-f]{2})+$/);
      const again = inputAt(1, corpus, r.failure.index);
      assert.ok(again && again.op !== 'reset');
      assert.equal(Buffer.from(again.bytes).toString('hex'), r.failure.hex);
    });
  }
});

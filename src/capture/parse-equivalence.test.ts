/**
 * The SIP parser (core/sip/parse.ts) against its pre-issue-13 self (parse-v1.testkit.ts,
 * kept verbatim): byte-level rewrites for speed must not change one field. Compared on
 * every distinct SIP message of the testdata captures (golden and edge, up to the corpus
 * cap of 4,000), on each of them at every offset inside a larger buffer and cut at every
 * line end, and on 60k seeded mutations (fuzz-mutate.testkit.ts: text edits that target
 * the parser — folding, compact names, 70 KB values, 150 headers, NUL — and byte edits).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { parseSip, parseSipText } from '../core/sip/parse.js';
import { parseSipText as parseSipTextV1, parseSip as parseSipV1 } from '../core/sip/parse-v1.testkit.js';
import { type Corpus, loadCorpus } from './fuzz-corpus.testkit.js';
import { MAX_INPUT, mutateBytes, mutateSip, Rand } from './fuzz-mutate.testkit.js';

let corpus: Corpus;
before(async () => {
  corpus = await loadCorpus();
});

const LATIN1 = new TextDecoder('latin1');

function same(b: Uint8Array, off: number, len: number | undefined, what: string): void {
  const want = parseSipV1(b, off, len);
  const got = parseSip(b, off, len);
  assert.deepEqual(got, want, `${what}: ${JSON.stringify(LATIN1.decode(b.subarray(off, off + 300)))}`);
}

describe('parseSip matches the pre-issue-13 parser', () => {
  it('on every SIP message of the testdata captures, alone, in a larger buffer and cut at each line', () => {
    assert.ok(corpus.sip.length > 500, `corpus has ${corpus.sip.length} messages`);
    let parsed = 0;
    for (const m of corpus.sip) {
      same(m, 0, undefined, 'whole');
      if (parseSip(m) !== null) parsed++;
      // In a bigger buffer, with bytes before and after that must not be read.
      const big = new Uint8Array(m.length + 64).fill(0x41);
      big.set(m, 17);
      same(big, 17, m.length, 'embedded');
      for (let i = 0; i < m.length; i++) if (m[i] === 10) same(m, 0, i + 1, `cut at ${i + 1}`);
      const text = LATIN1.decode(m);
      assert.deepEqual(parseSipText(text), parseSipTextV1(text), 'parseSipText');
    }
    // The oracle is only worth something if most inputs parse.
    assert.ok(parsed > corpus.sip.length * 0.9, `${parsed} of ${corpus.sip.length} parsed`);
  });

  it('on 60k seeded mutations of those messages (text and byte edits)', () => {
    const r = new Rand(0x13_0001);
    const sip = corpus.sip;
    let parsed = 0;
    for (let i = 0; i < 60_000; i++) {
      const seed = sip[r.int(sip.length)]!;
      const other = sip[r.int(sip.length)]!;
      const m = r.chance(0.8) ? mutateSip(r, seed, other) : mutateBytes(r, seed, other);
      same(m, 0, undefined, `mutation ${i}`);
      if (parseSip(m) !== null) parsed++;
    }
    assert.ok(parsed > 20_000, `${parsed} of 60000 mutations parsed`);
  });

  it('on 30k values made of the characters the value scanners branch on (quotes, backslashes, ...)', () => {
    const r = new Rand(0x13_0003);
    // Runs of backslashes before quotes decide where a quoted-string ends.
    const ALPHABET = [
      '\\',
      '\\\\',
      '"',
      ',',
      '=',
      ';',
      ' ',
      '\t',
      '<',
      '>',
      '@',
      ':',
      '%41',
      'a',
      'username',
      'nonce',
      'stale',
      'true',
      'branch',
      'sip:',
      'tel:',
      'Digest ',
    ];
    const junk = () => {
      let v = '';
      const n = 1 + r.int(12);
      for (let i = 0; i < n; i++) v += r.pick(ALPHABET);
      return v;
    };
    for (let i = 0; i < 30_000; i++) {
      const lines = [
        r.chance(0.5) ? 'REGISTER sip:pbx.example.com SIP/2.0' : 'SIP/2.0 401 Unauthorized',
        `Via: SIP/2.0/UDP 192.0.2.1:5060;${r.chance(0.3) ? junk() : ''}branch=z9hG4bK${junk()}`,
        `From: ${junk()} <sip:${junk()}@example.com>;tag=1`,
        `To: ${r.chance(0.5) ? `"${junk()}"` : junk()} <${r.chance(0.5) ? 'tel:' : 'sip:'}${junk()}>`,
        'Call-ID: abc',
        'CSeq: 1 REGISTER',
        `${r.pick(['Authorization', 'WWW-Authenticate', 'Proxy-Authenticate', 'Proxy-Authorization'])}: Digest ${junk()}username="${junk()}", nonce=${r.chance(0.5) ? `"${junk()}"` : junk()}, stale=${junk()}`,
        `Contact: ${junk()}`,
        'Content-Length: 0',
      ];
      const s = `${lines.join('\r\n')}\r\n\r\n`;
      const b = new Uint8Array(s.length);
      for (let j = 0; j < s.length; j++) b[j] = s.charCodeAt(j) & 0xff;
      same(b, 0, undefined, `value ${i}`);
    }
  });

  it('on messages over the 2 KiB first window and near the 64 KiB cap', () => {
    const r = new Rand(0x13_0002);
    const sip = corpus.sip;
    for (let i = 0; i < 400; i++) {
      const seed = sip[r.int(sip.length)]!;
      const text = LATIN1.decode(seed);
      const cut = text.indexOf('\n') + 1;
      const pad = `X-Pad: ${'y'.repeat(r.chance(0.5) ? 1800 + r.int(400) : 60_000 + r.int(8000))}\r\n`;
      const s = r.chance(0.5) ? text.slice(0, cut) + pad + text.slice(cut) : text + pad;
      const b = new Uint8Array(Math.min(s.length, MAX_INPUT));
      for (let j = 0; j < b.length; j++) b[j] = s.charCodeAt(j) & 0xff;
      same(b, 0, undefined, `padded ${i}`);
    }
  });
});

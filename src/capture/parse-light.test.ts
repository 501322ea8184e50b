/**
 * parseSipStart (core/sip/parse.ts), the parse of a message decided by its remote address
 * alone, against parseSip, for each choice of kinds (requests, answers, both): null exactly
 * when parseSip is null; a message of another kind parsed whole; one of those kinds with
 * parseSip's start line (a request's method and URI, an answer's status) and every header
 * field empty. The lean kinds likewise: a lean answer (LEAN_RESPONSE) is parseSip's with
 * From and To users, User-Agent and Contact null, a lean request (LEAN_REQUEST) parseSip's
 * with Contact null; START_* wins over LEAN_* for its kind.
 * Held to it on every SIP message of the testdata captures (alone, in a larger buffer, cut
 * at every line end), on 60k seeded mutations, and on the cases its short first window
 * must hand to parseSip's own windows (leading CR/LF runs, long request lines).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  LEAN_REQUEST,
  LEAN_RESPONSE,
  parseSip,
  parseSipStart,
  START_REQUEST,
  START_RESPONSE,
} from '../core/sip/parse.js';
import type { SipMessage } from '../core/types.js';
import { type Corpus, loadCorpus } from './fuzz-corpus.testkit.js';
import { mutateBytes, mutateSip, Rand } from './fuzz-mutate.testkit.js';

let corpus: Corpus;
before(async () => {
  corpus = await loadCorpus();
});

const LATIN1 = new TextDecoder('latin1');

/** What parseSipStart(…, kinds) must give, from parseSip's answer. */
function expected(full: SipMessage | null, kinds: number): SipMessage | null {
  if (full === null) return null;
  const req = full.kind === 'request';
  if ((kinds & (req ? START_REQUEST : START_RESPONSE)) === 0) {
    if (req) return (kinds & LEAN_REQUEST) !== 0 ? { ...full, contact: null } : full;
    if ((kinds & LEAN_RESPONSE) === 0) return full;
    return { ...full, fromUser: null, toUser: null, userAgent: null, contact: null };
  }
  return {
    kind: full.kind,
    method: req ? full.method : '',
    uri: full.uri,
    status: full.status,
    callId: null,
    cseq: null,
    branch: null,
    fromUser: null,
    toUser: null,
    userAgent: null,
    hasCredentials: false,
    authUser: null,
    stale: false,
    nonce: null,
    contact: null,
  };
}

const KINDS = [
  START_REQUEST,
  START_RESPONSE,
  START_REQUEST | START_RESPONSE,
  LEAN_RESPONSE,
  LEAN_REQUEST,
  LEAN_REQUEST | LEAN_RESPONSE,
  START_REQUEST | LEAN_RESPONSE,
  START_RESPONSE | LEAN_RESPONSE | LEAN_REQUEST,
  START_REQUEST | START_RESPONSE | LEAN_REQUEST | LEAN_RESPONSE,
];

function same(b: Uint8Array, off: number, len: number | undefined, what: string): SipMessage | null {
  const full = parseSip(b, off, len);
  for (const kinds of KINDS) {
    const got = kinds === START_REQUEST ? parseSipStart(b, off, len) : parseSipStart(b, off, len, kinds);
    const text = JSON.stringify(LATIN1.decode(b.subarray(off, off + 300)));
    assert.deepEqual(got, expected(full, kinds), `${what}, kinds ${kinds}: ${text}`);
  }
  return full;
}

const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
const REQ =
  'REGISTER sip:pbx.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nCall-ID: a@b\r\nCSeq: 1 REGISTER\r\nFrom: <sip:100@pbx>;tag=1\r\nTo: <sip:100@pbx>\r\n\r\n';
const RESP =
  'SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nCall-ID: a@b\r\nCSeq: 1 REGISTER\r\nWWW-Authenticate: Digest nonce="n", stale=true\r\n\r\n';

describe('parseSipStart gives parseSip’s start line, and nothing of a request’s headers', () => {
  it('on every SIP message of the testdata captures, alone, in a larger buffer and cut at each line', () => {
    let requests = 0;
    let responses = 0;
    for (const m of corpus.sip) {
      const full = same(m, 0, undefined, 'whole');
      if (full?.kind === 'request') requests++;
      if (full?.kind === 'response') responses++;
      const big = new Uint8Array(m.length + 64).fill(0x41);
      big.set(m, 17);
      same(big, 17, m.length, 'embedded');
      for (let i = 0; i < m.length; i++) if (m[i] === 10) same(m, 0, i + 1, `cut at ${i + 1}`);
    }
    // Both branches are worth something only if both kinds are there in numbers.
    assert.ok(requests > 200 && responses > 200, `${requests} requests, ${responses} responses`);
  });

  it('on 60k seeded mutations of those messages (text and byte edits)', () => {
    const r = new Rand(0x13_0b1d);
    const sip = corpus.sip;
    let parsed = 0;
    for (let i = 0; i < 60_000; i++) {
      const seed = sip[r.int(sip.length)]!;
      const other = sip[r.int(sip.length)]!;
      const m = r.chance(0.8) ? mutateSip(r, seed, other) : mutateBytes(r, seed, other);
      if (same(m, 0, undefined, `mutation ${i}`) !== null) parsed++;
    }
    assert.ok(parsed > 20_000, `${parsed} of 60000 mutations parsed`);
  });

  it('where the first 256 bytes do not hold a whole request line', () => {
    for (const crlf of [0, 1, 127, 128, 200, 255, 256, 300, 1023, 1024, 1030, 2000, 3000]) {
      for (const tail of [
        REQ,
        RESP,
        `OPTIONS sip:${'9'.repeat(400)}@x SIP/2.0\r\n\r\n`,
        'not sip at all\r\n',
      ]) {
        same(enc('\r\n'.repeat(crlf) + tail), 0, undefined, `${crlf} CRLFs`);
        same(enc('\n'.repeat(crlf) + tail), 0, undefined, `${crlf} LFs`);
      }
    }
    for (const n of [200, 240, 250, 260, 2030, 2040, 2100, 70_000]) {
      const uri = `sip:${'1'.repeat(n)}@pbx`;
      same(enc(`INVITE ${uri} SIP/2.0\r\nCall-ID: x\r\n\r\n`), 0, undefined, `URI of ${n}`);
      same(enc(`INVITE ${uri} SIP/2.0`), 0, undefined, `URI of ${n}, no line end`);
      same(enc(`${'A'.repeat(n)} sip:x SIP/2.0\r\n\r\n`), 0, undefined, `method of ${n}`);
    }
    const r = parseSipStart(enc(REQ));
    assert.equal(r?.method, 'REGISTER');
    assert.equal(r?.uri, 'sip:pbx.example');
    assert.equal(r?.callId, null);
    assert.equal(parseSipStart(enc(RESP))?.stale, true);
    const light = parseSipStart(enc(RESP), 0, undefined, START_RESPONSE);
    assert.equal(light?.status, 401);
    assert.equal(light?.stale, false);
    assert.equal(light?.callId, null);
  });

  it('a lean answer keeps what matching and the challenge read, and drops the rest', () => {
    const full = `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK7\r\nFrom: "A" <sip:100@pbx>;tag=1\r\nTo: <sip:200@pbx>;tag=2\r\nCall-ID: c@d\r\nCSeq: 7 INVITE\r\nUser-Agent: PBX 1\r\nContact: <sip:100@192.0.2.9>\r\nWWW-Authenticate: Digest nonce="n7", stale=TRUE\r\nAuthorization: Digest username="u", nonce="x"\r\n\r\n`;
    const lean = parseSipStart(enc(full), 0, undefined, LEAN_RESPONSE);
    assert.deepEqual(
      [lean?.status, lean?.method, lean?.callId, lean?.cseq, lean?.branch, lean?.nonce, lean?.stale],
      [200, 'INVITE', 'c@d', 7, 'z9hG4bK7', 'n7', true],
    );
    assert.deepEqual(
      [lean?.fromUser, lean?.toUser, lean?.userAgent, lean?.contact],
      [null, null, null, null],
    );
    // Authorization is still read in an answer: its nonce would be the answer's if it came first.
    assert.equal(lean?.authUser, 'u');
    assert.equal(parseSip(enc(full))?.toUser, '200');
    const req = parseSipStart(
      enc(REQ.replace('\r\n\r\n', '\r\nContact: <sip:1@h>\r\n\r\n')),
      0,
      undefined,
      LEAN_REQUEST,
    );
    assert.deepEqual([req?.contact, req?.toUser, req?.callId], [null, '100', 'a@b']);
  });
});

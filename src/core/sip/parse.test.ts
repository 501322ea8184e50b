import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SipMessage } from '../types.js';
import { MAX_HEADERS, ownString, parseSip, parseSipText } from './parse.js';
import { FIRST, firstLetters, H_CONTACT, H_FROM, H_TO, H_UA } from './parse-scan.js';

/** latin1 bytes of a message given as lines; a blank line ends the headers. */
function bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
function msg(...lines: string[]): Uint8Array {
  return bytes(lines.join('\r\n') + '\r\n\r\n');
}

const REGISTER = [
  'REGISTER sip:pbx.example.com SIP/2.0',
  'Via: SIP/2.0/UDP 203.0.113.5:5060;rport;branch=z9hG4bK-524287-1---a1b2c3d4e5f6',
  'Max-Forwards: 70',
  'Contact: <sip:100@203.0.113.5:5060;rinstance=abcdef>;expires=3600',
  'To: "Reception" <sip:100@pbx.example.com>',
  'From: "Reception" <sip:100@pbx.example.com>;tag=8a2c1f0e',
  'Call-ID: YjVkNGE1ZjJmM2RmNzUwYzJhNTM4Yjk0NGU1YWQ4NmI',
  'CSeq: 2 REGISTER',
  'Expires: 3600',
  'Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE',
  'User-Agent: Zoiper rv2.10.19.6',
  'Authorization: Digest username="100",realm="asterisk",nonce="1cc4a3b2",uri="sip:pbx.example.com",response="e1c6a2d3f4b5a6978877665544332211",algorithm=MD5',
  'Allow-Events: presence, kpml, talk',
  'Content-Length: 0',
];

describe('parseSip: requests', () => {
  it('reads every kept field of a REGISTER with credentials', () => {
    const m = parseSip(msg(...REGISTER));
    assert.deepEqual(m, {
      kind: 'request',
      method: 'REGISTER',
      uri: 'sip:pbx.example.com',
      status: null,
      callId: 'YjVkNGE1ZjJmM2RmNzUwYzJhNTM4Yjk0NGU1YWQ4NmI',
      cseq: 2,
      branch: 'z9hG4bK-524287-1---a1b2c3d4e5f6',
      fromUser: '100',
      toUser: '100',
      userAgent: 'Zoiper rv2.10.19.6',
      hasCredentials: true,
      authUser: '100',
      stale: false,
      nonce: '1cc4a3b2',
      contact: 'sip:100@203.0.113.5:5060;rinstance=abcdef',
    } satisfies SipMessage);
  });

  it('reads a friendly-scanner OPTIONS without credentials', () => {
    const m = parseSip(
      msg(
        'OPTIONS sip:100@198.51.100.7 SIP/2.0',
        'Via: SIP/2.0/UDP 192.0.2.66:5062;branch=z9hG4bK-1796446443;rport',
        'Content-Length: 0',
        'From: "sipvicious"<sip:100@1.1.1.1>;tag=6434396633623535313363340131363135333131383035',
        'Accept: application/sdp',
        'User-Agent: friendly-scanner',
        'To: "sipvicious"<sip:100@1.1.1.1>',
        'Contact: sip:100@192.0.2.66:5062',
        'CSeq: 1 OPTIONS',
        'Call-ID: 1036582462548186441851393',
        'Max-Forwards: 70',
      ),
    );
    assert.ok(m);
    assert.equal(m.method, 'OPTIONS');
    assert.equal(m.uri, 'sip:100@198.51.100.7');
    assert.equal(m.userAgent, 'friendly-scanner');
    assert.equal(m.fromUser, '100');
    assert.equal(m.toUser, '100');
    assert.equal(m.contact, 'sip:100@192.0.2.66:5062');
    assert.equal(m.hasCredentials, false);
    assert.equal(m.authUser, null);
    assert.equal(m.branch, 'z9hG4bK-1796446443');
    assert.equal(m.cseq, 1);
  });

  it('accepts compact header names in any case', () => {
    const m = parseSip(
      msg(
        'INVITE sip:2000@pbx SIP/2.0',
        'v: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bKcompact',
        'F: <sip:1000@pbx>;tag=1',
        't: sip:2000@pbx',
        'I: compact-call-id@10.0.0.1',
        'M: <sip:1000@10.0.0.1:5060>',
        'l: 0',
        'CSEQ: 7 INVITE',
      ),
    );
    assert.ok(m);
    assert.equal(m.branch, 'z9hG4bKcompact');
    assert.equal(m.fromUser, '1000');
    assert.equal(m.toUser, '2000');
    assert.equal(m.callId, 'compact-call-id@10.0.0.1');
    assert.equal(m.contact, 'sip:1000@10.0.0.1:5060');
    assert.equal(m.cseq, 7);
  });

  it('accepts header names in odd case and spaces before the colon', () => {
    const m = parseSip(
      msg(
        'BYE sip:x@y SIP/2.0',
        'CALL-ID  :  abc',
        'user-AGENT:SomePhone/1.0',
        'VIA:SIP/2.0/UDP h;BRANCH = z9hG4bKUP',
        'fRoM:sip:7@h',
      ),
    );
    assert.ok(m);
    assert.equal(m.callId, 'abc');
    assert.equal(m.userAgent, 'SomePhone/1.0');
    assert.equal(m.branch, 'z9hG4bKUP');
    assert.equal(m.fromUser, '7');
  });

  it('joins folded lines', () => {
    const m = parseSip(
      msg(
        'REGISTER sip:pbx SIP/2.0',
        'Via: SIP/2.0/UDP 10.0.0.1:5060',
        ' ;branch=z9hG4bKfolded',
        'User-Agent: Acme',
        '\t SoftPhone 3.1',
        'From:',
        '  "A" <sip:300@pbx>;tag=z',
        'Authorization: Digest realm="pbx",',
        '    username="300", nonce="n"',
        'Call-ID: after-folds',
      ),
    );
    assert.ok(m);
    assert.equal(m.branch, 'z9hG4bKfolded');
    assert.equal(m.userAgent, 'Acme SoftPhone 3.1');
    assert.equal(m.fromUser, '300');
    assert.equal(m.authUser, '300');
    assert.equal(m.callId, 'after-folds');
  });

  it('keeps the first of repeated headers (top Via branch)', () => {
    const m = parseSip(
      msg(
        'INVITE sip:1@h SIP/2.0',
        'Via: SIP/2.0/UDP proxy1;branch=z9hG4bKtop, SIP/2.0/UDP proxy2;branch=z9hG4bKsecond',
        'Via: SIP/2.0/UDP phone;branch=z9hG4bKthird',
        'From: <sip:first@h>',
        'From: <sip:second@h>',
        'User-Agent: one',
        'User-Agent: two',
        'Call-ID: c1',
        'Call-ID: c2',
        'CSeq: 5 INVITE',
        'CSeq: 6 INVITE',
      ),
    );
    assert.ok(m);
    assert.equal(m.branch, 'z9hG4bKtop');
    assert.equal(m.fromUser, 'first');
    assert.equal(m.userAgent, 'one');
    assert.equal(m.callId, 'c1');
    assert.equal(m.cseq, 5);
  });

  it('takes no branch from a second via-parm when the first has none', () => {
    const m = parseSip(msg('ACK sip:1@h SIP/2.0', 'Via: SIP/2.0/UDP a;rport, SIP/2.0/UDP b;branch=z9hG4bKb'));
    assert.ok(m);
    assert.equal(m.branch, null);
  });

  it('accepts bare LF line ends and leading CRLFs', () => {
    const m = parseSip(bytes('\r\n\r\nOPTIONS sip:h SIP/2.0\nCall-ID: lf\nCSeq: 1 OPTIONS\n\n'));
    assert.ok(m);
    assert.equal(m.callId, 'lf');
    assert.equal(m.method, 'OPTIONS');
  });

  it('upper-cases methods and reads unknown ones', () => {
    assert.equal(parseSip(msg('invite sip:1@h SIP/2.0'))?.method, 'INVITE');
    assert.equal(parseSip(msg('FOO sip:1@h sip/2.0'))?.method, 'FOO');
  });

  it('reads a message inside a larger buffer by offset and length', () => {
    const m = bytes(
      '\x00\x01junk' + 'OPTIONS sip:h SIP/2.0\r\nCall-ID: inner\r\n\r\n' + 'Call-ID: outer\r\n',
    );
    const r = parseSip(m, 7, 40);
    assert.ok(r);
    assert.equal(r.callId, 'inner');
    assert.equal(parseSip(m, 0), null);
    assert.equal(parseSip(m, m.length + 5), null);
    assert.equal(parseSip(m, 7, 0), null);
  });
});

describe('parseSip: From/To user', () => {
  const cases: Array<[string, string | null]> = [
    ['<sip:100@pbx>', '100'],
    ['sip:100@pbx;tag=abc', '100'],
    ['"Bob" <sip:bob@example.com>;tag=1', 'bob'],
    ['Bob Smith <sips:bob@example.com>', 'bob'],
    ['"a <fake> name" <sip:real@h>', 'real'],
    ['"quote \\" and <x@y>" <sip:esc@h>', 'esc'],
    ['<tel:+15551234567;phone-context=example.com>', '+15551234567'],
    ['tel:+4930123', '+4930123'],
    ['<sip:100:secret@pbx>', '100'],
    ['<sip:+4930123;npdi@gw;user=phone>', '+4930123'],
    ['<sip:%31%30%30@pbx>', '100'],
    ['<sip:pbx.example.com>', null],
    ['<sip:@pbx>', null],
    ['<100@pbx>', '100'],
    ['   ', null],
    ['<SIP:Alice@h>', 'Alice'],
  ];
  for (const [value, user] of cases) {
    it(`From: ${value} → ${user}`, () => {
      const m = parseSip(msg('MESSAGE sip:h SIP/2.0', `From: ${value}`, `To: ${value}`));
      assert.ok(m);
      assert.equal(m.fromUser, user);
      assert.equal(m.toUser, user);
    });
  }
});

describe('parseSip: credentials and challenges', () => {
  it('finds username wherever it is among the parameters, quoted or not', () => {
    const a = parseSip(
      msg('REGISTER sip:h SIP/2.0', 'Authorization: Digest realm="x", nonce="n", username=200'),
    );
    assert.equal(a?.authUser, '200');
    const b = parseSip(
      msg('INVITE sip:1@h SIP/2.0', 'Proxy-Authorization: Digest USERNAME = "alice" , realm="r"'),
    );
    assert.equal(b?.hasCredentials, true);
    assert.equal(b?.authUser, 'alice');
  });

  it('does not take username= inside another parameter value', () => {
    const m = parseSip(
      msg('REGISTER sip:h SIP/2.0', 'Authorization: Digest realm="username=evil, x", username="good"'),
    );
    assert.equal(m?.authUser, 'good');
  });

  it('unescapes a quoted-pair in username', () => {
    const m = parseSip(msg('REGISTER sip:h SIP/2.0', 'Authorization: Digest username="a\\"b"'));
    assert.equal(m?.authUser, 'a"b');
  });

  it('marks credentials without username', () => {
    const m = parseSip(msg('REGISTER sip:h SIP/2.0', 'Authorization: Basic dXNlcjpwYXNz'));
    assert.equal(m?.hasCredentials, true);
    assert.equal(m?.authUser, null);
  });

  const staleCases: Array<[string, boolean]> = [
    ['WWW-Authenticate: Digest realm="asterisk", nonce="abc", stale=true', true],
    ['WWW-Authenticate: Digest realm="asterisk", stale="TRUE", nonce="abc"', true],
    ['Proxy-Authenticate: Digest stale=True,realm="x"', true],
    ['www-authenticate: Digest realm="x",stale=FALSE', false],
    ['WWW-Authenticate: Digest realm="stale=true", nonce="n"', false],
    ['WWW-Authenticate: Digest realm="a", nonce="1", Digest realm="b", stale=true', true],
    ['WWW-Authenticate: Digest realm="x", nonce="abc"', false],
    // Once the nonce is in, the value is searched for an s or S before it is walked on.
    ['WWW-Authenticate: Digest realm="x", nonce="n", STALE=true', true],
    ['WWW-Authenticate: Digest nonce="n",algorithm=MD5,Stale=true', true],
    ['WWW-Authenticate: Digest nonce="n", opaque="", algorithm=MD5, qop="auth"\r\nX-Note: stale=true', false],
    ['WWW-Authenticate: Digest nonce="n", qop="auth"\r\nWWW-Authenticate: Digest STALE=TRUE', true],
    ['Proxy-Authenticate: Digest nonce=n, sTALE = true', true],
  ];
  it('keeps the nonce of a challenge and of credentials (the shield proves sources by it)', () => {
    const ch = parseSip(
      msg(
        'SIP/2.0 401 Unauthorized',
        'CSeq: 1 REGISTER',
        'Call-ID: s',
        'WWW-Authenticate: Digest realm="x", nonce="n0nce\\"q"',
      ),
    );
    assert.equal(ch?.nonce, 'n0nce"q');
    const proxy = parseSip(
      msg(
        'SIP/2.0 407 Proxy Authentication Required',
        'CSeq: 1 INVITE',
        'Proxy-Authenticate: Digest nonce=abc,realm="x"',
      ),
    );
    assert.equal(proxy?.nonce, 'abc');
    const none = parseSip(msg('OPTIONS sip:h SIP/2.0', 'CSeq: 1 OPTIONS'));
    assert.equal(none?.nonce, null);
  });

  for (const [header, stale] of staleCases) {
    it(`${header} → stale ${stale}`, () => {
      const m = parseSip(
        msg('SIP/2.0 401 Unauthorized', 'CSeq: 1 REGISTER', 'Call-ID: s', header, 'Content-Length: 0'),
      );
      assert.ok(m);
      assert.equal(m.stale, stale);
      assert.equal(m.hasCredentials, false);
    });
  }
});

describe('parseSip: responses', () => {
  it('reads status and takes the method from CSeq', () => {
    const m = parseSip(
      msg(
        'SIP/2.0 403 Forbidden',
        'Via: SIP/2.0/UDP 192.0.2.66:5062;branch=z9hG4bK-1;received=192.0.2.66;rport=5062',
        'From: <sip:100@h>;tag=a',
        'To: <sip:100@h>;tag=as1',
        'Call-ID: r1',
        'CSeq: 3 INVITE',
        'Server: Asterisk PBX 18',
      ),
    );
    assert.ok(m);
    assert.equal(m.kind, 'response');
    assert.equal(m.status, 403);
    assert.equal(m.method, 'INVITE');
    assert.equal(m.uri, null);
    assert.equal(m.userAgent, null, 'Server is not User-Agent');
    assert.equal(m.branch, 'z9hG4bK-1');
  });

  it('accepts an empty reason phrase and a response without CSeq', () => {
    const m = parseSip(msg('SIP/2.0 200', 'Call-ID: x'));
    assert.equal(m?.status, 200);
    assert.equal(m?.method, '');
  });
});

describe('parseSip: not SIP', () => {
  const junk: Array<[string, Uint8Array]> = [
    ['empty', new Uint8Array(0)],
    ['CRLF keep-alive', bytes('\r\n\r\n')],
    ['single CRLF pong', bytes('\r\n')],
    ['HTTP request', msg('GET / HTTP/1.1', 'Host: x')],
    ['HTTP response', msg('HTTP/1.1 200 OK', 'Content-Length: 0')],
    ['truncated first line', bytes('REGISTER sip:pbx.example.com SIP/2')],
    ['first line only, no line end', bytes('OPTIONS sip:h SIP/2.0')],
    ['status code too short', msg('SIP/2.0 20 OK')],
    ['status code 099', msg('SIP/2.0 099 x')],
    ['status code 700', msg('SIP/2.0 700 x')],
    ['status glued to reason', msg('SIP/2.0 200OK')],
    ['wrong version', msg('OPTIONS sip:h SIP/3.0')],
    ['missing version', msg('OPTIONS sip:h')],
    ['URI without scheme', msg('OPTIONS host SIP/2.0')],
    ['extra token', msg('OPTIONS sip:h SIP/2.0 extra')],
    ['method with bad chars', msg('OPT{IONS sip:h SIP/2.0')],
    ['binary', Uint8Array.from([0x00, 0x01, 0x00, 0x50, 0x21, 0x12, 0xa4, 0x42, 0xff, 0x0a, 0x0d])],
    [
      'STUN binding',
      Uint8Array.from([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
    ],
    ['space first', msg(' OPTIONS sip:h SIP/2.0')],
  ];
  for (const [name, b] of junk) {
    it(`${name} → null`, () => assert.equal(parseSip(b), null));
  }
});

describe('parseSip: bounds', () => {
  it(`stops after ${MAX_HEADERS} headers`, () => {
    const filler = Array.from({ length: MAX_HEADERS - 1 }, (_, i) => `X-Filler-${i}: ${i}`);
    const m = parseSip(msg('OPTIONS sip:h SIP/2.0', 'Call-ID: early', ...filler, 'User-Agent: too-late'));
    assert.ok(m);
    assert.equal(m.callId, 'early');
    assert.equal(m.userAgent, null);
    const ok = parseSip(msg('OPTIONS sip:h SIP/2.0', ...filler, 'User-Agent: just-in'));
    assert.equal(ok?.userAgent, 'just-in');
  });

  it('finds headers after a long header (past the first decode window)', () => {
    const m = parseSip(msg('INVITE sip:1@h SIP/2.0', `X-Long: ${'a'.repeat(5000)}`, 'Call-ID: far'));
    assert.equal(m?.callId, 'far');
  });

  it('reads a message whose body is larger than the window', () => {
    const body = 'v=0\r\n'.repeat(1000);
    const m = parseSip(
      bytes(`INVITE sip:1@h SIP/2.0\r\nCall-ID: big\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
    );
    assert.equal(m?.callId, 'big');
  });

  it('ignores what lies beyond 64 KiB', () => {
    const m = parseSip(msg('INVITE sip:1@h SIP/2.0', `X-Long: ${'a'.repeat(70000)}`, 'Call-ID: beyond'));
    assert.ok(m);
    assert.equal(m.callId, null);
  });

  it('keeps what arrived of a truncated datagram', () => {
    const full = msg(...REGISTER);
    const cut = full.subarray(0, 300);
    const m = parseSip(cut);
    assert.ok(m);
    assert.equal(m.branch, 'z9hG4bK-524287-1---a1b2c3d4e5f6');
    assert.equal(m.callId, null);
  });

  it('keeps a last header that has no line end', () => {
    assert.equal(parseSip(bytes('OPTIONS sip:h SIP/2.0\r\nCall-ID: tail'))?.callId, 'tail');
    assert.equal(
      parseSip(bytes('OPTIONS sip:h SIP/2.0\r\nCSeq: 4 OPTIONS\r\nCall-ID: tail\r\n'))?.callId,
      'tail',
    );
  });

  it('parses text input the same as bytes', () => {
    const text = REGISTER.join('\r\n') + '\r\n\r\n';
    assert.deepEqual(parseSipText(text), parseSip(bytes(text)));
  });
});

describe('parseSip: robustness', () => {
  it('never throws on random and mutated input', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 4294967296;
    };
    const base = msg(...REGISTER);
    let parsed = 0;
    for (let i = 0; i < 5000; i++) {
      let b: Uint8Array;
      if (i % 3 === 0) {
        b = new Uint8Array(Math.floor(rand() * 800));
        for (let j = 0; j < b.length; j++) b[j] = Math.floor(rand() * 256);
      } else {
        b = base.slice(0, Math.floor(rand() * base.length) + 1);
        const flips = 1 + Math.floor(rand() * 8);
        for (let k = 0; k < flips; k++) {
          const pos = Math.floor(rand() * b.length);
          b[pos] = i % 2 ? Math.floor(rand() * 256) : [13, 10, 32, 58, 59, 34, 60, 62, 44, 61][k % 10]!;
        }
      }
      const m = parseSip(b);
      if (m) {
        parsed++;
        assert.ok(m.kind === 'request' || m.kind === 'response');
        assert.equal(typeof m.method, 'string');
      }
    }
    assert.ok(parsed > 100, `mutated messages still parse (${parsed})`);
  });
});

describe('ownString', () => {
  it('returns an equal string', () => {
    for (const s of ['', 'short', 'a-longer-user-agent/1.2.3 (with details)']) assert.equal(ownString(s), s);
  });
});

describe('firstLetters', () => {
  const letters = (t: Uint8Array) =>
    [...t].flatMap((v, i) => (v === 1 ? [String.fromCharCode(i)] : [])).join('');
  it('keeps a letter while one of its names is collected: a lean answer passes From, To, User-Agent, compact Contact', () => {
    assert.equal(letters(firstLetters(0)), 'acfimptuvw');
    assert.equal(
      letters(firstLetters((1 << H_FROM) | (1 << H_TO) | (1 << H_UA) | (1 << H_CONTACT))),
      'acipvw',
    );
    // Contact shares its letter with Call-ID and CSeq: only its compact form's letter goes.
    assert.equal(letters(firstLetters(1 << H_CONTACT)), 'acfiptuvw');
    for (let c = 0; c < 256; c++) assert.ok(firstLetters(0)[c]! <= FIRST[c]!, 'never a letter FIRST lacks');
  });
});

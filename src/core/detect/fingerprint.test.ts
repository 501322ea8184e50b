/**
 * Tool templates (FINGERPRINTS.md): the requests the tools' sources build are recognised
 * whatever their User-Agent; the requests of real phones, PBXs and diagnostic tools
 * (header shapes of their stacks, see FINGERPRINTS.md) never are.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSipText } from '../sip/parse.js';
import { toolTemplate } from './fingerprint.js';

function msg(lines: string[]) {
  const m = parseSipText(`${lines.join('\r\n')}\r\n\r\n`);
  assert.ok(m, 'parses');
  return m;
}

/** A request with the given Via branch, Call-ID, From and To (and no User-Agent). */
function req(o: {
  branch: string;
  callId: string;
  from?: string;
  to?: string;
  method?: string;
  ua?: string;
}) {
  const method = o.method ?? 'OPTIONS';
  return msg([
    `${method} sip:100@198.51.100.10 SIP/2.0`,
    `Via: SIP/2.0/UDP 203.0.113.5:5060;branch=${o.branch};rport`,
    `From: ${o.from ?? '<sip:200@198.51.100.10>;tag=abc123'}`,
    `To: ${o.to ?? '<sip:100@198.51.100.10>'}`,
    `Call-ID: ${o.callId}`,
    `CSeq: 1 ${method}`,
    ...(o.ua ? [`User-Agent: ${o.ua}`] : []),
    'Content-Length: 0',
  ]);
}

describe('attack tools are recognised by their request template', () => {
  test('svmap as SIPVicious builds it (svhelper.py makeRequest), User-Agent renamed', () => {
    const m = msg([
      'OPTIONS sip:100@198.51.100.10 SIP/2.0',
      'Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-3913457851;rport',
      'Max-Forwards: 70',
      'To: "sipvicious"<sip:100@1.1.1.1>',
      'From: "sipvicious"<sip:100@1.1.1.1>;tag=6336333836333634303130333333333938323831393435',
      'User-Agent: Asterisk PBX',
      'Call-ID: 802355294659123468129533',
      'Contact: sip:100@203.0.113.5:5060',
      'CSeq: 1 OPTIONS',
      'Accept: application/sdp',
      'Content-Length: 0',
    ]);
    assert.equal(toolTemplate(m), 'sipvicious');
  });

  test('svwar and svcrack in compact form (v/t/f/i/m), no User-Agent', () => {
    const m = msg([
      'REGISTER sip:198.51.100.10 SIP/2.0',
      'v: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-1804289383;rport',
      't: "101"<sip:101@198.51.100.10>',
      'f: "101"<sip:101@198.51.100.10>;tag=3130310131363831363932373737',
      'i: 1681692777',
      'm: sip:101@198.51.100.10',
      'CSeq: 1 REGISTER',
      'Content-Length: 0',
    ]);
    assert.equal(toolTemplate(m), 'sipvicious');
  });

  const TOOLS: Array<[string, Parameters<typeof req>[0], string]> = [
    [
      'svcrack REGISTER, Call-ID of one digit',
      { branch: 'z9hG4bK-7', callId: '5', method: 'REGISTER' },
      'sipvicious',
    ],
    [
      'SIPPTS (71-character branch without the cookie, 32-hex Call-ID)',
      {
        branch: 'a'.repeat(30) + '0123456789abcdefghijklmnopqrstuvwxyz01234'.slice(0, 41),
        callId: '0123456789abcdef0123456789abcdef',
        ua: 'Zoiper rv2.10.18.4',
      },
      'sippts',
    ],
    [
      'nmap SIPOptions probe (From nm, To nm2)',
      { branch: 'foo', callId: '50000', from: '<sip:nm@nm>;tag=root', to: '<sip:nm2@nm2>' },
      'nmap',
    ],
    [
      'nmap probe with another branch: From nm and To nm2 still',
      { branch: 'x', callId: '1', from: '<sip:nm@nm>', to: '<sip:nm2@nm2>' },
      'nmap',
    ],
  ];
  for (const [name, o, want] of TOOLS) test(name, () => assert.equal(toolTemplate(req(o)), want));
});

describe('real phones, PBXs and diagnostic tools never match', () => {
  // Branch and Call-ID shapes of real stacks (FINGERPRINTS.md, "never matches").
  const PHONES: Array<[string, string, string]> = [
    ['Yealink', 'z9hG4bK1387410218', '0_1397316085@192.168.0.128'],
    ['Grandstream', 'z9hG4bK1786436557', '1318289427-5062-1@BJC.BGI.B.CE'],
    ['Polycom', 'z9hG4bK4a6e7d1fBD34A9B8', '8ed1a5c8-6b1a7a60-2b2bd8df@192.168.1.50'],
    [
      'Cisco SPA (digits after the dash, Call-ID with @)',
      'z9hG4bK-12345678',
      '4d2c6b1a-84c1e5d3@192.168.1.100',
    ],
    ['Snom', 'z9hG4bK-vnmrs0rp3a8r', '3c26700d8cbf-lh1y7uap3bji'],
    ['Zoiper / Bria (reSIProcate)', 'z9hG4bK-524287-1---8a2b1c3d4e5f6a7b', 'MjA3YzY4ZTgyZDc4NjA2ZmFlZWI'],
    ['Linphone (belle-sip)', 'z9hG4bK.Bv~7PUJ6w', 'kL8vRf3mXs'],
    [
      'MicroSIP / pjsip (32-hex Call-ID, cookie branch)',
      'z9hG4bKPj5b3f1c2d9e8a4b7c6d5e4f3a2b1c0d9e8f',
      '6b5a1c6f8e8b4a2d9f0e1b2c3d4e5f60',
    ],
    [
      'Asterisk PJSIP',
      'z9hG4bKPj3c2a5e1f-0d4b-4c3a-9f1e-2d3c4b5a6f7e',
      '2f1e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b',
    ],
    ['FreeSWITCH', 'z9hG4bKvQgFHy6K7c2Sp', '7a1e1c2e-1f2d-4e3c-9b8a-7c6d5e4f3a2b'],
    ['sipp default scenario', 'z9hG4bK-4711-1-0', '1-4711@10.0.0.1'],
    ['sipsak', 'z9hG4bK.1b3f5d7e', '1804289383@sipsak.example'],
    ['a numeric Call-ID without the SIPVicious branch', 'z9hG4bK2b7d1f8a', '1234567890'],
    ['a SIPVicious-like branch with a non-numeric Call-ID', 'z9hG4bK-3913457851', 'a3913457851'],
    [
      'a 71-character branch with the RFC 3261 cookie',
      `z9hG4bK${'a'.repeat(64)}`,
      '0123456789abcdef0123456789abcdef',
    ],
  ];
  for (const [name, branch, callId] of PHONES) {
    test(name, () => assert.equal(toolTemplate(req({ branch, callId, method: 'REGISTER' })), null));
  }

  test('a phone registering as user nm (To nm, not nm2)', () => {
    assert.equal(
      toolTemplate(req({ branch: 'z9hG4bK1', callId: 'x@y', from: '<sip:nm@pbx>', to: '<sip:nm@pbx>' })),
      null,
    );
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ScannerMatcher } from './scanner.js';

describe('ScannerMatcher', () => {
  const m = new ScannerMatcher([
    'friendly-scanner',
    'sipvicious',
    'sipcli',
    'VaxSIPUserAgent',
    'iWar',
    ' ',
    '',
  ]);
  const cases: Array<[string | null, string | null]> = [
    ['friendly-scanner', 'friendly-scanner'],
    ['Friendly-Scanner/1.0', 'friendly-scanner'],
    ['xx FRIENDLY-SCANNER', 'friendly-scanner'],
    ['sipcli/v1.8', 'sipcli'],
    ['vaxsipuseragent/3.1', 'vaxsipuseragent'],
    ['Linphone iwar build', 'iwar'],
    ['friendly-scanne', null],
    ['Yealink SIP-T46S 66.86.0.15', null],
    ['', null],
    [null, null],
    ['Grandstream ünïcode friendly-scanner', 'friendly-scanner'],
  ];
  for (const [ua, want] of cases) {
    test(`${JSON.stringify(ua)} → ${want}`, () => assert.equal(m.find(ua), want));
  }

  test('empty and blank patterns are dropped, duplicates merged', () => {
    assert.deepEqual(new ScannerMatcher(['', '  ', 'A', 'a']).patterns, ['a']);
    assert.equal(new ScannerMatcher([]).match('anything'), -1);
  });

  test('overlapping patterns: suffix links find the inner ones', () => {
    const x = new ScannerMatcher(['hers', 'she', 'his', 'he']);
    assert.equal(x.find('ushers'), 'she');
    assert.equal(x.find('ahis'), 'his');
    assert.equal(x.find('xhe'), 'he');
    assert.equal(x.find('hhhhs'), null);
  });

  test('non-ASCII patterns match case-insensitively', () => {
    const x = new ScannerMatcher(['Ärger-Bot', '扫描器']);
    assert.equal(x.find('my ärger-bot 1.0'), 'ärger-bot');
    assert.equal(x.find('MY ÄRGER-BOT'), 'ärger-bot');
    assert.equal(x.find('sip 扫描器 v2'), '扫描器');
    assert.equal(x.find('arger-bot'), null);
  });

  test('agrees with a naive search on random input', () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = 'abcAB-/ .é';
    const word = (len: number) => Array.from({ length: len }, () => alphabet[rnd(alphabet.length)]).join('');
    for (let round = 0; round < 50; round++) {
      const pats = Array.from({ length: 1 + rnd(8) }, () => word(1 + rnd(4)));
      const x = new ScannerMatcher(pats);
      for (let k = 0; k < 200; k++) {
        const ua = word(rnd(20));
        const lower = ua.toLowerCase();
        const naive = x.patterns.some((p) => lower.includes(p));
        const got = x.find(ua);
        assert.equal(got !== null, naive, `patterns ${JSON.stringify(x.patterns)} ua ${JSON.stringify(ua)}`);
        if (got !== null) assert.ok(lower.includes(got));
      }
    }
  });
});

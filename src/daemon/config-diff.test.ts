import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../core/config/parse.js';
import { sameCapture, sameHep, sameMail } from './config-diff.js';

const conf = (text: string) => parseConfig(text, { source: null });

describe('config-diff', () => {
  const base = conf('INTERFACES=eth0\nSIP_PORTS=5060\nHEP_LISTEN=127.0.0.1:9060\nSMTP_HOST=mx.example.org\n');

  it('equal settings written differently are the same', () => {
    const again = conf(
      'SMTP_HOST=mx.example.org\nHEP_LISTEN=127.0.0.1:9060\nSIP_PORTS=5060\nINTERFACES=eth0\n',
    );
    assert.equal(sameCapture(base, again), true);
    assert.equal(sameHep(base, again), true);
    assert.equal(sameMail(base, again), true);
    assert.equal(
      sameCapture(base, { ...base, hitCount: base.hitCount + 1 }),
      true,
      'HIT_COUNT is not capture',
    );
  });

  it('each change is seen by its part only', () => {
    const ports = conf(
      'INTERFACES=eth0\nSIP_PORTS=5060:5061\nHEP_LISTEN=127.0.0.1:9060\nSMTP_HOST=mx.example.org\n',
    );
    assert.equal(sameCapture(base, ports), false);
    assert.equal(sameHep(base, ports), true);
    const hep = conf(
      'INTERFACES=eth0\nSIP_PORTS=5060\nHEP_LISTEN=127.0.0.1:9061\nSMTP_HOST=mx.example.org\n',
    );
    assert.equal(sameHep(base, hep), false);
    assert.equal(sameCapture(base, hep), true);
    const mail = conf(
      'INTERFACES=eth0\nSIP_PORTS=5060\nHEP_LISTEN=127.0.0.1:9060\nSMTP_HOST=mx2.example.org\n',
    );
    assert.equal(sameMail(base, mail), false);
    assert.equal(sameCapture(base, mail), true);
  });
});

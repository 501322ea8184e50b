import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isSipprotError, type SipprotError } from '../core/errors.js';
import { mailStatus, NO_SMTP_MESSAGE } from './mail-status.js';
import {
  createSmtpTransport,
  isServerFailure,
  type SmtpConfig,
  senderAddress,
  smtpError,
  testSmtp,
} from './smtp.js';
import { SmtpPeer, selfSignedCert } from './smtp-peer.testkit.js';

const USERS = { alerts: 's3cret' };

function smtp(port: number, over: Partial<SmtpConfig> = {}): SmtpConfig {
  return {
    host: '127.0.0.1',
    port,
    user: 'alerts',
    password: 's3cret',
    from: 'sipprot@pbx.example',
    tls: 'none',
    ...over,
  };
}

/** Asserts an SP_ERR_SMTP naming `step` and matching `re`. */
async function failsAt(p: Promise<unknown>, step: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isSipprotError(e), `expected SipprotError, got ${String(e)}`);
    assert.equal(e.code, 'SP_ERR_SMTP');
    assert.equal((e.details as { step: string }).step, step, e.message);
    assert.match(e.message, re);
    return true;
  });
}

async function closedPort(): Promise<number> {
  const p = await SmtpPeer.start();
  await p.close();
  return p.port;
}

let cert: { key: Buffer; cert: Buffer };
before(async () => {
  cert = await selfSignedCert();
});

describe('plain SMTP with login', () => {
  let peer: SmtpPeer;
  before(async () => {
    peer = await SmtpPeer.start({ users: USERS, rejectRcpt: (a) => a.startsWith('nobody@') });
  });
  after(() => peer.close());

  test('a mail arrives with its headers, text and HTML', async () => {
    const t = createSmtpTransport(smtp(peer.port));
    const r = await t.send({
      to: ['admin@pbx.example'],
      subject: 'sipprot: 3 addresses blocked',
      text: 'plain body 203.0.113.7\n',
      html: '<p>html body</p>',
      headers: { 'X-Sipprot-Kind': 'attack-digest' },
    });
    t.close();
    assert.deepEqual(r, { accepted: ['admin@pbx.example'], rejected: [] });
    const [m] = await peer.waitForMails(1);
    assert.equal(m?.from, 'sipprot@pbx.example');
    assert.deepEqual(m?.to, ['admin@pbx.example']);
    assert.equal(m?.user, 'alerts');
    assert.equal(m?.subject, 'sipprot: 3 addresses blocked');
    assert.equal(m?.headers.get('x-sipprot-kind'), 'attack-digest');
    assert.equal(m?.headers.get('auto-submitted'), 'auto-generated');
    assert.equal(m?.text, 'plain body 203.0.113.7\n');
    assert.equal(m?.html, '<p>html body</p>');
  });

  test('a wrong password fails at auth, naming the user', async () => {
    const t = createSmtpTransport(smtp(peer.port, { password: 'wrong' }));
    await failsAt(
      t.send({ to: ['a@pbx.example'], subject: 's', text: 't', html: null }),
      'auth',
      /rejected the login of user "alerts".*535.*check SMTP_USER and SMTP_PASSWORD/,
    );
    t.close();
  });

  test('no login configured against a server that wants one fails at auth', async () => {
    const t = createSmtpTransport(smtp(peer.port, { user: null, password: null }));
    await failsAt(
      t.send({ to: ['a@pbx.example'], subject: 's', text: 't', html: null }),
      'auth',
      /requires a login.*SMTP_USER/,
    );
    t.close();
  });

  test('testSmtp reports the rejected recipient', async () => {
    await failsAt(testSmtp(smtp(peer.port), ['nobody@pbx.example']), 'recipient', /550 No such user here/);
  });

  test('testSmtp passes every step and the test mail arrives', async () => {
    const before = peer.mails.length;
    const r = await testSmtp(smtp(peer.port), ['ops@pbx.example']);
    assert.deepEqual(r.passed, ['connect', 'auth', 'sender', 'recipient', 'message']);
    const mails = await peer.waitForMails(before + 1);
    assert.equal(mails.at(-1)?.subject, 'sipprot test mail');
    assert.equal(mails.at(-1)?.headers.get('x-sipprot-kind'), 'test');
  });

  test('SMTP_TLS=tls against a plain server fails at TLS with advice', async () => {
    const t = createSmtpTransport(smtp(peer.port, { tls: 'tls' }));
    await failsAt(t.verify(), 'tls', /does not speak TLS from the first byte/);
    t.close();
  });

  test('SMTP_TLS=starttls against a server without STARTTLS fails at TLS', async () => {
    const t = createSmtpTransport(smtp(peer.port, { tls: 'starttls' }));
    await failsAt(t.verify(), 'tls', /does not offer STARTTLS/);
    t.close();
  });
});

test('nothing listening fails at connect: refused', async () => {
  const port = await closedPort();
  await failsAt(
    testSmtp(smtp(port), ['a@pbx.example']),
    'connect',
    new RegExp(`127\\.0\\.0\\.1:${port} refused`),
  );
});

test('STARTTLS: the session is upgraded and the mail arrives', async () => {
  const peer = await SmtpPeer.start({ users: USERS, starttls: true, cert });
  try {
    const r = await testSmtp(smtp(peer.port, { tls: 'starttls' }), ['a@pbx.example'], {
      tls: { ca: cert.cert },
    });
    assert.deepEqual(r.passed, ['connect', 'tls', 'auth', 'sender', 'recipient', 'message']);
    const [m] = await peer.waitForMails(1);
    assert.equal(m?.secure, true);
    assert.equal(m?.user, 'alerts');
  } finally {
    await peer.close();
  }
});

test('implicit TLS: the mail arrives; an untrusted certificate fails at TLS', async () => {
  const peer = await SmtpPeer.start({ users: USERS, secure: true, cert });
  try {
    await testSmtp(smtp(peer.port, { tls: 'tls' }), ['a@pbx.example'], { tls: { ca: cert.cert } });
    const [m] = await peer.waitForMails(1);
    assert.equal(m?.secure, true);
    await failsAt(
      testSmtp(smtp(peer.port, { tls: 'tls' }), ['a@pbx.example']),
      'tls',
      /certificate of 127\.0\.0\.1:\d+ is not trusted: self-signed certificate/,
    );
    // Plain SMTP against a TLS port: no greeting ever comes.
    await failsAt(
      testSmtp(smtp(peer.port, { tls: 'none' }), ['a@pbx.example'], { greetingTimeoutMs: 500 }),
      'connect',
      /no SMTP greeting came: .*SMTP_TLS=tls/,
    );
  } finally {
    await peer.close();
  }
});

test('no SMTP_HOST: status says so and no transport can be made', () => {
  const cfg = smtp(25, { host: null });
  assert.deepEqual(mailStatus({ smtp: cfg }), { configured: false, message: NO_SMTP_MESSAGE });
  assert.equal(mailStatus({ smtp: smtp(587, { tls: 'starttls' }) }).message, 'SMTP 127.0.0.1:587 (STARTTLS)');
  assert.throws(() => createSmtpTransport(cfg), /SMTP_HOST is not set/);
});

test('error mapping for codes a loopback test cannot provoke', () => {
  const cfg = smtp(25, { host: 'mail.example' });
  const step = (e: SipprotError) => (e.details as { step: string }).step;
  const dns = smtpError({ code: 'EDNS', originalCode: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND' }, cfg);
  assert.equal(step(dns), 'connect');
  assert.match(dns.message, /host mail\.example not found/);
  const timeout = smtpError({ code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'CONNECTION_TIMEOUT' }, cfg);
  assert.match(timeout.message, /connect failed: no answer from mail\.example:25 \(timed out\)/);
  const sender = smtpError({ code: 'EENVELOPE', command: 'MAIL FROM', response: '553 not yours' }, cfg);
  assert.equal(step(sender), 'sender');
  assert.equal(isServerFailure(sender), true);
  const rcpt = smtpError({ code: 'EENVELOPE', command: 'RCPT TO', response: '550 no' }, cfg);
  assert.equal(isServerFailure(rcpt), false);
  assert.equal(smtpError(new Error('weird'), cfg).code, 'SP_ERR_SMTP');
});

test('sender address falls back to the login, then to sipprot@host', () => {
  assert.equal(senderAddress(smtp(25, { from: null, user: 'me@x.example' })), 'me@x.example');
  assert.equal(senderAddress(smtp(25, { from: null, user: 'plainuser' }), 'pbx1'), 'sipprot@pbx1');
});

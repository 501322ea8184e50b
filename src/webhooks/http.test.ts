import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postJson, whereOf } from './http.js';
import { Sink } from './sink.testkit.js';

describe('postJson against a real receiver on loopback', () => {
  let sink: Sink;
  let other: Sink;
  before(async () => {
    sink = await Sink.start();
    other = await Sink.start();
  });
  after(async () => {
    await sink.stop();
    await other.stop();
  });

  it('POSTs the JSON with its length and a user agent; 2xx is ok', async () => {
    const r = await postJson(sink.url('/services/T0/B0/SECRET'), '{"a":1}', 'sipprot/test');
    assert.deepEqual(r, { ok: true, status: 200, retry: false, retryAfter: null, message: 'HTTP 200' });
    const got = sink.received.at(-1)!;
    assert.equal(got.method, 'POST');
    assert.equal(got.path, '/services/T0/B0/SECRET');
    assert.equal(got.body, '{"a":1}');
    assert.equal(got.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(got.headers['user-agent'], 'sipprot/test');
  });

  it('never follows a redirect, even to another server on the same host', async () => {
    const before = other.received.length;
    sink.script.push({ status: 302, headers: { location: other.url('/internal') } });
    const r = await postJson(sink.url(), '{}', 'ua');
    assert.equal(r.ok, false);
    assert.equal(r.retry, false);
    assert.match(r.message, /HTTP 302: redirects are not followed/);
    assert.equal(other.received.length, before, 'the other server got nothing');
  });

  it('5xx, 408 and 429 are retried (Retry-After read); other 4xx are not', async () => {
    sink.script.push({ status: 503, body: 'busy' });
    assert.deepEqual(await postJson(sink.url(), '{}', 'ua'), {
      ok: false,
      status: 503,
      retry: true,
      retryAfter: null,
      message: 'HTTP 503: busy',
    });
    sink.script.push({ status: 429, headers: { 'retry-after': '30' } });
    const limited = await postJson(sink.url(), '{}', 'ua');
    assert.equal(limited.retry, true);
    assert.equal(limited.retryAfter, 30);
    sink.script.push({ status: 404, body: 'no_service' });
    const gone = await postJson(sink.url(), '{}', 'ua');
    assert.equal(gone.retry, false);
    assert.equal(gone.message, 'HTTP 404: no_service');
  });

  it('a receiver that never answers is given up on at the timeout', async () => {
    sink.script.push({ status: 200, delayMs: Number.POSITIVE_INFINITY });
    const t0 = Date.now();
    const r = await postJson(sink.url(), '{}', 'ua', 300);
    assert.equal(r.ok, false);
    assert.equal(r.retry, true);
    assert.match(r.message, /no answer within 0.3 s/);
    assert.ok(Date.now() - t0 < 3000);
  });

  it('a huge answer is not kept; a closed port is a retryable error that names no path', async () => {
    sink.script.push({ status: 500, body: 'x'.repeat(1_000_000) });
    const big = await postJson(sink.url(), '{}', 'ua');
    assert.ok(big.message.length < 300);
    const port = Number(new URL(other.url()).port);
    await other.stop();
    const r = await postJson(`http://127.0.0.1:${port}/secret/path`, '{}', 'ua');
    assert.equal(r.ok, false);
    assert.equal(r.retry, true);
    assert.equal(r.message, `ECONNREFUSED http://127.0.0.1:${port}`);
    other = await Sink.start();
  });

  it('only http and https', async () => {
    const r = await postJson('file:///etc/passwd', '{}', 'ua');
    assert.deepEqual(r, {
      ok: false,
      status: null,
      retry: false,
      retryAfter: null,
      message: 'file: URLs are not allowed',
    });
    assert.equal(whereOf('https://hooks.slack.com/services/T/B/X'), 'https://hooks.slack.com');
  });
});

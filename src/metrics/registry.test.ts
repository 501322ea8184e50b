import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Gauge, Histogram, Registry } from './registry.js';

describe('exposition writer', () => {
  it('counters, gauges and histograms in the text format 0.0.4', async () => {
    const r = new Registry();
    const c = r.add(new Counter('x_requests_total', 'Requests\nby method', ['method']));
    const g = r.add(new Gauge('x_queue', 'Queue length'));
    const h = r.add(new Histogram('x_latency_seconds', 'Latency', [0.5, 0.1, 1]));
    c.labels('INVITE').value += 2;
    c.inc(1, 'REGISTER');
    g.set(7);
    for (const v of [0.05, 0.2, 0.2, 3]) h.observe(v);
    assert.equal(
      await r.render(),
      [
        '# HELP x_requests_total Requests\\nby method',
        '# TYPE x_requests_total counter',
        'x_requests_total{method="INVITE"} 2',
        'x_requests_total{method="REGISTER"} 1',
        '# HELP x_queue Queue length',
        '# TYPE x_queue gauge',
        'x_queue 7',
        '# HELP x_latency_seconds Latency',
        '# TYPE x_latency_seconds histogram',
        'x_latency_seconds_bucket{le="0.1"} 1',
        'x_latency_seconds_bucket{le="0.5"} 3',
        'x_latency_seconds_bucket{le="1"} 3',
        'x_latency_seconds_bucket{le="+Inf"} 4',
        'x_latency_seconds_sum 3.45',
        'x_latency_seconds_count 4',
        '',
      ].join('\n'),
    );
  });

  it('label values are escaped: a value cannot end the series or add one', async () => {
    const r = new Registry();
    const c = r.add(new Counter('x_total', 'x', ['ua']));
    c.inc(1, 'a"b\\c\nx_total{ua="forged"} 1e9');
    const text = await r.render();
    assert.match(text, /^x_total\{ua="a\\"b\\\\c\\nx_total\{ua=\\"forged\\"\} 1e9"\} 1$/m);
    assert.equal(text.split('\n').filter((l) => l.startsWith('x_total')).length, 1);
  });

  it('refuses bad names and a wrong number of label values', () => {
    assert.throws(() => new Counter('bad-name', 'x'));
    assert.throws(() => new Counter('ok', 'x', ['le']));
    assert.throws(() => new Counter('ok', 'x', ['1x']));
    const c = new Counter('ok_total', 'x', ['a', 'b']);
    assert.throws(() => c.labels('only one'));
    const r = new Registry();
    r.add(new Gauge('dup', 'x'));
    assert.throws(() => r.add(new Gauge('dup', 'x')));
  });

  it('collectors run before each render; a failing one leaves the others', async () => {
    const r = new Registry();
    const g = r.add(new Gauge('x_value', 'x'));
    let n = 0;
    r.onCollect(() => {
      throw new Error('source down');
    });
    r.onCollect(async () => g.set(++n));
    assert.match(await r.render(), /^x_value 1$/m);
    assert.match(await r.render(), /^x_value 2$/m);
  });

  it('special values', async () => {
    const r = new Registry();
    const g = r.add(new Gauge('x_v', 'x', ['k']));
    g.set(Number.NaN, 'nan');
    g.set(Number.POSITIVE_INFINITY, 'inf');
    const text = await r.render();
    assert.match(text, /x_v\{k="nan"\} NaN/);
    assert.match(text, /x_v\{k="inf"\} \+Inf/);
  });
});

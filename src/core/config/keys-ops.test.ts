import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig, renderConfig } from './parse.js';
import { SECRET_MASK, shownValue } from './secrets.js';

const parse = (text: string) => parseConfig(text, { source: '/etc/sipprot/sipprot.conf' });
const problem = (text: string): string => {
  try {
    parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail(`accepted: ${text}`);
};

describe('operations keys (issue 15)', () => {
  it('defaults: text logs at info, no metrics listener, no tokens, no webhooks', () => {
    const c = parse('');
    assert.deepEqual(c.ops, {
      log: { format: 'text', level: 'info' },
      metricsListen: null,
      metricsToken: null,
      exportToken: null,
      webhooks: { targets: [], events: ['block', 'permanent', 'alert'], groupSeconds: 30 },
    });
  });

  it('reads every key', () => {
    const c = parse(
      [
        'LOG_FORMAT=JSON',
        'log_level=debug',
        'METRICS_LISTEN=[::]:9560',
        'METRICS_TOKEN=abcdefghijklmnop0123',
        'EXPORT_TOKEN=Zm9vYmFyYmF6cXV4LXRva2Vu',
        'WEBHOOK_URLS="slack:https://hooks.slack.com/services/T0/B0/XXXX https://siem.example.net/in, discord=https://discord.com/api/webhooks/1/abc"',
        'WEBHOOK_EVENTS=alert,block',
        'WEBHOOK_GROUP_SECONDS=0',
      ].join('\n'),
    );
    assert.deepEqual(c.ops.log, { format: 'json', level: 'debug' });
    assert.deepEqual(c.ops.metricsListen, { host: '::', port: 9560 });
    assert.equal(c.ops.metricsToken, 'abcdefghijklmnop0123');
    assert.equal(c.ops.exportToken, 'Zm9vYmFyYmF6cXV4LXRva2Vu');
    assert.deepEqual(c.ops.webhooks, {
      targets: [
        { format: 'slack', url: 'https://hooks.slack.com/services/T0/B0/XXXX' },
        { format: 'json', url: 'https://siem.example.net/in' },
        { format: 'discord', url: 'https://discord.com/api/webhooks/1/abc' },
      ],
      events: ['block', 'alert'],
      groupSeconds: 0,
    });
    // The file sipprot writes reads back the same.
    assert.deepEqual(parse(renderConfig(c)).ops, c.ops);
  });

  it('refuses what it cannot use, naming the key', () => {
    const cases: Array<[string, RegExp]> = [
      ['LOG_FORMAT=xml', /LOG_FORMAT=xml: must be text or json/],
      ['METRICS_LISTEN=9560', /must be off or HOST:PORT/],
      ['METRICS_TOKEN=short', /METRICS_TOKEN=\*{8}: must be 16-256/],
      ['WEBHOOK_URLS=ftp://x.example/y', /must start with http:\/\/ or https:\/\//],
      ['WEBHOOK_URLS=irc:https://x.example/y', /'irc' is not a format/],
      ['WEBHOOK_URLS=https://', /not a valid URL|names no host/],
      ['WEBHOOK_EVENTS=block,everything', /'everything' is not one/],
      ['WEBHOOK_GROUP_SECONDS=-1', /must be an integer 0-3600/],
      [
        'METRICS_LISTEN=0.0.0.0:9560',
        /METRICS_LISTEN=0\.0\.0\.0:9560: a metrics listener beyond loopback needs METRICS_TOKEN/,
      ],
    ];
    for (const [text, re] of cases) assert.match(problem(text), re, text);
  });

  it('a metrics listener on loopback needs no token; beyond it, with one, is fine', () => {
    assert.deepEqual(parse('METRICS_LISTEN=127.0.0.1:9560').ops.metricsListen, {
      host: '127.0.0.1',
      port: 9560,
    });
    assert.deepEqual(parse('METRICS_LISTEN=[::1]:9560').ops.metricsListen, { host: '::1', port: 9560 });
    const c = parse('METRICS_TOKEN=abcdefghijklmnop0123\nMETRICS_LISTEN=0.0.0.0:9560');
    assert.deepEqual(c.ops.metricsListen, { host: '0.0.0.0', port: 9560 });
  });

  it('an error never quotes a webhook path (it holds the token)', () => {
    const m = problem('WEBHOOK_URLS=irc:https://hooks.example.com/services/SECRET');
    assert.ok(!m.includes('SECRET'), m);
  });

  it('tokens are secret; webhook URLs show scheme and host only', () => {
    assert.equal(shownValue('METRICS_TOKEN', 'abcdefghijklmnop0123'), SECRET_MASK);
    assert.equal(shownValue('EXPORT_TOKEN', ''), '');
    assert.equal(
      shownValue(
        'WEBHOOK_URLS',
        'slack:https://hooks.slack.com/services/T0/B0/XXXX https://u:p@siem.example.net:8443/in?sig=1 json:http://127.0.0.1:9000/',
      ),
      `slack:https://hooks.slack.com/${SECRET_MASK} https://siem.example.net:8443/${SECRET_MASK} json:http://127.0.0.1:9000/`,
    );
  });
});

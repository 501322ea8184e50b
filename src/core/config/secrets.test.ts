import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigDetailed } from './parse.js';
import { SECRET_MASK, shownValue } from './secrets.js';

describe('shownValue: one mask for every secret', () => {
  it('masks SMTP_PASSWORD whole (empty stays empty), a URL password only, nothing else', () => {
    assert.equal(shownValue('SMTP_PASSWORD', 's3cr#t'), SECRET_MASK);
    assert.equal(shownValue('SMTP_PASSWORD', ''), '');
    assert.equal(
      shownValue('CLUSTER_REDIS_URL', 'redis://u:pa%40ss@10.0.0.5:6379/0'),
      'redis://u:********@10.0.0.5:6379/0',
    );
    assert.equal(shownValue('CLUSTER_REDIS_URL', 'redis://10.0.0.5:6379'), 'redis://10.0.0.5:6379');
    assert.equal(shownValue('CLUSTER_REDIS_URL', 'not a url'), 'not a url');
    assert.equal(shownValue('SMTP_USER', 'mailer'), 'mailer');
  });

  it('a config error about a secret never quotes it', () => {
    const r = (() => {
      try {
        return parseConfigDetailed(
          'SMTP_PASSWORD="s3cret-value\nCLUSTER_REDIS_URL=redis://u:hunter2@/x y\n',
          {
            source: null,
          },
        );
      } catch (e) {
        return (e as Error).message;
      }
    })();
    const text = typeof r === 'string' ? r : JSON.stringify(r);
    assert.doesNotMatch(text, /s3cret-value|hunter2/);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ERROR_CATALOG, ERROR_CODES, httpStatus, SipprotError } from './errors.js';

describe('the error catalog', () => {
  test('every code has an HTTP status and a one-line meaning; the code list is the catalog', () => {
    assert.deepEqual(ERROR_CODES, Object.keys(ERROR_CATALOG));
    assert.ok(ERROR_CODES.length >= 25, `${ERROR_CODES.length} codes`);
    for (const code of ERROR_CODES) {
      assert.match(code, /^SP_ERR_[A-Z_]+$/);
      const status = httpStatus(code);
      assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `${code}: ${status}`);
      const { meaning } = ERROR_CATALOG[code];
      assert.ok(meaning.length > 10 && !meaning.includes('\n'), `${code}: "${meaning}"`);
    }
  });

  test('a code outside the catalog does not compile', () => {
    // @ts-expect-error: not in ERROR_CATALOG (tsc fails here if it ever compiles)
    const e = new SipprotError('SP_ERR_NOT_IN_THE_CATALOG', 'x');
    assert.equal(e.code, 'SP_ERR_NOT_IN_THE_CATALOG');
  });

  test('the cause travels beside the message, not in it', () => {
    const errno = Object.assign(new Error("EACCES: permission denied, open '/etc/x'"), { code: 'EACCES' });
    const e = new SipprotError('SP_ERR_PERMISSION', 'cannot read /etc/x (run as root?)', {
      cause: errno,
      details: { path: '/etc/x' },
    });
    assert.equal(e.cause, errno);
    assert.equal(e.message, 'cannot read /etc/x (run as root?)');
    assert.deepEqual(e.details, { path: '/etc/x' });
    assert.equal(new SipprotError('SP_ERR_USAGE', 'x').cause, undefined);
    assert.equal('cause' in new SipprotError('SP_ERR_USAGE', 'x'), false);
  });
});

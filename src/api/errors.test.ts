import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { ERROR_CODES, httpStatus, SipprotError } from '../core/errors.js';
import { installErrorHandler } from './errors.js';

describe('the API answers an error with the status of its code', () => {
  test('every code of the catalog, in the one error shape', async () => {
    const app = Fastify();
    installErrorHandler(app, { exposeInternal: false });
    app.get<{ Params: { code: string } }>('/fail/:code', (req) => {
      throw new SipprotError(
        req.params.code as (typeof ERROR_CODES)[number],
        `failed with ${req.params.code}`,
        {
          details: { n: 1 },
        },
      );
    });
    for (const code of ERROR_CODES) {
      const res = await app.inject({ method: 'GET', url: `/fail/${code}` });
      assert.equal(res.statusCode, httpStatus(code), code);
      assert.deepEqual(res.json(), { error: { code, message: `failed with ${code}`, details: { n: 1 } } });
    }
    await app.close();
  });

  test('details.retryAfter becomes the Retry-After header; an unknown error says nothing inside', async () => {
    const app = Fastify();
    installErrorHandler(app, { exposeInternal: false });
    app.get('/limited', () => {
      throw new SipprotError('SP_ERR_RATE_LIMITED', 'wait', { details: { retryAfter: 7 } });
    });
    app.get('/broken', () => {
      throw new Error('secret /path');
    });
    const limited = await app.inject({ method: 'GET', url: '/limited' });
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.headers['retry-after'], '7');
    const broken = await app.inject({ method: 'GET', url: '/broken' });
    assert.equal(broken.statusCode, 500);
    assert.equal(broken.json().error.code, 'SP_ERR_INTERNAL');
    assert.doesNotMatch(broken.body, /secret/);
    await app.close();
  });
});

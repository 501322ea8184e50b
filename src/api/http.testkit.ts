/**
 * inject() helpers for the API tests: a logged-in client that sends cookie and CSRF token.
 *
 * The harness's admin password is stored as an scrypt hash of N=2^10 (the stored hash
 * names its parameters; verifyPassword reads them), not the product's 2^15: each login
 * and each wrong guess cost ~60-100 ms of CPU at 2^15, and these 15 files make hundreds
 * (login-guard.test.ts alone ~40). The product's parameters stay covered by
 * platform/admin-password.test.ts, a password changed through the API by the product's
 * hashPassword, and the browser and end-to-end tests by the real daemon.
 */
import assert from 'node:assert/strict';
import { randomBytes, scryptSync } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { GENERATED_KEY, PASSWORD_KEY } from '../platform/admin-password.js';
import { checkAnswers } from './answers.testkit.js';
import { buildApi, routesOf } from './server.js';
import { type FakeWorld, fakeWorld } from './world.testkit.js';

export const PASSWORD = 'correct horse battery';

export interface Client {
  cookie: string;
  csrf: string;
  req(opts: InjectOptions): Promise<LightMyRequestResponse>;
}

export function cookiesOf(res: LightMyRequestResponse): Record<string, string> {
  const raw = res.headers['set-cookie'];
  const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return Object.fromEntries(list.map((c) => c.split(';')[0]!.split('=') as [string, string]));
}

export async function login(app: FastifyInstance, remoteAddress = '127.0.0.1'): Promise<Client> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/login',
    payload: { password: PASSWORD },
    remoteAddress,
  });
  assert.equal(res.statusCode, 200, res.body);
  const c = cookiesOf(res);
  const cookie = `sipprot_session=${c.sipprot_session}`;
  const csrf = res.json().csrfToken as string;
  assert.equal(c.sipprot_csrf, csrf);
  return {
    cookie,
    csrf,
    req: (opts) =>
      app.inject({
        remoteAddress,
        ...opts,
        headers: { cookie, 'x-csrf-token': csrf, ...(opts.headers ?? {}) },
      }),
  };
}

export interface Harness {
  world: FakeWorld;
  app: FastifyInstance;
  /** Every registered route (method, pattern). */
  routes: readonly { method: string; url: string }[];
  close(): Promise<void>;
}

export async function harness(
  transport: 'tcp' | 'socket' = 'tcp',
  webRoot = '/nonexistent',
): Promise<Harness> {
  const world = fakeWorld();
  await world.store.setSetting(PASSWORD_KEY, cheapHash(PASSWORD));
  await world.store.setSetting(GENERATED_KEY, null);
  const app = await buildApi(world.deps, { transport, webRoot });
  const strays = checkAnswers(app);
  const close = async () => {
    await app.close();
    assert.deepEqual(strays, [], "every answer matches its route's response schema");
  };
  return { world, app, routes: routesOf(app), close };
}

/** Asserts the one error shape and returns the error object. */
export function apiError(res: LightMyRequestResponse, status: number, code: string) {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /application\/json/);
  const body = res.json() as { error: { code: string; message: string; details?: unknown } };
  assert.equal(body.error.code, code, res.body);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  return body.error;
}

/** PASSWORD's hash in the product's format (`scrypt$N$r$p$salt$hash`) at N=2^10 (see the header). */
function cheapHash(password: string): string {
  const [N, r, p] = [2 ** 10, 8, 1];
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFC'), salt, 32, { N, r, p });
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * Log in, log out, who am I, change password. On the TCP listener a request for any
 * other /api route must carry a live session (see server.ts's guard).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SipprotError } from '../core/errors.js';
import { passwordProblem, setAdminPassword } from '../platform/admin-password.js';
import type { Store } from '../ports/store.js';
import {
  checkPassword,
  clearSessionCookies,
  cookieHeader,
  mustChangePassword,
  parseCookies,
  type Session,
  type Sessions,
  setSessionCookies,
} from './auth.js';
import {
  DEVICE_COOKIE,
  DEVICE_MAX_AGE,
  DEVICE_SECRET_KEY,
  deviceId,
  LoginGuard,
  type LoginKey,
  newDeviceCookie,
  newDeviceSecret,
} from './login-guard.js';
import type { WireTypes } from './validation.js';
import { answers } from './wire/errors.js';
import { LoggedOut, LoginBody, PasswordBody, SessionAnswer, SessionInfo } from './wire/session.js';

interface SessionRouteDeps {
  store: Store;
  transport: 'socket' | 'tcp';
  sessions: Sessions;
  guard: LoginGuard;
  clock(): number;
  /** The session the guard found for this request (null on the socket). */
  sessionOf(req: FastifyRequest): Session | null;
}

const secure = (req: FastifyRequest) => req.protocol === 'https';

/** The limiter's key: the client address (a socket client is root and is never limited). */
const who = (req: FastifyRequest) => req.ip ?? 'socket';

/** Known browsers (login-guard.ts): the device-cookie secret, a login's key, a new cookie. */
function knownBrowsers(store: Store) {
  async function secret(): Promise<string> {
    const have = await store.getSetting(DEVICE_SECRET_KEY);
    if (have) return have;
    const made = newDeviceSecret();
    await store.setSetting(DEVICE_SECRET_KEY, made);
    return made;
  }
  return {
    /** Who this attempt counts against: a known browser (valid device cookie), else its source. */
    async keyOf(req: FastifyRequest): Promise<LoginKey & { device: string | null }> {
      const cookie = parseCookies(req.headers.cookie)[DEVICE_COOKIE];
      const device = cookie ? deviceId(await secret(), cookie) : null;
      return { ...LoginGuard.keyOf(who(req), device), device };
    },
    async newCookie(req: FastifyRequest): Promise<string> {
      const value = newDeviceCookie(await secret());
      return cookieHeader(DEVICE_COOKIE, value, {
        httpOnly: true,
        maxAge: DEVICE_MAX_AGE,
        secure: secure(req),
      });
    },
  };
}

export function sessionRoutes(deps: SessionRouteDeps) {
  const { store, sessions, guard } = deps;

  const browsers = knownBrowsers(store);

  async function info(session: Session | null): Promise<SessionInfo> {
    return {
      authenticated: true,
      csrfToken: session?.csrf ?? '',
      mustChangePassword: await mustChangePassword(store),
      transport: deps.transport,
      expiresAt: session ? sessions.expiresAt(session) : null,
    };
  }

  async function open(req: FastifyRequest, reply: FastifyReply, extra: string[] = []): Promise<SessionInfo> {
    const { cookie, session } = await sessions.create();
    const maxAge = sessions.expiresAt(session) - deps.clock();
    setSessionCookies(reply, cookie, session.csrf, maxAge, secure(req), extra);
    return info(session);
  }

  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<WireTypes>();
    const login = {
      summary:
        'log in (TCP); sets the session, CSRF and known-browser cookies. Failures back off per browser or source, and globally for unknown browsers: 429',
      body: LoginBody,
      response: answers({ 200: SessionInfo }),
    };
    app.post('/api/login', { schema: login }, async (req, reply) => {
      if (deps.transport === 'socket') return info(null);
      const ip = who(req);
      const k = await browsers.keyOf(req);
      guard.assertAllowed(k);
      try {
        await checkPassword(store, req.body?.password);
      } catch (e) {
        guard.fail(k);
        req.log.warn({ ip, knownBrowser: k.known }, 'web UI: failed login');
        throw e;
      }
      guard.succeed(k);
      // A session cookie from before the login is never reused (session fixation).
      const old = deps.sessionOf(req) ?? (await sessions.lookup(req));
      if (old) await sessions.destroy(old);
      req.log.info({ ip }, 'web UI: login');
      // This browser is known from now on: nobody else's failures can make it wait.
      return open(req, reply, k.device ? [] : [await browsers.newCookie(req)]);
    });

    const logout = { summary: 'end the session', response: answers({ 200: LoggedOut }) };
    app.post('/api/logout', { schema: logout }, async (req, reply) => {
      const s = deps.sessionOf(req);
      if (s) await sessions.destroy(s);
      clearSessionCookies(reply, secure(req));
      return { loggedOut: true as const };
    });

    // Public, so the UI learns "not logged in" without a 401 in the browser console.
    const session = {
      summary: 'the current session and its CSRF token, or {authenticated: false}',
      response: answers({ 200: SessionAnswer }),
    };
    app.get('/api/session', { schema: session }, async (req) => {
      if (deps.transport === 'socket') return info(null);
      const s = await sessions.lookup(req);
      return s ? info(s) : { authenticated: false as const };
    });

    const password = {
      summary: 'change the admin password (needs the current one on TCP); ends every other session',
      body: PasswordBody,
      response: answers({ 200: SessionInfo }),
    };
    app.post('/api/password', { schema: password }, async (req, reply) => {
      const { current, password } = req.body;
      const problem = passwordProblem(password);
      if (problem) throw new SipprotError('SP_ERR_USAGE', problem);
      if (deps.transport === 'tcp') {
        const k = await browsers.keyOf(req);
        guard.assertAllowed(k);
        try {
          await checkPassword(store, current);
        } catch {
          guard.fail(k);
          // Not SP_ERR_AUTH (401): the session is fine, only the confirmation was wrong.
          throw new SipprotError('SP_ERR_PERMISSION', 'the current password is wrong');
        }
      }
      await setAdminPassword(store, password);
      req.log.info({}, 'web UI: admin password changed');
      const s = deps.sessionOf(req);
      if (s) await sessions.destroy(s);
      // Every other session ended with the old password; this browser gets a fresh one.
      return deps.transport === 'tcp' ? open(req, reply) : info(null);
    });
  };
}

import type { FastifyError, FastifyInstance } from 'fastify';
import { isSipprotError, type SipprotErrorCode } from '../core/errors.js';

/** The one JSON error shape of the API: `{ error: { code, message, details? } }`. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/**
 * Codes only the HTTP layer produces (the shared SipprotErrorCode catalog has no HTTP
 * concepts such as rate limits or CSRF tokens).
 */
export type ApiOnlyCode =
  | 'SP_ERR_RATE_LIMITED'
  | 'SP_ERR_CSRF'
  | 'SP_ERR_TOO_LARGE'
  | 'SP_ERR_UNSUPPORTED_MEDIA'
  | 'SP_ERR_INTERNAL';

export const STATUS: Partial<Record<SipprotErrorCode | ApiOnlyCode, number>> = {
  SP_ERR_CONFIG_INVALID: 400,
  SP_ERR_ADDRESS_INVALID: 400,
  SP_ERR_LIST_INVALID: 400,
  SP_ERR_USAGE: 400,
  SP_ERR_AUTH: 401,
  SP_ERR_PERMISSION: 403,
  SP_ERR_CSRF: 403,
  SP_ERR_NOT_FOUND: 404,
  SP_ERR_LOCKOUT: 409,
  SP_ERR_DAEMON_RUNNING: 409,
  SP_ERR_TOO_LARGE: 413,
  SP_ERR_UNSUPPORTED_MEDIA: 415,
  SP_ERR_RATE_LIMITED: 429,
  SP_ERR_GEOIP: 502,
  SP_ERR_SMTP: 502,
  SP_ERR_DAEMON_NOT_RUNNING: 503,
};

/** An HTTP-only failure (rate limit, CSRF) in the same shape as a SipprotError. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiOnlyCode,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Every code the API can answer with, for the OpenAPI description. */
export const ERROR_CODES: readonly string[] = [
  ...new Set([
    ...Object.keys(STATUS),
    'SP_ERR_CONFIG_NOT_FOUND',
    'SP_ERR_CONFIG_IO',
    'SP_ERR_LIST_IO',
    'SP_ERR_STORE',
    'SP_ERR_FIREWALL',
    'SP_ERR_INTERNAL',
  ]),
].sort();

function body(code: string, message: string, details?: unknown): ApiErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

/** Fastify's own request errors (bad JSON, body too large...) mapped onto our codes. */
function fastifyCode(fe: FastifyError): ApiOnlyCode | 'SP_ERR_USAGE' | 'SP_ERR_NOT_FOUND' {
  if (fe.statusCode === 413) return 'SP_ERR_TOO_LARGE';
  if (fe.statusCode === 415) return 'SP_ERR_UNSUPPORTED_MEDIA';
  if (fe.statusCode === 404) return 'SP_ERR_NOT_FOUND';
  return 'SP_ERR_USAGE';
}

/**
 * `exposeInternal`: on the root-only socket the CLI shows an unexpected error's message
 * (the admin is root anyway); over TCP it stays in the log.
 */
export function installErrorHandler(app: FastifyInstance, opts: { exposeInternal: boolean }): void {
  app.setErrorHandler((err: FastifyError | Error, _req, reply) => {
    if (isSipprotError(err)) {
      return reply.status(STATUS[err.code] ?? 500).send(body(err.code, err.message, err.details));
    }
    if (err instanceof ApiError) {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      return reply.status(STATUS[err.code] ?? 500).send(body(err.code, err.message, err.details));
    }
    const fe = err as FastifyError;
    if (fe.validation || (fe.statusCode && fe.statusCode < 500)) {
      const status = fe.statusCode ?? 400;
      return reply.status(status).send(body(fastifyCode(fe), fe.message));
    }
    // The message of an unexpected error can hold internals: log it, answer generically.
    reply.log.error({ err }, 'request failed');
    const message = opts.exposeInternal
      ? `internal error: ${err.message}`
      : 'internal error: see the sipprotd log for details';
    return reply.status(500).send(body('SP_ERR_INTERNAL', message));
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send(body('SP_ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)),
  );
}

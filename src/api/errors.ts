/**
 * The API's one error answer, `{ error: { code, message, details? } }` with the status the
 * catalog (core/errors.ts) gives the code. Fastify's own request errors (bad JSON, body too
 * large, unknown content type, no route) are mapped onto catalog codes; an unexpected error
 * is logged with its cause and answered as SP_ERR_INTERNAL without internals over TCP.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { httpStatus, isSipprotError, type SipprotErrorCode } from '../core/errors.js';
import type { ApiErrorBody } from './wire/errors.js';

function body(code: SipprotErrorCode, message: string, details?: unknown): ApiErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

/** Fastify's own request errors (bad JSON, body too large...) mapped onto our codes. */
function fastifyCode(fe: FastifyError): SipprotErrorCode {
  if (fe.statusCode === 413) return 'SP_ERR_TOO_LARGE';
  if (fe.statusCode === 415) return 'SP_ERR_UNSUPPORTED_MEDIA';
  if (fe.statusCode === 404) return 'SP_ERR_NOT_FOUND';
  return 'SP_ERR_USAGE';
}

/** A limit the client should wait out (rate limit, too many live views) says how long. */
function retryAfter(reply: FastifyReply, details: unknown): void {
  const seconds = (details as { retryAfter?: unknown } | null | undefined)?.retryAfter;
  if (typeof seconds === 'number') reply.header('retry-after', String(seconds));
}

/**
 * `exposeInternal`: on the root-only socket the CLI shows an unexpected error's message
 * (the admin is root anyway); over TCP it stays in the log.
 */
export function installErrorHandler(app: FastifyInstance, opts: { exposeInternal: boolean }): void {
  app.setErrorHandler((err: FastifyError | Error, _req, reply) => {
    if (isSipprotError(err)) {
      retryAfter(reply, err.details);
      return reply.status(httpStatus(err.code)).send(body(err.code, err.message, err.details));
    }
    const fe = err as FastifyError;
    if (fe.statusCode && fe.statusCode < 500) {
      const code = fastifyCode(fe);
      return reply.status(httpStatus(code)).send(body(code, fe.message));
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

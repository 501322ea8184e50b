import type { FastifyError, FastifyInstance } from 'fastify';
import { isSipprotError, type SipprotErrorCode } from '../core/errors.js';

/** The one JSON error shape of the API: `{ error: { code, message, details? } }`. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

const STATUS: Partial<Record<SipprotErrorCode, number>> = {
  SP_ERR_CONFIG_INVALID: 400,
  SP_ERR_ADDRESS_INVALID: 400,
  SP_ERR_LIST_INVALID: 400,
  SP_ERR_USAGE: 400,
  SP_ERR_AUTH: 401,
  SP_ERR_PERMISSION: 403,
  SP_ERR_LOCKOUT: 409,
  SP_ERR_NOT_FOUND: 404,
};

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Error, _req, reply) => {
    if (isSipprotError(err)) {
      const body: ApiErrorBody = { error: { code: err.code, message: err.message, details: err.details } };
      return reply.status(STATUS[err.code] ?? 500).send(body);
    }
    const fe = err as FastifyError;
    if (fe.validation || (fe.statusCode && fe.statusCode < 500)) {
      return reply
        .status(fe.statusCode ?? 400)
        .send({ error: { code: fe.code ?? 'SP_ERR_USAGE', message: fe.message } } satisfies ApiErrorBody);
    }
    app.log.error({ err }, 'request failed');
    return reply
      .status(500)
      .send({ error: { code: 'SP_ERR_INTERNAL', message: err.message } } satisfies ApiErrorBody);
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .status(404)
      .send({
        error: { code: 'SP_ERR_NOT_FOUND', message: `no route ${req.method} ${req.url}` },
      } satisfies ApiErrorBody),
  );
}

/**
 * The open alerts (breach, distributed guessing, a call to a watched destination, a
 * shielded source) and acknowledging them. Acknowledging is an admin change: behind the
 * session and the CSRF token on TCP like every other change (server.ts), and recorded in
 * the history with who did it (`alert-ack`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Admin } from '../ports/admin.js';
import { bad } from './admin-routes.js';
import type { WireTypes } from './validation.js';
import { AckAnswer, AckBody, OpenAlert } from './wire/alerts.js';
import { answers } from './wire/errors.js';
import { arrayOf } from './wire/schema.js';

const SCHEMAS = {
  list: {
    summary: 'alerts not acknowledged yet, oldest first',
    response: answers({ 200: arrayOf(OpenAlert) }),
  },
  ack: {
    summary: 'acknowledge alerts by id, or all ({all: true})',
    body: AckBody,
    response: answers({ 200: AckAnswer }),
  },
} as const;

export function alertRoutes(admin: Admin, actor: (req: FastifyRequest) => string) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<WireTypes>();
    app.get('/api/alerts', { schema: SCHEMAS.list }, () => admin.alerts());
    app.post('/api/alerts/ack', { schema: SCHEMAS.ack }, async (req) => {
      const { ids, all } = req.body ?? {};
      if (all !== true && (ids === undefined || ids.length === 0))
        throw bad('body must name the alerts to acknowledge: {"ids": [1, 2]} or {"all": true}');
      return admin.acknowledgeAlerts(all === true ? 'all' : ids!, { actor: actor(req) });
    });
  };
}

/** GET /api/cluster: this host's view of the cluster (hosts, last seen, stream lag, Redis). */
import type { FastifyInstance } from 'fastify';
import type { ClusterStatus } from '../ports/cluster.js';
import type { WireTypes } from './validation.js';
import { ClusterAnswer } from './wire/cluster.js';
import { answers } from './wire/errors.js';

export function clusterRoutes(cluster: (() => Promise<ClusterStatus | null>) | undefined) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<WireTypes>();
    app.get(
      '/api/cluster',
      {
        schema: {
          summary: 'cluster mode: hosts, last seen, stream lag, Redis state',
          response: answers({ 200: ClusterAnswer }),
        },
      },
      async () => ({ cluster: (await cluster?.()) ?? null }),
    );
  };
}

/** Cluster mode (issue 14): one host's view of the fleet, as GET /api/cluster answers it. */
import { arrayOf, type FromSchema, int, nullable, num, oneOf, record, str } from './schema.js';

export const ClusterHostInfo = record({
  host: str,
  at: { ...num, description: 'epoch seconds of its last heartbeat' },
  startedAt: num,
  version: str,
  lastId: { ...str, description: 'the last stream id it applied' },
  outbox: { ...int, description: 'its events waiting for Redis' },
  rejected: { ...int, description: 'malformed events it refused' },
  ageSeconds: { ...num, description: 'seconds since its last heartbeat' },
});

export const ClusterStatus = record({
  host: { ...str, description: 'this host (CLUSTER_HOST_ID)' },
  redis: oneOf('connecting', 'up', 'down', 'closed'),
  lastError: nullable(str),
  lastId: str,
  streamLastId: nullable(str),
  lagMs: { ...nullable(num), description: 'stream time this host is behind; null when Redis is unreachable' },
  outbox: int,
  rejected: int,
  applied: int,
  published: int,
  hosts: arrayOf(ClusterHostInfo),
});

export const ClusterAnswer = record({
  cluster: { ...nullable(ClusterStatus), description: 'null: a single host (CLUSTER_REDIS_URL is not set)' },
});

export type ClusterStatus = FromSchema<typeof ClusterStatus>;
export type ClusterAnswer = FromSchema<typeof ClusterAnswer>;

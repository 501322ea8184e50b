/** Open alerts (admin/alert-board.ts) and their acknowledgement, as the API speaks them. */
import { arrayOf, type FromSchema, int, nullable, num, oneOf, record, str } from './schema.js';

export const OpenAlert = record({
  id: int,
  kind: oneOf('breach', 'distributed', 'watched-call', 'shielded'),
  at: { ...num, description: 'epoch seconds: first raised' },
  lastAt: { ...num, description: 'epoch seconds: last raised' },
  count: { ...int, description: 'times raised until acknowledged' },
  ip: str,
  user: nullable(str),
  dialled: nullable(str),
  failures: int,
  country: nullable(str),
  text: { ...str, description: 'the sentence (parts came from the network: escape it)' },
});

export const AckBody = {
  type: 'object',
  properties: {
    ids: { ...arrayOf({ ...int, minimum: 1 }), maxItems: 1000, description: 'the alerts to acknowledge' },
    all: { type: 'boolean', description: 'acknowledge every open alert' },
  },
  additionalProperties: false,
} as const;

export const AckAnswer = record({ acknowledged: { ...arrayOf(int), description: 'ids no longer open' } });

export type OpenAlert = FromSchema<typeof OpenAlert>;

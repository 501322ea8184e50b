/** Requests of the list routes: which list, entries to add, to remove, a CSV to import. */
import { arrayOf, bool, oneOf, str } from './schema.js';

/** The lock-out guard's options (core/lists/lockout.ts), on every list change. */
function changeOptions() {
  return {
    force: { ...bool, description: 'go ahead despite the lock-out guard and the near-total-range check' },
    requester: {
      ...str,
      description: "socket only: the CLI user's SSH client address, protected by the lock-out guard",
    },
  } as const;
}

export const ListParams = {
  type: 'object',
  properties: { list: { ...oneOf('allow', 'deny'), 'x-expects': 'allow or deny' } },
  required: ['list'],
} as const;

export const IpParams = {
  type: 'object',
  properties: { ip: { ...str, description: 'an IPv4 or IPv6 address' } },
  required: ['ip'],
} as const;

export const AddEntriesBody = {
  type: 'object',
  properties: {
    entries: {
      type: 'array',
      items: {
        type: 'object',
        properties: { network: str, note: str },
        required: ['network'],
        'x-expects': '{network: string, note?: string}',
      },
      'x-expects': 'an array of {network, note}',
    },
    ...changeOptions(),
  },
  required: ['entries'],
} as const;

export const RemoveBody = {
  type: 'object',
  properties: {
    networks: { ...arrayOf(str), 'x-expects': 'an array of strings', description: 'entries as listed' },
    all: { ...bool, description: 'true: remove every entry (networks is then ignored)' },
    ...changeOptions(),
  },
} as const;

const csvText = { type: 'string', description: 'the CSV file: network,note a line' } as const;

/** JSON from the UI, or the file itself (`curl --data-binary @list.csv -H 'content-type: text/csv'`). */
export const ImportBody = {
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: {
          csv: { ...str, 'x-expects': 'the CSV text' },
          skipInvalid: { ...bool, description: 'apply the valid lines even if some are invalid' },
          ...changeOptions(),
        },
        required: ['csv'],
      },
    },
    'text/csv': { schema: csvText },
    'text/plain': { schema: csvText },
  },
} as const;

export const ImportQuery = {
  type: 'object',
  properties: {
    skipInvalid: { ...str, description: 'with a text/csv body: 1 to apply the valid lines' },
    force: { ...str, description: 'with a text/csv body: 1 to go ahead despite the lock-out guard' },
  },
} as const;

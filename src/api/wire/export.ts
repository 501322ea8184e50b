/** The blocklist export (GET /api/blocks/export): its query and the JSON document it serves. */
import { EXPORT_FORMATS } from '../../core/lists/export-render.js';
import { arrayOf, bool, int, nullable, num, oneOf, record, str } from './schema.js';

export const ExportQuery = {
  type: 'object',
  properties: {
    format: {
      ...oneOf(...EXPORT_FORMATS),
      'x-expects': EXPORT_FORMATS.join(', '),
      description: 'default text',
    },
    include: {
      ...str,
      'x-expects': 'origins, comma-separated: dynamic, deny, feeds',
      description: 'what to export (default dynamic,deny)',
    },
    aggregate: { ...bool, description: 'merge adjacent and contained networks into the fewest prefixes' },
    name: {
      ...str,
      pattern: '^[A-Za-z][A-Za-z0-9_-]{0,17}$',
      'x-expects': 'a name of 1-18 letters, digits, _ or -, starting with a letter',
      description: 'nft: table inet NAME; ipset: NAME-blocked4/6 (default sipprot)',
    },
  },
  additionalProperties: false,
} as const;

const Origins = arrayOf(oneOf('dynamic', 'deny', 'feeds'));

/** format=json (version 1): times in epoch seconds; expiresAt null = permanent. */
export const ExportJson = record({
  version: { const: 1 },
  generatedAt: num,
  include: Origins,
  aggregated: bool,
  count: int,
  cutByAllowList: { ...int, description: 'blocked entries that lost addresses to the allow list' },
  blocks: arrayOf(
    record({
      network: str,
      origins: Origins,
      reason: nullable(str),
      expiresAt: nullable(num),
      note: nullable(str),
    }),
  ),
});

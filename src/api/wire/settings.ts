/** General settings: every key with the metadata the UI shows, validation, changes. */
import { arrayOf, bool, type FromSchema, record, str } from './schema.js';

export const SettingField = record({
  key: str,
  value: { ...str, description: "current value; '' for a secret that is set (see secretSet)" },
  default: str,
  allowed: str,
  description: str,
  secret: { ...bool, description: 'SMTP_PASSWORD: never sent back; leave it out of a change to keep it' },
  secretSet: { ...bool, description: 'a secret that has a value' },
  hostOnly: {
    ...bool,
    description: 'set in the config file on the host only (paths, listeners, interfaces, cluster)',
  },
});

export const SettingsResponse = record(
  {
    source: { anyOf: [str, { type: 'null' }], description: 'the config file; null = defaults only' },
    fields: arrayOf(SettingField),
    restartRequired: { ...arrayOf(str), description: 'keys that take effect after a restart' },
    countries: {
      ...arrayOf(record({ code: str, name: str })),
      description: 'for the blocked-countries picker: ISO code and English name',
    },
  },
  { message: { ...str, description: 'after a change: what was applied, in a sentence' } },
);

export const SettingError = record({ key: str, value: str, allowed: str, message: str });

/** PATCH /api/settings and POST /api/settings/validate. */
export const ChangesBody = {
  type: 'object',
  properties: {
    changes: {
      type: 'object',
      'x-expects': 'an object {KEY: "value"}',
      description: 'KEY: "value" as sipprot.conf writes it; "" restores the default',
    },
    force: { type: 'boolean', description: 'go ahead although BLOCKED_COUNTRIES would lock someone out' },
    requester: {
      type: 'string',
      description: "socket only: the CLI user's SSH client address, protected by the lock-out guard",
    },
  },
  required: ['changes'],
} as const;

export const Validation = record({ ok: bool, errors: arrayOf(SettingError) });

export type SettingField = FromSchema<typeof SettingField>;
export type SettingsResponse = FromSchema<typeof SettingsResponse>;
export type SettingError = FromSchema<typeof SettingError>;
export type Validation = FromSchema<typeof Validation>;

/** Log in, the session and its CSRF token, change the admin password. */
import { bool, type FromSchema, nullable, num, oneOf, record, str } from './schema.js';

export const LoginBody = {
  type: ['object', 'null'],
  // A missing password is a wrong one (401), not a malformed request.
  properties: { password: { ...str, 'x-expects': 'the admin password' } },
} as const;

export const PasswordBody = {
  type: 'object',
  properties: {
    current: { ...str, 'x-expects': 'the current password', description: 'needed over TCP' },
    password: { ...str, 'x-expects': 'the new password' },
  },
  required: ['password'],
  'x-expects': '{current, password}',
} as const;

export const SessionInfo = record({
  authenticated: { const: true },
  csrfToken: { ...str, description: 'send as X-CSRF-Token on every POST/PUT/PATCH/DELETE' },
  mustChangePassword: {
    ...bool,
    description: 'the generated first-start password is still in use: ask the admin to change it',
  },
  transport: { ...oneOf('socket', 'tcp'), description: "'socket' (root, CLI) or 'tcp' (web UI)" },
  expiresAt: nullable(num),
});

/** GET /api/session: the session, or `{authenticated: false}` (and nothing else) without one. */
export const SessionAnswer = { anyOf: [SessionInfo, record({ authenticated: { const: false } })] } as const;

export const LoggedOut = record({ loggedOut: { const: true } });

export type SessionInfo = FromSchema<typeof SessionInfo>;
export type SessionAnswer = FromSchema<typeof SessionAnswer>;

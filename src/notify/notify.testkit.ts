/** Test support: config, decisions and attacks as the daemon would hand them over. */

import type { AttackRecord } from '../core/records.js';
import type { Config, Decision, Rule } from '../core/types.js';

export function notifyConfig(
  port: number | null,
  notify: Partial<Config['notify']> = {},
  smtp: Partial<Config['smtp']> = {},
): Pick<Config, 'notify' | 'smtp'> {
  return {
    notify: { daily: false, dailyAt: '00:05', eachAttack: true, interval: 3600, ...notify },
    smtp: {
      host: port === null ? null : '127.0.0.1',
      port: port ?? 25,
      user: null,
      password: null,
      from: 'sipprot@pbx.example',
      tls: 'none',
      ...smtp,
    },
  };
}

export function block(ip: string, at: number, over: Partial<Decision> = {}): Decision {
  return {
    at,
    ip,
    action: 'block',
    reason: 'scanner',
    expiresAt: at + 3600,
    userAgent: 'friendly-scanner',
    users: ['100'],
    attempts: 5,
    transport: 'udp',
    port: 5060,
    country: 'NL',
    timesBlocked: 1,
    misconfiguredPhone: false,
    note: null,
    ...over,
  };
}

export function attack(ip: string, at: number, rule: Rule, over: Partial<AttackRecord> = {}): AttackRecord {
  return {
    at,
    ip,
    rule,
    userAgent: 'friendly-scanner',
    attempts: 10,
    users: ['100'],
    transport: 'udp',
    port: 5060,
    misconfiguredPhone: false,
    country: 'NL',
    ...over,
  };
}

/** The n-th address of 10.0.0.0/8 as text (10.0.0.1, 10.0.0.2, ...). */
export function nthIp(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** Test support: the notify config as the daemon would hand it over, and many distinct addresses. */

import type { Config } from '../core/types.js';

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

/** The n-th address of 10.0.0.0/8 as text (10.0.0.1, 10.0.0.2, ...). */
export function nthIp(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

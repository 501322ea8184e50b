/**
 * What `sipprotd start` tells the admin once the daemon serves (issue 15 item 2): where its
 * log goes, where the web UI is and how to reach it, and how to get the password. Only
 * facts the admin can act on; no secret (the one-time password stays in its root-only file).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildBpfFilter } from '../capture/bpf.js';
import type { Config } from '../core/types.js';
import { INITIAL_PASSWORD_FILE } from './web.js';

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** The web UI's URL, or null when WEB_LISTEN is off. */
export function webUrl(config: Config): string | null {
  const { host, port } = config.webListen;
  if (port === 0) return null;
  const shown = host === '0.0.0.0' || host === '::' ? 'THIS-HOST' : host;
  return `${config.web.tlsCert ? 'https' : 'http'}://${hostPort(shown, port)}/`;
}

export function startBanner(config: Config, logFile: string): string {
  const lines: string[] = [];
  const format = config.ops.log.format;
  lines.push(
    `  logs:     ${logFile} (${format === 'text' ? 'readable lines; LOG_FORMAT=json for log shippers' : 'JSON lines'})`,
  );
  const url = webUrl(config);
  if (url === null) {
    lines.push('  web UI:   off (WEB_LISTEN=off); the CLI works through the daemon socket');
  } else {
    const { host, port } = config.webListen;
    const tunnel = isLoopback(host)
      ? ` (this host only: from your desk, ssh -L ${port}:${hostPort(host, port)} root@THIS-HOST, then open ${url})`
      : '';
    lines.push(`  web UI:   ${url}${tunnel}`);
    const initial = join(config.stateDir, INITIAL_PASSWORD_FILE);
    lines.push(
      existsSync(initial)
        ? `  password: the one-time password is in ${initial} (root only); change it after login, or set one with: sipprot passwd`
        : '  password: the one you set (forgot it? set a new one with: sipprot passwd)',
    );
  }
  const m = config.ops.metricsListen;
  if (m)
    lines.push(
      `  metrics:  http://${hostPort(m.host, m.port)}/metrics${config.ops.metricsToken ? ' (bearer METRICS_TOKEN)' : ''}`,
    );
  return `${lines.join('\n')}\n`;
}

/** The facts of the start line in the log: what is captured, the filter, the UI. */
export function startedFields(config: Config): Record<string, unknown> {
  return {
    interfaces: config.interfaces,
    filter: buildBpfFilter(config),
    pid: process.pid,
    web: webUrl(config) ?? 'off',
  };
}

/** `sipprot status` over a stand-in Admin: a report with the live part a test gives, and the CLI's output. */
import { liveWith } from '../api/admin.fake.js';
import type { Admin, LiveStats, StatusReport } from '../ports/admin.js';
import { runCli } from './program.js';

/** A running daemon's report with nothing but `live` (every live part off unless given). */
export function reportWith(live: Partial<LiveStats>): StatusReport {
  return {
    counts: { allow: 0, deny: 0, dynamicPermanent: 0, dynamicTemporary: 0 },
    daemon: { running: true, pid: 4242, startedAt: 1 },
    countries: { blocked: [], ranges: 0, database: null },
    mail: { configured: false, message: 'no mail' },
    configSource: null,
    cluster: null,
    live: liveWith(live),
  };
}

/** What `sipprot status FLAGS` prints for `report`. */
export async function statusOf(report: StatusReport, ...flags: string[]): Promise<string> {
  let out = '';
  const admin = { status: async () => report } as unknown as Admin;
  await runCli(['status', ...flags], {
    io: { out: (s) => (out += s), err: () => undefined },
    admin: async () => admin,
  });
  return out;
}

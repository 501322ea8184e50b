/**
 * Writes the commented /etc/sipprot/sipprot.conf the .deb ships (a conffile): every key
 * of the key table (src/core/config/keys*.ts, 33 keys today) with its description, what
 * is allowed and its default, commented out. It is the daemon's own canonical rendering
 * (renderConfig, what the web UI writes when settings are saved) of the built-in
 * defaults, with every KEY= line commented: a new key can never be missing from the
 * shipped file and a default never shown wrong (test/package/generated.test.ts
 * uncomments every line and checks the result equals the built-in defaults).
 *
 *   node --import tsx packaging/gen-conf.ts > sipprot.conf
 */
import { defaultConfig, renderConfig } from '../src/core/config/parse.js';

const SYSTEM_CONFIG = '/etc/sipprot/sipprot.conf';

const HEADER = `# /etc/sipprot/sipprot.conf: settings of sipprotd and of the sipprot command.
#
# KEY=VALUE, one a line; '#' starts a comment. Keys are case-insensitive, and the
# spellings of existing sipPROT installations (block_time, block_threshold,
# monit_period, hit_count) work too. Every key is listed below with its default,
# commented out: a commented key keeps its default. Uncomment and change what you
# need, then apply it with \`systemctl reload sipprotd\` (or \`sipprotd reload\`). An
# invalid value stops start-up with one line per problem naming the key, the value and
# what is allowed; a reload reports it and keeps the running settings.
#
# The allow and deny lists live beside this file (sipprot.allowlist, sipprot.denylist)
# unless ALLOWLIST_FILE / DENYLIST_FILE say otherwise. Saving settings in the web UI
# rewrites this file with every key set (and these comments regenerated).
#
# This file may hold the SMTP password: keep it mode 0600, owned by root.
# See sipprot(8), sipprotd(8) and /usr/share/doc/sipprot/INSTALL.md.`;

export function commentedConfig(): string {
  const rendered = renderConfig(defaultConfig(SYSTEM_CONFIG)).split('\n');
  // renderConfig's own header ends at the first blank line; ours replaces it.
  const body = rendered.slice(rendered.indexOf(''));
  const commented = body.map((line) => line.replace(/^(?:# )?([A-Z][A-Z0-9_]*=)/, '#$1'));
  return `${HEADER}\n${commented.join('\n')}`;
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(commentedConfig());

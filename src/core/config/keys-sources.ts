/**
 * Keys of issue 15 items 5 and 6: data sources the admin brings.
 * - FEEDS_FILE: the shared blocklists to import (core/feeds/spec.ts reads the file), beside
 *   the config by default like the lists. Feeds name URLs and API keys, so the file is the
 *   host's only: never written by the web UI.
 * - GEOIP_MMDB: a MaxMind GeoLite2/GeoIP2 Country (or City) or DB-IP `.mmdb` the admin
 *   keeps current (geoipupdate, a licence of their own); read instead of the shipped table.
 *   A file in the config directory only: whoever sets the key must not make root read any
 *   file on the host.
 * Both are hostOnly: each host of a cluster names its own files.
 */
import { isInside, localSourcePath } from './paths.js';
import { type ConfigKey, joinPath } from './values.js';

export const SOURCE_KEYS: readonly ConfigKey[] = [
  {
    key: 'FEEDS_FILE',
    aliases: [],
    hostOnly: true,
    default: 'sipprot.feeds',
    allowed: 'a file path (relative paths are beside the config file); a missing file means no feeds',
    description: 'Shared blocklists to import (APIBAN, URL lists): one feed a line, see the README.',
    parse(value, cfg, ctx) {
      if (value === '' || value.includes('\0')) return 'must be a file path';
      cfg.feedsFile = joinPath(ctx.dir, value);
      return null;
    },
    format: (cfg) => cfg.feedsFile,
  },
  {
    key: 'GEOIP_MMDB',
    aliases: [],
    hostOnly: true,
    default: '',
    allowed:
      'a .mmdb file in the config directory (MaxMind GeoLite2/GeoIP2 Country or City, DB-IP); empty = the shipped table',
    description:
      'A MaxMind or DB-IP country database to use instead of the shipped geo-IP table; re-read when the file changes.',
    parse(value, cfg, ctx) {
      if (value === '') {
        cfg.geoip.mmdb = null;
        return null;
      }
      const path = localSourcePath(joinPath(ctx.dir, value));
      if (path === null) return 'must be a file path';
      if (!isInside(path, ctx.dir)) return `must be a file in the config directory ${ctx.dir}`;
      cfg.geoip.mmdb = path;
      return null;
    },
    format: (cfg) => cfg.geoip.mmdb ?? '',
  },
];

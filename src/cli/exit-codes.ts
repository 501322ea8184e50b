/** Exit codes scripts can rely on; documented in the README and in `--help`. */
export const EXIT = {
  ok: 0,
  /** Something failed at run time (I/O, firewall, store, SMTP...). */
  failure: 1,
  /** Bad usage or bad input (unknown option, not an address, invalid config value). */
  usage: 2,
  /**
   * The daemon is not running: `sipprotd status|stop|reload` (the LSB status code) and the
   * commands that need it (`sipprot feeds update`). `sipprot status` reports the lists with or
   * without the daemon and exits 0 (its "daemon:" line says which).
   */
  notRunning: 3,
  /** `sipprot check`: the address is blocked (deny list, dynamic block or country). */
  blocked: 4,
} as const;

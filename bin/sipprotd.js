#!/usr/bin/env node
import { main } from '../dist/cli/sipprotd.js';

// A reader that stops early (`sipprotd status | head`) closes the pipe: that ends the
// output, not the command with an EPIPE stack trace. Not for the daemon itself (`run`):
// a lost stdout must never end the protection with exit 0 (systemd would not restart it).
if (!process.argv.slice(2).includes('run')) {
  process.stdout.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
}
// After an orderly stop nothing is left to do; native capture handles may still hold
// the event loop, so leave explicitly once stdout has drained.
const code = await main(process.argv.slice(2));
process.stdout.write('', () => process.exit(code));

#!/usr/bin/env node
import { main } from '../dist/cli/sipprot.js';

// A reader that stops early (`sipprot status | head`) closes the pipe: that ends the
// output, not the command with an EPIPE stack trace.
process.stdout.on('error', (e) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});
process.exitCode = await main(process.argv.slice(2));

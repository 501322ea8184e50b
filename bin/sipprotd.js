#!/usr/bin/env node
import { main } from '../dist/cli/sipprotd.js';

// After an orderly stop nothing is left to do; native capture handles may still hold
// the event loop, so leave explicitly once stdout has drained.
const code = await main(process.argv.slice(2));
process.stdout.write('', () => process.exit(code));

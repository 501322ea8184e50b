#!/usr/bin/env node
import { main } from '../dist/cli/sipprotd.js';

process.exitCode = await main(process.argv.slice(2));

/** Types of bench/lag-trace.mjs (plain JS: the live daemon's probe loads it with `node --import`). */
import type { LagTrace } from './lag-attribution.js';

export function startLagTrace(opts?: { spans?: boolean }): { stop(): LagTrace };

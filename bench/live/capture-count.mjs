/**
 * The floor of a Node capture that judges per packet on arrival (issue 13, target 1's
 * "≤ 2% of a core at 1k msg/s"): sipprot's own capture (dist/capture/live.js: the addon's
 * thread in immediate mode, its ring, the event loop woken per batch) with a JavaScript
 * consumer that only counts the frames — no decoder, no engine, no timers, no store, no
 * API. Whatever the daemon spends above this process a packet is the daemon's own work;
 * this process's CPU a packet is what any Node design with a packet handed over on arrival
 * costs on the machine. Run by bench/live/flood.bench.ts (`--reference node-count`):
 *
 *   node bench/live/capture-count.mjs ROOT IFACE FILTER
 *
 * Prints "counting on IFACE" once capturing; on SIGTERM or SIGINT prints one JSON line
 * (frames counted and the capture's counters) and exits.
 */
const [root, iface, filter] = process.argv.slice(2);
if (!root || !iface || filter === undefined) {
  console.error('usage: capture-count.mjs ROOT IFACE FILTER');
  process.exit(2);
}
const { PcapLiveCapture } = await import(`${root}/dist/capture/live.js`);
let frames = 0;
const capture = new PcapLiveCapture([iface], filter, {
  onError: (e) => console.error(`capture-count: ${e.message}`),
});
capture.start(() => {
  frames++;
});
console.log(`counting on ${iface}`);
const done = () => {
  const s = capture.stats();
  capture.stop();
  console.log(JSON.stringify({ frames, ...s }));
  process.exit(0);
};
process.once('SIGTERM', done);
process.once('SIGINT', done);

// Wiregasm (Wireshark 4 compiled to WebAssembly, npm @goodtools/wiregasm) on one capture, under
// Node: what a browser tool built on Wireshark's dissectors costs for the answers callscope's
// network view gives. It loads the file (Wiregasm dissects every packet as it loads) and runs the
// conv:UDP, conv:TCP and endpt:IPv4 taps.
//
//   node tests/bench/wiregasm.cjs FILE       (run by `cargo xtask bench-browser`)
//
// Wiregasm keeps the whole file in its in-memory file system, so the file must fit in memory
// (and in wasm32's 4 GiB). Times are wall clock; memory is the process's peak resident set
// (process.resourceUsage().maxRSS) and its growth over the resident set after Wiregasm's own
// start-up (before the file was read).
//
// The last line of output is machine-read by xtask:
//   wiregasm-bench key=value …
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Wiregasm } = require('@goodtools/wiregasm');
const loadWiregasm = require('@goodtools/wiregasm/dist/wiregasm.js');

const file = process.argv[2];
if (!file || !fs.existsSync(file)) {
  console.error(`usage: node tests/bench/wiregasm.cjs FILE (${file ?? 'no file'}: no such file)`);
  process.exit(2);
}
const MiB = 2 ** 20;
const dir = path.dirname(require.resolve('@goodtools/wiregasm/dist/wiregasm.js'));
/** A file of the package as an ArrayBuffer (Emscripten's loader would otherwise fetch it). */
const asset = (name) => {
  const b = fs.readFileSync(path.join(dir, name));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
};
// Bounded: a stuck load ends the process instead of the benchmark.
setTimeout(() => {
  console.error('wiregasm: no result within 30 minutes');
  process.exit(3);
}, 30 * 60 * 1000).unref();

(async () => {
  const t0 = Date.now();
  const wg = new Wiregasm();
  await wg.init(loadWiregasm, {
    wasmBinary: asset('wiregasm.wasm'),
    getPreloadedPackage: () => asset('wiregasm.data'),
    locateFile: (p) => path.join(dir, p),
    print: () => {},
    printErr: () => {},
    handleStatus: () => {},
  });
  const initMs = Date.now() - t0;
  const rssReady = process.memoryUsage().rss;
  const t1 = Date.now();
  const loaded = wg.load(path.basename(file), fs.readFileSync(file));
  const loadMs = Date.now() - t1;
  if (loaded.code !== 0) {
    console.error(`wiregasm could not load ${file}: ${loaded.error}`);
    process.exit(1);
  }
  const t2 = Date.now();
  const taps = wg.tap({ tap0: 'conv:UDP', tap1: 'conv:TCP', tap2: 'endpt:IPv4' });
  const tapsMs = Date.now() - t2;
  if (taps.error) {
    console.error(`wiregasm taps failed: ${taps.error}`);
    process.exit(1);
  }
  const [udp, tcp, ipv4] = taps.taps;
  const peak = process.resourceUsage().maxRSS * 1024;
  const result = {
    wiregasm: wg.lib.wiresharkVersion?.() ?? '?',
    bytes: fs.statSync(file).size,
    packets: loaded.summary.packet_count,
    init_ms: initMs,
    load_ms: loadMs,
    taps_ms: tapsMs,
    ms: loadMs + tapsMs,
    udp_conversations: udp.convs.length,
    tcp_conversations: tcp.convs.length,
    ipv4_endpoints: ipv4.hosts.length,
    rss_ready_mib: rssReady / MiB,
    rss_peak_mib: peak / MiB,
    rss_growth_mib: (peak - rssReady) / MiB,
  };
  console.log(`wiregasm ${result.wiregasm} (Wireshark in wasm, Node ${process.version}): ${result.packets} packets; load ${loadMs} ms + taps ${tapsMs} ms (start-up ${initMs} ms, not counted); ${result.udp_conversations} UDP and ${result.tcp_conversations} TCP conversations, ${result.ipv4_endpoints} IPv4 endpoints; peak RSS ${result.rss_peak_mib.toFixed(0)} MiB (+${result.rss_growth_mib.toFixed(0)} over the ready process)`);
  const fields = Object.entries(result).map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toFixed(3) : v}`);
  console.log(`wiregasm-bench ${fields.join(' ')}`);
  process.exit(0);
})().catch((e) => {
  console.error(`wiregasm: ${e.stack ?? e}`);
  process.exit(1);
});

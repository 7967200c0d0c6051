// The page at scale: one capture given to the built page (dist/) in headless Chromium, with the
// tab's memory sampled every 100 ms while it loads, how often the progress line changed, the
// longest main-thread task, and (with --cancel) how soon Cancel stops a second load of the file.
//
//   node tests/e2e/bench-scale.mjs FILE [--cancel]      (run by `cargo xtask bench-browser`)
//
// Memory, over the idle page's baseline (after a garbage collection):
//   - the page's JS heap (CDP Runtime.getHeapUsage, used bytes),
//   - the page's and the decoder's wasm memory (window.callscopeMemory(); wasm memory never
//     shrinks, so the decoder's figure is its peak so far; the decoder is gone once done),
//   - and beside them every renderer process's resident set (CDP SystemInfo.getProcessInfo for the
//     pids, /proc/PID/status for VmRSS while sampling and VmHWM, the true peak, at the end).
//
// The last line of output is machine-read by xtask:
//   callscope-scale-bench key=value …
// Not a test (no *.test.mjs name), so `node --test tests/e2e/` leaves it alone.
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, root } from './harness.mjs';

const args = process.argv.slice(2);
const cancel = args.includes('--cancel');
const file = path.resolve(args.find((a) => !a.startsWith('--')) ?? path.join(root, 'bench-out/large.pcap'));
const TIMEOUT_MS = 60 * 60 * 1000;
const SAMPLE_MS = 100;
const MiB = 2 ** 20;

if (!fs.existsSync(path.join(root, 'dist/index.html'))) {
  console.error('dist/index.html is missing: run `cargo xtask build-page` first');
  process.exit(2);
}
if (!fs.existsSync(file)) {
  console.error(`${file}: no such file`);
  process.exit(2);
}
const size = fs.statSync(file).size;

/** Field `key` (kB) of /proc/PID/status, in bytes; 0 when the process is gone. */
function procStatus(pid, key) {
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${key}:`));
    return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

const server = await serve('/');
const browser = await launch();
const result = { bytes: size, state: 'not run' };
let exitCode = 1;
try {
  const browserCdp = await browser.newBrowserCDPSession();
  const renderers = async () => {
    const { processInfo } = await browserCdp.send('SystemInfo.getProcessInfo');
    return processInfo.filter((p) => p.type === 'renderer');
  };
  /** Seconds of CPU the given renderers have used. */
  const cpuTime = async (ids) => (await renderers()).filter((p) => ids.includes(p.id)).reduce((sum, p) => sum + p.cpuTime, 0);
  const before = new Set((await renderers()).map((p) => p.id));
  const page = await browser.newPage();
  let crashed = false;
  page.on('crash', () => { crashed = true; });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  // Long main-thread tasks, and every change of the progress line, as the page saw them.
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
    window.__progressAt = [];
    document.addEventListener('DOMContentLoaded', () => {
      let last = null;
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid=progress-read]')?.textContent ?? null;
        if (text !== null && text !== last) window.__progressAt.push(performance.now());
        last = text;
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.enable');

  const samples = [];
  let pids = [];
  const sample = async () => {
    const [{ usedSize }, wasm] = await Promise.all([
      cdp.send('Runtime.getHeapUsage'),
      page.evaluate(() => window.callscopeMemory?.() ?? { page: 0, worker: 0 }),
    ]);
    const rss = pids.reduce((sum, pid) => sum + procStatus(pid, 'VmRSS'), 0);
    const s = { t: Date.now(), js: usedSize, page: wasm.page, worker: wasm.worker, rss };
    s.tab = s.js + s.page + s.worker;
    samples.push(s);
    return s;
  };

  await page.goto(server.url);
  await page.waitForSelector('#file', { state: 'attached' });
  await page.waitForFunction(() => typeof window.callscopeMemory === 'function');
  // The tab's renderer: the one that appeared with it (all of them if none did).
  const all = (await renderers()).map((p) => p.id);
  pids = all.filter((id) => !before.has(id));
  if (pids.length === 0) pids = all;
  // Idle: two seconds after load, then a garbage collection, then the median of five samples.
  await page.waitForTimeout(2000);
  await cdp.send('HeapProfiler.collectGarbage');
  const idle = [];
  for (let i = 0; i < 5; i++) {
    idle.push(await sample());
    await page.waitForTimeout(SAMPLE_MS);
  }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = Object.fromEntries(['js', 'page', 'worker', 'rss', 'tab'].map((k) => [k, median(idle.map((s) => s[k]))]));
  console.log(`idle tab: JS heap ${(base.js / MiB).toFixed(1)} MiB, page wasm ${(base.page / MiB).toFixed(1)} MiB, renderers ${(base.rss / MiB).toFixed(0)} MiB resident (${pids.length} renderer process${pids.length === 1 ? '' : 'es'})`);
  samples.length = 0;

  console.log(`chromium ${browser.version()}: loading ${path.relative(root, file) || file} (${size} bytes) through input#file`);
  let sampling = true;
  const sampler = (async () => {
    while (sampling && !crashed) {
      const t = Date.now();
      try {
        await sample();
      } catch (e) {
        if (!crashed) console.error('sample failed:', e.message);
      }
      await new Promise((r) => setTimeout(r, Math.max(0, SAMPLE_MS - (Date.now() - t))));
    }
  })();
  const started = Date.now();
  await page.setInputFiles('#file', file);
  let lastReport = Date.now();
  while (!crashed) {
    const state = await page.evaluate(() => document.body.dataset.state).catch(() => 'crash');
    if (state === 'done' || state === 'error' || state === 'crash') break;
    if (Date.now() - started > TIMEOUT_MS) throw new Error('the page did not finish within an hour');
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      const p = await page.evaluate(() => window.callscopeProgress).catch(() => null);
      const s = samples.at(-1);
      if (p && s) console.log(`  ${(p.bytes / 1e9).toFixed(2)} of ${(p.total / 1e9).toFixed(2)} GB, ${p.packets} packets; tab +${((s.tab - base.tab) / MiB).toFixed(0)} MiB, renderers +${((s.rss - base.rss) / MiB).toFixed(0)} MiB`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const wall = Date.now() - started;
  // Two more seconds of samples: what the drawn report keeps.
  if (!crashed) await page.waitForTimeout(2000);
  sampling = false;
  await sampler;
  const state = crashed ? 'crash' : await page.evaluate(() => document.body.dataset.state);
  result.state = state;
  result.wall_ms = wall;
  const peak = (k) => Math.max(...samples.map((s) => s[k]));
  const hwm = pids.reduce((sum, pid) => sum + procStatus(pid, 'VmHWM'), 0);
  Object.assign(result, {
    tab_base_mib: base.tab / MiB,
    tab_growth_mib: (peak('tab') - base.tab) / MiB,
    js_growth_mib: (peak('js') - base.js) / MiB,
    page_wasm_growth_mib: (peak('page') - base.page) / MiB,
    worker_wasm_peak_mib: peak('worker') / MiB,
    renderer_base_mib: base.rss / MiB,
    renderer_growth_mib: (Math.max(peak('rss'), hwm) - base.rss) / MiB,
    renderer_peak_mib: Math.max(peak('rss'), hwm) / MiB,
    samples: samples.length,
  });
  if (state === 'done') {
    const stats = await page.evaluate(() => window.callscopeStats);
    const timing = await page.evaluate(() => ({ progress: window.__progressAt, tasks: window.__longTasks }));
    // Gaps between changes of the progress line, from the first to the report on screen.
    const at = timing.progress;
    let gap = 0;
    for (let i = 1; i < at.length; i++) gap = Math.max(gap, at[i] - at[i - 1]);
    const longest = Math.max(0, ...timing.tasks.map(([, d]) => d));
    const worker = Math.max(stats.workerMemory ?? 0, peak('worker'));
    // The decoder's last figure (after building and writing out the report) is its peak; it was
    // alive, beside the idle page, at that moment.
    result.tab_growth_mib = Math.max(result.tab_growth_mib, worker / MiB);
    Object.assign(result, {
      ms: stats.ms,
      decode_ms: stats.decodeMs,
      mbps: stats.mbps,
      worker_wasm_peak_mib: worker / MiB,
      progress_updates: at.length,
      progress_max_gap_ms: gap,
      longest_task_ms: longest,
      tasks_over_250ms: timing.tasks.filter(([, d]) => d > 250).length,
    });
    console.log(`page: on screen in ${stats.ms.toFixed(0)} ms (${stats.mbps.toFixed(1)} MB/s; the worker's decoding ${stats.decodeMs.toFixed(0)} ms), ${wall} ms from setInputFiles to data-state=done`);
    console.log(`progress line: ${at.length} updates, longest gap ${gap.toFixed(0)} ms; longest main-thread task ${longest.toFixed(0)} ms (${result.tasks_over_250ms} over 250 ms)`);
  } else {
    const detail = crashed ? 'the tab crashed' : await page.evaluate(() => document.querySelector('[data-testid=error]')?.textContent ?? document.body.innerText.slice(0, 500));
    console.log(`the page ended in state ${state}: ${detail}`);
  }
  console.log(`memory over the idle tab: peak +${result.tab_growth_mib.toFixed(1)} MiB (JS heap +${result.js_growth_mib.toFixed(1)}, page wasm +${result.page_wasm_growth_mib.toFixed(1)}, decoder wasm ${result.worker_wasm_peak_mib.toFixed(1)} MiB); renderers ${result.renderer_base_mib.toFixed(0)} → ${result.renderer_peak_mib.toFixed(0)} MiB resident at peak (+${result.renderer_growth_mib.toFixed(0)})`);

  if (cancel && !crashed) {
    // A second load of the same file, cancelled once a tenth of it (or two seconds) is read.
    await page.goto(server.url);
    await page.waitForSelector('#file', { state: 'attached' });
    await page.setInputFiles('#file', file);
    const t0 = Date.now();
    await page.waitForFunction((total) => {
      const p = window.callscopeProgress;
      return document.body.dataset.state !== 'running' || (p && p.bytes >= total / 10);
    }, size, { timeout: TIMEOUT_MS, polling: 50 }).catch(() => {});
    while (Date.now() - t0 < 2000 && (await page.evaluate(() => document.body.dataset.state)) === 'running' && !(await page.evaluate((total) => (window.callscopeProgress?.bytes ?? 0) >= total / 10, size))) {
      await page.waitForTimeout(50);
    }
    // Read, checked and clicked in one step inside the page: a small file can finish between a
    // check from here and Playwright's click, which then waits for a button that is gone.
    const clicked = Date.now();
    const read = await page.evaluate(() => {
      const button = document.querySelector('[data-testid=progress] button');
      if (document.body.dataset.state !== 'running' || !button) return null;
      const bytes = window.callscopeProgress?.bytes ?? 0;
      button.click();
      return bytes;
    });
    if (read !== null) {
      await page.waitForFunction(() => document.body.dataset.state === 'idle', null, { timeout: 10_000, polling: 10 });
      const idleAt = Date.now();
      // The decoder has stopped when the tab's renderer is quiet: under 10 ms of CPU in 100 ms.
      let quietAt = null;
      let cpu = await cpuTime(pids);
      while (Date.now() - clicked < 10_000) {
        await new Promise((r) => setTimeout(r, 100));
        const now = await cpuTime(pids);
        if (now - cpu < 0.01) {
          quietAt = Date.now() - 100;
          break;
        }
        cpu = now;
      }
      result.cancel_idle_ms = idleAt - clicked;
      result.cancel_ms = quietAt === null ? 10_000 : Math.max(quietAt, idleAt) - clicked;
      console.log(`cancel: clicked after ${(read / 1e6).toFixed(0)} MB read; the page said so ${idleAt - clicked} ms later and its renderer was quiet (decoder stopped) ${quietAt === null ? 'not within 10 s' : `${result.cancel_ms} ms later`}`);
    } else {
      console.log('cancel: the file was read before it could be cancelled (too small to measure)');
    }
  }
  exitCode = state === 'done' ? 0 : 3;
} finally {
  await browser.close().catch(() => {});
  await server.close();
}
const fields = Object.entries(result).map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toFixed(3) : v}`);
console.log(`callscope-scale-bench ${fields.join(' ')}`);
process.exit(exitCode);

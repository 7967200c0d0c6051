// Browser throughput: the built page (dist/) in Debian's Chromium, headless, analysing one file
// picked through input#file; prints the MB/s the page itself measured (window.callscopeStats:
// from the file given to its report drawn, and the worker's decoding alone).
//
//   node tests/e2e/bench-browser.mjs [FILE]      (default bench-out/large.pcap; run by `cargo xtask bench`)
//
// Then it opens the overview, calls, media and network views and times each until it is drawn,
// and, on the calls view, a filter and a sort.
//
// The last line of output is machine-read by xtask:
//   callscope-browser-bench bytes=N ms=X mbps=Y
// Not a test (no *.test.mjs name), so `node --test tests/e2e/` leaves it alone.
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, root } from './harness.mjs';

const file = path.resolve(process.argv[2] ?? path.join(root, 'bench-out/large.pcap'));
const TIMEOUT_MS = 10 * 60 * 1000;

if (!fs.existsSync(path.join(root, 'dist/index.html'))) {
  console.error('dist/index.html is missing: run `cargo xtask build-page` first');
  process.exit(2);
}
if (!fs.existsSync(file)) {
  console.error(`${file}: no such file`);
  process.exit(2);
}

const server = await serve('/');
const browser = await launch();
let exitCode = 1;
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') console.error('page console:', m.text());
  });
  await page.goto(server.url);
  await page.waitForSelector('#file', { state: 'attached' });
  // A small capture first: how soon the first numbers show (drop to the overview's packet count),
  // given a second after the page opened, as a person would.
  const small = path.join(root, 'static/demo.pcapng');
  await page.waitForTimeout(1000);
  const firstStarted = Date.now();
  await page.setInputFiles('#file', small);
  await page.waitForSelector('[data-testid=packets]', { timeout: 60_000 });
  const firstShown = Date.now() - firstStarted;
  // The page's own clock starts when the input's change event reaches it: Playwright's
  // setInputFiles (the file sent over the DevTools protocol) and its polling are the rest.
  await page.waitForFunction(() => document.body.dataset.state === 'done' && window.callscopeStats, null, { timeout: 60_000 });
  const firstOwn = await page.evaluate(() => window.callscopeStats.ms);
  console.log(`page: first numbers of the demo capture (${fs.statSync(small).size} bytes) ${firstShown} ms after it was given (the page's own timing: its report drawn ${firstOwn.toFixed(0)} ms after the file reached it)`);
  await page.goto(server.url);
  await page.waitForSelector('#file', { state: 'attached' });
  const size = fs.statSync(file).size;
  console.log(`chromium ${browser.version()}: analysing ${path.relative(root, file) || file} (${size} bytes) through input#file`);
  const started = Date.now();
  await page.setInputFiles('#file', file);
  try {
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: TIMEOUT_MS, polling: 250 });
  } catch (e) {
    const state = await page.evaluate(() => document.body.dataset.state).catch(() => '?');
    throw new Error(`the page did not finish (state ${state}): ${e.message}`);
  }
  const wall = Date.now() - started;
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state !== 'done') {
    const detail = await page.evaluate(() => document.body.innerText.slice(0, 2000));
    console.error(`the page ended in state ${state}:\n${detail}`);
  } else {
    const stats = await page.evaluate(() => window.callscopeStats);
    const packets = await page.evaluate(() => window.callscopeReport?.capture?.packets);
    if (!stats || !(stats.ms > 0)) throw new Error(`window.callscopeStats is missing or empty: ${JSON.stringify(stats)}`);
    console.log(`page: ${stats.bytes} bytes, ${packets ?? '?'} packets on screen in ${stats.ms.toFixed(0)} ms = ${stats.mbps.toFixed(1)} MB/s (page's own timing, from the file given to its report drawn; the worker's decoding ${stats.decodeMs.toFixed(0)} ms = ${(stats.bytes / 1e3 / stats.decodeMs).toFixed(1)} MB/s; worker memory ${(stats.workerMemory / 2 ** 20).toFixed(0)} MiB; ${wall} ms from setInputFiles to state done)`);
    // Each view: from setting the address to the frame after it is drawn.
    const drawn = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const views = [];
    for (const [hash, view] of [['#/', 'view-overview'], ['#/calls', 'view-calls'], ['#/media', 'view-media'], ['#/network', 'view-network']]) {
      const t = Date.now();
      await page.evaluate((h) => { location.hash = h; }, hash);
      await page.waitForSelector(`[data-testid=${view}]`, { timeout: TIMEOUT_MS });
      await drawn();
      views.push(`${hash} ${Date.now() - t} ms`);
    }
    const calls = await page.evaluate(() => window.callscopeReport?.sip?.calls?.length ?? 0);
    if (calls > 0) {
      await page.evaluate(() => { location.hash = '#/calls'; });
      await page.waitForSelector('[data-testid=calls-table]');
      let t = Date.now();
      await page.fill('#calls-table-filter', 'zzz-no-such-call');
      await page.waitForFunction(() => document.querySelector('[data-testid=calls-table-count]').textContent === '0');
      views.push(`calls filter ${Date.now() - t} ms`);
      await page.fill('#calls-table-filter', '');
      await drawn();
      t = Date.now();
      await page.locator('[data-testid=calls-table] th', { hasText: 'From' }).click();
      await drawn();
      views.push(`calls sort ${Date.now() - t} ms`);
    }
    console.log(`page views (${calls} calls): ${views.join(', ')}`);
    console.log(`callscope-browser-bench bytes=${stats.bytes} ms=${stats.ms} mbps=${stats.mbps} decode_ms=${stats.decodeMs} wall_ms=${wall} packets=${packets ?? 0}`);
    exitCode = 0;
  }
} finally {
  await browser.close();
  await server.close();
}
process.exit(exitCode);

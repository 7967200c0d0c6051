// The page under load and in trouble: a capture with fifty thousand calls stays quick (one page
// of rows at a time), cancelling is a notice rather than an error, a file dropped anywhere on the
// page loads, interfaces whose clocks disagree are called out, and a truncated file still shows
// what was read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, cliReport, dropFile, settled, root, artifacts, num, go, fullShot } from './harness.mjs';
import { callsPcap, twoClocksPcapng } from './captures.mjs';

let server, browser, page;
const CALLS = 50_000;
const many = path.join(artifacts, `calls-${CALLS}.pcap`);

before(async () => {
  assert.ok(fs.existsSync(path.join(root, 'dist/index.html')), 'dist/ is missing: run `cargo xtask build-page` first');
  fs.mkdirSync(artifacts, { recursive: true });
  if (!fs.existsSync(many)) fs.writeFileSync(many, callsPcap(CALLS));
  server = await serve('/x/');
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=drop]');
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('fifty thousand calls: the list shows a page of rows, filters, sorts and pages', async () => {
  const cli = cliReport(many);
  await page.setInputFiles('#file', many);
  assert.equal(await settled(page, 300_000), 'done');
  const tracked = cli.sip.calls.length;
  assert.equal(cli.sip.messages, CALLS * 6);
  await go(page, '#/calls', 'calls-table');
  assert.equal(num(await page.textContent('[data-testid=calls-table-count]')), tracked);
  assert.equal(await page.locator('[data-testid=calls-table] tbody tr').count(), 100, 'one page of rows in the DOM');
  // The last page, through the pager.
  const pager = page.locator('[data-testid=calls-table-pager]');
  assert.match((await pager.textContent()).replace(/\u202f/g, ''), new RegExp(`1–100 of ${tracked}`));
  const firstId = () => page.locator('[data-testid=calls-table] tbody tr td:nth-child(11)').first().textContent();
  const untilFirst = (id) => page.waitForFunction((id) => document.querySelector('[data-testid=calls-table] tbody tr td:nth-child(11)')?.textContent === id, id);
  await pager.locator('button[aria-label="Next page"]').click();
  await untilFirst(cli.sip.calls[100].call_id);
  // Sorting by Call-ID descending puts the largest text first.
  const header = page.locator('[data-testid=calls-table] th', { hasText: 'Call-ID' });
  await header.click();
  await header.click();
  const ids = cli.sip.calls.map((c) => c.call_id).sort().reverse();
  await untilFirst(ids[0]);
  assert.equal(await firstId(), ids[0]);
  // Filtering by any text (a tracked call's whole Call-ID: no other contains it).
  await page.fill('#calls-table-filter', cli.sip.calls[Math.min(1234, tracked - 1)].call_id);
  await page.waitForFunction(() => document.querySelector('[data-testid=calls-table-count]').textContent === '1');
  await page.locator('[data-testid=calls-table] tbody tr a').first().click();
  await page.waitForSelector('[data-testid=ladder]');
  assert.equal(await page.locator('[data-testid=ladder] g.arrow.msg').count(), 6);
  // What the bounds left out is said on the overview.
  await go(page, '#/', 'view-overview');
  const limits = (await page.textContent('[data-testid=limits]')).replace(/\u202f/g, '');
  assert.ok(limits.includes(`${cli.sip.dropped.untracked_messages} SIP messages of untracked Call-IDs`), limits);
  await page.screenshot({ path: path.join(artifacts, 'many-calls.png') });
});

test('a long decoding shows what it found so far; cancelling says so without an error, and the page takes the next file', async () => {
  await page.goto(server.url);
  await page.setInputFiles('#file', many);
  await page.waitForSelector('[data-testid=progress]');
  // While it reads, the page counts what it has found so far.
  await page.waitForFunction(() => /So far: [1-9][\d\u202f]* calls?/.test(document.querySelector('[data-testid=progress-found]')?.textContent ?? ''));
  assert.equal(page.workers().length, 1, 'one decoder runs');
  const clicked = Date.now();
  await page.click('[data-testid=progress] button');
  // The decoder stops at once (it returns to its event loop after every slice), not when it
  // would have finished.
  while (page.workers().length > 0 && Date.now() - clicked < 5000) await new Promise((r) => setTimeout(r, 10));
  assert.equal(page.workers().length, 0, 'the decoder is gone');
  assert.ok(Date.now() - clicked < 1000, `the decoder took ${Date.now() - clicked} ms to stop`);
  await page.waitForSelector('[data-testid=notice]');
  assert.match(await page.textContent('[data-testid=notice]'), /Cancelled decoding calls-50000\.pcap/);
  assert.equal(await page.locator('.error').count(), 0);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'idle');
  await dropFile(page, path.join(root, 'static/demo.pcapng'));
  assert.equal(await settled(page), 'done');
});

test('a file dropped anywhere on the page loads, not only on the drop zone', async () => {
  await go(page, '#/network', 'conversations-table');
  const file = path.join(root, 'static/demo.pcapng');
  const bytes = fs.readFileSync(file).toString('base64');
  await page.evaluate((b64) => {
    const dt = new DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'again.pcapng'));
    const cell = document.querySelector('[data-testid=conversations-table] tbody td');
    cell.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    cell.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, bytes);
  await page.waitForFunction(() => document.querySelector('[data-testid=header-file]')?.textContent === 'again.pcapng');
  assert.equal(await settled(page), 'done');
});

test('interfaces whose clocks differ by months are called out', async () => {
  const file = path.join(artifacts, 'two-clocks.pcapng');
  fs.writeFileSync(file, twoClocksPcapng());
  const cli = cliReport(file);
  await dropFile(page, file);
  assert.equal(await settled(page), 'done');
  const warning = await page.textContent('[data-testid=clock-warning]');
  // 113 days and 5 hours from start to start, less the 0.9 s en0 lasted.
  assert.match(warning, /pdp_ip0's packets start 113 d 4 h after en0's end/);
  await go(page, '#/', 'view-overview');
  assert.equal(await page.locator('[data-testid=timeline] rect.bar').count(), 5 * cli.timeline.points.length);
  assert.match(await page.textContent('[data-testid=duration]'), /^113 d 5 h/);
  await fullShot(page, 'two-clocks');
});

test('a truncated capture shows what was read, with the reason in words', async () => {
  const whole = fs.readFileSync(path.join(root, 'static/demo.pcapng'));
  const file = path.join(artifacts, 'cut.pcapng');
  fs.writeFileSync(file, whole.subarray(0, whole.length - 1000));
  const cli = cliReport(file);
  assert.equal(cli.capture.truncated, true);
  await dropFile(page, file);
  assert.equal(await settled(page), 'done');
  assert.match(await page.textContent('[data-testid=capture-error]'), /^Truncated: .*The report covers what was read before\.$/);
  await go(page, '#/', 'view-overview');
  assert.equal(num(await page.textContent('[data-testid=packets]')), cli.capture.packets);
  assert.deepEqual(await page.evaluate(() => window.callscopeReport), cli);
});

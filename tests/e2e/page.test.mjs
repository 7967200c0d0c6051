// The built page in a real browser: drop, pick and demo all give the CLI's numbers, from a
// sub-path, with no request leaving the page's origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, cliReport, dropFile, settled, root, shared, artifacts, num, go, fullShot } from './harness.mjs';

let server, browser, page;
const requests = [];

before(async () => {
  assert.ok(fs.existsSync(path.join(root, 'dist/index.html')), 'dist/ is missing: run `cargo xtask build-page` first');
  fs.mkdirSync(artifacts, { recursive: true });
  server = await serve('/some/sub/path/');
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=drop]');
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function numbersOnPage() {
  await go(page, '#/', 'view-overview');
  const text = async (id) => (await page.textContent(`[data-testid=${id}]`)).trim();
  return { packets: num(await text('packets')), endpoints: num(await text('endpoints')), conversations: num(await text('conversations')) };
}

test('a dropped capture shows exactly the CLI report', async () => {
  const file = path.join(shared, 'generated/sip-call-udp.pcapng');
  const cli = cliReport(file);
  await dropFile(page, file);
  assert.equal(await settled(page), 'done');
  assert.deepEqual(await numbersOnPage(), { packets: cli.capture.packets, endpoints: cli.endpoints.length, conversations: cli.conversations.length });
  assert.equal(cli.capture.packets, 511); // capinfos
  // The whole report is the same object the CLI prints.
  assert.deepEqual(await page.evaluate(() => window.callscopeReport), cli);
  // The page's own figure counts from the file given to the report on screen, which includes
  // the worker's decoding; both are shown and published.
  const stats = await page.evaluate(() => window.callscopeStats);
  assert.equal(stats.bytes, fs.statSync(file).size);
  assert.ok(stats.decodeMs > 0 && stats.ms >= stats.decodeMs, JSON.stringify(stats));
  assert.ok(stats.workerMemory >= 1 << 20, JSON.stringify(stats));
  assert.match(await page.textContent('[data-testid=drawn]'), /^\d+ ms after the file was given/);
  // Tables render every endpoint and conversation.
  await go(page, '#/network', 'view-network');
  assert.equal(Number(await page.textContent('[data-testid=endpoints-table-count]')), cli.endpoints.length);
  assert.equal(await page.locator('[data-testid=conversations-table] tbody tr').count(), cli.conversations.length);
  await fullShot(page, 'dropped-sip-call-udp');
});

test('a picked Apple pcapng shows its processes', async () => {
  const file = path.join(shared, 'public/mac__lo0_dltnull_pib.pcapng');
  if (!fs.existsSync(file)) {
    console.log('notice: ../shared/captures is absent; skipping the Apple capture');
    return;
  }
  const cli = cliReport(file);
  await page.setInputFiles('#file', file);
  assert.equal(await settled(page), 'done');
  assert.deepEqual(await page.evaluate(() => window.callscopeReport), cli);
  await go(page, '#/processes', 'view-processes');
  const processes = await page.locator('[data-testid=processes-table] tbody tr').allTextContents();
  assert.equal(processes.length, cli.processes.length);
  assert.ok(processes.some((row) => row.includes('iperf')), processes.join('\n'));
});

test('the demo button loads the embedded demo capture', async () => {
  const cli = cliReport(path.join(root, 'static/demo.pcapng'));
  // The demo button is on the start page (before any file).
  await page.goto(server.url);
  await page.click('#demo');
  await page.waitForFunction(() => document.body.dataset.state === 'running' || document.body.dataset.state === 'done');
  assert.equal(await settled(page), 'done');
  assert.equal(cli.capture.packets, 2234); // tshark's frame count for the five sections
  assert.deepEqual(await numbersOnPage(), { packets: cli.capture.packets, endpoints: cli.endpoints.length, conversations: cli.conversations.length });
  assert.equal(await page.textContent('[data-testid=header-file]'), 'demo.pcapng');
  await fullShot(page, 'demo');
});

test('a file that is not a capture gets a clear error', async () => {
  const file = path.join(root, 'README.md');
  await dropFile(page, file);
  assert.equal(await settled(page), 'error');
  const message = await page.textContent('[data-testid=error]');
  assert.match(message, /README\.md: not a capture file: unknown magic/);
});

test('sorting a table by a column reorders its rows', async () => {
  const file = path.join(shared, 'generated/stun.pcapng');
  await dropFile(page, file);
  assert.equal(await settled(page), 'done');
  await go(page, '#/network', 'view-network');
  const header = page.locator('[data-testid=conversations-table] th', { hasText: 'Packets' });
  await header.click(); // numeric columns sort descending first
  assert.equal(await header.getAttribute('aria-sort'), 'descending');
  const first = async () => num(await page.locator('[data-testid=conversations-table] tbody tr:first-child td:nth-child(5)').textContent());
  const cli = cliReport(file);
  const counts = cli.conversations.map((c) => c.packets);
  assert.equal(await first(), Math.max(...counts));
  await header.click();
  assert.equal(await first(), Math.min(...counts));
  assert.equal(await header.getAttribute('aria-sort'), 'ascending');
});

test('no request left the page origin', async () => {
  assert.ok(requests.length > 3);
  const outside = requests.filter((u) => !u.startsWith(server.origin + '/'));
  assert.deepEqual(outside, []);
});

// A facts.json (from `callscope capture` / `collect --json`) dropped beside a capture, or after
// it, names the process behind each flow; the page's report then equals
// `callscope analyze FILE --facts facts.json --json`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { serve, launch, cliReport, dropFile, settled, root, artifacts, go, fullShot } from './harness.mjs';

const bin = process.env.CALLSCOPE_BIN ?? path.join(root, 'target/release/callscope');
// The owned demo capture; CALLSCOPE_FACTS_CAPTURE names another (any capture with two IPv4 flows).
const capture = process.env.CALLSCOPE_FACTS_CAPTURE ?? path.join(root, 'static/demo.pcapng');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'callscope-facts-'));
const factsFile = path.join(work, 'facts.json');

let server, browser, page, plain, picked;

/** Facts naming the owners of two of the demo's conversations that the capture leaves unnamed:
 *  one by its connected socket, one by a socket bound to the wildcard address on its port. */
function writeFacts() {
  const open = plain.conversations.filter((c) => !c.process && !c.a.startsWith('['));
  assert.ok(open.length >= 2, 'the demo has conversations without a process');
  const [first, second] = open;
  const port = (addr) => addr.slice(addr.lastIndexOf(':') + 1);
  const socket = (protocol, local, remote, pid, name) => ({ protocol, local, remote, state: 'ESTABLISHED', pid, process: name, path: `/usr/libexec/${name}`, user: 'mobile', uid: 501 });
  const facts = {
    schema: 'callscope.facts/1',
    host: { hostname: 'test-mac', os: 'macos', collector: 'callscope test', privileged: false },
    time_unix: 1700000000,
    // The host's address: the side of a flow the wildcard socket can own.
    interfaces: [{ name: 'en0', index: 4, kind: 'wifi', flags: ['UP'], flags_value: 1, addresses: [{ family: 'ipv4', addr: second.a.slice(0, second.a.lastIndexOf(':')), prefix: 24, scope: 'global', class: 'private' }], default_route: true }],
    routes: [],
    sockets: [
      socket(first.transport, first.a, first.b, 4242, 'CommCenter'),
      { ...socket(second.transport, `0.0.0.0:${port(second.a)}`, undefined, 777, 'apsd'), state: 'UNCONN' },
    ],
    notes: [],
  };
  fs.writeFileSync(factsFile, JSON.stringify(facts));
  return [first, second];
}

function cliWithFacts(file) {
  return JSON.parse(execFileSync(bin, ['analyze', '--json', '--facts', factsFile, file], { maxBuffer: 1 << 30 }).toString());
}

/** Drops several files at once onto the drop zone, as a user dragging a selection does. */
async function dropFiles(files) {
  const payload = files.map((f) => [fs.readFileSync(f).toString('base64'), path.basename(f)]);
  await page.evaluate((items) => {
    const dt = new DataTransfer();
    for (const [b64, name] of items) dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name));
    const zone = document.querySelector('[data-testid=drop]');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, payload);
}

async function factsApplied() {
  await page.waitForFunction(() => window.callscopeFacts === 'facts.json', null, { timeout: 60_000 });
  await page.waitForSelector('[data-testid=facts]');
}

async function rowsWith(text) {
  await go(page, '#/network', 'view-network');
  const rows = await page.locator('[data-testid=conversations-table] tbody tr').allTextContents();
  return rows.filter((r) => r.includes(text));
}

before(async () => {
  assert.ok(fs.existsSync(path.join(root, 'dist/index.html')), 'dist/ is missing: run `cargo xtask build-page` first');
  fs.mkdirSync(artifacts, { recursive: true });
  plain = cliReport(capture);
  picked = writeFacts();
  server = await serve('/some/sub/path/');
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=drop]');
});

after(async () => {
  await browser?.close();
  await server?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

test('a capture dropped together with facts.json shows the owning processes', async () => {
  const expected = cliWithFacts(capture);
  const [first, second] = picked;
  const named = (c) => expected.conversations.find((x) => x.transport === c.transport && x.a === c.a && x.b === c.b).process;
  assert.equal(named(first), 'CommCenter (4242)');
  assert.equal(named(second), 'apsd (777)');
  await dropFiles([capture, factsFile]);
  assert.equal(await settled(page), 'done');
  await factsApplied();
  assert.deepEqual(await page.evaluate(() => window.callscopeReport), expected);
  assert.ok((await rowsWith('CommCenter (4242)')).some((r) => r.includes(first.a)), 'the connected socket names its flow');
  assert.ok((await rowsWith('apsd (777)')).length >= 1, 'the wildcard socket names its flow');
  await go(page, '#/processes', 'view-processes');
  const processes = await page.locator('[data-testid=processes-table] tbody tr').allTextContents();
  assert.ok(processes.some((r) => r.includes('CommCenter') && r.includes('/usr/libexec/CommCenter')), processes.join('\n'));
  assert.match(await page.textContent('[data-testid=facts]'), /facts\.json \(test-mac, macos, 2 sockets\)/);
  await fullShot(page, 'facts-with-capture');
});

test('facts.json dropped after the capture attributes the report already shown', async () => {
  await dropFile(page, capture);
  assert.equal(await settled(page), 'done');
  // A new capture forgets the previous facts.
  assert.deepEqual(await page.evaluate(() => window.callscopeReport), plain);
  assert.equal(await page.locator('[data-testid=facts]').count(), 0);
  await page.evaluate(() => { window.callscopeFacts = undefined; });
  await dropFile(page, factsFile);
  await factsApplied();
  assert.deepEqual(await page.evaluate(() => window.callscopeReport), cliWithFacts(capture));
  assert.ok((await rowsWith('CommCenter (4242)')).length >= 1);
});

test('facts.json dropped before the capture applies to it', async () => {
  await dropFile(page, path.join(root, 'README.md')); // back to no report
  assert.equal(await settled(page), 'error');
  await page.evaluate(() => { window.callscopeFacts = undefined; });
  await dropFile(page, factsFile);
  await page.waitForSelector('[data-testid=facts-pending]');
  assert.match(await page.textContent('[data-testid=facts-pending]'), /facts\.json loaded: it will name the processes/);
  await dropFile(page, capture);
  assert.equal(await settled(page), 'done');
  await factsApplied();
  assert.deepEqual(await page.evaluate(() => window.callscopeReport), cliWithFacts(capture));
});

test('a facts file that is not one says so and keeps the report', async () => {
  const bad = path.join(work, 'other.json');
  fs.writeFileSync(bad, '{"schema":"something/else"}');
  await dropFile(page, bad);
  await page.waitForSelector('[data-testid=facts-error]');
  assert.match(await page.textContent('[data-testid=facts-error]'), /other\.json: not a facts\.json/);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'done');
  assert.ok((await rowsWith('CommCenter (4242)')).length >= 1, 'the facts already applied stay');
});

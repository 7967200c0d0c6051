// dist/ as published: served from a sub-path under its strict Content-Security-Policy (no inline
// script, no third-party origin) with no violation, and working offline after one visit thanks to
// its service worker, the demo included.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, settled, root, artifacts, CSP } from './harness.mjs';

let server, browser, context, page;
const violations = [];

before(async () => {
  assert.ok(fs.existsSync(path.join(root, 'dist/index.html')), 'dist/ is missing: run `cargo xtask build-page` first');
  fs.mkdirSync(artifacts, { recursive: true });
  server = await serve('/published/here/');
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  page = await context.newPage();
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text()); });
  page.on('pageerror', (e) => violations.push(String(e)));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('index.html has no inline script and a policy that allows none', () => {
  const html = fs.readFileSync(path.join(root, 'dist/index.html'), 'utf8');
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.ok(scripts.length >= 1);
  for (const [, attrs, body] of scripts) {
    assert.match(attrs, /\bsrc="\.\//, 'every script is a file of the page');
    assert.equal(body.trim(), '');
  }
  const policy = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)[1];
  assert.equal(CSP, policy, "the test server sends the page's own policy");
  const directive = (name) => policy.split(';').map((d) => d.trim().split(/\s+/)).find((d) => d[0] === name);
  assert.deepEqual(directive('default-src'), ['default-src', "'self'"]);
  assert.deepEqual(directive('connect-src'), ['connect-src', "'self'"]);
  const scriptSrc = policy.split(';').find((d) => d.trim().startsWith('script-src')).trim().split(/\s+/);
  assert.deepEqual(scriptSrc, ['script-src', "'self'", "'wasm-unsafe-eval'"], 'own files and wasm only: no inline script, no eval');
  assert.ok(!/https?:/.test(policy), 'no third-party origin');
});

test('after one visit the page works offline, demo included', async () => {
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=offline]', { timeout: 30_000 });
  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector('[data-testid=drop-zone]');
  await page.click('#demo');
  assert.equal(await settled(page), 'done');
  assert.equal(await page.evaluate(() => window.callscopeReport.capture.packets), 2234); // tshark's frame count for the demo's five sections
  await page.screenshot({ path: path.join(artifacts, 'offline-demo.png') });
  await context.setOffline(false);
});

test('no policy violation or script error happened', () => {
  assert.deepEqual(violations, []);
});

// Shared pieces of the browser tests: a static server for dist/ under a sub-path (with the CSP the
// page is meant to run under), Debian's Chromium through playwright-core, and the CLI's JSON.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const dist = path.join(root, 'dist');
export const shared = path.resolve(root, '../shared/captures');
export const artifacts = path.join(root, 'tests/e2e/artifacts');

/** The policy `cargo xtask` wrote into dist/index.html (xtask/src/dist.rs), sent as a header too. */
export const CSP = (() => {
  const html = fs.existsSync(path.join(dist, 'index.html')) ? fs.readFileSync(path.join(dist, 'index.html'), 'utf8') : '';
  return html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1] ?? "default-src 'self'";
})();
const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.pcapng': 'application/octet-stream', '.md': 'text/plain' };

/** Serves dist/ at http://127.0.0.1:PORT/<base>/ ; resolves to { url, close }. */
export function serve(base = '/some/sub/path/') {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (!url.pathname.startsWith(base)) {
      res.writeHead(404).end('outside the base path');
      return;
    }
    let rel = decodeURIComponent(url.pathname.slice(base.length)) || 'index.html';
    const file = path.join(dist, path.normalize(rel).replace(/^(\.\.[/\\])+/, ''));
    fs.readFile(file, (err, body) => {
      if (err) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': CSP });
      res.end(body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}${base}`, origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

/** Debian's Chromium, headless, with nothing that phones home. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** The CLI's JSON report for a file (the reference the page must equal); `extra` adds flags. */
export function cliReport(file, extra = []) {
  const bin = process.env.CALLSCOPE_BIN ?? path.join(root, 'target/release/callscope');
  return JSON.parse(execFileSync(bin, ['analyze', '--json', ...extra, file], { maxBuffer: 1 << 30 }).toString());
}

/** A number as the page writes it (digit groups are U+202F, a minus may be U+2212). */
export function num(text) {
  return Number(String(text).replace(/\u202f/g, '').replace('\u2212', '-').trim());
}

/** A screenshot of the whole page into artifacts/NAME.png, taken from the top: a full-page shot keeps
 *  the scroll position, so the sticky header would be drawn wherever the test last scrolled to. */
export async function fullShot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

/** Opens a view by its address and waits for it. */
export async function go(page, hash, view) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  if (view) await page.waitForSelector(`[data-testid=${view}]`);
}

/** Drops a file onto the page's drop zone the way a user's drag and drop does. */
export async function dropFile(page, file) {
  const bytes = fs.readFileSync(file).toString('base64');
  const name = path.basename(file);
  await page.evaluate(([b64, name]) => {
    const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([raw], name));
    const zone = document.querySelector('[data-testid=drop]');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, [bytes, name]);
}

/** Waits until the page says it is done (or failed); returns that state. */
export async function settled(page, timeout = 120_000) {
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout });
  return page.evaluate(() => document.body.dataset.state);
}

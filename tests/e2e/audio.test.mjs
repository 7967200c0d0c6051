// Listening to a call in the page: the worker decodes the generated tone call
// (tests/captures/audio/tone-pcmu.pcap: caller 440 Hz, callee 660 Hz, packets lost, late and
// replaced by DTMF), the waveform marks them, Play produces audio of the call's length (checked
// through window.callscopeAudio, which describes the AudioBuffer being played), the SIP messages
// and the slider move the playhead, and the WAV saved equals `callscope analyze --wav` byte for
// byte. Screenshots (light, dark, phone) go to artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { serve, launch, dropFile, settled, root, artifacts, go, fullShot } from './harness.mjs';

let server, browser, context, page;
const requests = [];
const errors = [];
const tone = (codec) => path.join(root, `tests/captures/audio/tone-${codec}.pcap`);
const CALL = 'tone-pcmu@callscope.test';

before(async () => {
  assert.ok(fs.existsSync(path.join(root, 'dist/index.html')), 'dist/ is missing: run `cargo xtask build-page` first');
  fs.mkdirSync(artifacts, { recursive: true });
  server = await serve('/a/sub/path/');
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1366, height: 900 }, timezoneId: 'UTC', colorScheme: 'light', acceptDownloads: true });
  page = await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=drop]');
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const shot = (name) => fullShot(page, `audio-${name}`);
const audio = () => page.evaluate(() => ({ ...window.callscopeAudio }));

/** The CLI's WAV of the same call, and its summary. */
function cliWav(file, args) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'callscope-wav-')), 'cli.wav');
  const bin = process.env.CALLSCOPE_BIN ?? path.join(root, 'target/release/callscope');
  const summary = JSON.parse(execFileSync(bin, ['analyze', file, ...args, '--json', '--wav', out]).toString());
  return { bytes: fs.readFileSync(out), summary };
}

async function openCall(file, id) {
  await dropFile(page, file);
  assert.equal(await settled(page), 'done');
  await go(page, `#/calls/${id}`, 'view-call');
  await page.click('[data-testid=audio-decode]');
  await page.waitForSelector('[data-testid=audio-play]', { timeout: 60_000 });
}

test('a call decodes to two lanes with its losses, late packets, key presses and messages marked', async () => {
  await openCall(tone('pcmu'), CALL);
  const a = await audio();
  // Caller from 1.000 s, callee to 3.990 + 0.020 s: 3.01 s of stereo at 8 kHz.
  assert.deepEqual([a.sampleRate, a.channels, a.samples, a.start], [8000, 2, 24080, 1]);
  assert.equal(a.bufferLength, 24080);
  assert.ok(Math.abs(a.bufferDuration - 3.01) < 1e-6, `${a.bufferDuration}`);
  assert.equal(await page.locator('[data-testid=audio-lane]').count(), 2);
  // Losses 50–51 and 75, late 100 and 120, "1" and "#": all on the caller's lane.
  assert.equal(await page.locator('[data-testid=audio-lost]').count(), 2);
  assert.equal(await page.locator('[data-testid=audio-late]').count(), 2);
  const keys = await page.locator('[data-testid=audio-dtmf] text').allTextContents();
  assert.deepEqual(keys, ['1', '#']);
  // Every SIP message of the call is on the axis (they come before and after the media).
  const labels = await page.locator('[data-testid=audio-event] text').allTextContents();
  assert.deepEqual(labels, ['INVITE (SDP)', '100 Trying', '180 Ringing', '200 OK (SDP)', 'ACK', 'BYE', '200 OK']);
  const tracks = await page.locator('[data-testid=audio-track]').allTextContents();
  assert.ok(tracks[0].includes('0x11111111 g711U, telephone-event: 147 packets, 129 played, 3 lost, 2 late'), tracks[0]);
  assert.ok(tracks[1].includes('0x22222222 g711U: 150 packets, 150 played, 0 lost, 0 late'), tracks[1]);
  // The ladder lists the key presses too.
  const ladder = await page.textContent('[data-testid=ladder]');
  assert.ok(ladder.includes('DTMF 1 (100 ms)') && ladder.includes('DTMF # (100 ms)'), 'DTMF rows in the ladder');
  await shot('call');
});

test('Play plays the whole call; the slider and a SIP message move the playhead', async () => {
  await page.click('[data-testid=audio-play]');
  await page.waitForFunction(() => window.callscopeAudio?.playing === true);
  const playing = await audio();
  assert.ok(Math.abs(playing.bufferDuration - 3.01) < 1e-6);
  assert.equal(await page.getAttribute('[data-testid=audio-play]', 'aria-pressed'), 'true');
  // The context's clock runs: the position moves on its own.
  await page.waitForFunction(() => window.callscopeAudio.position > 0.2, null, { timeout: 10_000 });
  await page.click('[data-testid=audio-play]');
  await page.waitForFunction(() => window.callscopeAudio?.playing === false);
  // The slider.
  await page.locator('[data-testid=audio-position]').fill('2.5');
  await page.waitForFunction(() => Math.abs(window.callscopeAudio.position - 2.5) < 1e-6);
  assert.equal(await page.textContent('[data-testid=audio-time]'), '0:02.5 / 0:03.0');
  // The BYE comes after the media: clicking it moves to the end; the INVITE, to the start.
  await page.locator('[data-testid=audio-event] text', { hasText: 'BYE' }).click();
  await page.waitForFunction(() => Math.abs(window.callscopeAudio.position - 3.01) < 1e-6);
  await page.locator('[data-testid=audio-event] text', { hasText: 'INVITE' }).click();
  await page.waitForFunction(() => window.callscopeAudio.position === 0);
  // Playing to the end stops by itself.
  await page.locator('[data-testid=audio-position]').fill('2.8');
  await page.click('[data-testid=audio-play]');
  await page.waitForFunction(() => window.callscopeAudio?.playing === false && window.callscopeAudio.position > 3, null, { timeout: 10_000 });
});

test('the WAV saved equals the CLI --wav byte for byte, in both playouts', async () => {
  for (const mode of ['buffer', 'captured']) {
    if (mode === 'captured') {
      await page.selectOption('[data-testid=audio-mode]', 'captured');
      await page.waitForFunction(() => window.callscopeAudio?.position === 0 && document.querySelector('[data-testid=audio-play]'));
      await page.waitForFunction(() => window.callscopeAudio?.samples === 24160);
    }
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=save-wav]')]);
    const saved = fs.readFileSync(await download.path());
    const cli = cliWav(tone('pcmu'), ['--call', CALL, '--playout', mode]);
    assert.equal(download.suggestedFilename().endsWith('.wav'), true);
    assert.equal(saved.length, cli.bytes.length, mode);
    assert.ok(saved.equals(cli.bytes), `${mode}: the page's WAV differs from the CLI's`);
    assert.equal((await audio()).samples, cli.summary.samples);
  }
});

test('a G.722 stream plays at 16 kHz from its stream page', async () => {
  await dropFile(page, tone('g722'));
  assert.equal(await settled(page), 'done');
  const index = await page.evaluate(() => window.callscopeReport.rtp.streams.findIndex((s) => s.ssrc === '0x11111111'));
  await go(page, `#/media/${index + 1}`, 'view-stream');
  await page.click('[data-testid=audio-decode]');
  await page.waitForSelector('[data-testid=audio-play]', { timeout: 60_000 });
  const a = await audio();
  assert.deepEqual([a.sampleRate, a.channels, a.samples], [16000, 1, 48000]);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=save-wav]')]);
  const cli = cliWav(tone('g722'), ['--stream', '0x11111111']);
  assert.ok(fs.readFileSync(await download.path()).equals(cli.bytes));
  // The other stream's page has a player of its own, not this stream's audio.
  const other = await page.evaluate(() => window.callscopeReport.rtp.streams.findIndex((s) => s.ssrc === '0x22222222'));
  await go(page, `#/media/${other + 1}`, 'view-stream');
  await page.waitForSelector('[data-testid=audio-decode]');
  assert.equal(await page.locator('[data-testid=audio-play]').count(), 0);
});

test('dark and phone screenshots of the player', async () => {
  await openCall(tone('pcma'), 'tone-pcma@callscope.test');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot('call-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 390, height: 844 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the call page is ${width} px wide`);
  await shot('call-phone');
  await page.setViewportSize({ width: 1366, height: 900 });
});

test('no request left the page origin and no script error happened', async () => {
  const outside = requests.filter((u) => !u.startsWith(server.origin + '/'));
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
});

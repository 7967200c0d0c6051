// Share links and exports: a link made on the page opens the same report in another tab with no
// file (unmasked: equal to the CLI's report; masked: no number, name or address of the capture in
// the link or on screen), a capture too big for a link shares a reduced report and says what it
// left out, damaged and hostile links are errors in words that run nothing, and every export
// (report JSON, table CSV, ladder SVG and text, series CSV) holds what the CLI says.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { serve, launch, cliReport, dropFile, settled, root, shared, artifacts, num, go, fullShot } from './harness.mjs';
import { callsPcap } from './captures.mjs';

let server, browser, context, page;
const requests = [];
const bin = process.env.CALLSCOPE_BIN ?? path.join(root, 'target/release/callscope');
const generated = (name) => path.join(shared, 'generated', name);
const sipUdp = generated('sip-call-udp.pcapng');
const aaa = fs.existsSync(path.join(shared, 'public/sip__aaa.pcap')) ? path.join(shared, 'public/sip__aaa.pcap') : sipUdp;

before(async () => {
  assert.ok(fs.existsSync(path.join(root, 'dist/index.html')), 'dist/ is missing: run `cargo xtask build-page` first');
  fs.mkdirSync(artifacts, { recursive: true });
  server = await serve('/shared/sub/');
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1366, height: 900 }, timezoneId: 'UTC', acceptDownloads: true });
  context.on('request', (r) => requests.push(r.url()));
  page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=drop]');
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** What a link carries, decoded as any reader could: base64url, raw deflate, JSON. */
function decodeLink(link) {
  const body = link.slice(link.indexOf('#r=') + 3);
  return JSON.parse(zlib.inflateRawSync(Buffer.from(body, 'base64url')).toString());
}

/** A link made outside the page, for hostile tests. */
function linkOf(value) {
  return `${server.url}#r=${zlib.deflateRawSync(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value))).toString('base64url')}`;
}

async function makeLink({ mask }) {
  await page.click('[data-testid=share]');
  await page.waitForSelector('[data-testid=share-panel]');
  if (!mask) await page.uncheck('[data-testid=share-mask]');
  // The link made with this setting (not one still shown from the other).
  await page.waitForSelector(`[data-testid=share-link][data-masked=${mask}]`);
  const link = await page.inputValue('[data-testid=share-link]');
  const length = num((await page.textContent('[data-testid=share-length]')).split(' characters')[0]);
  assert.equal(length, link.length, 'the panel states the link length');
  const leftOut = await page.locator('[data-testid=share-left-out] li').allTextContents();
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=share-panel]', { state: 'detached' });
  return { link, leftOut };
}

/** Opens a link in a new tab of the same browser; returns the tab. */
async function openInNewTab(link) {
  const tab = await context.newPage();
  tab.on('pageerror', (e) => console.error('page error (shared tab):', e));
  await tab.goto(link);
  await tab.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state) || document.querySelector('[data-testid=error]'));
  return tab;
}

test('an unmasked link opens the same report in another tab, with no file', async () => {
  const cli = cliReport(sipUdp);
  await dropFile(page, sipUdp);
  assert.equal(await settled(page), 'done');
  const { link, leftOut } = await makeLink({ mask: false });
  assert.ok(link.startsWith(server.url + '#r='), link.slice(0, 80));
  const carried = decodeLink(link);
  assert.equal(carried.file, 'sip-call-udp.pcapng');
  assert.equal(carried.masked_numbers, false);
  assert.deepEqual(leftOut, [], 'a small capture is shared whole');
  assert.deepEqual(carried.left_out, []);
  assert.deepEqual(carried.report, cli);
  const tab = await openInNewTab(link);
  assert.equal(await tab.evaluate(() => document.body.dataset.state), 'done');
  assert.deepEqual(await tab.evaluate(() => window.callscopeReport), carried.report);
  assert.match(await tab.textContent('[data-testid=shared-banner]'), /A shared report of sip-call-udp\.pcapng, made .* with callscope \d/);
  assert.equal(await tab.evaluate(() => location.hash), '#/', 'the long fragment leaves the address bar');
  // Its views work, and a reload on one of them keeps the shared report.
  await go(tab, '#/calls', 'calls-table');
  await tab.locator('[data-testid=calls-table] tbody tr a').first().click();
  await tab.waitForSelector('[data-testid=ladder]');
  assert.equal(await tab.locator('[data-testid=ladder] g.arrow.msg').count(), carried.report.sip.calls[0].messages.length);
  // Listening needs the packets: the card says so instead of offering to decode.
  assert.match(await tab.textContent('[data-testid=audio]'), /needs the capture itself: a shared report carries no packets/);
  assert.equal(await tab.locator('[data-testid=audio-decode]').count(), 0);
  await tab.reload();
  await tab.waitForSelector('[data-testid=ladder]');
  await fullShot(tab, 'shared-call');
  await tab.close();
});

test('a masked link carries no number, name or address of the capture, in the URL or on screen', async () => {
  const cli = cliReport(aaa);
  await dropFile(page, aaa);
  assert.equal(await settled(page), 'done');
  const { link } = await makeLink({ mask: true });
  const secrets = new Set();
  const users = (text) => [...(text ?? '').matchAll(/sips?:([^@;>:,\s]+)@|tel:([^;>,\s]+)/g)].map((m) => m[1] ?? m[2]);
  for (const c of [...cli.sip.calls, ...cli.sip.exchanges]) {
    for (const u of [...users(c.from), ...users(c.to)]) secrets.add(u);
    if (c.caller_name) secrets.add(c.caller_name);
  }
  for (const e of cli.endpoints) if (!['loopback', 'multicast', 'broadcast'].includes(e.class)) secrets.add(e.addr);
  for (const s of cli.rtcp.sources) if (s.cname?.includes('@')) secrets.add(s.cname.split('@')[0]);
  for (const t of cli.stun.transactions) if (t.username) secrets.add(t.username);
  secrets.add(path.basename(aaa));
  // Call-IDs keep their text (`callscope analyze --call` must find them): a user part that is
  // also a Call-ID's text is not a secret here.
  const ids = [...cli.sip.calls, ...cli.sip.exchanges].map((c) => c.call_id);
  for (const s of [...secrets]) if (ids.some((id) => id.includes(s))) secrets.delete(s);
  assert.ok(secrets.size >= 5, [...secrets].join(' '));
  const carried = decodeLink(link);
  assert.ok(carried.masked_numbers && carried.masked_addresses);
  const json = JSON.stringify(carried);
  // A secret counts wherever it stands, but not inside a longer number (10.0.0.1 is not in
  // 110.0.0.12): `sip:10.0.0.1`, `10.0.0.1:5060` and `10.0.0.1.` all count.
  const present = (text, secret) => new RegExp(`(?<![0-9])${secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![0-9])`).test(text);
  for (const s of secrets) assert.ok(!present(json, s), `${s} is in the link`);
  assert.equal(carried.report.endpoints.length, cli.endpoints.length);
  assert.deepEqual(carried.report.endpoints.map((e) => e.class).sort(), cli.endpoints.map((e) => e.class).sort(), 'classes are kept');
  const tab = await openInNewTab(link);
  for (const [hash, view] of [['#/', 'view-overview'], ['#/calls', 'view-calls'], ['#/network', 'view-network']]) {
    await go(tab, hash, view);
    const text = await tab.textContent('body');
    for (const s of secrets) assert.ok(!present(text, s), `${s} is on the page at ${hash}`);
  }
  await tab.locator('[data-testid=tab-calls]').click();
  await tab.locator('[data-testid=calls-table] tbody tr a').first().click();
  await tab.locator('[data-testid=ladder] g.arrow.msg').first().click();
  await tab.waitForSelector('[data-testid=message-detail]');
  const detail = await tab.textContent('[data-testid=message-detail]');
  for (const s of secrets) assert.ok(!present(detail, s), `${s} is in a message`);
  await fullShot(tab, 'shared-masked-message');
  await tab.close();
});

test('a capture too big for a link shares a reduced report and says what it left out', async () => {
  const file = path.join(artifacts, 'calls-3000.pcap');
  fs.writeFileSync(file, callsPcap(3000));
  await page.setInputFiles('#file', file);
  assert.equal(await settled(page, 120_000), 'done');
  const { link, leftOut } = await makeLink({ mask: true });
  const fragment = link.slice(link.indexOf('#'));
  assert.ok(fragment.length <= 8192, `${fragment.length} characters`);
  assert.ok(leftOut.length >= 2, leftOut.join('\n'));
  assert.ok(leftOut.some((l) => l.startsWith('SIP message start lines')), leftOut.join('\n'));
  const carried = decodeLink(link);
  assert.deepEqual(carried.left_out, leftOut);
  const tab = await openInNewTab(link);
  assert.match(await tab.textContent('[data-testid=shared-banner]'), /Left out to keep the link short: SIP message start lines/);
  await go(tab, '#/calls', 'view-calls');
  assert.equal(num(await tab.textContent('[data-testid=calls-table-count]')), carried.report.sip.calls.length);
  await tab.close();
});

test('damaged and hostile links are errors in words, and nothing in them runs', async () => {
  const tab = await context.newPage();
  const evil = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
  const cases = [
    [`${server.url}#r=AAAA`, /damaged/],
    [`${server.url}#r=***`, /damaged \(not base64url/],
    [linkOf('not json'), /does not hold a callscope report/],
    [linkOf({ v: 1, report: { schema: 'something/else' } }), /does not hold a callscope report/],
    [linkOf({ v: 9, report: { schema: 'callscope.report/1' } }), /newer callscope \(link version 9\)/],
    [`${server.url}#r=${zlib.deflateRawSync(Buffer.alloc(80 << 20)).toString('base64url')}`, /damaged \(it inflates beyond 16 MiB\)/],
    // 300,000 empty calls: small when deflated, a lot of memory as records.
    [linkOf(`{"v":1,"report":{"schema":"callscope.report/1","sip":{"calls":[${'{},'.repeat(300_000)}{}]}}}`), /\d+ objects, more than a shared report holds/],
    [linkOf({ report: { schema: 'callscope.report/1' } }), /no link version/],
    // Addresses are addresses: markup where one belongs is refused, not shown.
    [linkOf({ v: 1, report: { schema: 'callscope.report/1', conversations: [{ transport: 'udp', a: evil, b: '10.0.0.1:5060' }] } }), /does not hold a callscope report \(not an address and port/],
  ];
  for (const [link, message] of cases) {
    await tab.goto(server.url);
    await tab.waitForSelector('[data-testid=drop]');
    await tab.evaluate(() => sessionStorage.clear());
    await tab.goto(link);
    await tab.waitForSelector('[data-testid=error]');
    assert.match(await tab.textContent('[data-testid=error]'), message);
    await tab.waitForSelector('[data-testid=drop-zone]'); // the page stays usable
  }
  // Markup and script in a report's strings are shown as text, never run or parsed.
  await tab.goto(linkOf({
    v: 1, file: evil, report: {
      schema: 'callscope.report/1',
      sip: { calls: [{ call_id: evil, caller: evil, callee: evil, state: 'answered', messages: [{ frame: 1, src: '10.0.0.2:5060', dst: '10.0.0.1:5060', label: evil, start_line: evil, headers: [`From: ${evil}`] }] }] },
      conversations: [{ transport: 'udp', a: '10.0.0.2:5060', b: '10.0.0.1:5060', protocol: evil, process: `${evil} (7)` }],
    },
  }));
  await tab.waitForSelector('[data-testid=shared-banner]');
  await go(tab, '#/calls', 'calls-table');
  await tab.locator('[data-testid=calls-table] tbody tr a').first().click();
  await tab.waitForSelector('[data-testid=ladder]');
  await tab.locator('[data-testid=ladder] g.arrow.msg').first().click();
  await tab.waitForSelector('[data-testid=message-detail]');
  await go(tab, '#/network', 'conversations-table');
  // No element was made from the text (the policy would stop the handlers anyway).
  assert.equal(await tab.locator('img[src=x]').count(), 0);
  assert.equal(await tab.evaluate(() => document.querySelectorAll('body script').length), 0);
  assert.equal(await tab.evaluate(() => window.pwned), undefined);
  assert.ok((await tab.textContent('body')).includes('<img src=x'), 'shown as text');
  await tab.close();
});

/** Clicks `selector` and returns the text of the file the page offered. */
async function saved(selector) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return { name: download.suggestedFilename(), text: fs.readFileSync(await download.path(), 'utf8') };
}

test('exports: report JSON, table CSV, ladder SVG and text, series CSV', async () => {
  const file = generated('sip-call-baresip-udp.pcapng');
  const cli = cliReport(file);
  await dropFile(page, file);
  assert.equal(await settled(page), 'done');
  const json = await saved('[data-testid=save-json]');
  assert.equal(json.name, 'sip-call-baresip-udp.pcapng-report.json');
  assert.equal(json.text, execFileSync(bin, ['analyze', '--json', file]).toString(), 'byte for byte the CLI --json');
  await go(page, '#/network', 'conversations-table');
  const csv = await saved('[data-testid=conversations-table-csv]');
  const lines = csv.text.trimEnd().split('\r\n');
  assert.equal(lines.length, cli.conversations.length + 1);
  assert.equal(lines[0], "Transport,A (initiator),B,B's name,Packets,Bytes,A→B,B→A,Start (s),Duration (s),Protocol,Process,ICMP errors,Capture");
  assert.equal(Number(lines[1].split(',')[5]), Math.max(...cli.conversations.map((c) => c.bytes)), 'largest first, plain numbers');
  // The callee's ports were closed when the caller's last RTP and RTCP arrived: one ICMP error each.
  const refused = cli.conversations.filter((c) => c.icmp_errors);
  assert.deepEqual(refused.map((c) => c.protocol).sort(), ['rtcp', 'rtp']);
  for (const c of refused) {
    const e = c.icmp_errors[0];
    const row = lines.find((l) => l.startsWith(`udp,${c.a},${c.b},`));
    assert.ok(row.includes(`${e.error} from ${e.from}`), row);
  }
  assert.match(await page.textContent('[data-testid=conversations-table]'), /port unreachable from 10\.99\.8\.2/);
  const call = cli.sip.calls[0];
  await go(page, `#/calls/${call.call_id}`, 'ladder');
  const text = await saved('[data-testid=save-ladder-text]');
  assert.equal(text.text, execFileSync(bin, ['analyze', '--call', call.call_id, file]).toString(), 'the CLI --call text');
  const svg = await saved('[data-testid=save-ladder-svg]');
  assert.ok(svg.text.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.equal(svg.text.match(/<g class="arrow msg/g).length, call.messages.length);
  assert.equal((svg.text.match(/<g class="arrow media/g) ?? []).length, call.media.length);
  await go(page, '#/media/1', 'view-stream');
  const series = await saved('[data-testid=save-series]');
  assert.equal(series.text.trimEnd().split('\r\n').length, cli.rtp.streams[0].series.length + 1);
});

test('no request left the page origin', async () => {
  const outside = requests.filter((u) => !u.startsWith(server.origin + '/') && !u.startsWith('blob:'));
  assert.deepEqual(outside, []);
});

/** The CLI's report of a file the page offered, written to artifacts/. */
async function savedCapture(selector, name) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click(selector)]);
  const file = path.join(artifacts, name);
  fs.copyFileSync(await download.path(), file);
  return { file, report: cliReport(file), suggested: download.suggestedFilename() };
}

test('filtered captures: a call, a tunnel, a conversation and a process read again by the CLI', async () => {
  // A call: its SIP and its RTP/RTCP, and nothing else.
  const baresip = generated('sip-call-baresip-udp.pcapng');
  const whole = cliReport(baresip);
  await dropFile(page, baresip);
  assert.equal(await settled(page), 'done');
  const call = whole.sip.calls[0];
  await go(page, `#/calls/${call.call_id}`, 'ladder');
  const exported = await savedCapture('[data-testid=save-call-pcapng]', 'exported-call.pcapng');
  assert.match(exported.suggested, /^sip-call-baresip-udp\.pcapng-call-.*\.pcapng$/);
  const r = exported.report;
  assert.equal(r.capture.format, 'pcapng');
  assert.equal(r.sip.calls.length, 1);
  const shape = (c) => ({ id: c.call_id, state: c.state, messages: c.messages.map((m) => [m.label, m.src, m.dst, m.start_line]), sdp: c.sdp.length });
  assert.deepEqual(shape(r.sip.calls[0]), shape(call));
  const streams = (rep, c) => c.media.map((i) => rep.rtp.streams[i]).map((s) => [s.src, s.dst, s.ssrc, s.packets, s.lost, s.max_jitter_ms]);
  assert.deepEqual(streams(r, r.sip.calls[0]), streams(whole, call));
  assert.equal(r.rtcp.packets, whole.rtcp.packets, 'the RTCP beside the streams');
  assert.ok(r.capture.packets < whole.capture.packets, 'other traffic left out');
  assert.match(await page.textContent('[data-testid=export-status]'), /exported|packets, saved/);

  // A tunnel: its IKE before and after the move to 4500, and its ESP.
  const ike = generated('ikev2-natt.pcapng');
  const ikeWhole = cliReport(ike);
  await dropFile(page, ike);
  assert.equal(await settled(page), 'done');
  await go(page, '#/tunnels/1', 'view-tunnel');
  const t = (await savedCapture('[data-testid=save-tunnel-pcapng]', 'exported-tunnel.pcapng')).report;
  assert.equal(t.ike.messages, ikeWhole.ike.messages);
  assert.equal(t.ike.esp_packets, ikeWhole.ike.esp_packets);
  assert.deepEqual(t.ike.tunnels[0].esp.map((e) => [e.spi, e.packets]), ikeWhole.ike.tunnels[0].esp.map((e) => [e.spi, e.packets]));
  assert.equal(t.ike.tunnels[0].keepalives, ikeWhole.ike.tunnels[0].keepalives);

  // A conversation, from the network table (largest first).
  await go(page, '#/network', 'conversations-table');
  const largest = [...ikeWhole.conversations].sort((a, b) => b.bytes - a.bytes)[0];
  const f = (await savedCapture('[data-testid=conversations-table] tbody tr:first-child button', 'exported-flow.pcapng')).report;
  assert.deepEqual(f.conversations.map((c) => [c.a, c.b, c.packets, c.bytes]), [[largest.a, largest.b, largest.packets, largest.bytes]]);

  // A process, from a capture that names its processes.
  const apple = path.join(shared, 'public/mac__lo0_dltnull_pib.pcapng');
  if (fs.existsSync(apple)) {
    const appleWhole = cliReport(apple);
    await dropFile(page, apple);
    assert.equal(await settled(page), 'done');
    const p = appleWhole.processes[0];
    await go(page, `#/processes/${p.pid}`, 'view-process');
    const x = (await savedCapture('[data-testid=save-process-pcapng]', 'exported-process.pcapng')).report;
    const label = `${p.name} (${p.pid})`;
    const mine = appleWhole.conversations.filter((c) => c.process === label);
    assert.deepEqual(x.conversations.map((c) => [c.a, c.b, c.packets]).sort(), mine.map((c) => [c.a, c.b, c.packets]).sort());
  }
});

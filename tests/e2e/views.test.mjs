// Every view of the page, opened through its address, shows the numbers of `callscope analyze
// --json` for the same file: overview with its verdicts (whose evidence links open their views),
// tunnels, calls with their ladders and messages, NAT traversal, media with plots, network,
// names, processes. Then back/forward, a keyboard-only walk, the
// mask switch, dark mode and a phone-sized window. Screenshots of every view go to artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, cliReport, dropFile, settled, root, shared, artifacts, num, go, fullShot } from './harness.mjs';

let server, browser, context, page;
const requests = [];
const errors = [];

const generated = (name) => path.join(shared, 'generated', name);
const publicCapture = (name) => path.join(shared, 'public', name);
/** The captures every view is checked on: owned demo (IKE + SIP/RTP + STUN/TURN + DNS/TLS),
 *  generated single-protocol captures, and public SIP captures with several calls. */
const CAPTURES = [
  ['demo', path.join(root, 'static/demo.pcapng')],
  ['sip-udp', generated('sip-call-udp.pcapng')],
  ['sip-tcp', generated('sip-call-tcp.pcapng')],
  ['baresip', generated('sip-call-baresip-udp.pcapng')],
  ['ike', generated('ikev2-natt.pcapng')],
  ['stun', generated('stun.pcapng')],
  ['aaa', publicCapture('sip__aaa.pcap')],
  ['g711', publicCapture('sip__SIP_CALL_RTP_G711.pcap')],
  ['zfone', publicCapture('sip__Asterisk_ZFONE_XLITE.pcap')],
  ['apple', publicCapture('mac__lo0_dltnull_pib.pcapng')],
].filter(([, file]) => fs.existsSync(file));

before(async () => {
  assert.ok(fs.existsSync(path.join(root, 'dist/index.html')), 'dist/ is missing: run `cargo xtask build-page` first');
  fs.mkdirSync(artifacts, { recursive: true });
  server = await serve('/a/sub/path/');
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1366, height: 900 }, timezoneId: 'UTC', colorScheme: 'light' });
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

async function load(file) {
  await dropFile(page, file);
  assert.equal(await settled(page), 'done', `${file} decodes`);
}

/** A Call-ID as the page writes it in an address (RFC 3986 unreserved characters and `@` kept). */
const segment = (id) => Array.from(new TextEncoder().encode(id), (b) => {
  const c = String.fromCharCode(b);
  return /[A-Za-z0-9\-._~@]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
}).join('');

const shot = (name) => fullShot(page, name);
const texts = (selector) => page.locator(selector).allTextContents();
const count = (selector) => page.locator(selector).count();

/** Column `n` (1-based) of the first page of a table. */
const column = (table, n) => texts(`[data-testid=${table}] tbody tr td:nth-child(${n})`);

async function checkOverview(name, cli) {
  await go(page, '#/', 'view-overview');
  assert.equal(num(await page.textContent('[data-testid=packets]')), cli.capture.packets);
  assert.equal(await page.textContent('[data-testid=format]'), cli.capture.format);
  // One bar per family per timeline bucket.
  assert.equal(await count('[data-testid=timeline] rect.bar'), 5 * cli.timeline.points.length);
  const mix = await texts('[data-testid=mix] li');
  const totals = [0, 1, 2, 3, 4].map((f) => cli.timeline.points.reduce((a, p) => a + p.packets[f], 0));
  mix.forEach((line, f) => assert.match(line.replace(/\u202f/g, ''), new RegExp(`(^|\\D)${totals[f]} packets`), `${line} has ${totals[f]} packets`));
  // Hovering the timeline reads out the bucket under the pointer; the arrow keys do too.
  if (cli.timeline.points.length > 0) {
    // The verdicts above may push the timeline below the fold.
    await page.locator('[data-testid=timeline] svg').scrollIntoViewIfNeeded();
    const box = await page.locator('[data-testid=timeline] svg').boundingBox();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.waitForFunction(() => /=/.test(document.querySelector('[data-testid=timeline-readout]').textContent));
    await page.focus('[data-testid=timeline] svg');
    await page.keyboard.press('Home');
    const p0 = cli.timeline.points[0];
    const readout = (await page.textContent('[data-testid=timeline-readout]')).replace(/\u202f/g, '');
    assert.ok(readout.includes(`IKE/ESP ${p0.packets[0]} · SIP ${p0.packets[1]} · STUN/TURN ${p0.packets[2]} · RTP/RTCP ${p0.packets[3]} · other ${p0.packets[4]}`), readout);
  }
  const esp = num((await page.textContent('[data-testid=card-tunnels]')).match(/([\d\u202f]+) ESP packets/)[1]);
  assert.equal(esp, cli.ike.esp_packets);
  const calls = num((await page.textContent('[data-testid=card-calls]')).match(/([\d\u202f]+) calls?/)[1]);
  assert.equal(calls, cli.sip.calls.length);
  await shot(`${name}-overview`);
}

async function checkTunnels(name, cli) {
  await go(page, '#/tunnels', 'view-tunnels');
  const tunnels = cli.ike.tunnels;
  assert.equal(await count('[data-testid=tunnel]'), tunnels.length);
  for (const [i, t] of tunnels.entries()) {
    const card = page.locator('[data-testid=tunnel]').nth(i);
    assert.equal(await card.locator('[data-testid=tunnel-ispi]').textContent(), t.ispi);
    assert.equal(await card.locator('[data-testid=tunnel-state]').textContent(), t.state);
    // The responder's name (the demo's: the ePDG DNS named), as its endpoint carries it.
    const host = t.responder.startsWith('[') ? t.responder.slice(1, t.responder.indexOf(']')) : t.responder.replace(/:\d+$/, '');
    const name = cli.endpoints.find((e) => e.addr === host)?.name;
    const shown = card.locator('[data-testid=tunnel-responder-name]');
    if (name) assert.ok((await shown.textContent()).startsWith(name), `${name} on the tunnel card`);
    else assert.equal(await shown.count(), 0);
    assert.equal(await card.locator('[data-testid=tunnel-axis] .ex').count(), t.exchanges.length);
    assert.equal(await card.locator('[data-testid=tunnel-axis] .ka').count(), t.keepalive_times?.length ?? 0);
    const spis = await card.locator(`[data-testid=esp-table-${i + 1}] tbody tr td:nth-child(1)`).allTextContents();
    assert.deepEqual(spis.sort(), t.esp.map((e) => e.spi).sort());
    const packets = await card.locator(`[data-testid=esp-table-${i + 1}] tbody tr td:nth-child(5)`).allTextContents();
    assert.equal(packets.map(num).reduce((a, b) => a + b, 0), t.esp.reduce((a, e) => a + e.packets, 0));
  }
  await shot(`${name}-tunnels`);
  if (tunnels.length > 0) {
    await go(page, '#/tunnels/1', 'view-tunnel');
    assert.equal(num(await page.textContent('[data-testid=exchanges-table-count]')), tunnels[0].exchanges.length);
    const types = await column('exchanges-table', 1);
    assert.deepEqual(types, tunnels[0].exchanges.slice(0, 50).map((x) => x.type));
    await shot(`${name}-tunnel-1`);
  }
}

async function checkCalls(name, cli) {
  await go(page, '#/calls', 'view-calls');
  const calls = cli.sip.calls;
  if (calls.length > 0) {
    assert.equal(num(await page.textContent('[data-testid=calls-table-count]')), calls.length);
    const states = await column('calls-table', 6);
    states.forEach((s, i) => assert.ok(s.startsWith(calls[i].state), `${s} is ${calls[i].state}`));
    assert.deepEqual(await column('calls-table', 11), calls.slice(0, 100).map((c) => c.call_id));
  }
  assert.equal(await count('[data-testid=exchanges-table] tbody tr'), Math.min(cli.sip.exchanges.length, 100));
  await shot(`${name}-calls`);
  // A non-call exchange (REGISTER, OPTIONS…) opens its own ladder.
  if (cli.sip.exchanges.length > 0) {
    const ex = cli.sip.exchanges[0];
    await page.locator('[data-testid=exchanges-table] tbody tr a').first().click();
    await page.waitForSelector('[data-testid=ladder]');
    assert.equal(await page.textContent('[data-testid=call-id]'), ex.call_id);
    const labels = await page.locator('[data-testid=ladder] g.arrow.msg').evaluateAll((gs) => gs.map((g) => g.dataset.label));
    assert.deepEqual(labels, ex.messages.map((m) => m.label));
  }
  for (const [i, call] of calls.slice(0, 3).entries()) {
    // Open the call from its row, as a user does.
    await go(page, '#/calls', 'view-calls');
    await page.locator('[data-testid=calls-table] tbody tr').nth(i).locator('td').nth(3).click();
    await page.waitForSelector('[data-testid=view-call]');
    assert.equal(await page.textContent('[data-testid=call-id]'), call.call_id);
    assert.ok((await page.textContent('[data-testid=call-state]')).startsWith(call.state));
    const labels = await page.locator('[data-testid=ladder] g.arrow.msg').evaluateAll((gs) => gs.map((g) => g.dataset.label));
    assert.deepEqual(labels, call.messages.map((m) => m.label), 'one arrow per message, in order');
    const frames = await page.locator('[data-testid=ladder] g.arrow.msg').evaluateAll((gs) => gs.map((g) => Number(g.dataset.frame)));
    assert.deepEqual(frames, call.messages.map((m) => m.frame));
    assert.equal(await count('[data-testid=ladder] g.arrow.media'), call.media.length);
    assert.equal(await count('[data-testid=ladder] g.arrow.retrans'), call.messages.filter((m) => m.retransmission).length);
    if (i === 0) await shot(`${name}-call-1`);
    // A message opens its details; Escape closes them.
    const pick = Math.min(1, call.messages.length - 1);
    await page.locator('[data-testid=ladder] g.arrow.msg').nth(pick).click();
    await page.waitForSelector('[data-testid=message-detail]');
    assert.ok((await page.evaluate(() => location.hash)).endsWith(`/${pick + 1}`));
    const m = call.messages[pick];
    if (m.start_line) assert.equal(await page.textContent('[data-testid=message-start-line]'), m.start_line);
    assert.equal(await count('[data-testid=message-headers] tr'), m.headers?.length ?? 0);
    if (i === 0) await shot(`${name}-call-1-message`);
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=message-detail]', { state: 'detached' });
    assert.equal(await page.evaluate(() => location.hash), `#/calls/${segment(call.call_id)}`);
  }
}

function stunGroups(stun) {
  return new Set(stun.transactions.map((t) => [t.method, t.client, t.server, t.transport].join(' '))).size;
}

async function checkNat(name, cli) {
  await go(page, '#/nat', 'view-nat');
  const s = cli.stun;
  if (s.messages + s.classic_messages + s.channel_data > 0) {
    assert.equal(num(await page.textContent('[data-testid=stun-messages]')), s.messages);
    assert.equal(num(await page.textContent('[data-testid=stun-channel-data]')), s.channel_data);
    assert.equal(num(await page.textContent('[data-testid=stun-transactions]')), s.transactions.length);
    assert.equal(num(await page.textContent('[data-testid=stun-groups-count]')), stunGroups(s));
    if (stunGroups(s) <= 100) {
      const counted = (await column('stun-groups', 5)).map(num).reduce((a, b) => a + b, 0);
      assert.equal(counted, s.transactions.length, 'the groups hold every transaction');
    }
    assert.equal(await count('[data-testid=allocation]'), s.allocations.length);
    const relayed = await texts('[data-testid=allocation-relayed]');
    s.allocations.forEach((a, k) => a.relayed && assert.equal(relayed[k], a.relayed));
  } else {
    await page.waitForSelector('[data-testid=empty]');
  }
  await shot(`${name}-nat`);
}

async function checkMedia(name, cli) {
  await go(page, '#/media', 'view-media');
  const streams = cli.rtp.streams;
  if (streams.length === 0) {
    await page.waitForSelector('[data-testid=empty]');
    return;
  }
  assert.equal(num(await page.textContent('[data-testid=streams-table-count]')), streams.length);
  const first = streams.slice(0, 100);
  assert.deepEqual((await column('streams-table', 4)), first.map((s) => s.ssrc));
  assert.deepEqual((await column('streams-table', 6)).map(num), first.map((s) => s.packets));
  assert.deepEqual((await column('streams-table', 7)).map((t) => num(t.split(' (')[0])), first.map((s) => s.lost));
  assert.deepEqual(await column('streams-table', 13), first.map((s) => s.max_jitter_ms.toFixed(3)));
  await shot(`${name}-media`);
  for (const i of [0, streams.length - 1]) {
    const s = streams[i];
    await go(page, `#/media/${i + 1}`, 'view-stream');
    assert.equal(num(await page.textContent('[data-testid=stream-packets]')), s.packets);
    // One point per second (bucket) of the series in each plot.
    assert.equal(await count('[data-testid=plot-jitter] circle.pt'), s.series.length);
    assert.equal(await count('[data-testid=plot-delta] circle.pt'), s.series.length);
    assert.equal(await count('[data-testid=plot-loss] rect.bar'), 2 * s.series.length);
    const call = s.call != null ? cli.sip.calls[s.call] : null;
    if (call) assert.ok((await count('[data-testid=plot-jitter] .marker line')) === call.messages.filter((m) => !m.retransmission).length);
    if (i === 0) await shot(`${name}-stream-1`);
  }
}

async function checkNetwork(name, cli) {
  await go(page, '#/network', 'view-network');
  assert.equal(num(await page.textContent('[data-testid=conversations-table-count]')), cli.conversations.length);
  assert.equal(num(await page.textContent('[data-testid=endpoints-table-count]')), cli.endpoints.length);
  assert.equal(await count('[data-testid=hierarchy] tbody tr'), cli.hierarchy.length);
  // Largest first, as the CLI lists them.
  const bytes = (await column('conversations-table', 6)).map(num);
  assert.equal(bytes[0], Math.max(...cli.conversations.map((c) => c.bytes)));
  assert.deepEqual(bytes, [...bytes].sort((a, b) => b - a));
  await shot(`${name}-network`);
}

async function checkVerdicts(name, cli) {
  await go(page, '#/', 'view-overview');
  const titles = await texts('[data-testid=verdict] h3');
  assert.equal(titles.length, cli.verdicts.length);
  cli.verdicts.forEach((v, i) => {
    assert.ok(titles[i].includes(v.title), `${titles[i]} shows ${v.title}`);
    assert.ok(titles[i].toLowerCase().startsWith(v.confidence), `${titles[i]} says ${v.confidence}`);
  });
  if (cli.verdicts.length === 0) await page.waitForSelector('[data-testid=verdicts-none]');
  // The first evidence link of each verdict opens a view of this report.
  for (let i = 0; i < cli.verdicts.length; i += 1) {
    await go(page, '#/', 'view-overview');
    const link = page.locator('[data-testid=verdict]').nth(i).locator('[data-testid=evidence]').first();
    if (await link.count() === 0) continue;
    const href = await link.getAttribute('href');
    await link.click();
    await page.waitForFunction((h) => window.location.hash === h, href);
    assert.equal(await count('[data-testid=not-found]'), 0, `${href} opens a view`);
  }
}

async function checkNames(name, cli) {
  const shown = cli.names.length > 0 || cli.dns.messages > 0;
  await go(page, '#/', 'view-overview');
  assert.equal(await count('[data-testid=tab-names]'), shown ? 1 : 0);
  if (!shown) return;
  await go(page, '#/names', 'view-names');
  assert.equal(num(await page.textContent('[data-testid=names-table-count]')), cli.names.length);
  if (cli.dns.messages > 0) {
    assert.equal(num(await page.textContent('[data-testid=dns-table-count]')), cli.dns.queries.length);
  }
  if (cli.tls.sessions.length > 0) {
    assert.equal(num(await page.textContent('[data-testid=tls-table-count]')), cli.tls.sessions.length);
    const sni = await column('tls-table', 3);
    assert.deepEqual(sni.slice(0, 100), cli.tls.sessions.slice(0, 100).map((t) => t.sni ?? '—'));
  }
  // Each conversation's responder name, as the CLI gives it.
  await go(page, '#/network', 'view-network');
  const cliNames = new Set(cli.conversations.map((c) => c.b_name).filter(Boolean));
  const pageNames = (await column('conversations-table', 4)).filter((t) => t !== '—');
  for (const n of pageNames) assert.ok(cliNames.has(n), `${n} is a name the CLI gives`);
  if (cli.conversations.length <= 100) assert.equal(new Set(pageNames).size, cliNames.size);
  await go(page, '#/names', 'view-names');
  await shot(`${name}-names`);
}

async function checkProcesses(name, cli) {
  await go(page, '#/processes', 'view-processes');
  if (cli.processes.length === 0) {
    await page.waitForSelector('[data-testid=empty]');
    return;
  }
  assert.equal(await page.locator('[data-testid=tab-processes]').count(), 1);
  assert.equal(num(await page.textContent('[data-testid=processes-table-count]')), cli.processes.length);
  const byBytes = [...cli.processes].sort((a, b) => b.bytes - a.bytes);
  assert.deepEqual((await column('processes-table', 5)).map(num), byBytes.slice(0, 100).map((p) => p.bytes));
  await shot(`${name}-processes`);
  const top = byBytes[0];
  await page.locator('[data-testid=processes-table] tbody tr a').first().click();
  await page.waitForSelector('[data-testid=view-process]');
  const label = `${top.name} (${top.pid})`;
  assert.equal(await count('[data-testid=process-conversations] li'), cli.conversations.filter((c) => c.process === label).length);
  await shot(`${name}-process-1`);
}

for (const [name, file] of CAPTURES) {
  test(`${name}: every view shows the CLI's numbers`, async () => {
    const cli = cliReport(file);
    await load(file);
    assert.deepEqual(await page.evaluate(() => window.callscopeReport), cli);
    await checkOverview(name, cli);
    await checkVerdicts(name, cli);
    await checkTunnels(name, cli);
    await checkCalls(name, cli);
    await checkNat(name, cli);
    await checkMedia(name, cli);
    await checkNetwork(name, cli);
    await checkNames(name, cli);
    await checkProcesses(name, cli);
  });
}

test('back and forward move between views', async () => {
  const cli = cliReport(generated('sip-call-udp.pcapng'));
  await load(generated('sip-call-udp.pcapng'));
  await go(page, '#/', 'view-overview');
  await page.click('[data-testid=tab-calls]');
  await page.waitForSelector('[data-testid=calls-table]');
  await page.locator('[data-testid=calls-table] tbody tr a').first().click();
  await page.waitForSelector('[data-testid=ladder]');
  await page.goBack();
  await page.waitForSelector('[data-testid=calls-table]');
  await page.goBack();
  await page.waitForSelector('[data-testid=view-overview]');
  await page.goForward();
  await page.waitForSelector('[data-testid=calls-table]');
  await page.goForward();
  await page.waitForSelector('[data-testid=ladder]');
  assert.equal(await page.textContent('[data-testid=call-id]'), cli.sip.calls[0].call_id);
  // An address for a view the report does not have says so.
  await go(page, '#/media/99', 'not-found');
  await go(page, '#/nowhere', 'not-found');
});

test('a reload keeps the address and opens it once the file is dropped again', async () => {
  const file = generated('sip-call-udp.pcapng');
  const cli = cliReport(file);
  await go(page, `#/calls/${segment(cli.sip.calls[0].call_id)}/3`);
  await page.reload();
  await page.waitForSelector('[data-testid=route-pending]');
  await load(file);
  await page.waitForSelector('[data-testid=message-detail]');
  assert.equal(await page.textContent('[data-testid=message-start-line]'), cli.sip.calls[0].messages[2].start_line);
});

/** Presses Tab until `predicate(activeElement)` holds (at most `limit` times). */
async function tabTo(predicate, limit = 80) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(predicate)) return;
  }
  assert.fail(`no focusable element matched ${predicate} within ${limit} tabs`);
}

test('the keyboard alone reaches a call, its ladder and a message', async () => {
  const file = generated('sip-call-baresip-udp.pcapng');
  const cli = cliReport(file);
  await go(page, '#/');
  await page.reload();
  await page.waitForSelector('[data-testid=drop-zone]');
  // The file picker is a real button: Tab to it, and Enter opens the file input's chooser.
  await page.evaluate(() => document.getElementById('file').addEventListener('click', (e) => {
    window.pickerOpened = true;
    e.preventDefault();
  }));
  await tabTo(() => document.activeElement?.id === 'pick');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.pickerOpened === true);
  await page.setInputFiles('#file', file);
  assert.equal(await settled(page), 'done');
  await tabTo(() => document.activeElement?.dataset?.testid === 'tab-calls');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=calls-table]');
  // Sortable headers are buttons.
  await tabTo(() => document.activeElement?.classList.contains('sort'));
  await tabTo(() => document.activeElement?.closest('[data-testid=calls-table] tbody') != null);
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=ladder]');
  await tabTo(() => document.activeElement?.classList?.contains('arrow'));
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement.querySelector('.hit')).strokeWidth);
  assert.equal(outline, '2px', 'the focused arrow is visibly marked');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=message-detail]');
  assert.equal(await page.textContent('[data-testid=message-start-line]'), cli.sip.calls[0].messages[1].start_line);
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=message-detail]', { state: 'detached' });
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=calls-table]');
  await shot('keyboard-calls');
});

test('the mask switch replaces numbers and names on screen as the CLI --mask does', async () => {
  const file = fs.existsSync(publicCapture('sip__aaa.pcap')) ? publicCapture('sip__aaa.pcap') : generated('sip-call-udp.pcapng');
  const cli = cliReport(file);
  const masked = cliReport(file, ['--mask']);
  await load(file);
  await page.check('[data-testid=mask]');
  await page.waitForFunction((caller) => window.callscopeReport?.sip?.calls?.[0]?.caller === caller, masked.sip.calls[0].caller);
  assert.deepEqual(await page.evaluate(() => window.callscopeReport), masked);
  // What masking must hide, taken from the unmasked report: user parts of every From, To,
  // P-Asserted-Identity and Contact, and display names.
  const secrets = new Set();
  // A SIP URI's user part (before `@`; a URI without one names a host) or a tel URI's number.
  const users = (text) => [...(text ?? '').matchAll(/sips?:([^@;>:,\s]+)@|tel:([^;>,\s]+)/g)].map((m) => m[1] ?? m[2]);
  for (const c of [...cli.sip.calls, ...cli.sip.exchanges]) {
    for (const u of [...users(c.from), ...users(c.to)]) secrets.add(u);
    if (c.caller_name) secrets.add(c.caller_name);
    for (const m of c.messages) {
      for (const line of m.headers ?? []) {
        const [name, value] = [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)];
        if (!['From', 'To', 'P-Asserted-Identity', 'Contact'].includes(name)) continue;
        for (const u of users(value)) secrets.add(u);
        const display = value.match(/^\s*"([^"]+)"/)?.[1];
        if (display) secrets.add(display);
      }
    }
  }
  assert.ok(secrets.size >= 3, [...secrets].join(', '));
  const personal = (report) => JSON.stringify([...report.sip.calls, ...report.sip.exchanges].map((c) => [
    c.caller, c.callee, c.from, c.to, c.caller_name, c.asserted_identity, c.contact,
    c.messages.map((m) => [m.start_line, (m.headers ?? []).filter((h) => /^(From|To|P-Asserted-Identity|Contact): /.test(h))]),
  ]));
  const shownJson = personal(await page.evaluate(() => window.callscopeReport));
  for (const secret of secrets) assert.ok(!shownJson.includes(secret), `${secret} is masked`);
  await go(page, '#/calls', 'calls-table');
  const from = await column('calls-table', 4);
  assert.deepEqual(from, masked.sip.calls.map((c) => c.caller_name ? `${c.caller_name} <${c.caller}>` : c.caller));
  await page.locator('[data-testid=calls-table] tbody tr a').first().click();
  await page.waitForSelector('[data-testid=ladder]');
  await page.locator('[data-testid=ladder] g.arrow.msg').first().click();
  await page.waitForSelector('[data-testid=message-detail]');
  const detail = await page.textContent('[data-testid=message-detail]');
  for (const secret of secrets) assert.ok(!detail.includes(secret), `${secret} is masked in the message`);
  await shot('masked-call');
  await page.uncheck('[data-testid=mask]');
  await page.waitForFunction((caller) => window.callscopeReport?.sip?.calls?.[0]?.caller === caller, cli.sip.calls[0].caller);
});

test('dark mode follows the system setting', async () => {
  await load(path.join(root, 'static/demo.pcapng'));
  await go(page, '#/', 'view-overview');
  const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  const light = await background();
  await page.emulateMedia({ colorScheme: 'dark' });
  const dark = await background();
  assert.notEqual(light, dark);
  for (const [hash, view] of [['#/', 'view-overview'], ['#/tunnels', 'view-tunnels'], ['#/calls/ef173a44dbe08a14/1', 'message-detail'], ['#/media/1', 'view-stream'], ['#/nat', 'view-nat'], ['#/names', 'view-names']]) {
    await go(page, hash, view);
    await shot(`dark${hash.replace(/[#/]+/g, '-')}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
});

/** Text that reaches past its card's content edge (into its padding or beyond), outside the boxes
 *  that scroll sideways on purpose (tables, the ladder). */
const textPastItsCard = () => page.evaluate(() => {
  const found = [];
  for (const card of document.querySelectorAll('.card')) {
    const style = getComputedStyle(card);
    const edge = card.getBoundingClientRect().right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth) + 1;
    const walk = document.createTreeWalker(card, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      let scrolls = false;
      for (let a = n.parentElement; a && a !== card && !scrolls; a = a.parentElement) scrolls = getComputedStyle(a).overflowX !== 'visible';
      if (scrolls) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      if ([...range.getClientRects()].some((r) => r.right > edge)) found.push(n.textContent.trim().slice(0, 60));
    }
  }
  return found;
});

test('a phone-sized window scrolls tables and the ladder, not the page, and keeps text inside its cards', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await load(path.join(root, 'static/demo.pcapng'));
  for (const [hash, view] of [['#/', 'view-overview'], ['#/tunnels', 'view-tunnels'], ['#/calls', 'view-calls'], ['#/calls/ef173a44dbe08a14', 'view-call'], ['#/nat', 'view-nat'], ['#/media', 'view-media'], ['#/media/2', 'view-stream'], ['#/network', 'view-network'], ['#/names', 'view-names']]) {
    await go(page, hash, view);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `${hash} is ${width} px wide`);
    // A long name (the demo's ePDG, epdg.epc.mnc260.mcc310.pub.3gppnetwork.org) breaks inside its card.
    assert.deepEqual(await textPastItsCard(), [], `${hash}: text past its card`);
    await shot(`phone${hash.replace(/[#/]+/g, '-')}`);
  }
  await page.setViewportSize({ width: 1366, height: 900 });
});

test('no request left the page origin and no script error happened', async () => {
  const outside = requests.filter((u) => !u.startsWith(server.origin + '/'));
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
});

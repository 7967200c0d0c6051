// Captures the browser tests make themselves (written under artifacts/, never committed):
// - callsPcap(N): N short SIP calls over UDP (INVITE, 180, 200, ACK, BYE, 200; calls 10 ms apart)
//   from callers 10.1.x.y:5060 to a proxy at 10.0.0.1:5060, the many-calls case;
// - twoClocksPcapng(): a pcapng whose two interfaces' clocks differ by 113 days.
// `node captures.mjs calls N OUT.pcap` writes the first.
import fs from 'node:fs';

const mac = Buffer.from([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00]);

function ipv4(src, dst, payloadLen) {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + 8 + payloadLen, 2);
  h[8] = 64;
  h[9] = 17;
  Buffer.from(src).copy(h, 12);
  Buffer.from(dst).copy(h, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  h.writeUInt16BE(~sum & 0xffff, 10);
  return h;
}

function udp(sport, dport, len) {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + len, 4);
  return h; // checksum 0: none (RFC 768)
}

/** The pcap bytes of `calls` calls. */
export function callsPcap(calls) {
  const records = [];
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20);
  records.push(head);
  const proxy = [10, 0, 0, 1];
  const t0 = 1_700_000_000;
  for (let i = 0; i < calls; i++) {
    const caller = [10, 1, (i >> 8) & 255, i & 255];
    const from = `${caller.join('.')}`;
    const id = `call-${i}@${from}`;
    const number = `+1555${String(i).padStart(7, '0')}`;
    const hdr = (first, cseq, branch) =>
      `${first}\r\nVia: SIP/2.0/UDP ${from}:5060;branch=z9hG4bK${branch}\r\nFrom: <sip:${number}@${from}>;tag=a${i}\r\n` +
      `To: <sip:+15550000000@10.0.0.1>${first.startsWith('INVITE') ? '' : `;tag=b${i}`}\r\nCall-ID: ${id}\r\nCSeq: ${cseq}\r\nContent-Length: 0\r\n\r\n`;
    const msgs = [
      [0.0, true, hdr('INVITE sip:+15550000000@10.0.0.1 SIP/2.0', '1 INVITE', `${i}i`)],
      [0.1, false, hdr('SIP/2.0 180 Ringing', '1 INVITE', `${i}i`)],
      [0.3, false, hdr('SIP/2.0 200 OK', '1 INVITE', `${i}i`)],
      [0.31, true, hdr('ACK sip:+15550000000@10.0.0.1 SIP/2.0', '1 ACK', `${i}a`)],
      [1.0, true, hdr('BYE sip:+15550000000@10.0.0.1 SIP/2.0', '2 BYE', `${i}b`)],
      [1.01, false, hdr('SIP/2.0 200 OK', '2 BYE', `${i}b`)],
    ];
    for (const [dt, out, text] of msgs) {
      const payload = Buffer.from(text);
      const [src, dst] = out ? [caller, proxy] : [proxy, caller];
      const frame = Buffer.concat([mac, ipv4(src, dst, payload.length), udp(5060, 5060, payload.length), payload]);
      const rec = Buffer.alloc(16);
      const us = Math.round((i * 0.01 + dt) * 1e6);
      rec.writeUInt32LE(t0 + Math.floor(us / 1e6), 0);
      rec.writeUInt32LE(us % 1e6, 4);
      rec.writeUInt32LE(frame.length, 8);
      rec.writeUInt32LE(frame.length, 12);
      records.push(rec, frame);
    }
  }
  return Buffer.concat(records);
}

/** One pcapng block (RFC-draft pcapng §3.1): type, length, body padded to 32 bits, length. */
function block(type, body) {
  const pad = (4 - (body.length % 4)) % 4;
  const len = 12 + body.length + pad;
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(len, len - 4);
  return b;
}

/** A pcapng with interfaces `en0` and `pdp_ip0` (Ethernet), ten UDP datagrams on each, the second
 *  interface's 113 days and 5 hours after the first's. */
export function twoClocksPcapng() {
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeBigInt64LE(-1n, 8);
  const idb = (name) => {
    const opt = Buffer.from(name);
    const pad = (4 - (opt.length % 4)) % 4;
    const body = Buffer.alloc(8 + 4 + opt.length + pad + 4);
    body.writeUInt16LE(1, 0); // LINKTYPE_ETHERNET
    body.writeUInt32LE(65535, 4);
    body.writeUInt16LE(2, 8); // if_name
    body.writeUInt16LE(opt.length, 10);
    opt.copy(body, 12);
    return block(1, body);
  };
  const parts = [block(0x0a0d0d0a, shb), idb('en0'), idb('pdp_ip0')];
  const t0 = 1_700_000_000n * 1_000_000n;
  const later = (113n * 86_400n + 5n * 3_600n) * 1_000_000n;
  for (const [iface, base] of [[0, t0], [1, t0 + later]]) {
    for (let k = 0; k < 10; k++) {
      const payload = Buffer.from(`hello ${iface} ${k}`);
      const frame = Buffer.concat([mac, ipv4([10, 0, 0, 2], [10, 0, 0, 3], payload.length), udp(40000, 40001 + iface, payload.length), payload]);
      const ts = base + BigInt(k) * 100_000n;
      const pad = (4 - (frame.length % 4)) % 4;
      const body = Buffer.alloc(20 + frame.length + pad);
      body.writeUInt32LE(iface, 0);
      body.writeUInt32LE(Number(ts >> 32n), 4);
      body.writeUInt32LE(Number(ts & 0xffffffffn), 8);
      body.writeUInt32LE(frame.length, 12);
      body.writeUInt32LE(frame.length, 16);
      frame.copy(body, 20);
      parts.push(block(6, body));
    }
  }
  return Buffer.concat(parts);
}

if (process.argv[1] && process.argv[1].endsWith('captures.mjs') && process.argv[2] === 'calls') {
  const [n, out] = process.argv.slice(3);
  fs.writeFileSync(out, callsPcap(Number(n)));
}

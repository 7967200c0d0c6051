//! Link, network and transport decoding of one frame.
//!
//! Input: byte 0 picks a link type from the ones callscope decodes (plus one it does not), the
//! rest is the frame: `link::decode`, then `net::decode_network`, then `net::decode_transport`.
#![no_main]

use callscope_wire::link;
use callscope_wire::net::{self, Network, Transport};
use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]

/// LINKTYPE_* values: NULL, EN10MB, RAW (12, 14, 101), LOOP, LINUX_SLL, PKTAP (149, 258), IPV4,
/// IPV6, LINUX_SLL2, and 147 (unsupported).
const LINK_TYPES: [u32; 13] = [0, 1, 12, 14, 101, 108, 113, 149, 258, 228, 229, 276, 147];

fn within(outer: &[u8], inner: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    inner.is_empty() || (i >= o && i + inner.len() <= o + outer.len())
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, frame)) = data.split_first() else { return };
    let link_type = LINK_TYPES[usize::from(pick) % LINK_TYPES.len()];
    let Ok(layer) = link::decode(link_type, frame) else { return };
    assert!(within(frame, layer.payload), "link payload outside the frame");
    let Ok(Network::Ip(ip)) = net::decode_network(layer.next, layer.payload) else { return };
    assert!(within(layer.payload, ip.payload), "IP payload outside the link payload");
    if let Ok(t) = net::decode_transport(ip.protocol, ip.payload) {
        match t {
            Transport::Udp { payload, .. }
            | Transport::Tcp { payload, .. }
            | Transport::Other { payload, .. } => {
                assert!(within(ip.payload, payload), "transport payload outside the IP payload");
            }
            Transport::Icmp { .. } => {}
        }
    }
});

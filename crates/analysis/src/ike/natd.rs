//! NAT detection: recomputing the hashes a peer put in NAT_DETECTION_SOURCE_IP /
//! NAT_DETECTION_DESTINATION_IP (IKEv2, RFC 7296 §2.23: SHA-1 over SPIi | SPIr | IP | port) or in
//! NAT-D payloads (IKEv1, RFC 3947 §3.2: the negotiated hash over CKY-I | CKY-R | IP | port), and
//! comparing them with the addresses the packet carries where it was captured.
//!
//! A source hash that matches no source means the sender's address was rewritten after it wrote
//! the hash (the sender is behind a NAT, or the capture point is past one); a destination hash that
//! does not match means the receiver is known to its peer by another address.

use std::net::{IpAddr, SocketAddr};

use md5::Md5;
use sha1::{Digest, Sha1};
use sha2::{Sha256, Sha384, Sha512};

fn input(ispi: u64, rspi: u64, addr: SocketAddr) -> Vec<u8> {
    let mut v = Vec::with_capacity(34);
    v.extend_from_slice(&ispi.to_be_bytes());
    v.extend_from_slice(&rspi.to_be_bytes());
    match addr.ip() {
        IpAddr::V4(ip) => v.extend_from_slice(&ip.octets()),
        IpAddr::V6(ip) => v.extend_from_slice(&ip.octets()),
    }
    v.extend_from_slice(&addr.port().to_be_bytes());
    v
}

/// The hash of `addr` under the SPIs, by the algorithm that the hash's length implies (16 MD5,
/// 20 SHA-1, 32/48/64 SHA-2); `None` when the length names no algorithm callscope knows.
pub fn expected(ispi: u64, rspi: u64, addr: SocketAddr, len: usize) -> Option<Vec<u8>> {
    let data = input(ispi, rspi, addr);
    Some(match len {
        16 => Md5::digest(&data).to_vec(),
        20 => Sha1::digest(&data).to_vec(),
        32 => Sha256::digest(&data).to_vec(),
        48 => Sha384::digest(&data).to_vec(),
        64 => Sha512::digest(&data).to_vec(),
        _ => return None,
    })
}

/// How a set of hashes compares with an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// At least one hash matches the address.
    Matches,
    /// Hashes were checked and none matches.
    Mismatch,
    /// No hash could be checked (unknown algorithm).
    Unverifiable,
}

/// Compares hashes (one of which should describe `addr`) with `addr`.
pub fn check(ispi: u64, rspi: u64, addr: SocketAddr, hashes: &[&[u8]]) -> Verdict {
    let mut checked = false;
    for h in hashes {
        if let Some(e) = expected(ispi, rspi, addr, h.len()) {
            checked = true;
            if e == *h {
                return Verdict::Matches;
            }
        }
    }
    if checked {
        Verdict::Mismatch
    } else {
        Verdict::Unverifiable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_of_spis_address_and_port() {
        // SHA-1(0102030405060708 0000000000000000 0a000001 01f4), computed independently.
        let h = expected(0x0102030405060708, 0, "10.0.0.1:500".parse().unwrap(), 20).unwrap();
        let mut data = vec![
            1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1, 1, 0xf4,
        ];
        assert_eq!(h, Sha1::digest(&data).to_vec());
        data[21] = 0xf5;
        assert_ne!(h, Sha1::digest(&data).to_vec());
    }

    #[test]
    fn matches_mismatch_and_unverifiable() {
        let a: SocketAddr = "[fd00::1]:4500".parse().unwrap();
        let b: SocketAddr = "[fd00::2]:4500".parse().unwrap();
        let h = expected(7, 9, a, 16).unwrap();
        assert_eq!(check(7, 9, a, &[&h]), Verdict::Matches);
        assert_eq!(check(7, 9, b, &[&h]), Verdict::Mismatch);
        assert_eq!(check(7, 9, a, &[&[0u8; 5]]), Verdict::Unverifiable);
        let other = expected(7, 9, b, 20).unwrap();
        assert_eq!(check(7, 9, b, &[&h, &other]), Verdict::Matches);
    }
}
